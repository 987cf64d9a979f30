// Latency and rate arithmetic for the node benchmark: pure, so the unit tests pin it.

export interface LatencySummary {
  readonly samples: number;
  readonly p50: number | null;
  readonly p90: number | null;
  readonly p99: number | null;
  readonly max: number | null;
}

/** One decimal: benchmark figures are noisy far above that. */
export function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

/**
 * The nearest-rank percentile of an ascending list: the smallest sample with at least p% of
 * the samples at or below it (so p99 of 100 samples is the 99th, never an interpolation).
 */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function summarize(values: readonly number[]): LatencySummary {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number): number | null => {
    const v = percentile(sorted, p);
    return v === null ? null : round1(v);
  };
  return { samples: sorted.length, p50: at(50), p90: at(90), p99: at(99), max: at(100) };
}

/** The median of unsorted values (lower middle for an even count); null when empty. */
export function median(values: readonly number[]): number | null {
  return percentile([...values].sort((a, b) => a - b), 50);
}
