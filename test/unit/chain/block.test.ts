import { describe, expect, it } from "vitest";
import {
  checkTxRoot,
  decodeBlock,
  encodeHeader,
  headerHash,
  makeBlock,
  MAX_BLOCK_BYTES_LIMIT,
  MAX_BLOCK_TXS_LIMIT,
  lastCommitHash,
  readHeader,
  txRoot,
  writeHeader,
  type BlockHeader,
} from "../../../src/chain/block.js";
import { kvPutKind, transferKind } from "../../../src/chain/builtin-kinds.js";
import { decodeAll, toHex, utf8, Writer } from "../../../src/chain/encoding.js";
import { BlockError, DecodeError, TriadError } from "../../../src/chain/errors.js";
import { sha256 } from "../../../src/chain/hash.js";
import { devKeyPair, publicKeyHex } from "../../../src/chain/keys.js";
import { merkleRoot } from "../../../src/chain/merkle.js";
import { commitPayload, encodeSeal, makeSeal, type Seal } from "../../../src/chain/seal.js";
import { Signer } from "../../../src/chain/signature.js";
import { signTx, type SignedTx } from "../../../src/chain/tx.js";

const CHAIN = "triad-test";
const alice = devKeyPair("block-alice");
const bob = devKeyPair("block-bob");
const PROPOSER = publicKeyHex(devKeyPair("block-proposer"));

function txs(n: number): SignedTx[] {
  return Array.from({ length: n }, (_, i) =>
    i % 2 === 0
      ? signTx({ chainId: CHAIN, from: alice.publicKey, nonce: i, kind: "transfer", payload: transferKind.encode({ to: bob.publicKey, amount: BigInt(i + 1) }) }, alice.secretKey)
      : signTx({ chainId: CHAIN, from: alice.publicKey, nonce: i, kind: "kv.put", payload: kvPutKind.encode({ key: `k${i}`, value: utf8(`v${i}`) }) }, alice.secretKey),
  );
}

function header(list: readonly SignedTx[], over: Partial<BlockHeader> = {}): BlockHeader {
  return {
    chainId: CHAIN,
    height: 7,
    view: 1,
    parentHash: sha256(utf8("parent")),
    timestamp: 1_767_225_600_000,
    proposer: PROPOSER,
    txRoot: txRoot(list),
    stateRoot: sha256(utf8("state")),
    validatorsHash: sha256(utf8("validators")),
    lastCommitHash: new Uint8Array(32),
    ...over,
  };
}

/** A seal of block 6 by two dev keys (structure only: nothing here checks it against a set). */
function parentSeal(): Seal {
  const hash = sha256(utf8("parent"));
  const payload = commitPayload(6, 0, hash);
  return makeSeal(6, 0, hash, [
    { validator: PROPOSER, signature: new Signer(devKeyPair("block-proposer").secretKey).signDomain("commit", CHAIN, payload) },
    { validator: publicKeyHex(alice), signature: new Signer(alice.secretKey).signDomain("commit", CHAIN, payload) },
  ]);
}

function expectError(fn: () => unknown, cls: typeof DecodeError | typeof BlockError, code: string): TriadError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(cls);
  expect((caught as TriadError).code).toBe(code);
  return caught as TriadError;
}

