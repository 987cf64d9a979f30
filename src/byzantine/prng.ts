// The simulator's only source of randomness (and a Byzantine node's): sfc32 (Chris Doty-Humphrey's small fast counter
// generator, 128-bit state, passes PractRand) seeded from one 32-bit seed through splitmix32.
// Every component draws from its own `fork(label)`, so adding a draw in one place (say, the
// client) never shifts the numbers another place (say, the network) sees for the same seed.

function splitmix32(state: number): { value: number; state: number } {
  const next = (state + 0x9e3779b9) >>> 0;
  let z = next;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return { value: (z ^ (z >>> 16)) >>> 0, state: next };
}

/** FNV-1a over a label's UTF-16 code units: a stable 32-bit name for a fork. */
function labelHash(label: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export class Prng {
  readonly seed: number;
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    if (!Number.isSafeInteger(seed)) throw new RangeError(`prng seed must be an integer, got ${seed}`);
    this.seed = seed >>> 0;
    let s = this.seed;
    const words: number[] = [];
    for (let i = 0; i < 4; i++) {
      const r = splitmix32(s);
      words.push(r.value);
      s = r.state;
    }
    [this.a, this.b, this.c, this.d] = words as [number, number, number, number];
    // Warm-up: sfc32's first outputs are correlated with the seed.
    for (let i = 0; i < 12; i++) this.u32();
  }

  /** An independent stream named by `label`: the same (seed, label) always gives the same stream. */
  fork(label: string): Prng {
    return new Prng((Math.imul(this.seed ^ 0x5bd1e995, 0x01000193) ^ labelHash(label)) >>> 0);
  }

  /** Uniform 32-bit unsigned integer. */
  u32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.u32() / 0x1_0000_0000;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    if (!(n >= 1) || !Number.isSafeInteger(n)) throw new RangeError(`prng int bound must be a positive integer, got ${n}`);
    return Math.floor(this.float() * n);
  }

  /** Uniform integer in [lo, hi], both inclusive. */
  range(lo: number, hi: number): number {
    if (hi < lo) throw new RangeError(`empty range ${lo}..${hi}`);
    return lo + this.int(hi - lo + 1);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return p > 0 && this.float() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError("pick from an empty list");
    return items[this.int(items.length)]!;
  }

  /** Fisher-Yates shuffle of a copy. */
  shuffle<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i += 4) {
      const w = this.u32();
      for (let k = 0; k < 4 && i + k < n; k++) out[i + k] = (w >>> (8 * k)) & 0xff;
    }
    return out;
  }
}
