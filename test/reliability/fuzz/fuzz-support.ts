// Shared pieces of the fuzz suite: the fixed seed and run count, the mutation arbitraries that
// take a VALID encoding and damage it the ways a hostile peer or a broken disk would (bit flips,
// truncation, extension, tampered length fields, swapped ranges), and the checks every property
// uses: "returns or throws only its typed error", and "allocates no more than its input".
import fc from "fast-check";
import { expect } from "vitest";
import { TriadError } from "../../../src/chain/errors.js";

/** One seed for the whole suite (override with FUZZ_SEED to explore); printed with any failure. */
export const FUZZ_SEED = process.env.FUZZ_SEED === undefined ? 0x7a11ad : Number(process.env.FUZZ_SEED);
/** Cases per property: the issue asks for at least 10,000 for every decoder and validator. */
export const RUNS = process.env.FUZZ_RUNS === undefined ? 10_000 : Number(process.env.FUZZ_RUNS);

/** fast-check parameters: fixed seed, RUNS cases; a failure's report carries the seed and path to replay it. */
export function params<T>(runs = RUNS): fc.Parameters<T> {
  return { seed: FUZZ_SEED, numRuns: runs };
}

/** Run a sync property with the suite's seed; on failure the thrown report names seed and path. */
export function check<T>(property: fc.IProperty<T>, runs = RUNS): void {
  const details = fc.check(property, params<T>(runs));
  if (details.failed) throw new Error(`fuzz failure (seed ${FUZZ_SEED}, replay FUZZ_SEED=${FUZZ_SEED}):\n${fc.defaultReportMessage(details)}`);
}

export async function checkAsync<T>(property: fc.IAsyncProperty<T>, runs = RUNS): Promise<void> {
  const details = await fc.check(property, params<T>(runs));
  if (details.failed) throw new Error(`fuzz failure (seed ${FUZZ_SEED}, replay FUZZ_SEED=${FUZZ_SEED}):\n${fc.defaultReportMessage(details)}`);
}

/** An error is "typed" when it is a TriadError (DecodeError, TxError, …) whose code is one of `codes` (any code when omitted). */
export function isTyped(err: unknown, codes?: readonly string[]): boolean {
  return err instanceof TriadError && (codes === undefined || codes.includes(err.code));
}

/**
 * Call `fn`; it may return, or throw an error `accept` says is its documented one. Anything
 * else (a TypeError, a RangeError, an untyped Error) is rethrown with what it was, so the
 * property fails and fast-check shrinks the input.
 */
export function returnsOrThrowsTyped<T>(fn: () => T, accept: (err: unknown) => boolean = (e) => isTyped(e)): { ok: true; value: T } | { ok: false; error: unknown } {
  try {
    return { ok: true, value: fn() };
  } catch (err) {
    if (accept(err)) return { ok: false, error: err };
    const e = err as Error;
    throw new Error(`untyped throw ${e?.name ?? typeof err}: ${e?.message ?? String(err)}`, { cause: err });
  }
}

/**
 * `n` values of `arb`, drawn once with the suite's seed: generating a fresh valid block per case
 * costs more than decoding it, so the properties mutate values from a pool and spend their time
 * in the decoders.
 */
export function pool<T>(arb: fc.Arbitrary<T>, n: number): fc.Arbitrary<T> {
  return fc.constantFrom(...fc.sample(arb, { numRuns: n, seed: FUZZ_SEED }));
}

/** A cheap assertion for the hot path of a property (vitest's expect costs more than most decodes). */
export function assert(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

// ---- mutations of valid encodings --------------------------------------------------------------

export type Mutation =
  | { readonly op: "flip"; readonly at: number; readonly bit: number }
  | { readonly op: "set"; readonly at: number; readonly value: number }
  | { readonly op: "truncate"; readonly at: number }
  | { readonly op: "extend"; readonly bytes: Uint8Array }
  | { readonly op: "insert"; readonly at: number; readonly bytes: Uint8Array }
  | { readonly op: "delete"; readonly at: number; readonly length: number }
  | { readonly op: "varint"; readonly at: number; readonly value: bigint; readonly replace: number }
  | { readonly op: "swap"; readonly a: number; readonly b: number; readonly length: number };

/** Minimal LEB128 of a value up to 2^64 - 1: a length field an attacker writes. */
export function leb128(value: bigint): Uint8Array {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return Uint8Array.from(out);
}

/**
 * Positions are fractions (0..1) of the input length, so one mutation fits any input. Mostly
 * uniform: fast-check's default bias toward 0 would damage the first byte (the tag) of most
 * cases and never reach the deep fields; a fifth keep the bias, for the edges.
 */
const pos = fc.oneof(
  { weight: 4, arbitrary: fc.noBias(fc.integer({ min: 0, max: 0xffffffff })).map((x) => x / 2 ** 32) },
  { weight: 1, arbitrary: fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }) },
);
const at = (p: number, length: number): number => Math.floor(p * length);