describe("block header", () => {
  it("encodes every field in order and round trips", () => {
    const h = header(txs(2));
    const bytes = encodeHeader(h);
    const expected = new Writer()
      .string(h.chainId)
      .uint(h.height)
      .uint(h.view)
      .fixed(h.parentHash, 32)
      .uint(h.timestamp)
      .fixed(Uint8Array.from(Buffer.from(h.proposer, "hex")), 32)
      .fixed(h.txRoot, 32)
      .fixed(h.stateRoot, 32)
      .fixed(h.validatorsHash, 32)
      .fixed(h.lastCommitHash, 32)
      .finish();
    expect(bytes).toEqual(expected);
    expect(decodeAll(bytes, 1024, readHeader)).toEqual(h);
    expect(writeHeader(new Writer(), h).finish()).toEqual(bytes);
  });

  it("the hash is sha256 of the header encoding and depends on every field", () => {
    const h = header(txs(1));
    expect(headerHash(h)).toEqual(sha256(encodeHeader(h)));
    const changes: Partial<BlockHeader>[] = [
      { chainId: "triad-other" },
      { height: 8 },
      { view: 2 },
      { parentHash: sha256(utf8("other")) },
      { timestamp: h.timestamp + 1 },
      { proposer: publicKeyHex(alice) },
      { txRoot: sha256(utf8("x")) },
      { stateRoot: sha256(utf8("x")) },
      { validatorsHash: sha256(utf8("x")) },
      { lastCommitHash: sha256(utf8("x")) },
    ];
    const hashes = new Set([toHex(headerHash(h))]);
    for (const c of changes) hashes.add(toHex(headerHash({ ...h, ...c })));
    expect(hashes.size).toBe(changes.length + 1);
  });

  it("refuses to encode a malformed proposer or hash", () => {
    expect(() => encodeHeader(header([], { proposer: PROPOSER.toUpperCase() }))).toThrow(DecodeError);
    expect(() => encodeHeader(header([], { proposer: "ab" }))).toThrow(DecodeError);
    expect(() => encodeHeader(header([], { parentHash: new Uint8Array(31) }))).toThrow(RangeError);
  });
});

