import { describe, expect, it } from "vitest";
import { median, percentile, summarize } from "../../../../src/testnet/bench/stats.js";

describe("percentile (nearest rank)", () => {
  const hundred = Array.from({ length: 100 }, (_, i) => i + 1);

  it("p50, p99 and p100 of 1..100 are 50, 99 and 100", () => {
    expect(percentile(hundred, 50)).toBe(50);
    expect(percentile(hundred, 99)).toBe(99);
    expect(percentile(hundred, 100)).toBe(100);
  });

  it("is a sample, never an interpolation, and the single sample for one", () => {
    expect(percentile([10, 20], 50)).toBe(10);
    expect(percentile([10, 20], 51)).toBe(20);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([7], 0)).toBe(7);
  });

  it("is null for no samples", () => {
    expect(percentile([], 50)).toBeNull();
    expect(summarize([])).toEqual({ samples: 0, p50: null, p90: null, p99: null, max: null });
  });

  it("summarize sorts its input and rounds to one decimal", () => {
    expect(summarize([3.14159, 1, 2])).toEqual({ samples: 3, p50: 2, p90: 3.1, p99: 3.1, max: 3.1 });
    expect(median([5, 1, 3, 2])).toBe(2);
  });
});
