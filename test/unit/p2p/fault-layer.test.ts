import { afterEach, describe, expect, it, vi } from "vitest";
import { ANY_PEER, FaultLayer, faultSeedOf } from "../../../src/p2p/fault-layer.js";

const A = "a".repeat(64);
const B = "b".repeat(64);

function decisions(layer: FaultLayer, peer: string, n: number): string {
  return Array.from({ length: n }, () => {
    const d = layer.decide(peer, "in");
    return d.copies === 0 ? "x" : d.copies === 2 ? "2" : d.delayMs > 0 ? "d" : ".";
  }).join("");
}

describe("FaultLayer", () => {
  afterEach(() => vi.useRealTimers());

  it("is inactive and passes everything until a fault is set", () => {
    const layer = new FaultLayer({ seed: 1 });
    expect(layer.active).toBe(false);
    expect(layer.decide(A, "in")).toEqual({ copies: 1, delayMs: 0 });
    expect(layer.counters()).toEqual({});
  });

  it("drops with the given probability, reproducibly for a seed", () => {
    const run = (seed: number): string => {
      const layer = new FaultLayer({ seed });
      layer.set([A], "in", { drop: 0.3 });
      return decisions(layer, A, 1000);
    };
    const first = run(7);
    expect(run(7)).toBe(first);
    expect(run(8)).not.toBe(first);
    const dropped = [...first].filter((c) => c === "x").length;
    expect(dropped).toBeGreaterThan(230);
    expect(dropped).toBeLessThan(370);
  });

  it("applies a fault to its direction only, and counts per peer", () => {
    const layer = new FaultLayer({ seed: 1 });
    layer.set([A], "out", { block: true });
    expect(layer.decide(A, "in").copies).toBe(1);
    expect(layer.decide(A, "out").copies).toBe(0);
    expect(layer.decide(B, "out").copies).toBe(1);
    expect(layer.isCut(A)).toBe(true);
    expect(layer.isPartitioned(A)).toBe(false);
    expect(layer.counters()).toEqual({ [A]: { dropped: 0, delayed: 0, duplicated: 0, blocked: 1 } });
  });

  it("a block in both directions is a partition; the wildcard covers every peer, a peer's own entry wins", () => {
    const layer = new FaultLayer({ seed: 1 });
    layer.set([ANY_PEER], "both", { block: true });
    expect(layer.isPartitioned(A) && layer.isPartitioned(B)).toBe(true);
    layer.set([A], "both", { block: false, delayMs: 5 });
    expect(layer.isPartitioned(A)).toBe(false);
    expect(layer.decide(A, "in")).toEqual({ copies: 1, delayMs: 5 });
    expect(layer.isPartitioned(B)).toBe(true);
  });

  it("merges a new setting into the existing one and lists rows as both/in/out", () => {
    const layer = new FaultLayer({ seed: 1 });
    layer.set([A], "both", { drop: 0.2 });
    layer.set([A], "both", { delayMs: 80, delayMaxMs: 120 });
    layer.set([B], "in", { block: true });
    expect(layer.list()).toEqual([
      { peer: A, direction: "both", drop: 0.2, delay_ms: 80, delay_max_ms: 120, duplicate: 0, block: false },
      { peer: B, direction: "in", drop: 0, delay_ms: 0, delay_max_ms: 0, duplicate: 0, block: true },
    ]);
    layer.set([B], "in", { block: false });
    expect(layer.list().map((f) => f.peer)).toEqual([A]);
    layer.clear();
    expect(layer.active).toBe(false);
  });

  it("delays within the range and duplicates", () => {
    const layer = new FaultLayer({ seed: 3 });
    layer.set([A], "in", { delayMs: 10, delayMaxMs: 20, duplicate: 1 });
    for (let i = 0; i < 100; i++) {
      const d = layer.decide(A, "in");
      expect(d.copies).toBe(2);
      expect(d.delayMs).toBeGreaterThanOrEqual(10);
      expect(d.delayMs).toBeLessThanOrEqual(20);
    }
    expect(layer.counters()[A]).toEqual({ dropped: 0, delayed: 100, duplicated: 100, blocked: 0 });
  });

  it("routes: delivers twice when duplicated, after the delay, and drops past the pending bound", () => {
    vi.useFakeTimers();
    const layer = new FaultLayer({ seed: 1, maxPendingDelayed: 2 });
    layer.set([A], "in", { delayMs: 50, duplicate: 1 });
    const got: number[] = [];
    expect(layer.route(A, "in", () => got.push(1))).toBe(true);
    expect(layer.route(A, "in", () => got.push(2))).toBe(true);
    expect(layer.route(A, "in", () => got.push(3))).toBe(false);
    expect(layer.pending).toBe(2);
    expect(got).toEqual([]);
    vi.advanceTimersByTime(50);
    expect(got).toEqual([1, 1, 2, 2]);
    expect(layer.counters()[A]!.dropped).toBe(1);
    layer.route(A, "in", () => got.push(4));
    layer.stop();
    vi.advanceTimersByTime(100);
    expect(got).toEqual([1, 1, 2, 2]);
  });

  it("refuses bad values with a typed error", () => {
    const layer = new FaultLayer({ seed: 1 });
    expect(() => layer.set([A], "in", { drop: 1.5 })).toThrow(/probability/);
    expect(() => layer.set([A], "in", { duplicate: Number.NaN })).toThrow(/probability/);
    expect(() => layer.set([A], "in", { delayMs: -1 })).toThrow(/whole number/);
    expect(() => layer.set([A], "in", { delayMs: 50, delayMaxMs: 10 })).toThrow(/below/);
    expect(layer.active).toBe(false);
  });

  it("bounds the peers with faults or counters", () => {
    const layer = new FaultLayer({ seed: 1, maxPeers: 1 });
    layer.set([A], "in", { block: true });
    expect(() => layer.set([B], "in", { block: true })).toThrow(/at most 1/);
  });

  it("derives the default seed from the key", () => {
    expect(faultSeedOf("0000000f" + "0".repeat(56))).toBe(15);
  });
});
