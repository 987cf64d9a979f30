// Operating errors of the chain layer: each carries a stable `code` and the facts behind it, so
// the RPC edge can map it to a JSON-RPC error and a peer-facing layer can decide Reject/Ignore.

export class TriadError<C extends string = string> extends Error {
  readonly code: C;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: C, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.details = details;
  }

  toJSON(): Record<string, unknown> {
    return { code: this.code, message: this.message, ...this.details };
  }
}

export type DecodeErrorCode = "TRUNCATED" | "TRAILING_BYTES" | "NON_CANONICAL" | "OVERSIZE" | "INVALID_VALUE";
/** Bytes from a peer or a client that are not the one canonical encoding of a value. */
export class DecodeError extends TriadError<DecodeErrorCode> {}

export type TxErrorCode =
  | "UNKNOWN_KIND"
  | "BAD_PAYLOAD"
  | "BAD_SIGNATURE"
  | "WRONG_CHAIN"
  | "TX_TOO_LARGE"
  | "BAD_NONCE";
export class TxError extends TriadError<TxErrorCode> {}

export type BlockErrorCode =
  | "WRONG_CHAIN"
  | "BAD_HEIGHT"
  | "PARENT_MISMATCH"
  | "BAD_TIMESTAMP"
  | "BAD_PROPOSER"
  | "TX_ROOT_MISMATCH"
  | "STATE_ROOT_MISMATCH"
  | "VALIDATORS_HASH_MISMATCH"
  | "LAST_COMMIT_MISMATCH"
  | "BAD_TX"
  | "DUPLICATE_TX"
  | "BLOCK_TOO_LARGE";
export class BlockError extends TriadError<BlockErrorCode> {}

export type SealErrorCode =
  | "WRONG_BLOCK"
  | "DUPLICATE_SIGNER"
  | "NOT_A_MEMBER"
  | "BAD_SIGNATURE"
  | "NO_QUORUM";
export class SealError extends TriadError<SealErrorCode> {}

/** Broken invariant: the node must stop rather than continue with corrupt state. */
export class InvariantError extends Error {
  constructor(message: string) {
    super(`invariant violated: ${message}`);
    this.name = "InvariantError";
  }
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new InvariantError(message);
}

export type StoreErrorCode = "PARENT_MISMATCH" | "BAD_HEIGHT" | "GENESIS_MISMATCH" | "NOT_INITIALIZED" | "CLOSED" | "CORRUPT";
/** Block store refusals and damage found on disk. */
export class StoreError extends TriadError<StoreErrorCode> {}

export type MempoolErrorCode =
  | "MEMPOOL_FULL"
  | "UNFUNDED_QUOTA"
  | "ALREADY_KNOWN"
  | "NONCE_TAKEN"
  | "STALE_NONCE"
  | "NONCE_GAP"
  | TxErrorCode;
/** Why the mempool refused a tx; `details.id` names the tx where it decoded. */
export class MempoolError extends TriadError<MempoolErrorCode> {}
