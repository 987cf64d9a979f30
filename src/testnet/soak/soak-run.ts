// The chaos soak (`triad soak`): a real network of node processes, one of them Byzantine,
// under a steady tx load for N minutes while seeded dice kill -9, restart, pause, resume,
// isolate, partition, slow and drop its links (./fault-plan.ts keeps at most f nodes faulty).
// Then everything is healed, the honest nodes must make progress again, the load stops, and
// `triad check` runs over every node: one chain among the honest nodes, every seal valid, and
// every tx the load saw committed present in every honest node's chain. The network, its load
// and its status monitor are the scenario runner's (src/scenario), not a second copy.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseByzantineSpec } from "../../byzantine/index.js";
import { Prng } from "../../byzantine/prng.js";
import { faultTolerance } from "../../chain/index.js";
import { startScenarioNetwork, type ScenarioNetwork } from "../../scenario/network.js";
import type { Scenario } from "../../scenario/scenario-file.js";
import { StatusMonitor } from "../../scenario/status-monitor.js";
import { readAcks } from "../acks-file.js";
import { checkNetwork, type CheckReport } from "../agreement-check.js";
import { NetControl } from "../net-control.js";
import { describeFault, FaultPlan, SOAK_FAULT_KINDS, type SoakFault } from "./fault-plan.js";
import { StallTracker } from "./stall-tracker.js";

export interface SoakOptions {
  readonly durationMs: number;
  readonly seed: number;
  readonly validators: number;
  readonly selection: "poa" | "dbft";
  /** Load, tx/s. */
  readonly rate: number;
  /** The Byzantine validator's behaviours ("invalid-block+replay"), or "none". */
  readonly byzantine: string;
  /** Testnet directory (default: a temporary one, removed afterwards unless `keep`). */
  readonly dir?: string;
  readonly keep?: boolean;
  readonly logLevel?: string;
  /** Mean time between fault injections, ms (each gap is drawn in [0.5, 1.5] of it). */
  readonly faultEveryMs?: number;
  /** How long the honest nodes may take to make progress after the heal. */
  readonly recoverTimeoutMs?: number;
  readonly onProgress?: (line: string) => void;
  readonly onNetwork?: (network: ScenarioNetwork) => void;
}

