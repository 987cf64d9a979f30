// A guarded reader for batch frames (tx-batch-codec.ts's layout: a varint frame length, then a
// count and each item length-prefixed). it-length-prefixed-stream reads a whole frame before
// anyone can look at it, so a peer could make us buffer a full-size frame of garbage on every
// stream. This reader checks the frame length first, and for a large frame reads it item by
// item, checking each item's length against the cap of its type (its first byte) before its
// body: a lie costs the sender its stream after a few bytes, not megabytes.
import { Uint8ArrayList } from "uint8arraylist";

export interface FrameGuard {
  /** Largest frame accepted (the length prefix is checked before any of the body is read). */
  readonly maxFrameBytes: number;
  /** Most items in a frame. */
  readonly maxItems: number;
  /** Frames up to this size are read whole (one read: the common small batch of votes). */
  readonly wholeFrameBytes: number;
  /** Largest item whose first byte (its type tag) is `tag`; 0 refuses the tag. */
  itemCap(tag: number): number;
}

/** The peer's frame broke a guard rule; `reason` starts with "oversize" or "malformed". */
export class FrameRefusedError extends Error {
  override readonly name = "FrameRefusedError";
}

/** Item `index` of a decoded frame against its type's cap: a reason, or null when it is fine. */
export function checkItem(guard: FrameGuard, item: Uint8Array, index: number): string | null {
  const tag = item[0] ?? -1;
  const cap = item.length === 0 ? 0 : guard.itemCap(tag);
  if (cap === 0) return `malformed: item ${index} has unknown type ${tag}`;
  if (item.length > cap) return `oversize: item ${index} of type ${tag} has ${item.length} bytes, at most ${cap}`;
  return null;
}

export class GuardedFrameReader {
  /** Bytes taken from the stream so far. */
  bytesRead = 0;
  private readonly buf = new Uint8ArrayList();
  private readonly it: AsyncIterator<Uint8ArrayList | Uint8Array>;

  constructor(
    source: AsyncIterable<Uint8ArrayList | Uint8Array>,
    private readonly guard: FrameGuard,
  ) {
    this.it = source[Symbol.asyncIterator]();
  }

  /** The next frame's bytes, or null when the stream ended cleanly between frames. */
  async next(): Promise<Uint8Array | null> {
    if (!(await this.fill(1, true))) return null;
    const length = await this.varint(5);
    if (length > this.guard.maxFrameBytes) throw new FrameRefusedError(`oversize: frame of ${length} bytes, at most ${this.guard.maxFrameBytes}`);
    if (length <= this.guard.wholeFrameBytes) return this.take(length);
    // A large frame, item by item: each item's header is checked before its body is read.
    const frame = new Uint8ArrayList();
    const start = this.bytesRead - this.buf.byteLength;
    const consumed = (): number => this.bytesRead - this.buf.byteLength - start;
    const count = await this.varint(3, frame);
    if (count === 0 || count > this.guard.maxItems) throw new FrameRefusedError(`malformed: frame of ${count} items (1 to ${this.guard.maxItems})`);
    for (let i = 0; i < count; i++) {
      const size = await this.varint(5, frame);
      if (size === 0) throw new FrameRefusedError(`malformed: item ${i} is empty`);
      if (consumed() + size > length) throw new FrameRefusedError(`malformed: item ${i} of ${size} bytes runs past its frame of ${length}`);
      const tag = await this.take(1);
      frame.append(tag);
      const cap = this.guard.itemCap(tag[0]!);
      if (cap === 0) throw new FrameRefusedError(`malformed: item ${i} has unknown type ${tag[0]}`);
      if (size > cap) throw new FrameRefusedError(`oversize: item ${i} of type ${tag[0]} has ${size} bytes, at most ${cap}`);
      frame.append(await this.take(size - 1));
    }
    if (consumed() !== length) throw new FrameRefusedError(`malformed: ${length - consumed()} bytes after the last item`);
    return frame.subarray();
  }

  /** A canonical unsigned varint of at most `maxBytes` bytes, appended to `into` when given. */
  private async varint(maxBytes: number, into?: Uint8ArrayList): Promise<number> {
    let value = 0;
    for (let i = 0; i < maxBytes; i++) {
      const b = (await this.take(1))[0]!;
      into?.append(Uint8Array.of(b));
      value += (b & 0x7f) * 2 ** (7 * i);
      if (b < 0x80) {
        if (b === 0 && i > 0) throw new FrameRefusedError("malformed: non-canonical length");
        return value;
      }
    }
    throw new FrameRefusedError(`malformed: length longer than ${maxBytes} bytes`);
  }

  private async take(n: number): Promise<Uint8Array> {
    await this.fill(n, false);
    const out = this.buf.subarray(0, n);
    this.buf.consume(n);
    return out;
  }

  /** Buffer at least `n` bytes; false at the end of the stream when `endOk` and nothing is buffered. */
  private async fill(n: number, endOk: boolean): Promise<boolean> {
    while (this.buf.byteLength < n) {
      const r = await this.it.next();
      if (r.done === true) {
        if (endOk && this.buf.byteLength === 0) return false;
        const err = new Error(`stream ended inside a frame (${this.buf.byteLength} of ${n} bytes)`);
        err.name = "UnexpectedEOFError";
        throw err;
      }
      this.bytesRead += r.value.byteLength;
      this.buf.append(r.value);
    }
    return true;
  }
}
