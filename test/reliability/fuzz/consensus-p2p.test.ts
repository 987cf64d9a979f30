// Fuzzing what peers send: consensus messages (the codec, the shape check the core applies, the
// gossip topic's check with real signatures), the direct consensus streams' guarded frame reader
// and its caps, sync requests and frames, and tx batches. 10,000 cases each.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bytesEqual } from "../../../src/chain/encoding.js";
import { DecodeError } from "../../../src/chain/errors.js";
import { encodeSeal } from "../../../src/chain/seal.js";
import { verifyDomain } from "../../../src/chain/signature.js";
import { isMember } from "../../../src/chain/validator-set.js";
import { malformation } from "../../../src/consensus/message-shape.js";
import { decodeMessage, encodeMessage, MAX_MESSAGE_BYTES, MESSAGE_TAGS, type ConsensusMessage } from "../../../src/consensus/messages.js";
import { consensusFrameGuard } from "../../../src/node/consensus-frame-guard.js";
import { checkItem, FrameRefusedError, GuardedFrameReader } from "../../../src/p2p/frame-reader.js";
import { checkConsensusData } from "../../../src/p2p/gossip.js";
import { decodeSyncFrame, decodeSyncRequest, encodeSyncFrame, encodeSyncRequest, type SyncFrame } from "../../../src/p2p/sync-codec.js";
import { decodeTxBatch, encodeTxBatch, TX_BATCH_LIMITS, type BatchLimits } from "../../../src/p2p/tx-batch-codec.js";
import {
  allocatedBy,
  assert,
  byteInputs,
  check,
  checkAsync,
  concat,
  expectBoundedMemory,
  hugeLengthInputs,
  leb128,
  mutated,
  pool,
  returnsOrThrowsTyped,
} from "./fuzz-support.js";
import { block, CHAIN, seal, set, signedMessagePool, txBytes } from "./valid-values.js";

const decodeErrors = (e: unknown): boolean => e instanceof DecodeError || (e as { name?: string })?.name === "TxError" || (e as { name?: string })?.name === "BlockError";

const signed = signedMessagePool();
const blocks = pool(block, 100);
const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
const sig = fc.uint8Array({ minLength: 64, maxLength: 64 });
const id = bytes32.map((b) => Buffer.from(b).toString("hex"));
const uint = fc.oneof(fc.integer({ min: 0, max: 1000 }), fc.nat());

/** Structurally valid messages with random fields (and random signatures), beside the really signed pool. */
const randomMessage: fc.Arbitrary<ConsensusMessage> = fc.oneof(
  fc.record({ type: fc.constantFrom("prepare" as const, "commit" as const), chainId: fc.constantFrom(CHAIN, "", "other"), height: uint, view: fc.integer({ min: 0, max: 1_000_000 }), blockHash: bytes32, from: id, signature: sig }),
  fc.record({ type: fc.constant("pre-prepare" as const), chainId: fc.constant(CHAIN), height: uint, view: fc.integer({ min: 0, max: 1_000_000 }), block: blocks, from: id, signature: sig }),
);
const messageBytes = fc.oneof(pool(randomMessage.map(encodeMessage), 300), fc.constantFrom(...signed.map((s) => s.bytes)));