// Lengths an attacker writes: small, off by one around common caps, huge, the u64 ceiling.
const hostileLength = fc.oneof(
  fc.bigInt({ min: 0n, max: 300n }),
  fc.constantFrom(0x7fn, 0x80n, 0x3fffn, 0x4000n, 32n, 64n, 65n, 256n, 257n, 65_536n, 3n * 1024n * 1024n, 3n * 1024n * 1024n + 1n, 1n << 31n, 1n << 32n),
  fc.constantFrom(BigInt(Number.MAX_SAFE_INTEGER), BigInt(Number.MAX_SAFE_INTEGER) + 1n, (1n << 63n) - 1n, (1n << 64n) - 1n),
  fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
);

const rawMutation: fc.Arbitrary<(length: number) => Mutation> = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(pos, fc.integer({ min: 0, max: 7 })).map(([p, bit]) => (n: number): Mutation => ({ op: "flip", at: at(p, n), bit })) },
  { weight: 2, arbitrary: fc.tuple(pos, fc.oneof(fc.constantFrom(0x00, 0x01, 0x7f, 0x80, 0xff), fc.integer({ min: 0, max: 255 }))).map(([p, value]) => (n: number): Mutation => ({ op: "set", at: at(p, n), value })) },
  { weight: 2, arbitrary: pos.map((p) => (n: number): Mutation => ({ op: "truncate", at: at(p, n) })) },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 16 }).map((bytes) => (): Mutation => ({ op: "extend", bytes })) },
  { weight: 1, arbitrary: fc.tuple(pos, fc.uint8Array({ minLength: 1, maxLength: 8 })).map(([p, bytes]) => (n: number): Mutation => ({ op: "insert", at: at(p, n + 1), bytes })) },
  { weight: 1, arbitrary: fc.tuple(pos, fc.integer({ min: 1, max: 40 })).map(([p, length]) => (n: number): Mutation => ({ op: "delete", at: at(p, n), length })) },
  { weight: 3, arbitrary: fc.tuple(pos, hostileLength, fc.integer({ min: 0, max: 3 })).map(([p, value, replace]) => (n: number): Mutation => ({ op: "varint", at: at(p, n + 1), value, replace })) },
  { weight: 1, arbitrary: fc.tuple(pos, pos, fc.integer({ min: 1, max: 64 })).map(([a, b, length]) => (n: number): Mutation => ({ op: "swap", a: at(a, n), b: at(b, n), length })) },
);

