// Pre-signing: every tx a load run will send is signed before its measured window, so the
// window measures sending, not ed25519 signing in the generator. Txs go round-robin over the
// accounts (tx k is from account k mod A, at that account's next nonce), so each account has
// only 1/A of the txs in flight and the mempool's per-sender limits (nonce gap 64, 256 pooled)
// never bind as long as A is large enough for the rate times the commit latency.
import { toHex, type KeyPair } from "../../chain/index.js";
import { TxBuilder } from "../tx-builder.js";

export interface PresignSpec {
  readonly chainId: string;
  readonly accounts: readonly KeyPair[];
  /** Each account's next nonce on chain, in the order of `accounts`. */
  readonly nonces: readonly number[];
  readonly count: number;
}

export interface PresignedTxs {
  /** Base64 of each tx, in sending order (also the form a NewBlock event carries it in). */
  readonly base64: string[];
  /** Lower-case hex sha256 of each tx: the id the node reports. */
  readonly ids: string[];
}

/** How many txs one account may have in flight before the mempool's nonce gap could refuse one. */
export const SAFE_IN_FLIGHT_PER_ACCOUNT = 48;

/** Fewer accounts than this and a few thousand tx/s over a second or two of latency hit the per-sender limits. */
export const PRESIGN_SAFE_ACCOUNTS = 100;

export function presign(spec: PresignSpec): PresignedTxs {
  const n = spec.accounts.length;
  if (n === 0) throw new RangeError("presign needs at least one account");
  if (spec.nonces.length !== n) throw new RangeError("presign needs one nonce per account");
  const builders = spec.accounts.map((pair) => new TxBuilder(pair, spec.chainId));
  const recipients = spec.accounts.map((_, i) => toHex(spec.accounts[(i + 1) % n]!.publicKey));
  const base64: string[] = new Array<string>(spec.count);
  const ids: string[] = new Array<string>(spec.count);
  for (let k = 0; k < spec.count; k++) {
    const a = k % n;
    const tx = builders[a]!.transfer(spec.nonces[a]! + Math.floor(k / n), recipients[a]!, 1n);
    base64[k] = Buffer.from(tx.bytes.buffer, tx.bytes.byteOffset, tx.bytes.byteLength).toString("base64");
    ids[k] = tx.id;
  }
  return { base64, ids };
}
