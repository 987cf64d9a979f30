// Max stall: the longest time the honest majority went without a new height. The "majority
// height" is the height that more than half of the honest nodes have reached (a killed or
// frozen node keeps its last reported height, so one node out cannot hide a stall and one
// node ahead cannot fake progress). Fed with samples; keeps O(1) state, so a soak of hours
// costs nothing.
export class StallTracker {
  private height = -1;
  private since = 0;
  private maxMs = 0;
  private maxAt = 0;

  /** `heights`: each honest node's last reported height; `t`: ms on any steady axis. */
  sample(t: number, heights: readonly number[]): void {
    const h = majorityHeight(heights);
    if (this.height < 0) {
      this.height = h;
      this.since = t;
      return;
    }
    if (h > this.height) {
      this.height = h;
      this.since = t;
      return;
    }
    if (t - this.since > this.maxMs) {
      this.maxMs = t - this.since;
      this.maxAt = this.since;
    }
  }

  /** The longest stall so far, and when it began (the same axis as the samples). */
  get max(): { readonly ms: number; readonly from: number; readonly height: number } {
    return { ms: this.maxMs, from: this.maxAt, height: this.height };
  }

  /** How long the current height has stood. */
  current(t: number): number {
    return this.height < 0 ? 0 : t - this.since;
  }
}

/** The highest height that more than half of `heights` have reached. */
export function majorityHeight(heights: readonly number[]): number {
  if (heights.length === 0) return 0;
  const sorted = [...heights].sort((a, b) => b - a);
  return sorted[Math.floor(heights.length / 2)]!;
}
