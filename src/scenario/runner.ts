// `triad scenario run FILE`: start the scenario's network as real processes, run its load and
// its timeline, restore what is still perturbed, let the chain settle, run the check over every
// node's RPC, and judge the evidence that each perturbation really happened. The report says
// what was done, what the honest nodes saw (view changes with reasons, faults they reported),
// what happened to the load's txs, and the check's verdict.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Prng } from "../byzantine/prng.js";
import { checkNetwork, type CheckReport } from "../testnet/agreement-check.js";
import { TestnetError, type TestnetNodeInfo } from "../testnet/manifest.js";
import { waitFor } from "../testnet/scenario.js";
import { Governance } from "./governance.js";
import { startScenarioNetwork, type ScenarioNetwork } from "./network.js";
import { resolveNode, reportedPrimary, type ResolveContext } from "./node-refs.js";
import { outageEvidence, type Evidence, type Outage, type OutageKind } from "./outages.js";
import { parseGroups, ScenarioError, type Scenario, type ScenarioStep } from "./scenario-file.js";
import { expectationEvidence, type NetCounterNeed } from "./expectations.js";
import { StatusMonitor } from "./status-monitor.js";

export interface RunOptions {
  /** Testnet directory (default: a temporary one, removed afterwards unless `keep`). */
  readonly dir?: string;
  readonly keep?: boolean;
  /** Overrides the file's seed. */
  readonly seed?: number;
  readonly logLevel?: string;
  /** One line per event as the run goes (the CLI prints them on stderr). */
  readonly onProgress?: (line: string) => void;
  /** Told the network once it runs (the CLI kills its processes if it is interrupted). */
  readonly onNetwork?: (network: ScenarioNetwork) => void;
}

export interface AppliedStep {
  readonly index: number;
  readonly do: ScenarioStep["do"];
  /** The node(s) the step acted on, as names. */
  readonly nodes: readonly string[];
  readonly detail: string;
  /** ms since the timeline started, and the highest honest height then. */
  readonly t: number;
  readonly height: number;
  readonly error?: string;
}

export interface ScenarioReport {
  readonly scenario: string;
  readonly description: string;
  readonly file: string | null;
  readonly seed: number;
  readonly dir: string;
  readonly network: { readonly validators: number; readonly selection: string; readonly byzantine: string; readonly nodes: readonly { name: string; role: string; honest: boolean; byzantine: readonly string[] }[] };
  readonly steps: readonly AppliedStep[];
  /** Per honest node, its view changes during the run by reason. */
  readonly viewChanges: readonly { readonly node: string; readonly byReason: Readonly<Record<string, number>> }[];
  /** Faults the honest nodes reported during the run, by kind and by the peer blamed. */
  readonly faults: { readonly byKind: Readonly<Record<string, number>>; readonly byPeer: Readonly<Record<string, number>> };
  readonly txs: { readonly sent: number; readonly accepted: number; readonly committed: number; readonly refused: number; readonly failed: number };
  readonly evidence: readonly Evidence[];
  readonly check: CheckReport;
  /** pass; violation (the check failed); not-shown (a perturbation's evidence is missing). */
  readonly verdict: "pass" | "violation" | "not-shown";
  readonly durationMs: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function runScenario(scenario: Scenario, file: string | null, options: RunOptions = {}): Promise<ScenarioReport> {
  const seed = options.seed ?? scenario.seed;
  const say = options.onProgress ?? (() => undefined);
  const started = Date.now();
  const dir = options.dir !== undefined ? resolve(options.dir) : join(await mkdtemp(join(tmpdir(), `triad-scenario-${scenario.name}-`)), "net");
  let network: ScenarioNetwork | null = null;
  try {
    say(`starting ${scenario.network.validators} ${scenario.network.selection} validators in ${dir} (seed ${seed})`);
    network = await startScenarioNetwork(scenario, dir, seed, options.logLevel ?? "info");
    options.onNetwork?.(network);
    return await new Run(scenario, file, seed, network, say, started).execute();
  } finally {
    await network?.stop();
    if (options.dir === undefined && options.keep !== true) await rm(join(dir, ".."), { recursive: true, force: true });
  }
}

class Run {
  private readonly monitor: StatusMonitor;
  private readonly prng: Prng;
  private readonly labels = new Map<string, string>();
  private readonly outages: Outage[] = [];
  private readonly applied: AppliedStep[] = [];
  private readonly evidence: Evidence[] = [];
  private readonly netNeeds: NetCounterNeed[] = [];
  private readonly governance: Governance;
  private readonly paused = new Set<string>();
  private readonly killed = new Set<string>();
  private netFaulted = false;
  private t0 = 0;

