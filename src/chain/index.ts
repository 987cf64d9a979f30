// The chain layer's public surface: what a block log is. Imports nothing else of ours; the stores
// that keep a block log (LevelDB, memory) live in ../store/, so importing chain never loads LevelDB.
export * from "./errors.js";
export * from "./encoding.js";
export * from "./hash.js";
export * from "./domain.js";
export * from "./keys.js";
export * from "./signature.js";
export * from "./merkle.js";
export * from "./state-tree.js";
export * from "./state.js";
export * from "./receipt.js";
export * from "./tx.js";
export * from "./tx-registry.js";
export * from "./builtin-kinds.js";
export * from "./validator-set.js";
export * from "./block.js";
export * from "./seal.js";
export * from "./execution.js";
export * from "./genesis.js";
export * from "./block-store.js";
export * from "./mempool.js";
export * from "./verify-cache.js";