export function applyMutation(input: Uint8Array, m: Mutation): Uint8Array {
  const b = Uint8Array.from(input);
  switch (m.op) {
    case "flip":
      if (b.length > 0) b[m.at % b.length]! ^= 1 << m.bit;
      return b;
    case "set":
      if (b.length > 0) b[m.at % b.length] = m.value;
      return b;
    case "truncate":
      return b.slice(0, Math.min(m.at, b.length));
    case "extend":
      return concat(b, m.bytes);
    case "insert":
      return concat(b.subarray(0, m.at), m.bytes, b.subarray(m.at));
    case "delete":
      return concat(b.subarray(0, m.at), b.subarray(m.at + m.length));
    case "varint": {
      const start = Math.min(m.at, b.length);
      return concat(b.subarray(0, start), leb128(m.value), b.subarray(Math.min(b.length, start + m.replace)));
    }
    case "swap": {
      const len = Math.min(m.length, Math.max(0, b.length - Math.max(m.a, m.b)));
      if (len === 0 || m.a === m.b) return b;
      const x = b.slice(m.a, m.a + len);
      const y = b.slice(m.b, m.b + len);
      b.set(y, m.a);
      b.set(x, m.b);
      return b;
    }
  }
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** 1 to 3 mutations of `valid`: most damaged encodings keep most of their structure, so decoding goes deep. */
export function mutated(valid: fc.Arbitrary<Uint8Array>): fc.Arbitrary<{ original: Uint8Array; bytes: Uint8Array; mutations: Mutation[] }> {
  return fc.tuple(valid, fc.array(rawMutation, { minLength: 1, maxLength: 3 })).map(([original, makers]) => {
    let bytes = original;
    const mutations: Mutation[] = [];
    for (const make of makers) {
      const m = make(bytes.length);
      mutations.push(m);
      bytes = applyMutation(bytes, m);
    }
    return { original, bytes, mutations };
  });
}

/**
 * The fuzz input mix for a byte decoder: (a) arbitrary bytes, (b) mutations of valid
 * encodings, (c) the valid encodings themselves (so the round-trip property is exercised).
 */
export function byteInputs(valid: fc.Arbitrary<Uint8Array>, maxArbitrary = 512): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    { weight: 2, arbitrary: fc.uint8Array({ maxLength: maxArbitrary }) },
    { weight: 6, arbitrary: mutated(valid).map((m) => m.bytes) },
    { weight: 2, arbitrary: valid },
  );
}

// ---- allocation bounds -------------------------------------------------------------------------

/**
 * A Uint8Array whose slices count the bytes they allocate. Every copy a decoder makes of its
 * input (Reader.fixed, consumed, nested decodes of the copies) goes through the species
 * constructor, so the total says how much a decode allocated for what it was given: a decoder
 * that trusted a declared length would allocate it before finding the input too short.
 */
export class CountingBytes extends Uint8Array {
  static allocated = 0;
  static get [Symbol.species](): typeof CountingBytes {
    return CountingBytes;
  }
  constructor(...args: [number] | [ArrayBufferLike, number?, number?] | [ArrayLike<number>]) {
    // @ts-expect-error: forwarding each of Uint8Array's constructor forms as given
    super(...args);
    if (typeof args[0] === "number") CountingBytes.allocated += args[0];
  }
  static of8(bytes: Uint8Array): CountingBytes {
    const out = new CountingBytes(bytes.length);
    out.set(bytes);
    CountingBytes.allocated = 0;
    return out;
  }
}

/** Bytes the decode of `input` copied out of it (see CountingBytes). */
export function allocatedBy(input: Uint8Array, decode: (bytes: Uint8Array) => unknown): number {
  const counted = CountingBytes.of8(input);
  try {
    decode(counted);
  } catch {
    // Refusals are expected: only the allocation counts here.
  }
  return CountingBytes.allocated;
}

/**
 * Run `decode` over `inputs` (hostile length fields and counts) and check the process did not
 * grow: array buffers and heap after the batch, against before. A decoder that allocated what a
 * length field declares (megabytes to exabytes) fails either by throwing a RangeError or here.
 */
export function expectBoundedMemory(inputs: readonly Uint8Array[], decode: (bytes: Uint8Array) => unknown, limitBytes = 32 * 1024 * 1024): void {
  const before = process.memoryUsage();
  for (const input of inputs) {
    try {
      decode(input);
    } catch (err) {
      if (err instanceof RangeError) throw err;
    }
  }
  const after = process.memoryUsage();
  expect(after.arrayBuffers - before.arrayBuffers).toBeLessThan(limitBytes);
  expect(after.heapUsed - before.heapUsed).toBeLessThan(limitBytes * 2);
}

/** Hostile length fields: a valid prefix, then `leb128(huge)`, then a few bytes. */
export function hugeLengthInputs(prefixes: readonly Uint8Array[]): Uint8Array[] {
  const huge = [1n << 20n, 3n * 1024n * 1024n, 1n << 31n, 1n << 32n, BigInt(Number.MAX_SAFE_INTEGER), (1n << 64n) - 1n];
  const out: Uint8Array[] = [];
  for (const prefix of prefixes) for (const h of huge) out.push(concat(prefix, leb128(h), new Uint8Array(8)));
  return out;
}
