// The RPC layer's public surface: the server a node runs, the interface it needs from the node,
// the error and result-code tables, and the typed client.
export { RpcServer, type RpcAddress, type RpcServerDeps, type RpcServerOptions } from "./server.js";
export type * from "./node-api.js";
export type * from "./types.js";
export { RPC_ERROR_CODES, RpcError, invalidParams, notFound, toRpcErrorObject, type RpcErrorName, type RpcErrorObject } from "./errors.js";
export { CHECK_TX_CODES, UNKNOWN_CHECK_CODE, checkTxCode, checkTxCodeName } from "./check-codes.js";
export { methodNames } from "./methods.js";
export type { NetFaultControl, NetFaultCounters, NetFaultDirection, NetFaultEntry } from "./methods-unsafe.js";
export {
  TriadClient,
  TriadRpcError,
  type BroadcastMode,
  type ClientSubscription,
  type KvDeleteOptions,
  type KvPutOptions,
  type SignOptions,
  type SigningKey,
  type TransferOptions,
  type TriadClientOptions,
  type TxSearchOptions,
} from "./client.js";
