// A block: header + txs. The block hash is sha256 of the canonical header encoding; the header
// commits to the txs through txRoot and to the post-execution state through stateRoot.
import { bytesEqual, decodeAll, fromHex, Reader, toHex, Writer } from "./encoding.js";
import { BlockError } from "./errors.js";
import { HASH_BYTES, sha256 } from "./hash.js";
import { PUBLIC_KEY_BYTES } from "./keys.js";
import { merkleRoot } from "./merkle.js";
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
}

export interface Block {
  readonly header: BlockHeader;
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
    .fixed(h.validatorsHash, HASH_BYTES);
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

export function makeBlock(header: BlockHeader, txs: readonly SignedTx[]): Block {
  let size = 256;
  for (const tx of txs) size += tx.bytes.length;
  const w = writeHeader(new Writer(size), header).uint(txs.length);
  for (const tx of txs) w.raw(tx.bytes);
  const hash = headerHash(header);
  return { header, txs, hash, id: toHex(hash), bytes: w.finish() };
}

/** Structural decode (limits, canonical form, tx root); execution-level checks are elsewhere. */
export function decodeBlock(bytes: Uint8Array, maxBytes = MAX_BLOCK_BYTES_LIMIT): Block {
  return decodeAll(bytes, maxBytes, (r) => {
    const header = readHeader(r);
    const hash = sha256(r.consumed(0));
    const count = r.count(MAX_BLOCK_TXS_LIMIT);
    const txs: SignedTx[] = [];
    for (let i = 0; i < count; i++) txs.push(readSignedTx(r));
    // Canonical input is its own encoding: keep it rather than encoding the block again.
    const block: Block = { header, txs, hash, id: toHex(hash), bytes: r.consumed(0) };
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
