// One network size of the benchmark, start to finish: a fresh PoA testnet of real processes,
// the idle latency probe, fixed-rate runs, the saturation search, a run at half the
// saturation rate, then (if asked) an observer's sync and a run with a validator killed.
// Every load run is its own load process (./load-runner.ts); node costs are read from /proc
// and `ss` at the moments its window opens and closes.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readKeyFile } from "../../node/key-file.js";
import { TriadClient } from "../../rpc/client.js";
import { portOf } from "../manifest.js";
import { headHeight, waitFor, waitForHeight } from "../scenario.js";
import { prepareTestnet } from "../setup.js";
import { withGuardedNetwork } from "./net-guard.js";
import { Testnet } from "../testnet.js";
import type { BlockArrival, LoadResult } from "./load-process.js";
import { runLoadProcess } from "./load-runner.js";
import { probeIdleLatency, type ProbeReport } from "./latency-probe.js";
import { nodeCosts, snapshotNodes, type NodeCost, type NodeSnapshot, type WatchedNode } from "./node-costs.js";
import { measureObserverSync, type ObserverSyncReport } from "./observer-sync.js";
import { FALLBACK_KILL_RATE, type BenchOptions } from "./options.js";
import { PRESIGN_SAFE_ACCOUNTS } from "./presign.js";
import { decideStep, saturationRate, type SearchOptions, type StepDecision } from "./saturation.js";
import { analyzeGaps, medianGap, type GapReport } from "./stalls.js";
import { round1 } from "./stats.js";

/** Blocks whose NewBlock event arrived inside the measured window: how the load was cut into heights. */
export interface WindowChain {
  readonly blocks: number;
  readonly blocksPerSec: number;
  readonly meanTxsPerBlock: number;
  readonly maxTxsPerBlock: number;
}

export type RunReport = Omit<LoadResult, "blocks"> & { readonly label: string; readonly chain: WindowChain; readonly nodes: readonly NodeCost[] };

export function windowChain(blocks: readonly BlockArrival[], from: number, to: number): WindowChain {
  const inside = blocks.filter((b) => b.at >= from && b.at < to);
  const txs = inside.reduce((sum, b) => sum + b.txs, 0);
  const seconds = Math.max(0.001, (to - from) / 1000);
  return {
    blocks: inside.length,
    blocksPerSec: Math.round((inside.length / seconds) * 10) / 10,
    meanTxsPerBlock: inside.length === 0 ? 0 : Math.round((txs / inside.length) * 10) / 10,
    maxTxsPerBlock: inside.reduce((max, b) => Math.max(max, b.txs), 0),
  };
}

export interface KillReport {
  readonly rate: number;
  readonly killed: string;
  readonly killedWasPrimary: boolean;
  readonly killAfterSeconds: number;
  readonly allUp: RunReport;
  readonly oneDown: RunReport;
  /** committed tx/s with one down / committed tx/s all up. */
  readonly throughputRatio: number | null;
  readonly gaps: GapReport;
}

export interface NetworkReport {
  readonly validators: number;
  readonly tickMs: number;
  readonly accounts: number;
  readonly dir: string | null;
  readonly idle: ProbeReport;
  readonly runs: readonly RunReport[];
  readonly search: { readonly steps: readonly RunReport[]; readonly stoppedBecause: string; readonly saturationTxPerSec: number; readonly bracketed: boolean } | null;
  readonly halfSaturation: RunReport | null;
  readonly observer: ObserverSyncReport | null;
  readonly killPrimary: KillReport | null;
}

const MEMPOOL_DRAIN_MS = 30_000;

export async function runNetwork(options: BenchOptions, validators: number, log: (line: string) => void): Promise<NetworkReport> {
  const dir = mkdtempSync(join(options.dir ?? tmpdir(), `triad-bench-${validators}v-`));
  return withGuardedNetwork(dir, options.keep, log, async (attach) => {
    const prepared = await prepareTestnet({ dir, selection: "poa", validators, observers: options.observers, accounts: options.accounts, consensus: { tickMs: options.tickMs }, metricsBasePort: null });
    const net = attach(new Testnet(prepared, { startArgs: ["--log-level", "warn"], stopGraceMs: 10_000 }));
    const names = net.nodes.filter((n) => n.role === "validator").map((n) => n.name);
    log(`${validators} validators: starting in ${dir}`);
    await net.start(names);
    return await measure(options, net, names, log, dir);
  });
}

