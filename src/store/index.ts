// The stores' public surface: where a block log and a validator's own votes live. Importing it
// loads LevelDB's native binding; code that needs only the memory stores (the simulator, unit
// tests) imports ./memory.js, and the pure layers (chain/, consensus/) import neither.
export * from "./level-block-store.js";
export * from "./level-vote-store.js";
export * from "./memory.js";
