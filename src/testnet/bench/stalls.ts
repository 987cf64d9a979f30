// Block gaps around a killed validator: with one validator down, its turns as primary cost a
// view change each. The first one is expected; a stall that recurs after it (each time the
// dead node's turn comes round again) is what the "no recurring stall" target is about. Pure.
import { median } from "./stats.js";

export interface GapReport {
  /** The typical gap the stalls are measured against (ms). */
  readonly medianGapMs: number | null;
  /** Gaps longer than this (factor x median) count as stalls. */
  readonly stallThresholdMs: number | null;
  /** When the first long gap after the kill ended (epoch ms): the first view change. */
  readonly firstViewChangeAt: number | null;
  /** Long gaps after the first view change. */
  readonly stallsAfterFirstViewChange: number;
  readonly longestGapAfterFirstViewChangeMs: number | null;
  readonly longestGapAfterKillMs: number | null;
}

/**
 * `arrivals`: when each block arrived (epoch ms, ascending). `baselineMedianMs`: the median gap
 * of an all-up run, if any (else the gaps before the kill are used).
 */
export function analyzeGaps(arrivals: readonly number[], killAt: number, baselineMedianMs: number | null, factor = 3): GapReport {
  const gaps: { end: number; ms: number }[] = [];
  for (let i = 1; i < arrivals.length; i++) gaps.push({ end: arrivals[i]!, ms: arrivals[i]! - arrivals[i - 1]! });
  const typical = baselineMedianMs ?? median(gaps.filter((g) => g.end <= killAt).map((g) => g.ms));
  const afterKill = gaps.filter((g) => g.end > killAt);
  const longest = (list: readonly { ms: number }[]): number | null => (list.length === 0 ? null : Math.max(...list.map((g) => g.ms)));
  if (typical === null) {
    return { medianGapMs: null, stallThresholdMs: null, firstViewChangeAt: null, stallsAfterFirstViewChange: 0, longestGapAfterFirstViewChangeMs: null, longestGapAfterKillMs: longest(afterKill) };
  }
  const threshold = factor * typical;
  const first = afterKill.findIndex((g) => g.ms > threshold);
  const later = first < 0 ? [] : afterKill.slice(first + 1);
  return {
    medianGapMs: Math.round(typical),
    stallThresholdMs: Math.round(threshold),
    firstViewChangeAt: first < 0 ? null : afterKill[first]!.end,
    stallsAfterFirstViewChange: later.filter((g) => g.ms > threshold).length,
    longestGapAfterFirstViewChangeMs: longest(later),
    longestGapAfterKillMs: longest(afterKill),
  };
}

/** Median gap between consecutive arrivals (ms). */
export function medianGap(arrivals: readonly number[]): number | null {
  const gaps: number[] = [];
  for (let i = 1; i < arrivals.length; i++) gaps.push(arrivals[i]! - arrivals[i - 1]!);
  return median(gaps);
}
