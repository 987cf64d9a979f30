import { describe, expect, it } from "vitest";
import { analyzeGaps } from "../../../../src/testnet/bench/stalls.js";

/** Arrivals 100 ms apart, with extra delay added before the given block indexes. */
function arrivals(count: number, delays: Record<number, number>): number[] {
  const out: number[] = [];
  let t = 0;
  for (let i = 0; i < count; i++) {
    t += 100 + (delays[i] ?? 0);
    out.push(t);
  }
  return out;
}

describe("block gaps after a kill", () => {
  it("the first long gap after the kill is the view change; later long gaps are stalls", () => {
    const a = arrivals(40, { 20: 900, 28: 900, 36: 900 });
    const r = analyzeGaps(a, a[15]!, null);
    expect(r.medianGapMs).toBe(100);
    expect(r.firstViewChangeAt).toBe(a[20]);
    expect(r.stallsAfterFirstViewChange).toBe(2);
    expect(r.longestGapAfterKillMs).toBe(1000);
  });

  it("one view change and then a steady chain: no stall", () => {
    const a = arrivals(40, { 20: 900 });
    const r = analyzeGaps(a, a[15]!, 100);
    expect(r.stallsAfterFirstViewChange).toBe(0);
    expect(r.longestGapAfterFirstViewChangeMs).toBe(100);
  });
});
