// The guarded frame reader on an in-memory source: it yields the same frames as the stream
// writer's length-prefixed batches, refuses an oversize frame or item from its header (having
// read only what arrived), and reads a split frame across chunks.
import { describe, expect, it } from "vitest";
import { Writer } from "../../../src/chain/index.js";
import { encodeTxBatch, FrameRefusedError, GuardedFrameReader, type FrameGuard } from "../../../src/p2p/index.js";

const guard: FrameGuard = { maxFrameBytes: 10_000, maxItems: 8, wholeFrameBytes: 100, itemCap: (tag) => (tag === 1 ? 5_000 : tag === 2 ? 50 : 0) };

function lp(frame: Uint8Array): Uint8Array {
  return new Writer(frame.length + 8).bytes(frame).finish();
}

function item(tag: number, size: number): Uint8Array {
  const b = new Uint8Array(size).fill(7);
  b[0] = tag;
  return b;
}

async function* chunks(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function readAll(bytes: Uint8Array, chunk = 7): Promise<Uint8Array[]> {
  const r = new GuardedFrameReader(chunks(bytes, chunk), guard);
  const out: Uint8Array[] = [];
  for (let f = await r.next(); f !== null; f = await r.next()) out.push(f);
  return out;
}

describe("GuardedFrameReader", () => {
  it("yields small and large frames exactly as written, across chunk borders", async () => {
    const small = encodeTxBatch([item(2, 30), item(2, 40)]);
    const large = encodeTxBatch([item(2, 50), item(1, 3000), item(2, 10)]);
    const frames = await readAll(new Uint8Array([...lp(small), ...lp(large), ...lp(small)]));
    expect(frames).toEqual([small, large, small]);
  });

  it("refuses an oversize frame on its length, having read only the first chunk", async () => {
    const r = new GuardedFrameReader(chunks(lp(new Uint8Array(20_000)), 64), guard);
    await expect(r.next()).rejects.toThrow(FrameRefusedError);
    expect(r.bytesRead).toBe(64);
  });

  it("refuses a large frame's item over its type's cap, or of an unknown type, before its body", async () => {
    const lie = lp(encodeTxBatch([item(2, 4000)]));
    const r = new GuardedFrameReader(chunks(lie, 16), guard);
    await expect(r.next()).rejects.toThrow(/oversize: item 0 of type 2/);
    expect(r.bytesRead).toBe(16);
    await expect(readAll(lp(encodeTxBatch([item(9, 500)])))).rejects.toThrow(/unknown type 9/);
    await expect(readAll(lp(encodeTxBatch(Array.from({ length: 9 }, () => item(2, 20)))))).rejects.toThrow(/9 items/);
  });

  it("refuses an item running past its frame, and trailing bytes", async () => {
    const frame = encodeTxBatch([item(1, 300)]);
    const short = lp(frame.subarray(0, 200));
    await expect(readAll(new Uint8Array([...short, ...frame.subarray(200)]))).rejects.toThrow(/runs past its frame/);
    const trailing = lp(new Uint8Array([...encodeTxBatch([item(1, 300)]), 0, 0]));
    await expect(readAll(trailing)).rejects.toThrow(/after the last item/);
  });

  it("ends cleanly between frames, and with an EOF error inside one", async () => {
    expect(await readAll(new Uint8Array())).toEqual([]);
    const cut = lp(encodeTxBatch([item(2, 40)])).subarray(0, 20);
    await expect(readAll(cut)).rejects.toMatchObject({ name: "UnexpectedEOFError" });
  });
});
