import { describe, expect, it } from "vitest";
import {
  bytesEqual,
  compareBytes,
  decodeAll,
  fromHex,
  Reader,
  toHex,
  utf8,
  utf8Length,
  Writer,
} from "../../../src/chain/encoding.js";
import { DecodeError, type DecodeErrorCode } from "../../../src/chain/errors.js";
import { Prng } from "../../fixtures/prng.js";

const U64_MAX = (1n << 64n) - 1n;

function hex(s: string): Uint8Array {
  return Uint8Array.from(Buffer.from(s, "hex"));
}

/** Run `fn`, expect a DecodeError with `code`, and return it. */
function expectDecodeError(fn: () => unknown, code: DecodeErrorCode): DecodeError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(DecodeError);
  const e = caught as DecodeError;
  expect(e.code).toBe(code);
  expect(e.name).toBe("DecodeError");
  return e;
}

describe("Writer/Reader round trips", () => {
  it("u8 covers 0..255 and rejects anything else on write", () => {
    for (let v = 0; v <= 255; v++) {
      const bytes = new Writer(1).u8(v).finish();
      expect(bytes).toEqual(Uint8Array.of(v));
      expect(decodeAll(bytes, 1, (r) => r.u8())).toBe(v);
    }
    for (const bad of [-1, 256, 1.5, Number.NaN]) expect(() => new Writer().u8(bad)).toThrow(RangeError);
  });

  it("bool encodes as 0/1", () => {
    expect(new Writer().bool(false).bool(true).finish()).toEqual(Uint8Array.of(0, 1));
    const r = new Reader(Uint8Array.of(0, 1));
    expect(r.bool()).toBe(false);
    expect(r.bool()).toBe(true);
    r.end();
  });

  it("uint matches known LEB128 encodings", () => {
    const cases: [number, string][] = [
      [0, "00"],
      [1, "01"],
      [127, "7f"],
      [128, "8001"],
      [300, "ac02"],
      [16383, "ff7f"],
      [16384, "808001"],
      [2 ** 32, "8080808010"],
      [Number.MAX_SAFE_INTEGER, "ffffffffffffff0f"],
    ];
    for (const [value, encoded] of cases) {
      const bytes = new Writer(1).uint(value).finish();
      expect(toHex(bytes)).toBe(encoded);
      expect(decodeAll(bytes, 16, (r) => r.uint())).toBe(value);
      expect(decodeAll(bytes, 16, (r) => r.u64())).toBe(BigInt(value));
    }
  });

  it("uint rejects negative, fractional and unsafe values on write", () => {
    for (const bad of [-1, 0.5, Number.MAX_SAFE_INTEGER + 1, Number.POSITIVE_INFINITY, Number.NaN]) {
      expect(() => new Writer().uint(bad)).toThrow(RangeError);
    }
  });

  it("u64 matches known encodings up to 2^64 - 1", () => {
    const cases: [bigint, string][] = [
      [0n, "00"],
      [127n, "7f"],
      [128n, "8001"],
      [(1n << 63n) - 1n, "ffffffffffffffff7f"],
      [1n << 63n, "80808080808080808001"],
      [U64_MAX, "ffffffffffffffffff01"],
    ];
    for (const [value, encoded] of cases) {
      const bytes = new Writer(1).u64(value).finish();
      expect(toHex(bytes)).toBe(encoded);
      expect(decodeAll(bytes, 16, (r) => r.u64())).toBe(value);
    }
    expect(() => new Writer().u64(-1n)).toThrow(RangeError);
    expect(() => new Writer().u64(U64_MAX + 1n)).toThrow(RangeError);
  });

  it("u64 and uint round trip seeded random values of every width", () => {
    const prng = new Prng(7);
    for (let i = 0; i < 500; i++) {
      const bits = BigInt(prng.int(65));
      const v = prng.u64() & ((1n << bits) - 1n);
      expect(decodeAll(new Writer(2).u64(v).finish(), 10, (r) => r.u64())).toBe(v);
      const n = Number(v & BigInt(Number.MAX_SAFE_INTEGER));
      expect(decodeAll(new Writer(2).uint(n).finish(), 10, (r) => r.uint())).toBe(n);
    }
  });

  it("fixed writes exactly the bytes and checks the length", () => {
    const v = Uint8Array.of(1, 2, 3, 4);
    const bytes = new Writer(1).fixed(v, 4).finish();
    expect(bytes).toEqual(v);
    expect(decodeAll(bytes, 4, (r) => r.fixed(4))).toEqual(v);
    expect(() => new Writer().fixed(v, 3)).toThrow(RangeError);
    expect(() => new Writer().fixed(v, 5)).toThrow(RangeError);
    expect(decodeAll(new Uint8Array(0), 0, (r) => r.fixed(0))).toEqual(new Uint8Array(0));
  });

  it("bytes is length-prefixed and round trips (including empty and large)", () => {
    const prng = new Prng(11);
    for (const len of [0, 1, 127, 128, 1000, 70_000]) {
      const v = prng.bytes(len);
      const bytes = new Writer(1).bytes(v).finish();
      expect(bytes.length).toBe(len + new Writer().uint(len).finish().length);
      expect(decodeAll(bytes, bytes.length, (r) => r.bytes(len))).toEqual(v);
    }
  });

  it("string round trips ASCII, multi-byte, astral and a leading BOM", () => {
    for (const s of ["", "a", "héllo", "日本語", "𝄞 emoji 😀", "\u0000nul", "\uFEFFbom-first", "x\uFEFF"]) {
      const bytes = new Writer(1).string(s).finish();
      expect(decodeAll(bytes, bytes.length, (r) => r.string(1000))).toBe(s);
    }
  });

  it("raw appends bytes unchanged", () => {
    const inner = new Writer().uint(300).string("x").finish();
    const outer = new Writer(1).u8(9).raw(inner).u8(8).finish();
    const r = new Reader(outer);
    expect(r.u8()).toBe(9);
    expect(r.uint()).toBe(300);
    expect(r.string(1)).toBe("x");
    expect(r.u8()).toBe(8);
    r.end();
  });

  it("a mixed sequence round trips and grows the buffer past its initial size", () => {
    const w = new Writer(1)
      .u8(1)
      .bool(true)
      .uint(123456)
      .u64(U64_MAX)
      .fixed(new Uint8Array(32).fill(7), 32)
      .bytes(Uint8Array.of(1, 2))
      .string("ok")
      .uint(3);
    const bytes = w.finish();
    const out = decodeAll(bytes, 1024, (r) => {
      const vals = [r.u8(), r.bool(), r.uint(), r.u64(), r.fixed(32), r.bytes(10), r.string(10), r.count(3)] as const;
      expect(r.remaining).toBe(0);
      expect(r.offset).toBe(bytes.length);
      return vals;
    });
    expect(out).toEqual([1, true, 123456, U64_MAX, new Uint8Array(32).fill(7), Uint8Array.of(1, 2), "ok", 3]);
  });

  it("a zero-capacity Writer grows instead of looping forever", () => {
    expect(new Writer(0).u8(1).bytes(new Uint8Array(100)).finish()).toHaveLength(102);
    expect(new Writer(0).finish()).toEqual(new Uint8Array(0));
    expect(new Writer(1).u64(U64_MAX).finish()).toHaveLength(10);
  });

  it("finish returns a copy that later writes do not change", () => {
    const w = new Writer(4).u8(1);
    const first = w.finish();
    w.u8(2);
    expect(first).toEqual(Uint8Array.of(1));
    expect(w.finish()).toEqual(Uint8Array.of(1, 2));
  });

  it("Reader reads from a subarray view with a non-zero byteOffset", () => {
    const backing = Uint8Array.of(0xff, 0xff, 0xac, 0x02, 0xff);
    expect(decodeAll(backing.subarray(2, 4), 2, (r) => r.uint())).toBe(300);
  });
});