export interface SoakSummary {
  readonly ok: boolean;
  /** Why it failed (empty when ok). */
  readonly failures: readonly string[];
  readonly seed: number;
  readonly minutes: number;
  readonly validators: number;
  readonly selection: string;
  readonly byzantine: string;
  readonly f: number;
  readonly rate: number;
  readonly faults: Readonly<Record<string, number>>;
  readonly faultsTotal: number;
  /** Fault injections whose RPC or signal failed on some node (the run goes on). */
  readonly faultErrors: number;
  readonly restarts: number;
  readonly resumes: number;
  readonly heals: number;
  readonly txs: { readonly sent: number; readonly acknowledged: number; readonly lost: number; readonly refused: number; readonly failed: number };
  readonly viewChanges: number;
  readonly viewChangesByReason: Readonly<Record<string, number>>;
  readonly maxStallMs: number;
  readonly recovered: boolean;
  readonly recoverMs: number | null;
  readonly heights: Readonly<Record<string, number | null>>;
  readonly check: { readonly ok: boolean; readonly to: number; readonly problems: readonly string[]; readonly acksChecked: number; readonly acksOutOfRange: number };
  readonly durationMs: number;
  readonly dir: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const SAMPLE_MS = 250;
const PROGRESS_EVERY_MS = 15_000;
/** Blocks every honest node must gain after the heal to count as progress. */
const PROGRESS_BLOCKS = 3;

export async function runSoak(options: SoakOptions): Promise<SoakSummary> {
  const say = options.onProgress ?? (() => undefined);
  const dir = options.dir !== undefined ? resolve(options.dir) : join(await mkdtemp(join(tmpdir(), "triad-soak-")), "net");
  const f = faultTolerance(options.validators);
  const prng = new Prng(options.seed);
  const byzIndex = prng.fork("byzantine").int(options.validators);
  const byzantine = options.byzantine === "none" || options.byzantine === "" ? "" : `${byzIndex}:${options.byzantine}`;
  // Checked before anything starts: a typo costs nothing.
  if (byzantine !== "") parseByzantineSpec(byzantine, { validators: options.validators });
  const scenario: Scenario = {
    name: "soak",
    description: "chaos soak",
    seed: options.seed,
    network: { validators: options.validators, selection: options.selection, observers: 0, tick_ms: 50, byzantine, allow_over_f: false },
    load: { rate: options.rate, kinds: ["transfer", "kv-put"] },
    settle: 0,
    catch_up_timeout: 0,
    timeout: 0,
    step: [],
    expect: [],
  };
  let network: ScenarioNetwork | null = null;
  try {
    say(`starting ${options.validators} ${options.selection} validators in ${dir} (seed ${options.seed}, f ${f}, byzantine ${byzantine === "" ? "none" : byzantine})`);
    network = await startScenarioNetwork(scenario, dir, options.seed, options.logLevel ?? "warn");
    options.onNetwork?.(network);
    return await new Soak(options, network, prng, f, byzantine, say).run();
  } finally {
    await network?.stop();
    if (options.dir === undefined && options.keep !== true) await rm(join(dir, ".."), { recursive: true, force: true });
  }
}

class Soak {
  private readonly monitor: StatusMonitor;
  private readonly plan: FaultPlan;
  private readonly stall = new StallTracker();
  private readonly counts: Record<string, number> = Object.fromEntries(SOAK_FAULT_KINDS.map((k) => [k, 0]));
  private faultErrors = 0;
  private restarts = 0;
  private resumes = 0;
  private heals = 0;
  private readonly started = Date.now();
  private t0 = 0;
  private sampler: NodeJS.Timeout | null = null;
  private readonly control: NetControl;

  constructor(
    private readonly options: SoakOptions,
    private readonly net: ScenarioNetwork,
    private readonly prng: Prng,
    private readonly f: number,
    private readonly byzantine: string,
    private readonly say: (line: string) => void,
  ) {
    this.monitor = new StatusMonitor(net.nodes.map((n) => ({ name: n.name, client: net.client(n.name) })));
    // The scenario network's controls with a longer RPC deadline: on a loaded 2-core machine a
    // node can take more than the default 5 s to answer, and a fault half set is a fault error.
    this.control = new NetControl(net.control.manifest, net.control, { rpcTimeoutMs: 15_000 });
    const validators = net.nodes.filter((n) => n.role === "validator");
    this.plan = new FaultPlan(
      validators.map((n) => ({ name: n.name, honest: net.honest.has(n.name) })),
      prng.fork("faults"),
      { f },
    );
  }

  private honest(): string[] {
    return this.net.nodes.filter((n) => this.net.honest.has(n.name)).map((n) => n.name);
  }

  private heights(): number[] {
    return this.honest().map((n) => this.monitor.height(n));
  }

  private t(): number {
    return Date.now() - this.t0;
  }

  private viewChanges(baseline: ReadonlyMap<string, Readonly<Record<string, number>>>): Record<string, number> {
    const out: Record<string, number> = {};
    for (const name of this.honest()) {
      const before = baseline.get(name) ?? {};
      for (const [reason, n] of Object.entries(this.monitor.counters(name).view_changes)) {
        if (reason === "entered") continue;
        const d = n - (before[reason] ?? 0);
        if (d > 0) out[reason] = (out[reason] ?? 0) + d;
      }
    }
    return out;
  }