describe("fuzz: consensus messages", () => {
  it("decodeMessage returns a message that re-encodes to its input and is well-formed, or throws a typed error", () => {
    check(
      fc.property(byteInputs(messageBytes, 600), (bytes) => {
        const r = returnsOrThrowsTyped(() => decodeMessage(bytes), decodeErrors);
        if (r.ok) {
          assert(bytesEqual(encodeMessage(r.value), bytes), "decoded message re-encodes differently");
          assert(malformation(r.value) === null, "a decoded message is malformed");
        }
        const n = allocatedBy(bytes, decodeMessage);
        assert(n <= 8 * bytes.length + 1024, `decoding ${bytes.length} bytes allocated ${n}`);
      }),
    );
  });

  it("the core's shape check never throws, whatever object it is handed", () => {
    const field = fc.oneof(fc.anything({ maxDepth: 2 }), bytes32, fc.constant(null), fc.constant(undefined), uint);
    const shaped = fc.record(
      {
        type: fc.oneof(fc.constantFrom(...Object.keys(MESSAGE_TAGS)), fc.string(), fc.constant("__proto__"), fc.constant("toString")),
        chainId: field,
        height: field,
        view: field,
        newView: field,
        from: fc.oneof(id, field),
        signature: fc.oneof(sig, field),
        blockHash: field,
        block: fc.oneof(blocks, field),
        preparedBlock: fc.oneof(blocks, field),
        prepared: fc.oneof(fc.record({ view: field, blockHash: fc.oneof(bytes32, field), prepares: fc.oneof(fc.array(field, { maxLength: 3 }), field) }), field),
        viewChanges: fc.oneof(fc.array(fc.oneof(field, fc.constantFrom(...signed.map((s) => s.message as unknown))), { maxLength: 3 }), field),
        chosenBlockHash: field,
      },
      { requiredKeys: [] },
    );
    check(
      fc.property(fc.oneof(shaped, fc.anything()), (m) => {
        const reason = malformation(m as ConsensusMessage);
        assert(reason === null || typeof reason === "string", "malformation returned a non-string");
      }),
    );
  });

  it("the gossip check rejects garbage and accepts no damaged copy of a signed message", () => {
    const consensusCheck = {
      chainId: CHAIN,
      isValidator: (v: string) => isMember(set, v),
      isStale: () => false,
      verify: verifyDomain,
    };
    // A view-change's prepared block rides unsigned (the replica checks it against the
    // certificate), so two view-changes differing only there are one signed message.
    const signedPart = (m: ConsensusMessage): Uint8Array => encodeMessage(m.type === "view-change" ? { ...m, preparedBlock: null } : m);
    check(
      fc.property(fc.oneof({ weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }) }, { weight: 9, arbitrary: mutated(fc.constantFrom(...signed.map((s) => s.bytes))).map((m) => m.bytes) }), (bytes) => {
        const verdict = checkConsensusData(bytes, consensusCheck);
        if (verdict.result !== "accept") return;
        const original = signed.find((s) => bytesEqual(signedPart(s.message), signedPart(verdict.value)));
        assert(original !== undefined, `a damaged ${verdict.value.type} passed the gossip check`);
      }),
    );
  });
});

