// Fuzzing what the node reads back from its own disk: every value layout of the LevelDB block
// store, the vote records a restarted validator replays, and the vote store's keys. A damaged
// disk must give a typed refusal (DecodeError, which the stores turn into StoreError CORRUPT),
// never a crash or, worse, a value that is not what was written.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bytesEqual } from "../../../src/chain/encoding.js";
import { DecodeError, StoreError } from "../../../src/chain/errors.js";
import { encodeValidatorSet } from "../../../src/store/level-block-layout.js";
import * as layout from "../../../src/store/level-block-layout.js";
import { LevelVoteStore, type VoteDatabase } from "../../../src/store/level-vote-store.js";
import { decodeVoteRecord, encodeVoteRecord, type PreparedCertificate } from "../../../src/consensus/index.js";
import type { Commit, PrePrepare } from "../../../src/consensus/messages.js";
import { allocatedBy, assert, byteInputs, check, checkAsync, expectBoundedMemory, hugeLengthInputs, pool, returnsOrThrowsTyped } from "./fuzz-support.js";
import { signedMessagePool } from "./valid-values.js";

const decodeErrors = (e: unknown): boolean => e instanceof DecodeError;
const recordErrors = (e: unknown): boolean => e instanceof DecodeError || (e as { name?: string })?.name === "TxError" || (e as { name?: string })?.name === "BlockError";
const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
const uint = fc.oneof(fc.integer({ min: 0, max: 1000 }), fc.nat(), fc.constant(Number.MAX_SAFE_INTEGER));
const hexId = bytes32.map((b) => Buffer.from(b).toString("hex"));

/** A layout decoder, its encoder and valid values, for one property each. */
interface Layout<T> {
  readonly name: string;
  readonly decode: (b: Uint8Array) => T;
  readonly encode: (v: T) => Uint8Array;
  readonly valid: fc.Arbitrary<T>;
}
const layouts: Layout<unknown>[] = [
  { name: "schema", decode: layout.decodeSchema, encode: layout.encodeSchema as (v: unknown) => Uint8Array, valid: uint },
  { name: "genesis record", decode: layout.decodeGenesis, encode: layout.encodeGenesis as (v: unknown) => Uint8Array, valid: fc.record({ hash: bytes32, timestamp: uint }) },
  { name: "head", decode: layout.decodeHead, encode: layout.encodeHead as (v: unknown) => Uint8Array, valid: fc.record({ height: uint, hash: bytes32, timestamp: uint }) },
  { name: "hash index", decode: layout.decodeHeight, encode: layout.encodeHeight as (v: unknown) => Uint8Array, valid: uint },
  { name: "tx index", decode: layout.decodeTxIndex, encode: layout.encodeTxIndex as (v: unknown) => Uint8Array, valid: fc.record({ height: uint, index: fc.integer({ min: 0, max: 9999 }) }) },
  {
    name: "receipts",
    decode: layout.decodeReceipts,
    encode: layout.encodeReceipts as (v: unknown) => Uint8Array,
    valid: fc.array(fc.record({ code: fc.integer({ min: 0, max: 0xffff }), log: fc.string({ maxLength: 40 }) }), { maxLength: 6 }),
  },
  {
    name: "validator set",
    decode: layout.decodeValidatorSet,
    encode: encodeValidatorSet as (v: unknown) => Uint8Array,
    valid: fc.uniqueArray(hexId, { minLength: 1, maxLength: 8 }).chain((ids) => {
      const members = [...ids].sort();
      return fc
        .subarray(members)
        .chain((standingIds) =>
          fc.tuple(...standingIds.map((validator) => fc.record({ validator: fc.constant(validator), failures: uint, lastFailure: uint, suspended: fc.boolean(), signed: fc.boolean() }))),
        )
        .map((standing) => (standing.length === 0 ? { members } : { members, standing }));
    }),
  },
];

