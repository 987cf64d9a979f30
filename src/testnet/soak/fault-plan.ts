// The soak's dice: which fault to inject next, on which node, for how long, drawn from one
// seed, and the budget that keeps liveness possible. A node counts as faulty while it is
// killed, paused, isolated or on the minority side of a partition, and the Byzantine validator
// counts as faulty all the time: at most f nodes are faulty at once. So with 4 validators and
// one Byzantine node (f = 1), the hard faults fall on the Byzantine node and the honest nodes
// get only slow or lossy links (a slow link is not a fault in partial synchrony); with 7
// validators (f = 2) one honest node at a time may also be killed, paused or cut off.
//
// Pure: no clock, no IO. The engine asks `expired(t)` for the faults to undo and `draw(t)` for
// the next one, and applies them; `t` is ms since the soak's timeline began.
import type { Prng } from "../../byzantine/prng.js";

export type ProcessFaultKind = "kill" | "pause";
export type NetFaultKind = "isolate" | "partition" | "delay" | "loss";
export type SoakFaultKind = ProcessFaultKind | NetFaultKind;
export const SOAK_FAULT_KINDS: readonly SoakFaultKind[] = ["kill", "pause", "isolate", "partition", "delay", "loss"];

export interface SoakNode {
  readonly name: string;
  readonly honest: boolean;
}

export type SoakFault =
  | { readonly kind: ProcessFaultKind; readonly node: string; readonly until: number }
  | { readonly kind: "isolate"; readonly node: string; readonly until: number }
  /** `minority` is cut off from everyone else (both ways). */
  | { readonly kind: "partition"; readonly minority: readonly string[]; readonly until: number }
  | { readonly kind: "delay"; readonly node: string; readonly ms: number; readonly maxMs: number; readonly until: number }
  | { readonly kind: "loss"; readonly node: string; readonly p: number; readonly until: number };

export interface FaultPlanOptions {
  /** f of the validator set: the most nodes faulty at once. */
  readonly f: number;
  /** Relative weight of each kind when several fit (0 leaves a kind out). */
  readonly weights?: Partial<Readonly<Record<SoakFaultKind, number>>>;
  /** How long a fault lasts, ms: uniform in [min, max]. */
  readonly minDurationMs?: number;
  readonly maxDurationMs?: number;
  /** Longest link delay drawn, ms (kept well under the view-change timeout). */
  readonly maxDelayMs?: number;
  /** Highest loss probability drawn. */
  readonly maxLoss?: number;
}

const DEFAULT_WEIGHTS: Readonly<Record<SoakFaultKind, number>> = { kill: 3, pause: 2, isolate: 1, partition: 1, delay: 2, loss: 2 };

export class FaultPlan {
  private readonly active: SoakFault[] = [];
  private readonly ending = new Set<SoakFault>();
  private readonly weights: Readonly<Record<SoakFaultKind, number>>;
  private readonly minDurationMs: number;
  private readonly maxDurationMs: number;
  private readonly maxDelayMs: number;
  private readonly maxLoss: number;

  constructor(
    private readonly nodes: readonly SoakNode[],
    private readonly prng: Prng,
    private readonly options: FaultPlanOptions,
  ) {
    this.weights = { ...DEFAULT_WEIGHTS, ...options.weights };
    this.minDurationMs = options.minDurationMs ?? 3_000;
    this.maxDurationMs = options.maxDurationMs ?? 12_000;
    this.maxDelayMs = options.maxDelayMs ?? 200;
    this.maxLoss = options.maxLoss ?? 0.2;
    if (this.maxDurationMs < this.minDurationMs) throw new RangeError("maxDurationMs < minDurationMs");
  }

  /** The faults in force, oldest first. */
  current(): readonly SoakFault[] {
    return this.active;
  }

  /** Honest nodes that cannot take part now (down, frozen or cut off). */
  honestFaulty(): Set<string> {
    const out = new Set<string>();
    for (const x of this.active) for (const n of faultyNodes(x)) if (this.isHonest(n)) out.add(n);
    return out;
  }

  /**
   * Faults whose time is up at `t`, each returned once. They still count as in force until
   * `release`: a restart takes seconds, and the node is down all that time.
   */
  expired(t: number): SoakFault[] {
    const out = this.active.filter((x) => x.until <= t && !this.ending.has(x));
    for (const x of out) this.ending.add(x);
    return out;
  }

  /** The caller has undone `x`. */
  release(x: SoakFault): void {
    const i = this.active.indexOf(x);
    if (i >= 0) this.active.splice(i, 1);
    this.ending.delete(x);
  }

  /** Every fault still in force and not yet being undone (the end of the soak undoes them all). */
  clear(): SoakFault[] {
    const out = this.active.filter((x) => !this.ending.has(x));
    for (const x of out) this.ending.add(x);
    return out;
  }