describe("fuzz: the direct consensus streams", () => {
  const limits = { maxBlockBytes: 64 * 1024, validators: 12 };
  const guard = consensusFrameGuard(() => limits, 64, 256 * 1024);
  const streamLimits: BatchLimits = { maxItems: 64, maxItemBytes: MAX_MESSAGE_BYTES, maxFrameBytes: guard.maxFrameBytes };
  /** A frame as a sender writes it: varint length, then a batch of messages. */
  const framed = (batch: Uint8Array): Uint8Array => concat(leb128(BigInt(batch.length)), batch);
  const batches = fc.array(messageBytes, { minLength: 1, maxLength: 6 }).map((items) => encodeTxBatch(items));
  // Frames over wholeFrameBytes are read item by item, each item's header checked first: a guard
  // with a small wholeFrameBytes sends most fuzzed frames down that path.
  const itemwise = { maxFrameBytes: guard.maxFrameBytes, maxItems: guard.maxItems, wholeFrameBytes: 200, itemCap: (tag: number) => guard.itemCap(tag) };
  const streamBytes = fc.array(batches, { minLength: 1, maxLength: 3 }).map((bs) => concat(...bs.map(framed)));
  // Mostly large reads (as TCP gives them), some tiny ones so every header straddles a chunk.
  const chunkSizes = fc.array(fc.oneof({ weight: 1, arbitrary: fc.integer({ min: 1, max: 16 }) }, { weight: 4, arbitrary: fc.integer({ min: 256, max: 8192 }) }), { minLength: 1, maxLength: 4 });

  async function* chunks(bytes: Uint8Array, sizes: number[]): AsyncGenerator<Uint8Array> {
    let at = 0;
    for (let i = 0; at < bytes.length; i++) {
      const n = sizes[i % sizes.length]!;
      yield bytes.subarray(at, at + n);
      at += n;
    }
  }

  it("the guarded reader returns the frames sent, or refuses with FrameRefusedError / ends with UnexpectedEOFError", async () => {
    await checkAsync(
      fc.asyncProperty(fc.oneof({ weight: 3, arbitrary: mutated(streamBytes).map((m) => m.bytes) }, { weight: 1, arbitrary: streamBytes }, { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }) }), chunkSizes, fc.boolean(), async (bytes, sizes, whole) => {
        const g = whole ? guard : itemwise;
        const reader = new GuardedFrameReader(chunks(bytes, sizes), g);
        let consumed = 0;
        for (;;) {
          let frame: Uint8Array | null;
          try {
            frame = await reader.next();
          } catch (err) {
            const name = (err as Error).name;
            assert(err instanceof FrameRefusedError || name === "UnexpectedEOFError", `reader threw ${name}: ${(err as Error).message}`);
            assert(err instanceof FrameRefusedError ? /^(oversize|malformed):/.test((err as Error).message) : true, "a refusal without its reason");
            return;
          }
          if (frame === null) {
            assert(consumed === bytes.length, "the reader ended before the input did");
            return;
          }
          assert(frame.length <= g.maxFrameBytes, "a frame over the cap was returned");
          // What came back is exactly the bytes after the length prefix.
          const prefix = leb128(BigInt(frame.length));
          assert(bytesEqual(bytes.subarray(consumed, consumed + prefix.length), prefix) && bytesEqual(bytes.subarray(consumed + prefix.length, consumed + prefix.length + frame.length), frame), "the frame returned is not the one sent");
          consumed += prefix.length + frame.length;
          // What the transport does next: decode the batch, check each item's cap, decode each message.
          const items = returnsOrThrowsTyped(() => decodeTxBatch(frame, streamLimits), (e) => e instanceof DecodeError);
          if (!items.ok) continue;
          for (const [i, item] of items.value.entries()) {
            const bad = checkItem(g, item, i);
            if (bad === null) returnsOrThrowsTyped(() => decodeMessage(item), decodeErrors);
          }
        }
      }),
    );
  });

  it("each message type's cap holds every real message of that type", () => {
    for (const { bytes } of signed) expect(checkItem(guard, bytes, 0)).toBeNull();
    check(
      fc.property(messageBytes, (bytes) => {
        assert(checkItem(guard, bytes, 0) === null, "a valid message is over its type's cap");
      }),
      2000,
    );
  });

  it("a frame that lies about an item's length costs the sender its stream after a few bytes, not megabytes", async () => {
    // A 3 MB frame whose first item claims to be a 3 MB prepare: refused at the item header.
    const claim = concat(leb128(BigInt(guard.maxFrameBytes - 16)), leb128(1n), leb128(3n * 1024n * 1024n), Uint8Array.of(MESSAGE_TAGS.prepare));
    async function* endless(): AsyncGenerator<Uint8Array> {
      yield claim;
      for (let i = 0; i < 1000; i++) yield new Uint8Array(64 * 1024);
    }
    const reader = new GuardedFrameReader(endless(), guard);
    await expect(reader.next()).rejects.toBeInstanceOf(FrameRefusedError);
    expect(reader.bytesRead).toBeLessThanOrEqual(claim.length + 64 * 1024);
  });
});

