// Code-tagged RPC errors, and the one place where any error becomes a JSON-RPC error object.
// Handlers throw RpcError (or let chain-layer TriadErrors through); the server maps them at the
// edge, so a handler never builds a response by hand and an unexpected exception never leaks
// its stack or internals to a client.
import { TriadError } from "../chain/errors.js";

export const RPC_ERROR_CODES = {
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL: -32603,
  NOT_FOUND: -32001,
  MEMPOOL_FULL: -32002,
  SYNCING: -32003,
  TIMEOUT: -32004,
  RANGE_TOO_LARGE: -32005,
  METHOD_NOT_ENABLED: -32006,
  TOO_MANY: -32007,
  BODY_TOO_LARGE: -32008,
  RESPONSE_TOO_LARGE: -32009,
} as const;

export type RpcErrorName = keyof typeof RPC_ERROR_CODES;

const MESSAGES: Record<RpcErrorName, string> = {
  PARSE_ERROR: "Parse error",
  INVALID_REQUEST: "Invalid Request",
  METHOD_NOT_FOUND: "Method not found",
  INVALID_PARAMS: "Invalid params",
  INTERNAL: "Internal error",
  NOT_FOUND: "Not found",
  MEMPOOL_FULL: "Mempool is full",
  SYNCING: "Node is syncing",
  TIMEOUT: "Timed out",
  RANGE_TOO_LARGE: "Range too large",
  METHOD_NOT_ENABLED: "Method not enabled",
  TOO_MANY: "Too many subscriptions or clients",
  BODY_TOO_LARGE: "Request body too large",
  RESPONSE_TOO_LARGE: "Response too large",
};

/** What goes on the wire as `error`. `data` is always present: clients get the why, not just the code. */
export interface RpcErrorObject {
  readonly code: number;
  readonly message: string;
  readonly data: Readonly<Record<string, unknown>>;
}

export class RpcError extends Error {
  override readonly name = "RpcError";
  readonly code: number;
  readonly kind: RpcErrorName;
  readonly data: Readonly<Record<string, unknown>>;

  constructor(kind: RpcErrorName, data: Record<string, unknown> = {}, message: string = MESSAGES[kind]) {
    super(message);
    this.kind = kind;
    this.code = RPC_ERROR_CODES[kind];
    this.data = data;
  }

  toObject(): RpcErrorObject {
    return { code: this.code, message: this.message, data: this.data };
  }
}

/** -32602 naming the parameter and what is wrong with it. */
export function invalidParams(param: string, reason: string, extra: Record<string, unknown> = {}): RpcError {
  return new RpcError("INVALID_PARAMS", { param, reason, ...extra });
}

export function notFound(what: string, extra: Record<string, unknown> = {}): RpcError {
  return new RpcError("NOT_FOUND", { reason: `${what} not found`, ...extra });
}

/**
 * Any thrown value → the JSON-RPC error a client sees. Chain-layer errors that reach the edge
 * unhandled are operating errors of the node (a store refusing, a decode of our own data
 * failing): they are internal, but their code is kept so an operator can grep for it.
 */
export function toRpcErrorObject(err: unknown): RpcErrorObject {
  if (err instanceof RpcError) return err.toObject();
  if (err instanceof TriadError) {
    return { code: RPC_ERROR_CODES.INTERNAL, message: MESSAGES.INTERNAL, data: { reason: err.message, error: err.code } };
  }
  // Unknown exceptions can carry paths or internals: say only that something broke.
  return { code: RPC_ERROR_CODES.INTERNAL, message: MESSAGES.INTERNAL, data: { reason: "unexpected server error" } };
}

/** True for errors a client caused or the node expects (logged at debug, not as warnings). */
export function isExpectedError(err: unknown): boolean {
  return err instanceof RpcError && err.kind !== "INTERNAL";
}
