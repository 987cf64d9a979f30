// One canonical binary encoding for everything that is signed or hashed. Packed and explicit:
// unsigned LEB128 varints (minimal form only), fixed-width byte strings, length-prefixed byte
// strings and UTF-8 strings. Each value has exactly one encoding, so hashes and signatures
// over it are stable; the Reader rejects anything else with a DecodeError.
import { DecodeError } from "./errors.js";

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const U64_MAX = (1n << 64n) - 1n;
const utf8Encoder = new TextEncoder();
// ignoreBOM: by default TextDecoder drops a leading U+FEFF, so "\uFEFFk" would decode as "k":
// two encodings of one value, and a decoded value that differs from what was signed.
const utf8Decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

export class Writer {
  private buf: Uint8Array;
  private pos = 0;

  constructor(initialBytes = 256) {
    this.buf = new Uint8Array(initialBytes);
  }

  private ensure(extra: number): void {
    if (this.pos + extra <= this.buf.length) return;
    // At least 16: doubling a zero-length buffer (new Writer(0)) would loop forever.
    let size = Math.max(this.buf.length * 2, 16);
    while (size < this.pos + extra) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  u8(value: number): this {
    if (!Number.isInteger(value) || value < 0 || value > 0xff) throw new RangeError(`u8 out of range: ${value}`);
    this.ensure(1);
    this.buf[this.pos++] = value;
    return this;
  }

  bool(value: boolean): this {
    return this.u8(value ? 1 : 0);
  }

  /** A non-negative safe integer as a minimal unsigned LEB128 varint. */
  uint(value: number): this {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`uint out of range: ${value}`);
    this.ensure(8);
    let v = value;
    while (v >= 0x80) {
      this.buf[this.pos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.pos++] = v;
    return this;
  }

  /** An unsigned 64-bit bigint as a minimal LEB128 varint. */
  u64(value: bigint): this {
    if (value < 0n || value > U64_MAX) throw new RangeError(`u64 out of range: ${value}`);
    this.ensure(10);
    let v = value;
    while (v >= 0x80n) {
      this.buf[this.pos++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buf[this.pos++] = Number(v);
    return this;
  }

  /** Exactly `length` bytes, no prefix: for hashes, keys and signatures. */
  fixed(bytes: Uint8Array, length: number): this {
    if (bytes.length !== length) throw new RangeError(`expected ${length} bytes, got ${bytes.length}`);
    this.ensure(length);
    this.buf.set(bytes, this.pos);
    this.pos += length;
    return this;
  }

  bytes(bytes: Uint8Array): this {
    this.uint(bytes.length);
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
    return this;
  }

  string(value: string): this {
    return this.bytes(utf8Encoder.encode(value));
  }

  /** Raw bytes that are already a canonical encoding (e.g. a nested, separately hashed value). */
  raw(bytes: Uint8Array): this {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
    return this;
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}

export class Reader {
  private pos = 0;

  constructor(
    private readonly buf: Uint8Array,
    maxBytes = Number.POSITIVE_INFINITY,
  ) {
    if (buf.length > maxBytes) {
      throw new DecodeError("OVERSIZE", `input of ${buf.length} bytes exceeds the limit of ${maxBytes}`, {
        size: buf.length,
        limit: maxBytes,
      });
    }
  }

  get offset(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  private need(n: number, what: string): void {
    if (this.pos + n > this.buf.length) {
      throw new DecodeError("TRUNCATED", `truncated input reading ${what} at offset ${this.pos}`, { offset: this.pos, what });
    }
  }

  u8(): number {
    this.need(1, "u8");
    return this.buf[this.pos++]!;
  }

  bool(): boolean {
    const b = this.u8();
    if (b > 1) throw new DecodeError("NON_CANONICAL", `boolean must be 0 or 1, got ${b}`, { offset: this.pos - 1 });
    return b === 1;
  }

  uint(max = Number.MAX_SAFE_INTEGER): number {
    const v = this.u64();
    if (v > MAX_SAFE || Number(v) > max) {
      throw new DecodeError("OVERSIZE", `integer ${v} exceeds the limit of ${max}`, { value: v.toString(), limit: max });
    }
    return Number(v);
  }

  u64(): bigint {
    const start = this.pos;
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      this.need(1, "varint");
      const byte = this.buf[this.pos++]!;
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) {
        if (byte === 0 && i > 0) {
          throw new DecodeError("NON_CANONICAL", `varint at offset ${start} is not minimal`, { offset: start });
        }
        if (result > U64_MAX) throw new DecodeError("OVERSIZE", `varint at offset ${start} exceeds 64 bits`, { offset: start });
        return result;
      }
      shift += 7n;
    }
    throw new DecodeError("OVERSIZE", `varint at offset ${start} is longer than 10 bytes`, { offset: start });
  }

  fixed(length: number): Uint8Array {
    this.need(length, `${length} fixed bytes`);
    const out = this.buf.slice(this.pos, this.pos + length);
    this.pos += length;
    return out;
  }

  bytes(maxLength: number): Uint8Array {
    const length = this.uint(maxLength);
    return this.fixed(length);
  }

  string(maxBytes: number): string {
    const bytes = this.bytes(maxBytes);
    try {
      return utf8Decoder.decode(bytes);
    } catch {
      throw new DecodeError("INVALID_VALUE", "string is not valid UTF-8", { offset: this.pos - bytes.length });
    }
  }

  /** A count of items to follow, bounded so a hostile length cannot make us allocate. */
  count(max: number): number {
    return this.uint(max);
  }

  /** A copy of already-read bytes [start, end): the canonical encoding of a value just read. */
  consumed(start: number): Uint8Array {
    return this.buf.slice(start, this.pos);
  }

  /** The rest of the buffer must be empty: one value, one encoding. */
  end(): void {
    if (this.pos !== this.buf.length) {
      throw new DecodeError("TRAILING_BYTES", `${this.buf.length - this.pos} trailing bytes after the value`, {
        trailing: this.buf.length - this.pos,
      });
    }
  }
}

/** Decode a whole buffer with `read`, rejecting oversize input and trailing bytes. */
export function decodeAll<T>(bytes: Uint8Array, maxBytes: number, read: (r: Reader) => T): T {
  const reader = new Reader(bytes, maxBytes);
  const value = read(reader);
  reader.end();
  return value;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

const HEX = /^[0-9a-f]*$/;

// A lookup table beats Buffer#toString("hex") about fivefold on 32-byte ids (no Buffer
// allocation), and ids are hexed for every tx and vote on the hot path.
const HEX_BYTE = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

export function toHex(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i++) out += HEX_BYTE[bytes[i]!];
  return out;
}

/** Lower-case hex of an exact length (in bytes, when given); anything else is a DecodeError. */
export function fromHex(hex: string, expectedBytes?: number): Uint8Array {
  // No "0x" prefix: ids are compared as strings, so "0x<key>" and "<key>" must not both parse.
  const h = hex;
  if (h.length % 2 !== 0 || !HEX.test(h)) {
    throw new DecodeError("INVALID_VALUE", "not lower-case hex of whole bytes", { value: hex.slice(0, 80) });
  }
  if (expectedBytes !== undefined && h.length !== expectedBytes * 2) {
    throw new DecodeError("INVALID_VALUE", `expected ${expectedBytes} bytes of hex, got ${h.length / 2}`, {
      expected: expectedBytes,
      actual: h.length / 2,
    });
  }
  return new Uint8Array(Buffer.from(h, "hex"));
}

export function utf8(value: string): Uint8Array {
  return utf8Encoder.encode(value);
}

export function utf8Length(value: string): number {
  return Buffer.byteLength(value, "utf8");
}
