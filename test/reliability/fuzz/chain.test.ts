// Fuzzing the chain's decoders and validators: txs and their payload kinds, block headers and
// blocks, seals. Each gets 10,000 cases of arbitrary bytes and mutated valid encodings; each must
// return a value that re-encodes to the same bytes, or throw its typed error; none may allocate
// more than its input; no damaged copy of a signed value may still verify.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { builtinRegistry, kvDeleteKind, kvPutKind, transferKind } from "../../../src/chain/builtin-kinds.js";
import { decodeBlock, encodeHeader, makeBlock, readHeader, type Block } from "../../../src/chain/block.js";
import { bytesEqual, decodeAll, Reader } from "../../../src/chain/encoding.js";
import { DecodeError, SealError, TxError, BlockError } from "../../../src/chain/errors.js";
import { decodeSeal, encodeSeal, verifySeal } from "../../../src/chain/seal.js";
import { decodeSignedTx, encodeSignedTx, verifyTx } from "../../../src/chain/tx.js";
import { dbftRegisterKind, dbftVoteKind } from "../../../src/consensus/selection/dbft.js";
import { poaVoteKind } from "../../../src/consensus/selection/poa.js";
import {
  allocatedBy,
  assert,
  byteInputs,
  check,
  expectBoundedMemory,
  hugeLengthInputs,
  isTyped,
  leb128,
  mutated,
  pool,
  returnsOrThrowsTyped,
} from "./fuzz-support.js";
import { block, CHAIN, realSeal, seal, set, signedBlock, signedTxPool, txBytes } from "./valid-values.js";

const decodeErrors = (e: unknown): boolean => e instanceof DecodeError;
const txErrors = (e: unknown): boolean => e instanceof DecodeError || e instanceof TxError;
const blockErrors = (e: unknown): boolean => e instanceof DecodeError || e instanceof TxError || e instanceof BlockError;

/** Allocation during a decode stays within a small multiple of the input (the decoders copy fields, blocks hash their bytes). */
function expectAllocationBounded(input: Uint8Array, decode: (b: Uint8Array) => unknown, factor = 6): void {
  const n = allocatedBy(input, decode);
  assert(n <= factor * input.length + 1024, `decoding ${input.length} bytes allocated ${n}`);
}

describe("fuzz: txs", () => {
  it("decodeSignedTx returns a tx that re-encodes to its input, or throws DecodeError/TxError", () => {
    check(
      fc.property(byteInputs(pool(txBytes, 300)), (bytes) => {
        const r = returnsOrThrowsTyped(() => decodeSignedTx(bytes), txErrors);
        if (r.ok) {
          assert(bytesEqual(r.value.bytes, bytes), "property failed");
          assert(bytesEqual(encodeSignedTx(r.value, r.value.signature), bytes), "property failed");
        }
        expectAllocationBounded(bytes, decodeSignedTx);
      }),
    );
  });

  it("no damaged copy of a signed tx verifies (and the registry decodes its payload or throws TxError)", () => {
    const pool = signedTxPool();
    const registry = builtinRegistry();
    check(
      fc.property(mutated(fc.constantFrom(...pool.map((t) => t.bytes))), ({ original, bytes }) => {
        const r = returnsOrThrowsTyped(() => decodeSignedTx(bytes), txErrors);
        if (!r.ok) return;
        returnsOrThrowsTyped(() => registry.decodePayload(r.value), (e) => e instanceof TxError);
        const verified = returnsOrThrowsTyped(() => verifyTx(r.value, CHAIN), (e) => e instanceof TxError);
        if (verified.ok) assert(bytesEqual(bytes, original), "property failed");
      }),
    );
  });

  it("each payload kind (the chain's and the selection modules') decodes canonically or throws DecodeError", () => {
    const kinds = [transferKind, kvPutKind, kvDeleteKind, poaVoteKind, dbftRegisterKind, dbftVoteKind] as const;
    const key = fc.uint8Array({ minLength: 32, maxLength: 32 });
    const validPayload = fc.oneof(
      fc.record({ to: key, amount: fc.bigInt({ min: 1n, max: (1n << 64n) - 1n }) }).map((p) => transferKind.encode(p)),
      fc.record({ key: fc.string({ unit: "binary", minLength: 1, maxLength: 40 }), value: fc.uint8Array({ maxLength: 64 }) }).map((p) => kvPutKind.encode(p)),
      fc.string({ unit: "binary", minLength: 1, maxLength: 40 }).map((k) => kvDeleteKind.encode({ key: k })),
      fc.record({ action: fc.constantFrom("add" as const, "remove" as const), validator: key }).map((p) => poaVoteKind.encode(p)),
      fc.uniqueArray(key, { maxLength: 5, selector: (k) => Buffer.from(k).toString("hex") }).map((candidates) => dbftVoteKind.encode({ candidates })),
    );
    check(
      fc.property(byteInputs(pool(validPayload, 300), 96), fc.integer({ min: 0, max: kinds.length - 1 }), (bytes, k) => {
        const kind = kinds[k]!;
        // The kinds' payload types differ; each only ever sees its own decode's output.
        const r = returnsOrThrowsTyped(() => kind.decode(bytes) as never, decodeErrors);
        if (r.ok) assert(bytesEqual((kind.encode as (p: unknown) => Uint8Array)(r.value), bytes), `${kind.kind} payload re-encodes differently`);
      }),
    );
  });
});

