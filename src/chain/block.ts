// A block: header + txs. The block hash is sha256 of the canonical header encoding; the header
// commits to the txs through txRoot and to the post-execution state through stateRoot.
import { bytesEqual, decodeAll, fromHex, Reader, toHex, Writer } from "./encoding.js";
import { BlockError } from "./errors.js";
import { HASH_BYTES, sha256 } from "./hash.js";
import { PUBLIC_KEY_BYTES } from "./keys.js";
import { merkleRoot } from "./merkle.js";
import { encodeSeal, readSeal, writeSeal, type Seal } from "./seal.js";
import { MAX_CHAIN_ID_BYTES, readSignedTx, type SignedTx } from "./tx.js";
import type { ValidatorId } from "./validator-set.js";

/** Hard ceiling on an encoded block, whatever the genesis allows: gossip carries at most 4 MiB. */
export const MAX_BLOCK_BYTES_LIMIT = 3 * 1024 * 1024;
export const MAX_BLOCK_TXS_LIMIT = 10_000;

export interface BlockHeader {
  readonly chainId: string;
  readonly height: number;
  readonly view: number;
  readonly parentHash: Uint8Array;
  /** Milliseconds since the Unix epoch, as the proposer's clock read it. */
  readonly timestamp: number;
  readonly proposer: ValidatorId;
  readonly txRoot: Uint8Array;
  readonly stateRoot: Uint8Array;
  readonly validatorsHash: Uint8Array;
  /** sha256 of the canonical encoding of `lastCommit`; 32 zero bytes when there is none (height 1). */
  readonly lastCommitHash: Uint8Array;
}

/** A header as a builder gives it: makeBlock derives lastCommitHash from the lastCommit it is given. */
export type HeaderFields = Omit<BlockHeader, "lastCommitHash"> & { readonly lastCommitHash?: Uint8Array };

export interface Block {
  readonly header: BlockHeader;
  /**
   * A seal of the parent block (CometBFT's LastCommit), chosen by the proposer; null at height 1.
   * Every node's own stored seal of a block may hold a different quorum of commits, so this one,
   * which the block hash commits to, is the record of who signed that every replica agrees on.
   */
  readonly lastCommit: Seal | null;
  readonly txs: readonly SignedTx[];
  readonly hash: Uint8Array;
  /** Hex of `hash`. */
  readonly id: string;
  /** The canonical encoding of the whole block. */
  readonly bytes: Uint8Array;
}

export function writeHeader(w: Writer, h: BlockHeader): Writer {
  return w
    .string(h.chainId)
    .uint(h.height)
    .uint(h.view)
    .fixed(h.parentHash, HASH_BYTES)
    .uint(h.timestamp)
    .fixed(fromHex(h.proposer, PUBLIC_KEY_BYTES), PUBLIC_KEY_BYTES)
    .fixed(h.txRoot, HASH_BYTES)
    .fixed(h.stateRoot, HASH_BYTES)
    .fixed(h.validatorsHash, HASH_BYTES)
    .fixed(h.lastCommitHash, HASH_BYTES);
}

export function readHeader(r: Reader): BlockHeader {
  return {
    chainId: r.string(MAX_CHAIN_ID_BYTES),
    height: r.uint(),
    view: r.uint(),
    parentHash: r.fixed(HASH_BYTES),
    timestamp: r.uint(),
    proposer: toHex(r.fixed(PUBLIC_KEY_BYTES)),
    txRoot: r.fixed(HASH_BYTES),
    stateRoot: r.fixed(HASH_BYTES),
    validatorsHash: r.fixed(HASH_BYTES),
    lastCommitHash: r.fixed(HASH_BYTES),
  };
}

export function encodeHeader(h: BlockHeader): Uint8Array {
  return writeHeader(new Writer(256), h).finish();
}

export function headerHash(h: BlockHeader): Uint8Array {
  return sha256(encodeHeader(h));
}

export function txRoot(txs: readonly SignedTx[]): Uint8Array {
  return merkleRoot(txs.map((t) => t.hash));
}

const NO_LAST_COMMIT = new Uint8Array(HASH_BYTES);

/** What a header's lastCommitHash must be for this lastCommit. */
export function lastCommitHash(lastCommit: Seal | null): Uint8Array {
  return lastCommit === null ? NO_LAST_COMMIT : sha256(encodeSeal(lastCommit));
}

/** Bytes the lastCommit takes in a block's encoding (a presence flag, then the seal). */
export function lastCommitBytes(lastCommit: Seal | null): number {
  return lastCommit === null ? 1 : 1 + encodeSeal(lastCommit).length;
}

/** A block whose header's lastCommitHash is always derived from `lastCommit`, so the two never disagree. */
export function makeBlock(fields: HeaderFields, txs: readonly SignedTx[], lastCommit: Seal | null = null): Block {
  const header: BlockHeader = { ...fields, lastCommitHash: lastCommitHash(lastCommit) };
  let size = 256 + (lastCommit === null ? 0 : 64 + lastCommit.commits.length * 96);
  for (const tx of txs) size += tx.bytes.length;
  const w = writeHeader(new Writer(size), header);
  w.bool(lastCommit !== null);
  if (lastCommit !== null) writeSeal(w, lastCommit);
  w.uint(txs.length);
  for (const tx of txs) w.raw(tx.bytes);
  const hash = headerHash(header);
  return { header, lastCommit, txs, hash, id: toHex(hash), bytes: w.finish() };
}

/** Structural decode (limits, canonical form, tx root); execution-level checks are elsewhere. */
export function decodeBlock(bytes: Uint8Array, maxBytes = MAX_BLOCK_BYTES_LIMIT): Block {
  return decodeAll(bytes, maxBytes, (r) => {
    const header = readHeader(r);
    const hash = sha256(r.consumed(0));
    const lastCommit = r.bool() ? readSeal(r) : null;
    const count = r.count(MAX_BLOCK_TXS_LIMIT);
    const txs: SignedTx[] = [];
    for (let i = 0; i < count; i++) txs.push(readSignedTx(r));
    // Canonical input is its own encoding: keep it rather than encoding the block again.
    const block: Block = { header, lastCommit, txs, hash, id: toHex(hash), bytes: r.consumed(0) };
    checkLastCommitHash(block);
    checkTxRoot(block);
    return block;
  });
}

export function checkTxRoot(block: Block): void {
  const root = txRoot(block.txs);
  if (!bytesEqual(root, block.header.txRoot)) {
    throw new BlockError("TX_ROOT_MISMATCH", "txRoot does not match the block's txs", {
      expected: toHex(root),
      actual: toHex(block.header.txRoot),
    });
  }
}

/** The header commits to the lastCommit it carries (decode checks this; makeBlock derives it). */
export function checkLastCommitHash(block: Block): void {
  const expected = lastCommitHash(block.lastCommit);
  if (!bytesEqual(expected, block.header.lastCommitHash)) {
    throw new BlockError("LAST_COMMIT_MISMATCH", "lastCommitHash does not match the block's lastCommit", {
      expected: toHex(expected),
      actual: toHex(block.header.lastCommitHash),
    });
  }
}