describe("Reader rejects non-canonical and hostile input", () => {
  it("rejects trailing bytes (TRAILING_BYTES)", () => {
    const e = expectDecodeError(() => decodeAll(Uint8Array.of(1, 2), 10, (r) => r.u8()), "TRAILING_BYTES");
    expect(e.details.trailing).toBe(1);
    const r = new Reader(Uint8Array.of(5, 0));
    r.u8();
    expectDecodeError(() => r.end(), "TRAILING_BYTES");
  });

  it("rejects truncation (TRUNCATED) for every reader", () => {
    expectDecodeError(() => new Reader(new Uint8Array(0)).u8(), "TRUNCATED");
    expectDecodeError(() => new Reader(new Uint8Array(0)).bool(), "TRUNCATED");
    expectDecodeError(() => new Reader(Uint8Array.of(0x80)).uint(), "TRUNCATED");
    expectDecodeError(() => new Reader(Uint8Array.of(0xff, 0xff)).u64(), "TRUNCATED");
    expectDecodeError(() => new Reader(new Uint8Array(31)).fixed(32), "TRUNCATED");
    expectDecodeError(() => new Reader(Uint8Array.of(3, 1, 2)).bytes(10), "TRUNCATED");
    expectDecodeError(() => new Reader(Uint8Array.of(3, 0x61, 0x62)).string(10), "TRUNCATED");
    // Every strict prefix of a valid encoding is truncated.
    const full = new Writer().uint(1 << 30).string("hello").fixed(new Uint8Array(8), 8).finish();
    for (let n = 0; n < full.length; n++) {
      expectDecodeError(
        () => decodeAll(full.subarray(0, n), 100, (r) => [r.uint(), r.string(10), r.fixed(8)]),
        "TRUNCATED",
      );
    }
  });

  it("rejects non-minimal varints (NON_CANONICAL)", () => {
    for (const h of ["8000", "8100", "808000", "ff00", "ac8200", "ffffffffffffffffff00", "80808080808080808000"]) {
      expectDecodeError(() => new Reader(hex(h)).u64(), "NON_CANONICAL");
      expectDecodeError(() => new Reader(hex(h)).uint(), "NON_CANONICAL");
    }
    // A lone zero byte is the minimal encoding of 0.
    expect(new Reader(hex("00")).u64()).toBe(0n);
  });

  it("rejects varints over 64 bits", () => {
    for (const h of ["ffffffffffffffffff02", "ffffffffffffffffff7f", "80808080808080808002"]) {
      expectDecodeError(() => new Reader(hex(h)).u64(), "OVERSIZE");
    }
  });

  it("rejects varints longer than 10 bytes", () => {
    expectDecodeError(() => new Reader(hex("ffffffffffffffffff81" + "01")).u64(), "OVERSIZE");
    expectDecodeError(() => new Reader(hex("80".repeat(10) + "01")).u64(), "OVERSIZE");
    expectDecodeError(() => new Reader(hex("80".repeat(12))).u64(), "OVERSIZE");
  });

  it("uint rejects values above MAX_SAFE_INTEGER or the given max (OVERSIZE)", () => {
    const big = new Writer().u64(BigInt(Number.MAX_SAFE_INTEGER) + 1n).finish();
    expectDecodeError(() => new Reader(big).uint(), "OVERSIZE");
    const hundred = new Writer().uint(100).finish();
    expect(new Reader(hundred).uint(100)).toBe(100);
    expectDecodeError(() => new Reader(hundred).uint(99), "OVERSIZE");
    expectDecodeError(() => new Reader(hundred).count(99), "OVERSIZE");
  });

  it("rejects oversize input before reading (OVERSIZE)", () => {
    const e = expectDecodeError(() => new Reader(new Uint8Array(11), 10), "OVERSIZE");
    expect(e.details).toMatchObject({ size: 11, limit: 10 });
    expectDecodeError(() => decodeAll(new Uint8Array(11), 10, (r) => r.fixed(11)), "OVERSIZE");
    expect(() => new Reader(new Uint8Array(10), 10)).not.toThrow();
  });

  it("rejects bool values other than 0 and 1 (NON_CANONICAL)", () => {
    for (const b of [2, 3, 0x80, 0xff]) expectDecodeError(() => new Reader(Uint8Array.of(b)).bool(), "NON_CANONICAL");
  });

  it("rejects invalid UTF-8 (INVALID_VALUE)", () => {
    const invalid = [
      "ff", // never valid
      "c0af", // overlong "/"
      "e080af", // overlong
      "eda080", // UTF-16 surrogate
      "c3", // truncated sequence
      "f4908080", // above U+10FFFF
      "80", // stray continuation
    ];
    for (const h of invalid) {
      const body = hex(h);
      const bytes = new Writer().bytes(body).finish();
      expectDecodeError(() => new Reader(bytes).string(100), "INVALID_VALUE");
    }
  });

  it("rejects lengths above the given max (OVERSIZE) before reading the body", () => {
    const bytes = new Writer().bytes(new Uint8Array(11)).finish();
    expect(new Reader(bytes).bytes(11)).toHaveLength(11);
    expectDecodeError(() => new Reader(bytes).bytes(10), "OVERSIZE");
    const s = new Writer().string("héllo").finish(); // 6 bytes
    expect(new Reader(s).string(6)).toBe("héllo");
    expectDecodeError(() => new Reader(s).string(5), "OVERSIZE");
    // A huge declared length with no body is refused by the max, not by allocation.
    const hostile = new Writer().uint(2 ** 40).finish();
    expectDecodeError(() => new Reader(hostile).bytes(1024), "OVERSIZE");
  });
});