describe("fuzz: blocks and headers", () => {
  const blocks = pool(block, 200);
  const blockBytes = blocks.map((b) => b.bytes);

  it("decodeBlock returns a block that re-encodes to its input, or throws its typed errors", () => {
    check(
      fc.property(byteInputs(blockBytes, 1024), (bytes) => {
        const r = returnsOrThrowsTyped(() => decodeBlock(bytes), blockErrors);
        if (r.ok) {
          const again = makeBlock(r.value.header, r.value.txs, r.value.lastCommit);
          assert(bytesEqual(again.bytes, bytes), "property failed");
          assert(bytesEqual(again.hash, r.value.hash), "property failed");
        }
        expectAllocationBounded(bytes, (b) => decodeBlock(b));
      }),
    );
  });

  it("no two different encodings decode to blocks with one hash (the hash binds every byte)", () => {
    check(
      fc.property(mutated(blockBytes), ({ original, bytes }) => {
        const r = returnsOrThrowsTyped(() => decodeBlock(bytes), blockErrors);
        if (!r.ok || bytesEqual(bytes, original)) return;
        const o: Block = decodeBlock(original);
        assert(!bytesEqual(r.value.hash, o.hash), "two encodings decode to one block hash");
      }),
    );
  });

  it("a header decodes to a value that re-encodes to its input, or throws DecodeError", () => {
    const headerBytes = blocks.map((b) => encodeHeader(b.header));
    check(
      fc.property(byteInputs(headerBytes, 400), (bytes) => {
        const r = returnsOrThrowsTyped(() => decodeAll(bytes, 1024, readHeader), decodeErrors);
        if (r.ok) assert(bytesEqual(encodeHeader(r.value), bytes), "property failed");
      }),
    );
  });
});

describe("fuzz: seals", () => {
  it("decodeSeal returns a seal that re-encodes to its input, or throws DecodeError", () => {
    check(
      fc.property(byteInputs(pool(seal.map(encodeSeal), 300)), (bytes) => {
        const r = returnsOrThrowsTyped(() => decodeSeal(bytes), decodeErrors);
        if (r.ok) assert(bytesEqual(encodeSeal(r.value), bytes), "property failed");
        expectAllocationBounded(bytes, decodeSeal);
      }),
    );
  });

  it("a damaged real seal verifies only if it is a quorum of the original's own signatures", () => {
    const b = signedBlock(5, signedTxPool().slice(0, 2), null);
    const seals = [realSeal(5, 0, b.hash, [0, 1, 2, 3]), realSeal(5, 0, b.hash, [0, 2, 3]), realSeal(5, 3, b.hash, [1, 2, 3])];
    check(
      fc.property(mutated(fc.constantFrom(...seals.map(encodeSeal))), ({ original, bytes }) => {
        const r = returnsOrThrowsTyped(() => decodeSeal(bytes), decodeErrors);
        if (!r.ok) return;
        const v = returnsOrThrowsTyped(() => verifySeal(r.value, CHAIN, set, 5, b.hash), (e) => e instanceof SealError);
        if (!v.ok) return;
        const o = decodeSeal(original);
        assert(r.value.view === o.view, "seal view changed");
        for (const c of r.value.commits) {
          assert(o.commits.some((oc) => oc.validator === c.validator && bytesEqual(oc.signature, c.signature)), "property failed");
        }
      }),
    );
  });
});

describe("fuzz: chain decoders refuse hostile lengths before allocating", () => {
  it("huge declared lengths and counts cost neither memory nor a RangeError", () => {
    const pool = signedTxPool();
    const t = pool[0]!.bytes;
    // Prefixes that end right where a length or count is read.
    const txPrefixes = [Uint8Array.of(1), t.subarray(0, 1 + 1 + 10 + 32 + 1), t.subarray(0, t.length - 64 - 10)];
    const b = signedBlock(3, pool.slice(0, 1), null).bytes;
    const blockPrefixes = [b.subarray(0, 1 + CHAIN.length + 3 + 32 + 6 + 32 * 5 + 1), Uint8Array.of()];
    const inputs = hugeLengthInputs([...txPrefixes, ...blockPrefixes]);
    for (let i = 0; i < 6; i++) inputs.push(...inputs.slice(0, 50));
    expectBoundedMemory(inputs, decodeSignedTx);
    expectBoundedMemory(inputs, (x) => decodeBlock(x));
    expectBoundedMemory(inputs, decodeSeal);
    for (const x of inputs) {
      expect(allocatedBy(x, decodeSignedTx)).toBeLessThan(4096);
      expect(allocatedBy(x, (y) => decodeBlock(y))).toBeLessThan(4096);
      expect(allocatedBy(x, decodeSeal)).toBeLessThan(4096);
    }
    // A Reader never trusts a declared length either.
    const r = new Reader(leb128(1n << 40n));
    expect(() => r.bytes(Number.MAX_SAFE_INTEGER)).toThrow(DecodeError);
    expect(isTyped(new DecodeError("TRUNCATED", "x"))).toBe(true);
  });
});
