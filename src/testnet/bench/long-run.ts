// The long-running benchmark (`npm run bench:long`): a 4-validator PoA testnet of real
// processes loaded at 80% of its saturation rate (found by the node benchmark's search, or
// given), first unperturbed, then for N minutes in cycles of a perturbation (kill -9 and
// restart, pause, isolation, link delay, loss) followed by a heal. It reports the committed
// throughput of each healed window against the unperturbed one (must stay within 10%), every
// node's resident memory after warm-up and at the end (growth under 5%), and its open file
// descriptors (/proc/<pid>/fd: sockets, LevelDB files, timers' fds) at both moments (no growth).
//
// One load process (./load-process.ts) offers the whole run open-loop and records when each
// block arrived on a validator that is never perturbed, so each window's throughput is read
// from block arrivals, with no per-window restart of the load. The perturbed nodes are never
// the watched one; a killed node gets a new pid, so its memory and fds are reported but not
// judged.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TriadClient } from "../../rpc/client.js";
import { NetControl } from "../net-control.js";
import { waitFor, waitForHeight } from "../scenario.js";
import { withGuardedNetwork } from "./net-guard.js";
import { TestnetError } from "../manifest.js";
import { prepareTestnet, type PreparedTestnet } from "../setup.js";
import { Testnet } from "../testnet.js";
import type { BlockArrival } from "./load-process.js";
import { runLoadProcess } from "./load-runner.js";
import { decideStep, saturationRate, SEARCH_DEFAULTS, type StepDecision } from "./saturation.js";
import { round1 } from "./stats.js";

export interface LongRunOptions {
  readonly minutes: number;
  /** Offered rate; default 80% of the saturation rate found first. */
  readonly rate?: number;
  /** Share of the saturation rate to run at. */
  readonly share: number;
  /** Seconds of load before the unperturbed window (the memory and fd baseline is taken at its end). */
  readonly warmupSeconds: number;
  /** Seconds of the unperturbed window. */
  readonly baselineSeconds: number;
  /** Seconds of one perturbation + heal cycle, and of the perturbation in it. */
  readonly cycleSeconds: number;
  readonly perturbSeconds: number;
  /** Seconds after a heal left out of the healed window (the restored node catches up). */
  readonly settleSeconds: number;
  readonly accounts: number;
  readonly tickMs: number;
  readonly keep: boolean;
  readonly dir?: string;
}

export const LONG_RUN_DEFAULTS: LongRunOptions = {
  minutes: 10,
  share: 0.8,
  warmupSeconds: 30,
  baselineSeconds: 90,
  cycleSeconds: 60,
  perturbSeconds: 20,
  settleSeconds: 10,
  accounts: 500,
  tickMs: 50,
  keep: false,
};

export interface NodeResources {
  readonly name: string;
  readonly restarted: boolean;
  readonly rssMB: { readonly afterWarmup: number | null; readonly end: number | null; readonly growthPct: number | null };
  readonly fds: { readonly afterWarmup: number | null; readonly end: number | null; readonly growth: number | null };
  /** null: not judged (the process was restarted, so start and end are two processes). */
  readonly rssPass: boolean | null;
  readonly fdPass: boolean | null;
}

export interface HealedWindow {
  readonly cycle: number;
  readonly perturbation: string;
  /** null: no healed window in this cycle (the node took the whole cycle to come back). */
  readonly committedTxPerSec: number | null;
  readonly ratio: number | null;
  readonly pass: boolean | null;
}

export interface LongRunReport {
  readonly validators: number;
  readonly saturation: { readonly txPerSec: number | null; readonly stoppedBecause: string | null; readonly steps: readonly { offered: number; committed: number; p99Ms: number | null }[] };
  readonly rate: number;
  readonly minutes: number;
  readonly unperturbed: { readonly seconds: number; readonly committedTxPerSec: number };
  readonly healed: readonly HealedWindow[];
  readonly healedMeanTxPerSec: number | null;
  readonly healedMeanRatio: number | null;
  readonly load: { readonly offeredTxPerSec: number; readonly achievedTxPerSec: number; readonly generatorLimited: boolean; readonly sentNotCommitted: number; readonly refused: number };
  readonly nodes: readonly NodeResources[];
  readonly pass: { readonly throughput: boolean; readonly rss: boolean; readonly fds: boolean; readonly all: boolean };
  readonly limits: { readonly throughputWithinPct: number; readonly rssGrowthPct: number; readonly fdGrowth: number };
  readonly durationSeconds: number;
}