  constructor(
    private readonly scenario: Scenario,
    private readonly file: string | null,
    private readonly seed: number,
    private readonly net: ScenarioNetwork,
    private readonly say: (line: string) => void,
    private readonly started: number,
  ) {
    this.monitor = new StatusMonitor(net.nodes.map((n) => ({ name: n.name, client: net.client(n.name) })));
    this.prng = new Prng(seed).fork("timeline");
    this.governance = new Governance(net);
  }

  private get nodes(): readonly TestnetNodeInfo[] {
    return this.net.nodes;
  }

  private honestNames(): string[] {
    return this.nodes.filter((n) => this.net.honest.has(n.name)).map((n) => n.name);
  }

  /** ms since the timeline started. */
  private now(): number {
    return this.monitor.now() - this.t0;
  }

  /** The highest height an honest node reports, leaving out `except`. */
  private honestHeight(except: ReadonlySet<string> = new Set()): number {
    return Math.max(0, ...this.honestNames().filter((n) => !except.has(n)).map((n) => this.monitor.height(n)));
  }

  private honestViewChanges(except: string): number {
    let total = 0;
    for (const name of this.honestNames()) {
      if (name === except) continue;
      const vc = this.monitor.counters(name).view_changes;
      total += Object.entries(vc).filter(([reason]) => reason !== "entered").reduce((s, [, n]) => s + n, 0);
    }
    return total;
  }

  private resolveContext(): ResolveContext {
    return { nodes: this.nodes, honest: this.net.honest, labels: this.labels, monitor: this.monitor, prng: this.prng, running: () => this.net.running() };
  }

  async execute(): Promise<ScenarioReport> {
    this.monitor.start();
    await this.monitor.poll();
    await this.waitFor("the network to commit block 2", () => this.honestHeight() >= 2, 60_000);
    const baseline = new Map(this.honestNames().map((n) => [n, this.monitor.counters(n)]));
    const startHeights = new Map(this.nodes.map((n) => [n.name, this.monitor.height(n.name)]));
    await this.net.startLoad();
    this.t0 = this.monitor.now();
    this.say(`timeline started at height ${this.honestHeight()}; load ${this.scenario.load.rate} tx/s (${this.scenario.load.kinds.join(", ")})`);

    const deadline = Date.now() + this.scenario.timeout;
    let previous = 0;
    for (const [i, step] of this.scenario.step.entries()) {
      await this.waitUntilDue(step, previous, deadline, i);
      const applied = await this.apply(step, i);
      this.applied.push(applied);
      previous = this.now();
      this.say(`${fmtT(applied.t)}  h${applied.height}  ${applied.do} ${applied.detail}${applied.error !== undefined ? `  FAILED: ${applied.error}` : ""}`);
    }
    await sleep(this.scenario.settle);
    await this.restoreAll();
    await this.net.stopLoad();
    await this.settle();
    await this.monitor.poll();
    await this.monitor.stop();

    for (const o of this.outages) this.evidence.push(...outageEvidence(o));
    this.evidence.push(...this.byzantineEvidence(startHeights));
    this.evidence.push(...(await expectationEvidence(this.scenario, this.netNeeds, this.net, this.monitor, this.resolveContext())));
    for (const a of this.applied) if (a.error !== undefined) this.evidence.push({ what: "step", ok: false, detail: `step ${a.index + 1} (${a.do}) failed: ${a.error}` });

    const check = await checkNetwork(
      this.nodes.map((n) => ({ name: n.name, rpc: n.rpc, honest: this.net.honest.has(n.name) })),
      { chainId: this.net.chainId, acksFile: this.net.acksFile, allowDown: true },
    );
    const downHonest = check.nodes.filter((n) => !n.reachable && this.net.honest.has(n.name) && !this.killed.has(n.name));
    for (const n of downHonest) this.evidence.push({ what: "node-up", ok: false, detail: `${n.name} should be up at the end but does not answer` });

    const viewChanges = this.honestNames().map((name) => ({ node: name, byReason: diff(this.monitor.counters(name).view_changes, baseline.get(name)?.view_changes) }));
    const byKind: Record<string, number> = {};
    const byPeer: Record<string, number> = {};
    for (const name of this.honestNames()) {
      addInto(byKind, diff(this.monitor.counters(name).faults_reported, baseline.get(name)?.faults_reported));
      const perPeer = diff(this.monitor.counters(name).faults_by_peer, baseline.get(name)?.faults_by_peer);
      for (const [peer, n] of Object.entries(perPeer)) {
        const who = this.nodes.find((x) => x.id === peer)?.name ?? peer.slice(0, 12);
        byPeer[who] = (byPeer[who] ?? 0) + n;
      }
    }
    const load = this.net.loadStats();
    const verdict = !check.ok ? "violation" : this.evidence.every((e) => e.ok) ? "pass" : "not-shown";
    return {
      scenario: this.scenario.name,
      description: this.scenario.description,
      file: this.file,
      seed: this.seed,
      dir: this.net.dir,
      network: {
        validators: this.scenario.network.validators,
        selection: this.scenario.network.selection,
        byzantine: this.scenario.network.byzantine === "" ? "none" : this.scenario.network.byzantine,
        nodes: this.nodes.map((n) => ({ name: n.name, role: n.role, honest: this.net.honest.has(n.name), byzantine: this.net.behavioursOf(n.name) })),
      },
      steps: this.applied,
      viewChanges,
      faults: { byKind, byPeer },
      txs: { sent: load.sent, accepted: load.accepted, committed: load.committed, refused: load.refused, failed: load.failed },
      evidence: this.evidence,
      check,
      verdict,
      durationMs: Date.now() - this.started,
    };
  }