async function measure(options: BenchOptions, net: Testnet, names: readonly string[], log: (line: string) => void, dir: string): Promise<NetworkReport> {
  const clients = names.map((n) => net.client(n));
  const watch = names[0]!;
  await waitForHeight(clients, 2, { timeoutMs: 60_000 });
  const p2pPorts = new Set(net.nodes.map((n) => portOf(n.p2p)));
  const accounts = net.manifest.accounts;
  if (accounts.length < PRESIGN_SAFE_ACCOUNTS) log(`warning: only ${accounts.length} accounts: per-sender mempool limits may cap high rates`);

  /** One load run at `rate`, with node costs over its window. */
  const loadRun = async (label: string, rate: number, durationMs: number, onWindowStart?: (at: number) => void): Promise<{ report: RunReport; blocks: readonly BlockArrival[] }> => {
    const up = names.filter((n) => net.isRunning(n));
    await drainMempools(up.map((n) => net.client(n)));
    const watched: WatchedNode[] = up.map((n) => ({ name: n, pid: net.process(n).pid! }));
    let before: NodeSnapshot | null = null;
    let after: NodeSnapshot | null = null;
    log(`${label}: offering ${rate} tx/s for ${options.warmup}+${durationMs / 1000} s`);
    const result = await runLoadProcess(
      { dir: net.dir, rate, warmupMs: options.warmup * 1000, durationMs, drainMs: Math.max(5_000, options.p99BoundMs * 2), targets: up, watch },
      {
        onWindowStart: async (at) => {
          onWindowStart?.(at);
          before = await snapshotNodes(watched);
        },
        onWindowEnd: async () => {
          after = await snapshotNodes(watched);
        },
      },
    );
    const { blocks, ...rest } = result;
    const nodes = before !== null && after !== null ? nodeCosts(watched, before, after, result.committedInWindow, p2pPorts) : [];
    const l = result.latencyMs;
    log(`${label}: committed ${result.committedTxPerSec} tx/s (sent ${result.achievedTxPerSec}), p50 ${l.p50} ms, p99 ${l.p99} ms${result.generatorLimited ? `; GENERATOR-LIMITED: ${result.generatorLimitedWhy}` : ""}`);
    return { report: { label, ...rest, chain: windowChain(blocks, result.windowStart, result.windowEnd), nodes }, blocks };
  };

  log(`idle latency probe: ${options.probeSamples} txs one at a time`);
  const last = accounts[accounts.length - 1]!;
  const idle = await probeIdleLatency({
    watch: net.client(watch),
    targets: clients,
    account: (await readKeyFile(last.key)).pair,
    chainId: net.manifest.chainId,
    samples: options.probeSamples,
    timeoutMs: 10_000,
  });
  log(`idle: p50 ${idle.p50} ms, p99 ${idle.p99} ms (${idle.samples} samples, ${idle.timeouts} timeouts)`);

  const runs: RunReport[] = [];
  for (const rate of options.rates) runs.push((await loadRun(`fixed ${rate}`, rate, options.duration * 1000)).report);

  let search: NetworkReport["search"] = null;
  let halfSaturation: RunReport | null = null;
  if (options.search) {
    const searchOptions: SearchOptions = { startRate: options.searchStart, step: options.searchStep, followRatio: 0.9, p99BoundMs: options.p99BoundMs, maxSteps: options.searchMaxSteps };
    const steps: RunReport[] = [];
    let rate = options.searchStart;
    let decision: StepDecision;
    for (;;) {
      const step = (await loadRun(`search ${steps.length + 1}`, rate, options.searchWindow * 1000)).report;
      steps.push(step);
      decision = decideStep({ offered: rate, committed: step.committedTxPerSec, p99Ms: step.latencyMs.p99, generatorLimited: step.generatorLimited }, steps.length - 1, searchOptions);
      if (decision.stop) break;
      rate = decision.nextRate;
    }
    const saturation = saturationRate(steps.map((s) => ({ offered: s.offeredTxPerSec, committed: s.committedTxPerSec, p99Ms: s.latencyMs.p99, generatorLimited: s.generatorLimited })));
    // Stopped at the first step: the start rate was already past saturation, so the figure is
    // what an overloaded network commits, not a bracketed maximum.
    const bracketed = steps.length > 1 || decision.reason === "max-steps";
    search = { steps, stoppedBecause: decision.reason, saturationTxPerSec: saturation, bracketed };
    log(`saturation: ${saturation} tx/s committed (search stopped: ${decision.reason})${bracketed ? "" : `; the first step was already past it: try --search-start ${Math.max(1, Math.round(saturation / 2))}`}`);
    const half = Math.max(1, Math.round(saturation / 2));
    halfSaturation = (await loadRun(`half saturation ${half}`, half, options.duration * 1000)).report;
  }

  let observer: ObserverSyncReport | null = null;
  const observerName = net.nodes.find((n) => n.role === "observer")?.name;
  if (observerName !== undefined) {
    const grow = async (height: number, untilMs: number): Promise<void> => {
      // A light load keeps blocks coming back to back; it is stopped as soon as the height is there.
      const stop = new AbortController();
      const rate = Math.max(20, Math.round((search?.saturationTxPerSec ?? 40) / 4));
      const load = runLoadProcess({ dir: net.dir, rate, warmupMs: 0, durationMs: Math.max(1_000, untilMs - Date.now()), drainMs: 0, targets: names, watch }, { signal: stop.signal }).catch(() => undefined);
      await waitFor(`height ${height}`, async () => (await headHeight(net.client(watch))) >= height, { timeoutMs: Math.max(0, untilMs - Date.now()), intervalMs: 1_000 }).catch(() => undefined);
      stop.abort();
      await load;
    };
    observer = await measureObserverSync(net, observerName, net.client(watch), { minBlocks: options.syncBlocks, growWaitMs: options.syncWait * 1000, syncTimeoutMs: 300_000, log, grow });
    log(`observer: ${observer.blocksPerSec} blocks/s to height ${observer.heightReached} of ${observer.targetHeight}`);
  }

  let killPrimary: KillReport | null = null;
  if (options.killPrimary) {
    const rate = options.killRate ?? (halfSaturation?.offeredTxPerSec ?? options.rates[0] ?? FALLBACK_KILL_RATE);
    const allUp = await loadRun(`all up ${rate}`, rate, options.duration * 1000);
    let killed = "";
    let killedWasPrimary = false;
    let killAt = 0;
    const killAfterMs = (options.duration * 1000) / 3;
    const oneDown = await loadRun(`one down ${rate}`, rate, options.duration * 1000, () => {
      setTimeout(() => {
        void (async () => {
          const primaryId = (await net.client(watch).consensusState().catch(() => null))?.triad.primary;
          const primary = primaryId === undefined ? undefined : net.nodeById(primaryId)?.name;
          killedWasPrimary = primary !== undefined && primary !== watch;
          // The watched node marks commits, so it stays; the next in turn is primary right after.
          killed = killedWasPrimary ? primary! : names[(names.indexOf(primary ?? watch) + 1) % names.length]!;
          if (killed === watch) killed = names[1]!;
          killAt = Date.now();
          log(`killing ${killed} (-9)${killedWasPrimary ? ", the primary" : ""}`);
          await net.kill(killed, "SIGKILL");
        })();
      }, killAfterMs);
    });
    const gaps = analyzeGaps(
      // Up to the window's end: after it the load stops and gaps grow for that reason alone.
      oneDown.blocks.filter((b) => b.at <= oneDown.report.windowEnd).map((b) => b.at),
      killAt,
      medianGap(allUp.blocks.filter((b) => b.at >= allUp.report.windowStart && b.at <= allUp.report.windowEnd).map((b) => b.at)),
    );
    const ratio = allUp.report.committedTxPerSec === 0 ? null : Math.round((oneDown.report.committedTxPerSec / allUp.report.committedTxPerSec) * 100) / 100;
    killPrimary = { rate, killed, killedWasPrimary, killAfterSeconds: round1(killAfterMs / 1000), allUp: allUp.report, oneDown: oneDown.report, throughputRatio: ratio, gaps };
    log(`one down: ${ratio === null ? "?" : Math.round(ratio * 100)}% of the all-up throughput; ${gaps.stallsAfterFirstViewChange} stalls after the first view change, longest gap ${gaps.longestGapAfterKillMs} ms`);
  }

  return { validators: names.length, tickMs: options.tickMs, accounts: accounts.length, dir: options.keep ? dir : null, idle, runs, search, halfSaturation, observer, killPrimary };
}

/** Wait (bounded) until no mempool holds txs, so one run's leftovers never load the next. */
async function drainMempools(clients: readonly TriadClient[]): Promise<void> {
  await waitFor(
    "empty mempools",
    async () => (await Promise.all(clients.map(async (c) => Number((await c.numUnconfirmedTxs()).total)))).every((n) => n === 0),
    { timeoutMs: MEMPOOL_DRAIN_MS, intervalMs: 250 },
  ).catch(() => undefined);
}