const THROUGHPUT_WITHIN = 0.1;
const RSS_GROWTH = 0.05;
/** A socket opened by a client request that is still in its close handshake is not a leak. */
const FD_SLACK = 2;
const PERTURBATIONS = ["kill", "isolate", "delay", "pause", "loss"] as const;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Resident set (VmRSS) of a process in bytes; null when it cannot be read. */
export function rssBytes(pid: number): number | null {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m === null ? null : Number(m[1]) * 1024;
  } catch {
    return null;
  }
}

/** Open file descriptors of a process (sockets, files, pipes, eventfds); null when unreadable. */
export function fdCount(pid: number): number | null {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return null;
  }
}

/** Committed txs per second among the blocks that arrived in [from, to). */
export function throughput(blocks: readonly BlockArrival[], from: number, to: number): number {
  const txs = blocks.filter((b) => b.at >= from && b.at < to).reduce((s, b) => s + b.txs, 0);
  return round1(txs / Math.max(0.001, (to - from) / 1000));
}

export async function runLongRun(options: LongRunOptions, log: (line: string) => void): Promise<LongRunReport> {
  const started = Date.now();
  const dir = mkdtempSync(join(options.dir ?? tmpdir(), "triad-long-run-"));
  return withGuardedNetwork(dir, options.keep, log, async (attach) => {
    const prepared = await prepareWithRetry(dir, options, log);
    const net = attach(new Testnet(prepared, { startArgs: ["--log-level", "warn"], stopGraceMs: 10_000 }));
    log(`starting 4 validators in ${dir}`);
    await net.start();
    return await measure(options, net, log, started);
  });
}