describe("fuzz: sync and tx-batch codecs", () => {
  const frames: fc.Arbitrary<SyncFrame> = fc.oneof(
    fc.record({ type: fc.constant("status" as const), head: fc.record({ height: uint, hash: bytes32, timestamp: uint }) }),
    fc.record({ type: fc.constant("block" as const), block: blocks.map((b) => b.bytes), seal: pool(seal.map(encodeSeal), 50) }),
    fc.record({ type: fc.constant("end" as const), headHeight: uint }),
    fc.record({ type: fc.constant("error" as const), code: fc.string({ maxLength: 32 }), message: fc.string({ maxLength: 60 }) }),
  );
  const requests = fc.oneof(fc.constant({ type: "status" as const }), fc.record({ type: fc.constant("blocks" as const), fromHeight: uint, count: uint }));

  it("decodeSyncFrame returns a frame that re-encodes to its input, or throws DecodeError", () => {
    check(
      fc.property(byteInputs(pool(frames.map(encodeSyncFrame), 300)), (bytes) => {
        const r = returnsOrThrowsTyped(() => decodeSyncFrame(bytes), (e) => e instanceof DecodeError);
        if (r.ok && r.value.type !== "error") assert(bytesEqual(encodeSyncFrame(r.value), bytes), "sync frame re-encodes differently");
        const n = allocatedBy(bytes, decodeSyncFrame);
        assert(n <= 2 * bytes.length + 256, `decoding ${bytes.length} bytes allocated ${n}`);
      }),
    );
  });

  it("decodeSyncRequest returns a request that re-encodes to its input, or throws DecodeError", () => {
    check(
      fc.property(byteInputs(requests.map(encodeSyncRequest), 80), (bytes) => {
        const r = returnsOrThrowsTyped(() => decodeSyncRequest(bytes), (e) => e instanceof DecodeError);
        if (r.ok) assert(bytesEqual(encodeSyncRequest(r.value), bytes), "sync request re-encodes differently");
      }),
    );
  });

  it("decodeTxBatch returns items that re-encode to its input, or throws DecodeError", () => {
    const batch = pool(fc.array(txBytes, { minLength: 1, maxLength: 4 }).map(encodeTxBatch), 300);
    const small: BatchLimits = { maxItems: 3, maxItemBytes: 200, maxFrameBytes: 700 };
    check(
      fc.property(byteInputs(batch), fc.boolean(), (bytes, useSmall) => {
        const limits = useSmall ? small : TX_BATCH_LIMITS;
        const r = returnsOrThrowsTyped(() => decodeTxBatch(bytes, limits), (e) => e instanceof DecodeError);
        if (r.ok) {
          assert(r.value.length >= 1 && r.value.length <= limits.maxItems && r.value.every((t) => t.length > 0 && t.length <= limits.maxItemBytes), "a batch outside its limits decoded");
          assert(bytesEqual(encodeTxBatch(r.value), bytes), "tx batch re-encodes differently");
        }
        const n = allocatedBy(bytes, (b) => decodeTxBatch(b, limits));
        assert(n <= bytes.length + 64, `decoding ${bytes.length} bytes allocated ${n}`);
      }),
    );
  });

  it("huge declared lengths and counts cost neither memory nor a RangeError", () => {
    const prefixes = [Uint8Array.of(), Uint8Array.of(1), Uint8Array.of(2), Uint8Array.of(4), Uint8Array.of(5), Uint8Array.of(1, 0), Uint8Array.of(2, 0), Uint8Array.of(5, 0, 0, 0), Uint8Array.of(0x10)];
    const inputs = hugeLengthInputs(prefixes);
    for (let i = 0; i < 8; i++) inputs.push(...inputs.slice(0, 54));
    for (const decode of [decodeMessage, decodeSyncFrame, decodeSyncRequest, (b: Uint8Array) => decodeTxBatch(b)]) {
      expectBoundedMemory(inputs, decode);
      for (const x of inputs) expect(allocatedBy(x, decode)).toBeLessThan(4096);
    }
  });
});