describe("hex and byte helpers", () => {
  it("toHex/fromHex round trip, including views with a byteOffset", () => {
    const prng = new Prng(3);
    for (const n of [0, 1, 32, 100]) {
      const v = prng.bytes(n);
      expect(fromHex(toHex(v))).toEqual(v);
      expect(fromHex(toHex(v), n)).toEqual(v);
    }
    const backing = Uint8Array.of(0xaa, 0x01, 0x02, 0xbb);
    expect(toHex(backing.subarray(1, 3))).toBe("0102");
    expect(toHex(Uint8Array.of(0, 0xff, 0x0a))).toBe("00ff0a");
  });

  it("fromHex rejects upper case, odd length, non-hex, a 0x prefix and a wrong length", () => {
    expectDecodeError(() => fromHex("AB"), "INVALID_VALUE");
    expectDecodeError(() => fromHex("aB"), "INVALID_VALUE");
    expectDecodeError(() => fromHex("abc"), "INVALID_VALUE");
    expectDecodeError(() => fromHex("zz"), "INVALID_VALUE");
    expectDecodeError(() => fromHex(" ab"), "INVALID_VALUE");
    expectDecodeError(() => fromHex("0xab"), "INVALID_VALUE");
    const e = expectDecodeError(() => fromHex("abcd", 3), "INVALID_VALUE");
    expect(e.details).toMatchObject({ expected: 3, actual: 2 });
    expectDecodeError(() => fromHex("ab".repeat(33), 32), "INVALID_VALUE");
    expect(fromHex("", 0)).toEqual(new Uint8Array(0));
  });

  it("bytesEqual and compareBytes order lexicographically, shorter prefix first", () => {
    expect(bytesEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 2))).toBe(true);
    expect(bytesEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 3))).toBe(false);
    expect(bytesEqual(Uint8Array.of(1), Uint8Array.of(1, 0))).toBe(false);
    expect(compareBytes(Uint8Array.of(1, 2), Uint8Array.of(1, 2))).toBe(0);
    expect(compareBytes(Uint8Array.of(1, 2), Uint8Array.of(1, 3))).toBeLessThan(0);
    expect(compareBytes(Uint8Array.of(2), Uint8Array.of(1, 9))).toBeGreaterThan(0);
    expect(compareBytes(Uint8Array.of(1), Uint8Array.of(1, 0))).toBeLessThan(0);
  });

  it("utf8 and utf8Length agree with the string encoding", () => {
    for (const s of ["", "abc", "é", "日本", "😀"]) {
      expect(utf8(s)).toEqual(new Uint8Array(Buffer.from(s, "utf8")));
      expect(utf8Length(s)).toBe(utf8(s).length);
    }
  });
});