async function measure(options: LongRunOptions, net: Testnet, log: (line: string) => void, started: number): Promise<LongRunReport> {
  const names = net.nodes.map((n) => n.name);
  const [watch, a, b, victim] = names as [string, string, string, string];
  await waitForHeight(
    names.map((n) => net.client(n)),
    2,
    { timeoutMs: 90_000 },
  );

  // 1. The rate: given, or a share of the saturation found by the node benchmark's search.
  const steps: { offered: number; committed: number; p99Ms: number | null }[] = [];
  let saturation: number | null = null;
  let stoppedBecause: string | null = null;
  if (options.rate === undefined) {
    let rate = SEARCH_DEFAULTS.startRate;
    let decision: StepDecision;
    for (;;) {
      await drain(net, names);
      const r = await runLoadProcess({ dir: net.dir, rate, warmupMs: 2_000, durationMs: 5_000, drainMs: 4_000, targets: names, watch });
      steps.push({ offered: rate, committed: r.committedTxPerSec, p99Ms: r.latencyMs.p99 });
      log(`search: offered ${rate} tx/s, committed ${r.committedTxPerSec} tx/s, p99 ${r.latencyMs.p99} ms`);
      decision = decideStep({ offered: rate, committed: r.committedTxPerSec, p99Ms: r.latencyMs.p99, generatorLimited: r.generatorLimited }, steps.length - 1, { ...SEARCH_DEFAULTS, maxSteps: 8 });
      if (decision.stop) break;
      rate = decision.nextRate;
    }
    stoppedBecause = decision.reason;
    saturation = saturationRate(steps.map((s) => ({ ...s, generatorLimited: false })));
    log(`saturation ${saturation} tx/s (search stopped: ${decision.reason})`);
  }
  const rate = options.rate ?? Math.max(1, Math.round((saturation ?? 0) * options.share));
  await drain(net, names);

  // 2. One load process for the whole run; the timeline runs against its window.
  const cycles = Math.max(1, Math.floor((options.minutes * 60) / options.cycleSeconds));
  const windowMs = (options.baselineSeconds + cycles * options.cycleSeconds) * 1000;
  // A loaded 2-core machine can keep an RPC answer waiting for seconds: a fault call must not time out first.
  const control = new NetControl(net.manifest, net, { rpcTimeoutMs: 15_000 });
  const pidAtStart = new Map<string, number>();
  const baseline = new Map<string, { rss: number | null; fds: number | null }>();
  const healedAt: { cycle: number; what: string; from: number; to: number }[] = [];
  const end = new Map<string, { pid: number | null; rss: number | null; fds: number | null }>();
  let windowStart = 0;
  let timeline: Promise<void> = Promise.resolve();
  log(`load: ${rate} tx/s for ${options.warmupSeconds} s warm-up + ${options.baselineSeconds} s unperturbed + ${cycles} cycles of ${options.cycleSeconds} s (${options.perturbSeconds} s perturbed each)`);
  // Commit times come from polling the watched node's head (and the tx counts from its chain
  // afterwards), not from the load process's WebSocket: a subscriber on a loaded machine can
  // be dropped as a slow reader, and the figures must not depend on that.
  const heads: { at: number; height: number }[] = [];
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const h = await net.client(watch).status().then((st) => Number(st.sync_info.latest_block_height)).catch(() => null);
      if (h !== null && (heads.length === 0 || h > heads[heads.length - 1]!.height)) heads.push({ at: Date.now(), height: h });
      await sleep(250);
    }
  })();
  const result = await runLoadProcess(
    { dir: net.dir, rate, warmupMs: options.warmupSeconds * 1000, durationMs: windowMs, drainMs: 10_000, targets: [watch, a, b], watch },
    {
      onWindowStart: (at) => {
        windowStart = at;
        for (const n of names) {
          const pid = net.process(n).pid!;
          pidAtStart.set(n, pid);
          baseline.set(n, { rss: rssBytes(pid), fds: fdCount(pid) });
        }
        timeline = runTimeline();
      },
    },
  );
  await timeline;
  sampling = false;
  await sampler;

  async function runTimeline(): Promise<void> {
    const at = (ms: number): Promise<void> => sleep(Math.max(0, windowStart + ms - Date.now()));
    for (let c = 0; c < cycles; c++) {
      const cycleStart = (options.baselineSeconds + c * options.cycleSeconds) * 1000;
      await at(cycleStart);
      const kind = PERTURBATIONS[c % PERTURBATIONS.length]!;
      let what = "";
      try {
        switch (kind) {
          case "kill":
            what = `kill -9 ${victim}, restart`;
            await net.kill(victim, "SIGKILL");
            break;
          case "isolate":
            what = `isolate ${b}`;
            await control.isolate(b);
            break;
          case "delay":
            what = `delay ${a} 100-200 ms`;
            await control.delay(a, 100, 200);
            break;
          case "pause":
            what = `pause ${victim}`;
            await net.pause(victim);
            break;
          case "loss":
            what = `loss ${b} p=0.1`;
            await control.loss(b, 0.1);
            break;
        }
      } catch (err) {
        what += ` (failed: ${(err as Error).message})`;
      }
      log(`cycle ${c + 1}/${cycles}: ${what}`);
      await at(cycleStart + options.perturbSeconds * 1000);
      if (kind === "kill") await net.restart(victim).catch((err: Error) => log(`restart failed: ${err.message}`));
      if (kind === "pause") await net.resume(victim).catch((err: Error) => log(`resume failed: ${err.message}`));
      await control.heal();
      const healed = Date.now();
      healedAt.push({ cycle: c + 1, what, from: healed + options.settleSeconds * 1000, to: windowStart + cycleStart + options.cycleSeconds * 1000 });
      log(`cycle ${c + 1}/${cycles}: healed`);
    }
    // The end snapshot, under the same load as the baseline: just before the window closes.
    await at(windowMs - 2_000);
    for (const n of names) {
      const pid = net.process(n).pid ?? null;
      end.set(n, { pid, rss: pid === null ? null : rssBytes(pid), fds: pid === null ? null : fdCount(pid) });
    }
  }

  const blocks = await arrivals(net.client(watch), heads);
  log(`blocks: ${blocks.length} polled on ${watch}, ${result.blocks.length} seen by the load's subscription`);
  const unperturbed = throughput(blocks, windowStart, windowStart + options.baselineSeconds * 1000);
  const healed: HealedWindow[] = healedAt.map((h) => {
    // A restart that outlasted the cycle leaves no healed window: nothing to measure, not zero.
    if (h.to - h.from < 1_000) return { cycle: h.cycle, perturbation: `${h.what} (no healed window: the heal came ${Math.round((h.from - h.to) / 1000)} s after the cycle's end)`, committedTxPerSec: null, ratio: null, pass: null };
    const tps = throughput(blocks, h.from, h.to);
    const ratio = unperturbed === 0 ? null : Math.round((tps / unperturbed) * 1000) / 1000;
    return { cycle: h.cycle, perturbation: h.what, committedTxPerSec: tps, ratio, pass: ratio !== null && Math.abs(1 - ratio) <= THROUGHPUT_WITHIN };
  });
  const healedSeconds = healedAt.reduce((s, h) => s + Math.max(0, h.to - h.from), 0) / 1000;
  const healedTxs = healedAt.reduce((s, h) => s + blocks.filter((x) => x.at >= h.from && x.at < h.to).reduce((t, x) => t + x.txs, 0), 0);
  const healedMean = healedSeconds === 0 ? null : round1(healedTxs / healedSeconds);
  const healedMeanRatio = healedMean === null || unperturbed === 0 ? null : Math.round((healedMean / unperturbed) * 1000) / 1000;

  const nodes: NodeResources[] = names.map((n) => {
    const s = baseline.get(n);
    const e = end.get(n);
    const restarted = e?.pid !== pidAtStart.get(n);
    const mb = (x: number | null | undefined): number | null => (x === null || x === undefined ? null : round1(x / (1024 * 1024)));
    const rssGrowth = s?.rss == null || e?.rss == null ? null : Math.round(((e.rss - s.rss) / s.rss) * 1000) / 10;
    const fdGrowth = s?.fds == null || e?.fds == null ? null : e.fds - s.fds;
    return {
      name: n,
      restarted,
      rssMB: { afterWarmup: mb(s?.rss), end: mb(e?.rss), growthPct: rssGrowth },
      fds: { afterWarmup: s?.fds ?? null, end: e?.fds ?? null, growth: fdGrowth },
      rssPass: restarted ? null : rssGrowth !== null && rssGrowth < RSS_GROWTH * 100,
      fdPass: restarted ? null : fdGrowth !== null && fdGrowth <= FD_SLACK,
    };
  });
  // The mean over all healed windows is what is judged: one 50 s window holds a few hundred
  // blocks, and a window's own noise on a shared 2-core machine is several percent.
  const throughputPass = healedMeanRatio !== null && Math.abs(1 - healedMeanRatio) <= THROUGHPUT_WITHIN;
  const rssPass = nodes.every((n) => n.rssPass !== false);
  const fdPass = nodes.every((n) => n.fdPass !== false);
  return {
    validators: names.length,
    saturation: { txPerSec: saturation, stoppedBecause, steps },
    rate,
    minutes: (cycles * options.cycleSeconds) / 60,
    unperturbed: { seconds: options.baselineSeconds, committedTxPerSec: unperturbed },
    healed,
    healedMeanTxPerSec: healedMean,
    healedMeanRatio,
    load: { offeredTxPerSec: result.offeredTxPerSec, achievedTxPerSec: result.achievedTxPerSec, generatorLimited: result.generatorLimited, sentNotCommitted: result.sentInWindowNotCommitted, refused: result.refused },
    nodes,
    pass: { throughput: throughputPass, rss: rssPass, fds: fdPass, all: throughputPass && rssPass && fdPass },
    limits: { throughputWithinPct: THROUGHPUT_WITHIN * 100, rssGrowthPct: RSS_GROWTH * 100, fdGrowth: FD_SLACK },
    durationSeconds: Math.round((Date.now() - started) / 1000),
  };
}