describe("makeBlock / decodeBlock", () => {
  it("round trips an empty block and a block with txs", () => {
    for (const n of [0, 1, 5]) {
      const list = txs(n);
      const block = makeBlock(header(list), list);
      expect(block.hash).toEqual(headerHash(block.header));
      expect(block.id).toBe(toHex(block.hash));
      const decoded = decodeBlock(block.bytes);
      expect(decoded.header).toEqual(block.header);
      expect(decoded.hash).toEqual(block.hash);
      expect(decoded.id).toBe(block.id);
      expect(decoded.bytes).toEqual(block.bytes);
      expect(decoded.txs.map((t) => t.id)).toEqual(list.map((t) => t.id));
      expect(decoded.txs.map((t) => t.bytes)).toEqual(list.map((t) => t.bytes));
    }
  });

  it("the block bytes are the header, a tx count, and the txs' canonical bytes", () => {
    const list = txs(3);
    const block = makeBlock(header(list), list);
    const w = new Writer().raw(encodeHeader(block.header)).bool(false).uint(3);
    for (const t of list) w.raw(t.bytes);
    expect(block.bytes).toEqual(w.finish());
  });

  it("round trips a lastCommit, and the header (so the hash) commits to it", () => {
    const list = txs(2);
    const seal = parentSeal();
    const block = makeBlock(header(list), list, seal);
    expect(block.header.lastCommitHash).toEqual(sha256(encodeSeal(seal)));
    expect(makeBlock(header(list), list).header.lastCommitHash).toEqual(new Uint8Array(32));
    expect(lastCommitHash(null)).toEqual(new Uint8Array(32));
    const decoded = decodeBlock(block.bytes);
    expect(decoded.lastCommit).toEqual(seal);
    expect(decoded.id).toBe(block.id);
    expect(decoded.bytes).toEqual(block.bytes);
    // Another quorum of the same parent is another block.
    const fewer = makeSeal(seal.height, seal.view, seal.blockHash, seal.commits.slice(0, 1));
    expect(makeBlock(header(list), list, fewer).id).not.toBe(block.id);
    expect(decodeBlock(makeBlock(header([]), []).bytes).lastCommit).toBeNull();
  });

  it("refuses a block whose lastCommitHash does not match the lastCommit it carries", () => {
    const seal = parentSeal();
    const block = makeBlock(header([]), [], seal);
    const forged = new Writer().raw(encodeHeader({ ...block.header, lastCommitHash: sha256(utf8("other")) })).bool(true).raw(encodeSeal(seal)).uint(0).finish();
    expectError(() => decodeBlock(forged), BlockError, "LAST_COMMIT_MISMATCH");
    const dropped = new Writer().raw(encodeHeader(block.header)).bool(false).uint(0).finish();
    expectError(() => decodeBlock(dropped), BlockError, "LAST_COMMIT_MISMATCH");
  });

  it("txRoot is the Merkle root of the tx hashes", () => {
    const list = txs(5);
    expect(txRoot(list)).toEqual(merkleRoot(list.map((t) => t.hash)));
    expect(txRoot([])).toEqual(sha256());
  });

  it("detects a tx root mismatch (TX_ROOT_MISMATCH): wrong root, reordered, dropped or added txs", () => {
    const list = txs(4);
    const good = header(list);
    const variants: SignedTx[][] = [[list[1]!, list[0]!, list[2]!, list[3]!], list.slice(0, 3), [...list, ...txs(5).slice(4)], []];
    for (const v of variants) {
      const block = makeBlock(good, v);
      expectError(() => checkTxRoot(block), BlockError, "TX_ROOT_MISMATCH");
      const e = expectError(() => decodeBlock(block.bytes), BlockError, "TX_ROOT_MISMATCH");
      expect(e.details).toMatchObject({ expected: toHex(txRoot(v)), actual: toHex(good.txRoot) });
    }
    expectError(() => decodeBlock(makeBlock(header(list, { txRoot: sha256(utf8("bogus")) }), list).bytes), BlockError, "TX_ROOT_MISMATCH");
    expect(() => checkTxRoot(makeBlock(good, list))).not.toThrow();
  });

  it("rejects trailing bytes", () => {
    const block = makeBlock(header(txs(2)), txs(2));
    expectError(() => decodeBlock(Uint8Array.of(...block.bytes, 0)), DecodeError, "TRAILING_BYTES");
  });

  it("rejects truncation anywhere", () => {
    const list = txs(2);
    const block = makeBlock(header(list), list);
    for (const n of [0, 10, 100, block.bytes.length - 65, block.bytes.length - 1]) {
      expect(() => decodeBlock(block.bytes.subarray(0, n))).toThrow(DecodeError);
    }
  });

  it("rejects oversize input against the given and the default limit", () => {
    const list = txs(3);
    const block = makeBlock(header(list), list);
    expect(decodeBlock(block.bytes, block.bytes.length).id).toBe(block.id);
    const e = expectError(() => decodeBlock(block.bytes, block.bytes.length - 1), DecodeError, "OVERSIZE");
    expect(e.details).toMatchObject({ size: block.bytes.length, limit: block.bytes.length - 1 });
    expectError(() => decodeBlock(new Uint8Array(MAX_BLOCK_BYTES_LIMIT + 1)), DecodeError, "OVERSIZE");
  });

  it("rejects a tx count above the limit before reading txs", () => {
    const bytes = new Writer().raw(encodeHeader(header([]))).bool(false).uint(MAX_BLOCK_TXS_LIMIT + 1).finish();
    expectError(() => decodeBlock(bytes), DecodeError, "OVERSIZE");
    // and a declared count larger than the txs present is truncation
    const short = new Writer().raw(encodeHeader(header([]))).bool(false).uint(2).finish();
    expectError(() => decodeBlock(short), DecodeError, "TRUNCATED");
  });

  it("rejects non-canonical header fields", () => {
    const h = header([]);
    const nonMinimalHeight = new Writer()
      .string(h.chainId)
      .raw(Uint8Array.of(0x87, 0x00))
      .uint(h.view)
      .fixed(h.parentHash, 32)
      .uint(h.timestamp)
      .fixed(Uint8Array.from(Buffer.from(h.proposer, "hex")), 32)
      .fixed(h.txRoot, 32)
      .fixed(h.stateRoot, 32)
      .fixed(h.validatorsHash, 32)
      .fixed(h.lastCommitHash, 32)
      .bool(false)
      .uint(0)
      .finish();
    expectError(() => decodeBlock(nonMinimalHeight), DecodeError, "NON_CANONICAL");
  });

  it("keeps a BOM-prefixed chain id as written, so the decoded block hashes as encoded", () => {
    const h = header([], { chainId: `\uFEFF${CHAIN}` });
    const block = makeBlock(h, []);
    const decoded = decodeBlock(block.bytes);
    expect(decoded.header.chainId).toBe(`\uFEFF${CHAIN}`);
    expect(decoded.id).toBe(block.id);
    expect(decoded.bytes).toEqual(block.bytes);
  });
});