  /**
   * The next fault to inject at `t`, or null when none fits the budget now. Network faults are
   * one at a time (a heal clears them all), and never while a node is paused: a frozen
   * process cannot take the fault settings, and the call would wait for its timeout.
   */
  draw(t: number): SoakFault | null {
    const byzantine = this.nodes.filter((n) => !n.honest).map((n) => n.name);
    const honestRoom = this.options.f - byzantine.length - this.honestFaulty().size;
    const processBusy = new Set(this.active.flatMap((x) => (x.kind === "kill" || x.kind === "pause" ? [x.node] : [])));
    const netBusy = this.active.some((x) => x.kind === "isolate" || x.kind === "partition" || x.kind === "delay" || x.kind === "loss");
    const anyPaused = this.active.some((x) => x.kind === "pause");
    const faulty = new Set(this.active.flatMap(faultyNodes));
    // A node may take a hard fault when it is the Byzantine one or the budget has room; a
    // node already faulty may not take a second one (one outage per node keeps undoing simple).
    const canFault = (n: SoakNode): boolean => !faulty.has(n.name) && !processBusy.has(n.name) && (!n.honest || honestRoom > 0);
    const hardTargets = this.nodes.filter(canFault).map((n) => n.name);
    const options: { kind: SoakFaultKind; weight: number }[] = [];
    const add = (kind: SoakFaultKind, fits: boolean): void => {
      if (fits && this.weights[kind] > 0) options.push({ kind, weight: this.weights[kind] });
    };
    add("kill", hardTargets.length > 0);
    add("pause", hardTargets.length > 0 && !netBusy);
    add("isolate", hardTargets.length > 0 && !netBusy && !anyPaused);
    add("partition", !netBusy && !anyPaused && this.options.f >= 2 && (honestRoom > 0 || byzantine.length >= 2));
    const linkTargets = this.nodes.filter((n) => !processBusy.has(n.name)).map((n) => n.name);
    add("delay", !netBusy && !anyPaused && linkTargets.length > 0);
    add("loss", !netBusy && !anyPaused && linkTargets.length > 0);
    if (options.length === 0) return null;
    const kind = weighted(this.prng, options);
    const until = t + this.prng.range(this.minDurationMs, this.maxDurationMs);
    let fault: SoakFault;
    switch (kind) {
      case "kill":
      case "pause":
      case "isolate":
        fault = { kind, node: this.prng.pick(hardTargets), until };
        break;
      case "partition":
        fault = { kind, minority: this.drawMinority(byzantine, honestRoom), until };
        break;
      case "delay": {
        const ms = this.prng.range(10, Math.max(10, Math.floor(this.maxDelayMs / 2)));
        fault = { kind, node: this.prng.pick(linkTargets), ms, maxMs: this.prng.range(ms, Math.max(ms, this.maxDelayMs)), until };
        break;
      }
      case "loss":
        fault = { kind, node: this.prng.pick(linkTargets), p: this.prng.range(2, Math.max(2, Math.round(this.maxLoss * 100))) / 100, until };
        break;
    }
    this.active.push(fault);
    return fault;
  }

  /** A minority of at most f nodes: the Byzantine ones (still faulty anyway) plus honest ones the budget allows. */
  private drawMinority(byzantine: readonly string[], honestRoom: number): string[] {
    const faulty = new Set(this.active.flatMap(faultyNodes));
    const honest = this.prng.shuffle(this.nodes.filter((n) => n.honest && !faulty.has(n.name)).map((n) => n.name));
    const takeHonest = Math.min(honestRoom, honest.length, Math.max(0, this.options.f - byzantine.length));
    const minority = [...byzantine, ...honest.slice(0, Math.max(1, takeHonest))].slice(0, this.options.f);
    return minority;
  }

  private isHonest(name: string): boolean {
    return this.nodes.find((n) => n.name === name)?.honest ?? true;
  }
}

/** The nodes a fault takes out of the protocol (a slow or lossy link does not). */
export function faultyNodes(x: SoakFault): readonly string[] {
  switch (x.kind) {
    case "kill":
    case "pause":
    case "isolate":
      return [x.node];
    case "partition":
      return x.minority;
    case "delay":
    case "loss":
      return [];
  }
}

export function describeFault(x: SoakFault): string {
  switch (x.kind) {
    case "kill":
      return `kill -9 ${x.node}`;
    case "pause":
      return `pause ${x.node}`;
    case "isolate":
      return `isolate ${x.node}`;
    case "partition":
      return `partition ${x.minority.join(",")} from the rest`;
    case "delay":
      return `delay ${x.node} ${x.ms}-${x.maxMs} ms`;
    case "loss":
      return `loss ${x.node} p=${x.p}`;
  }
}

function weighted<T>(prng: Prng, options: readonly { kind: T; weight: number }[]): T {
  const total = options.reduce((s, o) => s + o.weight, 0);
  let r = prng.float() * total;
  for (const o of options) {
    r -= o.weight;
    if (r < 0) return o.kind;
  }
  return options[options.length - 1]!.kind;
}
