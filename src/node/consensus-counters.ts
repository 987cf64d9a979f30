// What `triad_status` counts since the process started: the driver's view changes by reason and
// its report-fault actions by kind and by peer (fed from DriverEvents.onAction). Evidence for a
// test network that a perturbation bit: the primary was killed (timeouts), a Byzantine node's
// messages were refused (faults by peer). Bounded: the kinds and reasons are closed sets, and
// faults are kept for at most MAX_PEERS peers (a peer is a validator that passed the checks).
import type { ValidatorId } from "../chain/index.js";
import type { Action, FaultKind, ViewChangeReason } from "../consensus/index.js";

const MAX_PEERS = 1_024;

export class ConsensusCounters {
  readonly startedAt: number;
  readonly viewChanges: Record<ViewChangeReason, number> = { timeout: 0, "bad-proposal": 0, join: 0, entered: 0 };
  readonly faultsReported = new Map<FaultKind, number>();
  readonly faultsByPeer = new Map<ValidatorId, number>();

  constructor(now: number) {
    this.startedAt = now;
  }

  readonly onAction = (action: Action): void => {
    if (action.type === "view-changed") {
      this.viewChanges[action.reason]++;
    } else if (action.type === "report-fault") {
      this.faultsReported.set(action.fault, (this.faultsReported.get(action.fault) ?? 0) + 1);
      if (this.faultsByPeer.has(action.peer) || this.faultsByPeer.size < MAX_PEERS) {
        this.faultsByPeer.set(action.peer, (this.faultsByPeer.get(action.peer) ?? 0) + 1);
      }
    }
  };
}

/** A map as a JSON object with sorted keys. */
export function sortedRecord<K extends string>(map: ReadonlyMap<K, number>): Record<string, number> {
  return Object.fromEntries([...map.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));
}
