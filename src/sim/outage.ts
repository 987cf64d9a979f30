// `--outage 2:down@5` / `--outage 2:flap@5`: one honest validator goes down once the cluster
// reaches a height and stays down for good ("down"), or goes down and comes back again and again
// ("flap"). Unlike the crash fault, an outage is not healed by the liveness phase: it is what the
// proposer standing (src/consensus/selection/proposer-standing.ts) must live with, so a run shows
// whether a dead or flapping validator keeps costing view changes. The validator counts against
// f, as a Byzantine one does, and the liveness target does not wait for it.
import { SimSpecError } from "../byzantine/byzantine-spec.js";
import type { Cluster, Slot } from "./cluster.js";

export type OutageMode = "down" | "flap";

export interface OutageSpec {
  readonly index: number;
  readonly mode: OutageMode;
  /** It goes down once an honest replica reaches this height. */
  readonly atHeight: number;
}

export function parseOutageSpec(text: string, validators: number): OutageSpec | null {
  const trimmed = text.trim();
  if (trimmed === "" || trimmed === "none") return null;
  const m = /^(\d+):(down|flap)(?:@(\d+))?$/.exec(trimmed);
  if (m === null) throw new SimSpecError("INVALID_SPEC", `outage must look like 2:down@5 or 2:flap@5, got ${JSON.stringify(text)}`);
  const index = Number(m[1]);
  if (index >= validators) throw new SimSpecError("INVALID_SPEC", `outage names validator ${index}, the run has ${validators}`);
  return { index, mode: m[2] as OutageMode, atHeight: m[3] === undefined ? 5 : Number(m[3]) };
}

export function formatOutageSpec(spec: OutageSpec | null | undefined): string {
  return spec === null || spec === undefined ? "none" : `${spec.index}:${spec.mode}@${spec.atHeight}`;
}

/** Drives one outage from the runner's loop (it runs in both phases, unlike the crash chaos). */
export class Outage {
  private started = false;
  /** Virtual ms of the next flap (down → up or up → down). */
  private nextToggleMs = Number.POSITIVE_INFINITY;
  downs = 0;

  constructor(
    readonly spec: OutageSpec,
    readonly slot: Slot,
    /** A flapping validator stays down this long, then up this long, and again. */
    private readonly downMs: number,
    private readonly upMs: number,
  ) {}

  /** Called after every event with the highest honest height. */
  async step(cluster: Cluster, maxHonestHeight: number): Promise<void> {
    if (!this.started) {
      if (maxHonestHeight < this.spec.atHeight) return;
      this.started = true;
      await this.goDown(cluster);
      return;
    }
    if (this.spec.mode !== "flap" || cluster.now < this.nextToggleMs) return;
    if (this.slot.up) await this.goDown(cluster);
    else {
      await cluster.restart(this.slot);
      this.nextToggleMs = cluster.now + this.upMs;
    }
  }

  /** The liveness phase restarts crashed replicas, but not this one: the outage decides. */
  owns(slot: Slot): boolean {
    return slot === this.slot;
  }

  private async goDown(cluster: Cluster): Promise<void> {
    await cluster.crash(this.slot);
    this.downs++;
    this.nextToggleMs = this.spec.mode === "flap" ? cluster.now + this.downMs : Number.POSITIVE_INFINITY;
  }
}