  async run(): Promise<SoakSummary> {
    const failures: string[] = [];
    this.monitor.start();
    await this.waitUntil("the network to commit block 2", () => Math.max(...this.heights()) >= 2, 90_000);
    const baseline = new Map(this.honest().map((n) => [n, { ...this.monitor.counters(n).view_changes }]));
    await this.net.startLoad();
    this.t0 = Date.now();
    this.sampler = setInterval(() => this.stall.sample(this.t(), this.heights()), SAMPLE_MS);
    this.say(`load ${this.options.rate} tx/s; faults for ${(this.options.durationMs / 60_000).toFixed(1)} min`);

    const every = this.options.faultEveryMs ?? 4_000;
    const dice = this.prng.fork("gaps");
    let nextFault = Math.round(every * (0.5 + dice.float()));
    let nextReport = PROGRESS_EVERY_MS;
    // Undoing runs beside the loop (a restart takes seconds); the plan counts the fault until it is done.
    const undoing = new Set<Promise<void>>();
    const undoLater = (x: SoakFault): void => {
      const p = this.undo(x).finally(() => {
        this.plan.release(x);
        undoing.delete(p);
      });
      undoing.add(p);
    };
    while (this.t() < this.options.durationMs) {
      for (const x of this.plan.expired(this.t())) undoLater(x);
      if (this.t() >= nextFault) {
        const x = this.plan.draw(this.t());
        if (x !== null) await this.apply(x);
        nextFault = this.t() + Math.round(every * (0.5 + dice.float()));
      }
      if (this.t() >= nextReport) {
        this.report(baseline);
        nextReport += PROGRESS_EVERY_MS;
      }
      await sleep(200);
    }

    // Heal everything, then the honest nodes must move again.
    for (const x of this.plan.clear()) undoLater(x);
    while (undoing.size > 0) await Promise.all([...undoing]);
    await this.control.heal();
    this.heals++;
    const healedAt = Date.now();
    const target = Math.max(...this.heights()) + PROGRESS_BLOCKS;
    this.say(`${fmtT(this.t())}  healed; waiting for every honest node to reach height ${target}`);
    const recovered = await this.waitUntil(`every honest node at height ${target}`, () => this.heights().every((h) => h >= target), this.options.recoverTimeoutMs ?? 120_000);
    const recoverMs = recovered ? Date.now() - healedAt : null;
    if (!recovered) failures.push(`no progress after the heal: honest heights ${this.heights().join(", ")}, needed ${target} within ${(this.options.recoverTimeoutMs ?? 120_000) / 1000} s`);

    await this.net.stopLoad();
    if (this.sampler !== null) clearInterval(this.sampler);
    // Every acknowledged tx must be checked, so every honest node must hold the highest acked height.
    const acks = await readAcks(this.net.acksFile).catch(() => ({ acks: [], bad: 0 }));
    const ackTop = acks.acks.reduce((m, a) => Math.max(m, a.height), 0);
    await this.waitUntil(`every honest node at height ${ackTop} (the highest acknowledged tx)`, () => this.heights().every((h) => h >= ackTop), 60_000);
    await this.monitor.poll();
    await this.monitor.stop();

    this.say(`${fmtT(this.t())}  running the check over every node`);
    const check = await checkNetwork(
      this.net.nodes.map((n) => ({ name: n.name, rpc: n.rpc, honest: this.net.honest.has(n.name) })),
      { chainId: this.net.chainId, acksFile: this.net.acksFile, allowDown: true },
    );
    const lost = lostTxs(check);
    if (!check.ok) failures.push(`check failed: ${check.problems.slice(0, 3).join("; ")}`);
    for (const n of check.nodes) if (n.honest && !n.reachable) failures.push(`${n.name} (honest) does not answer at the end`);
    if (lost > 0) failures.push(`${lost} acknowledged tx(s) missing from an honest node's chain`);
    const faultsTotal = Object.values(this.counts).reduce((s, n) => s + n, 0);
    if (faultsTotal === 0) failures.push("no fault was injected");
    const load = this.net.loadStats();
    if (load.committed === 0) failures.push("no tx was acknowledged as committed");
    const byReason = this.viewChanges(baseline);
    return {
      ok: failures.length === 0,
      failures,
      seed: this.options.seed,
      minutes: this.options.durationMs / 60_000,
      validators: this.options.validators,
      selection: this.options.selection,
      byzantine: this.byzantine === "" ? "none" : this.byzantine,
      f: this.f,
      rate: this.options.rate,
      faults: { ...this.counts },
      faultsTotal,
      faultErrors: this.faultErrors,
      restarts: this.restarts,
      resumes: this.resumes,
      heals: this.heals,
      txs: { sent: load.sent, acknowledged: check.acks.total, lost, refused: load.refused, failed: load.failed },
      viewChanges: Object.values(byReason).reduce((s, n) => s + n, 0),
      viewChangesByReason: byReason,
      maxStallMs: this.stall.max.ms,
      recovered,
      recoverMs,
      heights: Object.fromEntries(check.nodes.map((n) => [n.name, n.height])),
      check: { ok: check.ok, to: check.to, problems: check.problems.slice(0, 10), acksChecked: check.acks.checked, acksOutOfRange: check.acks.outOfRange },
      durationMs: Date.now() - this.started,
      dir: this.net.dir,
    };
  }

