// The benchmark's result: one JSON object (stdout) and a short table for people (stderr),
// with each figure next to the target for it where there is one.
import type { NetworkReport, RunReport } from "./network-run.js";
import type { VerifyLimit } from "./verify-limit.js";

export interface SizeSummary {
  readonly validators: number;
  readonly limitTxPerSec: number;
  /** From the search; null without one. */
  readonly saturationTxPerSec: number | null;
  /** The best committed rate of any all-up run (the search's included). */
  readonly bestCommittedTxPerSec: number | null;
  /** bestCommittedTxPerSec / limitTxPerSec. */
  readonly committedToLimit: number | null;
  readonly idleP50Ms: number | null;
  readonly idleP99Ms: number | null;
  readonly halfSaturationP99Ms: number | null;
  /** Highest over nodes, over the search steps and the half-saturation run. */
  readonly cpuSecPer1kTxMax: number | null;
  readonly peakRssMBMax: number | null;
  readonly p2pBytesPerTxMax: number | null;
  readonly observerBlocksPerSec: number | null;
  readonly oneDownThroughputRatio: number | null;
  readonly oneDownStalls: number | null;
}

const maxOf = (xs: readonly (number | null | undefined)[]): number | null => {
  const v = xs.filter((x): x is number => typeof x === "number");
  return v.length === 0 ? null : Math.max(...v);
};

/** The runs with every validator up (the kill run's all-up half included). */
function loadRuns(n: NetworkReport): RunReport[] {
  return [...n.runs, ...(n.search?.steps ?? []), ...(n.halfSaturation === null ? [] : [n.halfSaturation]), ...(n.killPrimary === null ? [] : [n.killPrimary.allUp])];
}

/** The run with the highest committed rate: the node costs at saturation. */
function busiest(n: NetworkReport): RunReport | null {
  return loadRuns(n).reduce<RunReport | null>((best, r) => (best === null || r.committedTxPerSec > best.committedTxPerSec ? r : best), null);
}

export function summarizeSize(n: NetworkReport, verify: VerifyLimit): SizeSummary {
  const limit = Math.round(verify.total / n.validators);
  const best = maxOf(loadRuns(n).map((r) => r.committedTxPerSec));
  const top = busiest(n);
  return {
    validators: n.validators,
    limitTxPerSec: limit,
    saturationTxPerSec: n.search?.saturationTxPerSec ?? null,
    bestCommittedTxPerSec: best,
    committedToLimit: best === null || limit === 0 ? null : Math.round((best / limit) * 1000) / 1000,
    idleP50Ms: n.idle.p50,
    idleP99Ms: n.idle.p99,
    halfSaturationP99Ms: n.halfSaturation?.latencyMs.p99 ?? null,
    cpuSecPer1kTxMax: maxOf(top?.nodes.map((x) => x.cpuSecPer1kTx) ?? []),
    peakRssMBMax: maxOf(loadRuns(n).flatMap((r) => r.nodes.map((x) => x.peakRssMB))),
    p2pBytesPerTxMax: maxOf(top?.nodes.map((x) => x.p2pBytesSentPerTx) ?? []),
    observerBlocksPerSec: n.observer?.blocksPerSec ?? null,
    oneDownThroughputRatio: n.killPrimary?.throughputRatio ?? null,
    oneDownStalls: n.killPrimary?.gaps.stallsAfterFirstViewChange ?? null,
  };
}

const cell = (x: unknown, width: number): string => String(x ?? "-").padStart(width);

function runTable(n: NetworkReport): string[] {
  const head = `  ${"run".padEnd(22)}${cell("offered", 9)}${cell("sent", 9)}${cell("commit", 9)}${cell("p50ms", 8)}${cell("p99ms", 8)}${cell("cpu s/1k", 9)}${cell("rssMB", 7)}${cell("p2pB/tx", 9)}${cell("blk/s", 7)}${cell("tx/blk", 8)}  gen`;
  const rows = [...loadRuns(n), ...(n.killPrimary === null ? [] : [n.killPrimary.oneDown])].map(
    (r) =>
      `  ${r.label.padEnd(22)}${cell(r.offeredTxPerSec, 9)}${cell(r.achievedTxPerSec, 9)}${cell(r.committedTxPerSec, 9)}${cell(r.latencyMs.p50, 8)}${cell(r.latencyMs.p99, 8)}` +
      `${cell(maxOf(r.nodes.map((x) => x.cpuSecPer1kTx)), 9)}${cell(maxOf(r.nodes.map((x) => x.peakRssMB)), 7)}${cell(maxOf(r.nodes.map((x) => x.p2pBytesSentPerTx)), 9)}${cell(r.chain.blocksPerSec, 7)}${cell(r.chain.meanTxsPerBlock, 8)}  ${r.generatorLimited ? "LIMITED" : "ok"}`,
  );
  return [head, ...rows];
}

