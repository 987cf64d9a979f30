// PBFT's timers counted in ticks (time arrives as `tick` inputs, DESIGN §1). The view-change
// timeout doubles with each failed view so that correct replicas whose clocks drift still end up
// waiting long enough in one common view; the cap keeps a long outage from making recovery slow.
import type { ReplicaConfig } from "./replica-config.js";

export type TimeoutParams = ReplicaConfig["params"];

/** Ticks a replica waits in `view` (or for the new-view of `view`) before asking for the next one. */
export function viewTimeoutTicks(params: TimeoutParams, view: number): number {
  // 2^31 already exceeds any sane cap; clamping the exponent keeps the arithmetic exact.
  const doubled = params.viewChangeTimeoutTicks * 2 ** Math.min(view, 31);
  return Math.max(1, Math.min(doubled, params.maxViewChangeTimeoutTicks));
}

/**
 * Messages can be dropped, so an undecided replica repeats its own latest messages this often:
 * several times per base timeout, so a lost prepare or commit costs a fraction of a view.
 */
export function rebroadcastIntervalTicks(params: TimeoutParams): number {
  return Math.max(2, Math.floor(params.viewChangeTimeoutTicks / 4));
}

/** Counts ticks toward one deadline; `expired` stays true until the next `reset`. */
export class ViewTimer {
  private elapsed = 0;
  private limit: number;

  constructor(limitTicks: number) {
    this.limit = limitTicks;
  }

  reset(limitTicks: number): void {
    this.elapsed = 0;
    this.limit = limitTicks;
  }

  /** Count one tick; true once the deadline has been reached. */
  tick(): boolean {
    this.elapsed++;
    return this.expired;
  }

  get expired(): boolean {
    return this.elapsed >= this.limit;
  }

  get limitTicks(): number {
    return this.limit;
  }
}