  private report(baseline: ReadonlyMap<string, Readonly<Record<string, number>>>): void {
    const vc = Object.values(this.viewChanges(baseline)).reduce((s, n) => s + n, 0);
    const load = this.net.loadStats();
    const faults = this.plan.current().map(describeFault).join("; ") || "none";
    this.say(
      `${fmtT(this.t())}  heights ${this.net.nodes.map((n) => `${n.name.replace("validator-", "v")}=${this.monitor.answering(n.name) ? this.monitor.height(n.name) : "-"}`).join(" ")}  acked ${load.committed}  faults ${Object.values(this.counts).reduce((s, n) => s + n, 0)}  view changes ${vc}  max stall ${(this.stall.max.ms / 1000).toFixed(1)} s  now: ${faults}`,
    );
  }

  private async apply(x: SoakFault): Promise<void> {
    const c = this.control;
    this.counts[x.kind] = (this.counts[x.kind] ?? 0) + 1;
    let error = "";
    try {
      switch (x.kind) {
        case "kill":
          await c.kill(x.node);
          break;
        case "pause":
          await c.pause(x.node);
          break;
        case "isolate":
          await c.isolate(x.node);
          break;
        case "partition":
          await c.partition([x.minority]);
          break;
        case "delay":
          await c.delay(x.node, x.ms, x.maxMs);
          break;
        case "loss":
          await c.loss(x.node, x.p);
          break;
      }
    } catch (err) {
      // A node that is down cannot take a link setting; the others have theirs. Counted, not fatal.
      this.faultErrors++;
      error = `  (partly failed: ${(err as Error).message})`;
    }
    this.say(`${fmtT(this.t())}  ${describeFault(x)} for ${((x.until - this.t()) / 1000).toFixed(1)} s${error}`);
  }

  private async undo(x: SoakFault): Promise<void> {
    const c = this.control;
    let what: string;
    try {
      switch (x.kind) {
        case "kill":
          what = `restart ${x.node}`;
          await c.restart(x.node);
          this.restarts++;
          break;
        case "pause":
          what = `resume ${x.node}`;
          await c.resume(x.node);
          this.resumes++;
          break;
        default:
          what = "heal the network";
          await c.heal();
          this.heals++;
      }
    } catch (err) {
      this.faultErrors++;
      this.say(`${fmtT(this.t())}  undoing ${describeFault(x)} failed: ${(err as Error).message}`);
      return;
    }
    this.say(`${fmtT(this.t())}  ${what}`);
  }

  private async waitUntil(what: string, ready: () => boolean, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (ready()) return true;
      await sleep(200);
    }
    if (ready()) return true;
    this.say(`gave up waiting for ${what} after ${timeoutMs / 1000} s`);
    return false;
  }
}

/**
 * Acknowledged txs some honest node does not hold at the acknowledged height, plus acks the
 * check could not reach (above the lowest honest head: unproven, so counted as lost).
 */
export function lostTxs(check: CheckReport): number {
  const missing = Math.max(0, ...check.nodes.filter((n) => n.honest).map((n) => n.ackedChecked - n.ackedFound));
  return missing + check.acks.outOfRange;
}

function fmtT(ms: number): string {
  return `+${(ms / 1000).toFixed(1)}s`.padStart(8);
}
