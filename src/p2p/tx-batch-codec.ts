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

export function encodeTxBatch(txs: readonly Uint8Array[]): Uint8Array {
  let size = 8;
  for (const tx of txs) size += tx.length + 4;
  const w = new Writer(size).uint(txs.length);
  for (const tx of txs) w.bytes(tx);
  return w.finish();
}

/**
 * Canonical decode: at least one tx, at most MAX_TX_BATCH_TXS, none empty or over MAX_TX_BYTES,
 * no trailing bytes. Throws a DecodeError otherwise. Each tx is its own copy, so a pooled tx
 * never keeps a whole frame alive.
 */
export function decodeTxBatch(bytes: Uint8Array): Uint8Array[] {
  return decodeAll(bytes, MAX_TX_BATCH_FRAME_BYTES, (r) => {
    const count = r.count(MAX_TX_BATCH_TXS);
    if (count === 0) throw new DecodeError("INVALID_VALUE", "empty tx batch", {});
    const out: Uint8Array[] = [];
    for (let i = 0; i < count; i++) {
      const tx = r.bytes(MAX_TX_BYTES);
      if (tx.length === 0) throw new DecodeError("INVALID_VALUE", `tx ${i} of the batch is empty`, { index: i });
      out.push(tx);
    }
    return out;
  });
}
