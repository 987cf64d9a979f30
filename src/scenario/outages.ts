// What a perturbation must be seen to do. A node taken out (killed, paused, isolated, on the
// minority side of a partition, or cut off one way) must fall behind the others while out and
// catch up once back; a primary taken out must make the honest nodes change view; a lossy,
// slow or duplicating link must show in that node's fault counters. Each becomes one line of
// evidence in the report, passed or not: a scenario that did not perturb what it says it
// perturbs proves nothing, and says so.
export type OutageKind = "kill" | "pause" | "isolate" | "partition";

export interface Outage {
  readonly node: string;
  readonly kind: OutageKind;
  /** The step that began it. */
  readonly step: number;
  readonly startT: number;
  /** The node was the primary the honest nodes reported when it was taken out. */
  readonly wasPrimary: boolean;
  /** Honest view changes (all reasons) summed over the other honest nodes at the start. */
  readonly viewChangesAtStart: number;
  endT: number | null;
  endStep: number | null;
  /** The node's last reported height when it came back, and the others' highest then. */
  nodeHeightAtEnd: number | null;
  othersHeightAtEnd: number | null;
  /** Time it first reported othersHeightAtEnd again; null if it never did. */
  caughtUpT: number | null;
  viewChangesAtEnd: number | null;
}

export interface Evidence {
  readonly what: string;
  readonly ok: boolean;
  readonly detail: string;
}

/** How many blocks the others must gain on an absent node before it counts as left behind. */
export const BEHIND_BLOCKS = 2;

export function outageEvidence(o: Outage): Evidence[] {
  const out: Evidence[] = [];
  const label = `${o.node} ${o.kind === "kill" ? "killed" : o.kind === "pause" ? "paused" : o.kind === "isolate" ? "isolated" : "on the minority side of a partition"} at step ${o.step + 1}`;
  if (o.endT === null || o.nodeHeightAtEnd === null || o.othersHeightAtEnd === null) {
    out.push({ what: "fell-behind", ok: false, detail: `${label}: never restored, so falling behind and catching up were not shown` });
  } else {
    const gap = o.othersHeightAtEnd - o.nodeHeightAtEnd;
    out.push({
      what: "fell-behind",
      ok: gap >= BEHIND_BLOCKS,
      detail: `${label}: it was at height ${o.nodeHeightAtEnd} when restored, the others at ${o.othersHeightAtEnd} (${gap} ahead; needs ${BEHIND_BLOCKS})`,
    });
    out.push({
      what: "caught-up",
      ok: o.caughtUpT !== null,
      detail:
        o.caughtUpT === null
          ? `${label}: did not reach height ${o.othersHeightAtEnd} after it was restored`
          : `${label}: reached height ${o.othersHeightAtEnd} ${((o.caughtUpT - o.endT) / 1000).toFixed(1)} s after it was restored`,
    });
  }
  if (o.wasPrimary) {
    const changes = (o.viewChangesAtEnd ?? o.viewChangesAtStart) - o.viewChangesAtStart;
    out.push({ what: "view-change", ok: changes > 0, detail: `${label} as the primary: the other honest nodes changed view ${changes} time(s) while it was out` });
  }
  return out;
}