  /**
   * Each Byzantine process (a twin copy included) says so in its status and took part: its
   * chain advanced during the run, or its behaviours acted. A Byzantine node that crashed at
   * start would test nothing; one whose forgeries got it disconnected by the honest nodes'
   * penalties may append nothing after that, yet it took part.
   */
  private byzantineEvidence(startHeights: ReadonlyMap<string, number>): Evidence[] {
    return this.nodes
      .filter((n) => !this.net.honest.has(n.name))
      .map((n) => {
        const expected = this.net.behavioursOf(n.name);
        const status = this.monitor.latest(n.name);
        const says = status?.byzantine ?? [];
        const advanced = this.monitor.height(n.name) - (startHeights.get(n.name) ?? 0);
        const acted = Object.values(this.monitor.counters(n.name).byzantine_acts).reduce((a, b) => a + b, 0);
        const ok = status !== null && expected.every((b) => says.includes(b)) && (advanced > 0 || acted > 0);
        return {
          what: "byzantine-ran",
          ok,
          detail: `${n.name} ${status === null ? "never answered" : `reports behaviours ${says.join("+") || "none"} (expected ${expected.join("+")})`}; its chain advanced ${advanced} block(s); its behaviours acted ${acted} time(s)`,
        };
      });
  }

  /** The testnet's bounded poll; on timeout the run goes on (the evidence will tell) and says so. */
  private async waitFor(what: string, ready: () => boolean, timeoutMs: number): Promise<boolean> {
    try {
      await waitFor(what, ready, { timeoutMs, intervalMs: 100 });
      return true;
    } catch (err) {
      if (!(err instanceof TestnetError)) throw err;
      this.say(`gave up waiting for ${what} after ${timeoutMs} ms`);
      return false;
    }
  }

  private async waitUntilDue(step: ScenarioStep, previous: number, deadline: number, index: number): Promise<void> {
    const left = (): number => deadline - Date.now();
    if (step.at_height !== undefined) {
      const h = step.at_height;
      if (!(await this.waitFor(`height ${h}`, () => this.honestHeight() >= h, Math.max(0, left())))) {
        throw new ScenarioError("SCENARIO_FAILED", `step ${index + 1}: the honest nodes did not reach height ${h} within the scenario's timeout`);
      }
      return;
    }
    const due = step.at ?? previous + (step.after ?? 0);
    const wait = due - this.now();
    if (wait > left()) throw new ScenarioError("SCENARIO_FAILED", `step ${index + 1} is due after the scenario's timeout`);
    if (wait > 0) await sleep(wait);
  }