describe("fuzz: LevelDB value layouts", () => {
  for (const l of layouts) {
    it(`${l.name}: decodes to a value that re-encodes to the stored bytes, or throws DecodeError`, () => {
      check(
        fc.property(byteInputs(pool(l.valid.map(l.encode), 200), 128), (bytes) => {
          const r = returnsOrThrowsTyped(() => l.decode(bytes), decodeErrors);
          if (r.ok) assert(bytesEqual(l.encode(r.value), bytes), `${l.name} re-encodes differently`);
          const n = allocatedBy(bytes, l.decode);
          assert(n <= 2 * bytes.length + 64, `decoding ${bytes.length} bytes allocated ${n}`);
        }),
      );
    });
  }

  it("keys: a height key decodes to a safe height or throws RangeError; a state key to a string or the UTF-8 TypeError", () => {
    check(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 12 }), uint.map((h) => layout.blockKey(h))), (key) => {
        returnsOrThrowsTyped(() => layout.heightOfKey(key), (e) => e instanceof RangeError);
        returnsOrThrowsTyped(() => layout.stateKeyOf(key), (e) => e instanceof TypeError);
      }),
    );
  });
});

describe("fuzz: vote records", () => {
  const signed = signedMessagePool();
  const commits = signed.filter((s) => s.message.type === "commit").map((s) => s.message as Commit);
  const b2 = (signed.find((s) => s.message.type === "pre-prepare" && s.message.height === 2)!.message as PrePrepare).block;
  const vc = signed.find((s) => s.message.type === "view-change" && s.message.prepared !== null)!.message;
  const cert = (vc as { prepared: PreparedCertificate }).prepared;
  const records = [
    ...signed.map((s) => s.bytes),
    ...commits.filter((c) => c.view === cert.view).flatMap((c) => [encodeVoteRecord(c, { certificate: cert, block: b2 }), encodeVoteRecord(c, { certificate: cert, block: null })]),
  ];

  it("decodeVoteRecord returns a record that re-encodes to its bytes, or throws a typed error", () => {
    check(
      fc.property(byteInputs(fc.constantFrom(...records), 400), (bytes) => {
        const r = returnsOrThrowsTyped(() => decodeVoteRecord(bytes), recordErrors);
        if (r.ok) assert(bytesEqual(encodeVoteRecord(r.value.message, r.value.prepared), bytes), "vote record re-encodes differently");
        const n = allocatedBy(bytes, decodeVoteRecord);
        assert(n <= 10 * bytes.length + 1024, `decoding ${bytes.length} bytes allocated ${n}`);
      }),
    );
  });

  it("the vote store loads records with safe (height, view) keys, or refuses with StoreError CORRUPT", async () => {
    const validKey = fc.tuple(uint, uint, fc.integer({ min: 0, max: 4 })).map(([h, v, p]) => {
      const key = new Uint8Array(18);
      const dv = new DataView(key.buffer);
      key[0] = 0x76;
      dv.setUint32(1, Math.floor(h / 2 ** 32));
      dv.setUint32(5, h >>> 0);
      dv.setUint32(9, Math.floor(v / 2 ** 32));
      dv.setUint32(13, v >>> 0);
      key[17] = p;
      return key;
    });
    const key = fc.oneof(validKey, fc.uint8Array({ minLength: 18, maxLength: 18 }).map((k) => ((k[0] = 0x76), k)), fc.uint8Array({ maxLength: 24 }));
    const entries = fc.array(fc.tuple(key, fc.uint8Array({ maxLength: 16 })), { maxLength: 4 });
    await checkAsync(
      fc.asyncProperty(entries, async (rows) => {
        const db: VoteDatabase = {
          put: async () => undefined,
          batch: async () => undefined,
           
          iterator: async function* () {
            yield* rows;
          },
           
          keys: async function* () {
            yield* rows.map(([k]) => k);
          },
        };
        const store = new LevelVoteStore({ db });
        await store.open();
        try {
          const votes = await store.load();
          for (const v of votes) assert(Number.isSafeInteger(v.height) && Number.isSafeInteger(v.view), `a vote loaded with height ${v.height}, view ${v.view}`);
        } catch (err) {
          assert(err instanceof StoreError && err.code === "CORRUPT", `load threw ${(err as Error).name}: ${(err as Error).message}`);
        }
      }),
    );
  });

  it("huge declared lengths cost neither memory nor a RangeError", () => {
    const inputs = hugeLengthInputs([Uint8Array.of(), Uint8Array.of(0x10), Uint8Array.of(3), Uint8Array.of(1), new Uint8Array(33)]);
    for (let i = 0; i < 8; i++) inputs.push(...inputs.slice(0, 30));
    for (const decode of [decodeVoteRecord, layout.decodeReceipts, layout.decodeValidatorSet, layout.decodeHead]) {
      expectBoundedMemory(inputs, decode);
      for (const x of inputs) expect(allocatedBy(x, decode)).toBeLessThan(4096);
    }
  });
});
