// Triad as a library (`import … from "triad"`): what a program needs to talk to a Triad network
// and to make one: the typed JSON-RPC client, keys and key files, genesis documents, building
// and signing transactions, and the deterministic simulator. The node itself is run by the
// `triad` command; its internals (driver, p2p, stores) are not part of this surface.
// Loading this module never opens LevelDB or libp2p.

// ---- the JSON-RPC client (also `triad/client`) ----------------------------------------------------
export {
  CHECK_TX_CODES,
  RPC_ERROR_CODES,
  TriadClient,
  TriadRpcError,
  checkTxCodeName,
  type BroadcastMode,
  type ClientSubscription,
  type KvDeleteOptions,
  type KvPutOptions,
  type SignOptions,
  type SigningKey,
  type TransferOptions,
  type TriadClientOptions,
  type TxSearchOptions,
} from "./rpc/client.js";
export type * from "./rpc/types.js";

// ---- keys and key files -----------------------------------------------------------------------------
export { devKeyPair, generateKeyPair, keyPairFromSecret, parsePublicKey, publicKeyHex, type Hex, type KeyPair } from "./chain/keys.js";
export { fromHex, toHex } from "./chain/encoding.js";
export { KeyFileError, keyFileJson, parseKeyFile, readKeyFile, writeKeyFile, type KeyFile, type KeyFileJson, type WriteKeyFileOptions } from "./node/key-file.js";

// ---- genesis ------------------------------------------------------------------------------------------
export { GenesisError, genesisHash, genesisHashHex, parseGenesis, parseGenesisText, type ConsensusParams, type Genesis, type GenesisIssue } from "./chain/genesis.js";
export {
  GENESIS_FILE,
  GenesisBuildError,
  buildGenesis,
  writeGenesisDir,
  type GeneratedKey,
  type GenesisSpec,
  type KeyRole,
  type NewGenesis,
  type WrittenGenesis,
} from "./node/genesis-builder.js";

// ---- transactions -------------------------------------------------------------------------------------
export { MAX_TX_BYTES, decodeSignedTx, encodeSignedTx, signTx, txSigningPayload, verifyTx, type SignedTx, type UnsignedTx } from "./chain/tx.js";
export { builtinRegistry, kvDeleteKind, kvPutKind, transferKind, type KvDeletePayload, type KvPutPayload, type TransferPayload } from "./chain/builtin-kinds.js";
export { TxRegistry, type TxKind } from "./chain/tx-registry.js";
export { chainRegistry, dbftRegisterKind, dbftVoteKind, poaVoteKind, selectionFor } from "./consensus/selection/index.js";
export { DecodeError, TriadError, TxError } from "./chain/errors.js";

// ---- the simulator ------------------------------------------------------------------------------------
export {
  BEHAVIOURS,
  FAULT_NAMES,
  INVARIANTS,
  NO_FAULTS,
  SimSpecError,
  formatByzantineSpec,
  formatFaultSpec,
  parseByzantineSpec,
  parseFaultSpec,
  randomScenario,
  runSimulation,
  type BehaviourName,
  type ByzantineSpec,
  type FaultSpec,
  type InvariantName,
  type ScenarioOptions,
  type SimOptions,
  type SimSummary,
  type Violation,
} from "./sim/index.js";