  private node(ref: string, index: number): string {
    return resolveNode(ref, this.resolveContext(), `step ${index + 1}`);
  }

  private startOutage(node: string, kind: OutageKind, step: number): void {
    const primary = reportedPrimary(this.resolveContext());
    this.outages.push({
      node,
      kind,
      step,
      startT: this.now(),
      wasPrimary: primary === node,
      viewChangesAtStart: this.honestViewChanges(node),
      endT: null,
      endStep: null,
      nodeHeightAtEnd: null,
      othersHeightAtEnd: null,
      caughtUpT: null,
      viewChangesAtEnd: null,
    });
  }

  /** End the open outages of `node` of these kinds (all nodes when null). */
  private endOutages(node: string | null, kinds: readonly OutageKind[], step: number): void {
    for (const o of this.outages) {
      if (o.endT !== null || !kinds.includes(o.kind) || (node !== null && o.node !== node)) continue;
      o.endT = this.now();
      o.endStep = step;
      o.nodeHeightAtEnd = this.monitor.height(o.node);
      o.othersHeightAtEnd = this.honestHeight(new Set([o.node]));
      o.viewChangesAtEnd = this.honestViewChanges(o.node);
    }
  }

  private async apply(step: ScenarioStep, i: number): Promise<AppliedStep> {
    const t = this.now();
    const height = this.honestHeight();
    let nodes: string[] = [];
    let detail = "";
    const net = this.net.control;
    try {
      switch (step.do) {
        case "kill":
        case "pause":
        case "isolate": {
          const name = this.node(step.node, i);
          nodes = [name];
          const primary = reportedPrimary(this.resolveContext()) === name ? " (the primary)" : "";
          this.startOutage(name, step.do, i);
          if (step.do === "kill") {
            await net.kill(name);
            this.killed.add(name);
          } else if (step.do === "pause") {
            await net.pause(name);
            this.paused.add(name);
          } else {
            await net.isolate(name);
            this.netFaulted = true;
          }
          detail = `${name}${primary}`;
          break;
        }
        case "restart":
        case "resume": {
          const name = this.node(step.node, i);
          nodes = [name];
          this.endOutages(name, [step.do === "restart" ? "kill" : "pause"], i);
          if (step.do === "restart") {
            await net.restart(name);
            this.killed.delete(name);
          } else {
            await net.resume(name);
            this.paused.delete(name);
          }
          detail = name;
          break;
        }
        case "partition": {
          const groups = parseGroups(step.groups).map((g) => g.map((ref) => this.node(ref, i)));
          nodes = groups.flat();
          // The sides without a quorum of validators cannot commit: their nodes must fall behind.
          const validators = this.nodes.filter((n) => n.role === "validator" && n.twinOf === undefined).length;
          const quorum = validators - Math.floor((validators - 1) / 3);
          for (const g of groups) {
            const members = g.filter((name) => this.nodes.find((n) => n.name === name)?.role === "validator").length;
            if (members < quorum) for (const name of g) if (this.net.honest.has(name)) this.startOutage(name, "partition", i);
          }
          await net.partition(groups);
          this.netFaulted = true;
          detail = groups.map((g) => g.join(",")).join(" / ");
          break;
        }
        case "heal":
          await this.collectNetCounters();
          this.endOutages(null, ["isolate", "partition"], i);
          await net.heal();
          this.netFaulted = false;
          detail = "every network fault cleared";
          break;
        case "delay": {
          const name = this.node(step.node, i);
          nodes = [name];
          await net.delay(name, step.ms, step.max_ms);
          this.netFaulted = true;
          this.netNeeds.push({ node: name, counter: "delayed", step: i });
          detail = `${name} ${step.ms}${step.max_ms !== undefined ? `-${step.max_ms}` : ""} ms`;
          break;
        }
        case "loss":
        case "duplicate": {
          const name = this.node(step.node, i);
          nodes = [name];
          if (step.do === "loss") await net.loss(name, step.p);
          else await net.duplicate(name, step.p);
          this.netFaulted = true;
          this.netNeeds.push({ node: name, counter: step.do === "loss" ? "dropped" : "duplicated", step: i });
          detail = `${name} p=${step.p}`;
          break;
        }
        case "oneway": {
          const from = this.node(step.node, i);
          const to = this.node(step.to, i);
          nodes = [from, to];
          await net.oneway(from, to);
          this.netFaulted = true;
          this.netNeeds.push({ node: from, counter: "blocked", step: i });
          detail = `${from} → ${to} blocked`;
          break;
        }
        case "wait":
          detail = "";
          break;
        case "poa-add":
        case "poa-remove": {
          const name = this.node(step.node, i);
          nodes = [name];
          const voters = await this.governance.poaVote(step.do === "poa-add" ? "add" : "remove", name);
          detail = `${name} (votes from ${voters.join(", ")})`;
          break;
        }
        case "dbft-register": {
          const name = this.node(step.node, i);
          nodes = [name];
          await this.governance.dbftRegister(name);
          detail = name;
          break;
        }
        case "dbft-vote": {
          nodes = step.candidates.map((ref) => this.node(ref, i));
          const account = await this.governance.dbftVote(nodes, step.account);
          detail = `${account} votes for ${nodes.join(", ")}`;
          break;
        }
      }
      if (step.label !== undefined && nodes.length > 0) this.labels.set(step.label, nodes[0]!);
      return { index: i, do: step.do, nodes, detail, t, height };
    } catch (err) {
      if (err instanceof ScenarioError && err.code === "SCENARIO_INVALID") throw err;
      return { index: i, do: step.do, nodes, detail, t, height, error: (err as Error).message };
    }
  }

