// The saturation search's stepping rule: raise the offered rate by a factor while the network
// keeps up, stop at the first step where it does not. Pure: the runs happen elsewhere.

export interface SearchOptions {
  /** First offered rate, tx/s. */
  readonly startRate: number;
  /** Factor between consecutive offered rates (> 1). */
  readonly step: number;
  /** Committed must reach this share of the offered rate to count as keeping up. */
  readonly followRatio: number;
  /** A step whose p99 latency passes this (ms) is past saturation. */
  readonly p99BoundMs: number;
  /** Most steps, so a network faster than the generator still ends the search. */
  readonly maxSteps: number;
}

export const SEARCH_DEFAULTS: SearchOptions = { startRate: 100, step: 1.5, followRatio: 0.9, p99BoundMs: 2_000, maxSteps: 12 };

/** What one step of the search measured. */
export interface StepResult {
  readonly offered: number;
  readonly committed: number;
  readonly p99Ms: number | null;
  readonly generatorLimited: boolean;
}

export type StepDecision =
  | { readonly stop: false; readonly nextRate: number }
  | { readonly stop: true; readonly reason: "not-following" | "p99-bound" | "generator-limited" | "max-steps" };

/** After the `stepIndex`-th step (0-based) measured `result`: go on at a higher rate, or stop and why. */
export function decideStep(result: StepResult, stepIndex: number, options: SearchOptions = SEARCH_DEFAULTS): StepDecision {
  if (result.committed < options.followRatio * result.offered) return { stop: true, reason: "not-following" };
  // No latency at all while txs were offered means none committed in the window: not keeping up.
  if (result.p99Ms === null || result.p99Ms > options.p99BoundMs) return { stop: true, reason: "p99-bound" };
  // The generator could not offer more: a higher rate would measure the generator, not the network.
  if (result.generatorLimited) return { stop: true, reason: "generator-limited" };
  if (stepIndex + 1 >= options.maxSteps) return { stop: true, reason: "max-steps" };
  return { stop: false, nextRate: Math.max(result.offered + 1, Math.round(result.offered * options.step)) };
}

/** Saturation: the best committed rate any step reached (0 for no steps). */
export function saturationRate(results: readonly StepResult[]): number {
  return results.reduce((best, r) => Math.max(best, r.committed), 0);
}
