// The view-changes of one height: only each member's latest (highest view) is kept, so the log
// holds at most n messages whatever view numbers peers send, and the f+1 rule and the new
// primary's quorum both read it directly.
import type { ValidatorId } from "../chain/index.js";
import type { ViewChange } from "./messages.js";

export class ViewChangeLog {
  private readonly latest = new Map<ValidatorId, ViewChange>();

  get(from: ValidatorId): ViewChange | undefined {
    return this.latest.get(from);
  }

  /** Keep `vc` if it is its sender's first or asks for a higher view than the one kept. */
  put(vc: ViewChange): boolean {
    const existing = this.latest.get(vc.from);
    if (existing !== undefined && existing.newView >= vc.newView) return false;
    this.latest.set(vc.from, vc);
    return true;
  }

  /** The kept view-changes asking for exactly `view`, ordered by sender id. */
  forView(view: number): ViewChange[] {
    const out: ViewChange[] = [];
    for (const vc of this.latest.values()) if (vc.newView === view) out.push(vc);
    return out.sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : 0));
  }

  /**
   * PBFT's f+1 rule: once f+1 members (other than `self`) ask for views above `above`, at least
   * one correct replica has timed out there, so join at the smallest view among them.
   */
  joinView(above: number, f: number, self: ValidatorId | null): number | null {
    let count = 0;
    let smallest = Number.POSITIVE_INFINITY;
    for (const vc of this.latest.values()) {
      if (vc.from === self || vc.newView <= above) continue;
      count++;
      if (vc.newView < smallest) smallest = vc.newView;
    }
    return count >= f + 1 ? smallest : null;
  }

  /** How many members ask for `view` or a higher one. */
  countAtLeast(view: number): number {
    let count = 0;
    for (const vc of this.latest.values()) if (vc.newView >= view) count++;
    return count;
  }

  get size(): number {
    return this.latest.size;
  }
}