/**
 * `triad init` has 60 s per node; on a 2-core machine shared with other networks four inits at
 * once can take longer. A failed init leaves a half-made directory, so each try gets a fresh one.
 */
async function prepareWithRetry(dir: string, options: LongRunOptions, log: (line: string) => void): Promise<PreparedTestnet> {
  for (let attempt = 1; ; attempt++) {
    const at = join(dir, `net-${attempt}`);
    try {
      return await prepareTestnet({ dir: at, selection: "poa", validators: 4, accounts: options.accounts, consensus: { tickMs: options.tickMs }, metricsBasePort: null });
    } catch (err) {
      if (attempt >= 3 || !(err instanceof TestnetError) || err.code !== "NODE_FAILED") throw err;
      log(`preparing the testnet failed (${err.message.split("\n")[0]}); trying again`);
      rmSync(at, { recursive: true, force: true });
    }
  }
}

/** Each height's tx count from the chain, at the first poll that saw the head at or past it. */
async function arrivals(client: TriadClient, heads: readonly { at: number; height: number }[]): Promise<BlockArrival[]> {
  if (heads.length === 0) return [];
  const out: BlockArrival[] = [];
  let i = 0;
  const from = heads[0]!.height + 1;
  const to = heads[heads.length - 1]!.height;
  for (let h = from; h <= to; ) {
    const r = await client.blocks(h, Math.min(to, h + 99));
    if (r.blocks.length === 0) break;
    for (const b of r.blocks) {
      while (i < heads.length - 1 && heads[i]!.height < b.height) i++;
      out.push({ height: b.height, at: heads[i]!.at, txs: b.tx_ids.length });
    }
    h = r.blocks[r.blocks.length - 1]!.height + 1;
  }
  return out;
}

/** Wait (bounded) until no mempool holds txs, so one run's leftovers never load the next. */
async function drain(net: Testnet, names: readonly string[]): Promise<void> {
  await waitFor(
    "empty mempools",
    async () => (await Promise.all(names.map(async (n) => Number((await net.client(n).numUnconfirmedTxs()).total)))).every((x) => x === 0),
    { timeoutMs: 30_000, intervalMs: 250 },
  ).catch(() => undefined);
}