const mark = (ok: boolean | null): string => (ok === null ? "  " : ok ? "ok" : "NO");

export function humanReport(verify: VerifyLimit, networks: readonly NetworkReport[], sizes: readonly SizeSummary[]): string {
  const lines: string[] = [];
  lines.push(`verification: ${verify.perCore.join(" + ")} verifies/s on ${verify.cores} cores = ${verify.total}/s`);
  for (const [i, n] of networks.entries()) {
    const s = sizes[i]!;
    lines.push(`${n.validators} validators (tick ${n.tickMs} ms, ${n.accounts} accounts):`);
    lines.push(...runTable(n));
    const ratio = s.committedToLimit;
    lines.push(`  [${mark(ratio === null ? null : ratio >= 0.5)}] best committed/limit ${s.bestCommittedTxPerSec ?? "-"}/${s.limitTxPerSec} = ${ratio ?? "-"} (target >= 0.5)${s.saturationTxPerSec === null ? "; no search: the rates given may not have saturated the network" : ""}`);
    lines.push(`  [${mark(s.idleP50Ms === null ? null : s.idleP50Ms <= 15 && (s.idleP99Ms ?? Infinity) <= 50)}] idle p50 ${s.idleP50Ms ?? "-"} ms, p99 ${s.idleP99Ms ?? "-"} ms (target 15 / 50)`);
    lines.push(`  [${mark(s.halfSaturationP99Ms === null ? null : s.halfSaturationP99Ms <= 250)}] p99 at half saturation ${s.halfSaturationP99Ms ?? "-"} ms (target <= 250)`);
    lines.push(`  [${mark(s.cpuSecPer1kTxMax === null ? null : s.cpuSecPer1kTxMax <= 0.5)}] CPU per 1k committed txs per node ${s.cpuSecPer1kTxMax ?? "-"} s at the busiest run (target <= 0.5)`);
    lines.push(`  [${mark(s.peakRssMBMax === null ? null : s.peakRssMBMax <= 200)}] peak RSS per node ${s.peakRssMBMax ?? "-"} MB (target <= 200)`);
    if (n.observer !== null) lines.push(`  [${mark(n.observer.blocksPerSec >= 2000)}] observer sync ${n.observer.blocksPerSec} blocks/s over ${n.observer.targetHeight} blocks (target >= 2000)`);
    if (n.killPrimary !== null) {
      const k = n.killPrimary;
      lines.push(`  [${mark(k.throughputRatio === null ? null : k.throughputRatio >= 0.8 && k.gaps.stallsAfterFirstViewChange === 0)}] one down (${k.killed}): ${k.throughputRatio ?? "-"} of all-up throughput, ${k.gaps.stallsAfterFirstViewChange} stalls after the first view change, longest gap ${k.gaps.longestGapAfterKillMs ?? "-"} ms (target >= 0.8, no recurring stall)`);
    }
  }
  if (sizes.length > 1) {
    lines.push("scaling:");
    lines.push(`  ${cell("n", 3)}${cell("limit", 8)}${cell("best", 8)}${cell("ratio", 7)}${cell("idle50", 8)}${cell("half99", 8)}${cell("cpu/1k", 8)}${cell("rssMB", 7)}${cell("p2pB/tx", 9)}`);
    for (const s of sizes) {
      lines.push(`  ${cell(s.validators, 3)}${cell(s.limitTxPerSec, 8)}${cell(s.bestCommittedTxPerSec, 8)}${cell(s.committedToLimit, 7)}${cell(s.idleP50Ms, 8)}${cell(s.halfSaturationP99Ms, 8)}${cell(s.cpuSecPer1kTxMax, 8)}${cell(s.peakRssMBMax, 7)}${cell(s.p2pBytesPerTxMax, 9)}`);
    }
  }
  return `${lines.join("\n")}\n`;
}