  /** Read the fault counters the link faults must have moved: one unsafe_net_faults per node. */
  private async collectNetCounters(): Promise<void> {
    const open = this.netNeeds.filter((n) => n.seen === undefined);
    if (open.length === 0) return;
    const status = await this.net.control.status();
    for (const need of open) {
      const counters = status.find((s) => s.name === need.node)?.counters ?? {};
      need.seen = Object.values(counters).reduce((sum, c) => sum + c[need.counter], 0);
    }
  }

  /** Undo what the timeline left perturbed, so the chain can converge before the check. */
  private async restoreAll(): Promise<void> {
    const i = this.scenario.step.length;
    if (this.netFaulted || this.netNeeds.some((n) => n.seen === undefined)) {
      await this.collectNetCounters();
      this.endOutages(null, ["isolate", "partition"], i);
      await this.net.control.heal();
      this.say(`${fmtT(this.now())}  restored: network faults cleared`);
    }
    for (const name of [...this.paused]) {
      this.endOutages(name, ["pause"], i);
      await this.net.control.resume(name);
      this.say(`${fmtT(this.now())}  restored: ${name} resumed`);
    }
    this.paused.clear();
  }

  /** Wait until every restored node has caught up, and every live honest node holds the same head. */
  private async settle(): Promise<void> {
    const open = this.outages.filter((o) => o.endT !== null && o.caughtUpT === null);
    await this.waitFor(
      "the restored nodes to catch up",
      () => {
        for (const o of open) {
          if (o.caughtUpT !== null) continue;
          const caught = this.monitor.history(o.node).find((s) => s.t - this.t0 >= o.endT! && s.height !== null && s.height >= o.othersHeightAtEnd!);
          if (caught !== undefined) o.caughtUpT = caught.t - this.t0;
        }
        return open.every((o) => o.caughtUpT !== null);
      },
      this.scenario.catch_up_timeout,
    );
    const live = this.honestNames().filter((n) => !this.killed.has(n));
    const target = this.honestHeight();
    await this.waitFor(`every live honest node at height ${target}`, () => live.every((n) => this.monitor.height(n) >= target), this.scenario.catch_up_timeout);
  }
}

function fmtT(ms: number): string {
  return `+${(ms / 1000).toFixed(1)}s`.padStart(7);
}

function diff(now: Readonly<Record<string, number>>, before: Readonly<Record<string, number>> | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(now)) {
    const d = v - (before?.[k] ?? 0);
    if (d > 0) out[k] = d;
  }
  return out;
}

function addInto(into: Record<string, number>, from: Readonly<Record<string, number>>): void {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
}
