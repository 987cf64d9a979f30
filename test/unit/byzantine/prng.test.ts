import { describe, expect, it } from "vitest";
import { Prng } from "../../../src/byzantine/prng.js";

describe("Prng", () => {
  it("is a pure function of its seed", () => {
    const a = new Prng(42);
    const b = new Prng(42);
    const xs = Array.from({ length: 100 }, () => a.u32());
    expect(Array.from({ length: 100 }, () => b.u32())).toEqual(xs);
    expect(new Prng(43).u32()).not.toBe(xs[0]);
  });

  it("pins its output, so a seed means the same run on every machine and version", () => {
    const p = new Prng(1);
    expect([p.u32(), p.u32(), p.u32()]).toMatchInlineSnapshot(`
      [
        1828152527,
        3394835397,
        2967886022,
      ]
    `);
  });

  it("gives independent, stable forks", () => {
    const root = new Prng(7);
    const x = root.fork("network").u32();
    root.u32();
    root.u32();
    expect(root.fork("network").u32()).toBe(x);
    expect(root.fork("client").u32()).not.toBe(x);
    expect(new Prng(8).fork("network").u32()).not.toBe(x);
  });

  it("draws within bounds and covers them", () => {
    const p = new Prng(3);
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const v = p.range(-2, 3);
      expect(v).toBeGreaterThanOrEqual(-2);
      expect(v).toBeLessThanOrEqual(3);
      seen.add(v);
      const f = p.float();
      expect(f).toBeGreaterThanOrEqual(0);
      expect(f).toBeLessThan(1);
    }
    expect([...seen].sort()).toEqual([-1, -2, 0, 1, 2, 3].sort());
  });

  it("is roughly uniform and chance() matches its probability", () => {
    const p = new Prng(11);
    const buckets = new Array<number>(10).fill(0);
    let hits = 0;
    for (let i = 0; i < 20_000; i++) {
      buckets[p.int(10)]!++;
      if (p.chance(0.25)) hits++;
    }
    for (const b of buckets) expect(Math.abs(b - 2000)).toBeLessThan(250);
    expect(Math.abs(hits - 5000)).toBeLessThan(300);
    expect(p.chance(0)).toBe(false);
  });

  it("shuffles a copy into a permutation", () => {
    const p = new Prng(5);
    const items = [1, 2, 3, 4, 5, 6, 7];
    const out = p.shuffle(items);
    expect(items).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect([...out].sort()).toEqual(items);
    expect(p.bytes(5)).toHaveLength(5);
  });

  it("refuses bad arguments", () => {
    expect(() => new Prng(1.5)).toThrow(RangeError);
    expect(() => new Prng(1).int(0)).toThrow(RangeError);
    expect(() => new Prng(1).range(3, 2)).toThrow(RangeError);
    expect(() => new Prng(1).pick([])).toThrow(RangeError);
  });
});
