// The frame of the tx relay: a batch of canonical signed-tx bytes, in the chain's canonical binary
// encoding (a count, then each tx length-prefixed). The relay only frames txs; decoding, hashing
// and verifying each one is the mempool's job, done once per node.
import { DecodeError, decodeAll, MAX_TX_BYTES, Writer } from "../chain/index.js";

/** Most txs in one batch frame. */
export const MAX_TX_BATCH_TXS = 512;
/** Most tx bytes in one batch frame (the sender closes a batch at this size). */
export const MAX_TX_BATCH_BYTES = 256 * 1024;
/**
 * Largest frame a receiver accepts: a full batch plus its prefixes, and room for one tx that
 * alone crosses MAX_TX_BATCH_BYTES (a batch always takes its first tx, whatever its size).
 */
export const MAX_TX_BATCH_FRAME_BYTES = MAX_TX_BATCH_BYTES + MAX_TX_BYTES + MAX_TX_BATCH_TXS * 4 + 16;

/** What a batch frame may hold: the tx relay's limits, or the consensus streams'. */
export interface BatchLimits {
  /** Most items in one frame. */
  readonly maxItems: number;
  /** Largest single item. */
  readonly maxItemBytes: number;
  /** Largest frame a receiver reads. */
  readonly maxFrameBytes: number;
}

export const TX_BATCH_LIMITS: BatchLimits = { maxItems: MAX_TX_BATCH_TXS, maxItemBytes: MAX_TX_BYTES, maxFrameBytes: MAX_TX_BATCH_FRAME_BYTES };

export function encodeTxBatch(txs: readonly Uint8Array[]): Uint8Array {
  let size = 8;
  for (const tx of txs) size += tx.length + 4;
  const w = new Writer(size).uint(txs.length);
  for (const tx of txs) w.bytes(tx);
  return w.finish();
}

/**
 * Canonical decode: at least one item, at most `maxItems`, none empty or over `maxItemBytes`,
 * no trailing bytes. Throws a DecodeError otherwise. Each tx is its own copy, so a pooled tx
 * never keeps a whole frame alive.
 */
export function decodeTxBatch(bytes: Uint8Array, limits: BatchLimits = TX_BATCH_LIMITS): Uint8Array[] {
  return decodeAll(bytes, limits.maxFrameBytes, (r) => {
    const count = r.count(limits.maxItems);
    if (count === 0) throw new DecodeError("INVALID_VALUE", "empty tx batch", {});
    const out: Uint8Array[] = [];
    for (let i = 0; i < count; i++) {
      const tx = r.bytes(limits.maxItemBytes);
      if (tx.length === 0) throw new DecodeError("INVALID_VALUE", `tx ${i} of the batch is empty`, { index: i });
      out.push(tx);
    }
    return out;
  });
}
