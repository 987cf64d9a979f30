// Routes a tx's `kind` to the code that decodes and executes its payload. The chain registers
// transfer and kv.*; a validator-selection module registers its governance kinds. A kind that
// is not registered cannot enter the mempool or a valid block.
import type { DecodeError } from "./errors.js";
import { TxError } from "./errors.js";
import type { StateOverlay } from "./state.js";
import type { SignedTx } from "./tx.js";

/** What a tx kind's `apply` sees: the state so far in this block, and the block's facts. */
export interface ExecutionContext {
  readonly chainId: string;
  readonly height: number;
  readonly timestamp: number;
  readonly proposer: string;
  readonly state: StateOverlay;
}

export interface TxKind<P> {
  readonly kind: string;
  readonly maxPayloadBytes: number;
  encode(payload: P): Uint8Array;
  /** Canonical decode; throws DecodeError on anything else. Also checks stateless rules. */
  decode(bytes: Uint8Array): P;
  /** A JSON view for RPC and logs (bigints as decimal strings, bytes as hex). */
  toJSON(payload: P): Record<string, unknown>;
  /** Execute against the block's overlay; throw ExecutionFailure to fail the tx. */
  apply(ctx: ExecutionContext, tx: SignedTx, payload: P): void;
}

// Kinds are stored heterogeneously; each one's P is only seen by its own code.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyTxKind = TxKind<any>;

export class TxRegistry {
  private readonly kinds = new Map<string, AnyTxKind>();

  register<P>(kind: TxKind<P>): this {
    if (this.kinds.has(kind.kind)) throw new Error(`tx kind ${kind.kind} is already registered`);
    this.kinds.set(kind.kind, kind);
    return this;
  }

  has(kind: string): boolean {
    return this.kinds.has(kind);
  }

  names(): string[] {
    return [...this.kinds.keys()].sort();
  }

  get(kind: string): AnyTxKind {
    const k = this.kinds.get(kind);
    if (k === undefined) throw new TxError("UNKNOWN_KIND", `unknown tx kind ${JSON.stringify(kind)}`, { kind, known: this.names() });
    return k;
  }

  /** Decode a tx's payload with its kind; any failure is a TxError the edge can report. */
  decodePayload(tx: SignedTx): unknown {
    const kind = this.get(tx.kind);
    if (tx.payload.length > kind.maxPayloadBytes) {
      throw new TxError("TX_TOO_LARGE", `${tx.kind} payload of ${tx.payload.length} bytes exceeds ${kind.maxPayloadBytes}`);
    }
    try {
      return kind.decode(tx.payload);
    } catch (err) {
      const e = err as DecodeError;
      throw new TxError("BAD_PAYLOAD", `bad ${tx.kind} payload: ${e.message}`, { kind: tx.kind, reason: e.code ?? "INVALID" });
    }
  }

  toJSON(tx: SignedTx): Record<string, unknown> {
    const kind = this.kinds.get(tx.kind);
    if (kind === undefined) return {};
    try {
      return kind.toJSON(kind.decode(tx.payload));
    } catch {
      return {};
    }
  }
}
