// The load process of the node benchmark (its own OS process, so signing, sending and
// watching never share a CPU queue with the supervisor or the nodes' bookkeeping). It reads
// the testnet's manifest and account keys, reads each account's nonce, pre-signs every tx of
// the run, subscribes to NewBlock on one validator, then offers `rate` tx/s open-loop for
// warmup + duration and waits (bounded) for the window's txs to commit.
//
// Protocol with the supervisor (./load-runner.ts): one JSON object per stdout line, with an
// `event` of "window-start", "window-end" (epoch ms in `at`) and finally "result" (LoadResult).
import { readKeyFile } from "../../node/key-file.js";
import { TriadClient, type ResultEvent } from "../../rpc/client.js";
import { readManifest } from "../manifest.js";
import { KeepAlivePoster } from "./http-post.js";
import { OpenLoopSender } from "./open-loop.js";
import { presign } from "./presign.js";
import { round1, summarize, type LatencySummary } from "./stats.js";

export interface LoadSpec {
  readonly dir: string;
  readonly rate: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  /** Longest wait after the window for its txs to commit. */
  readonly drainMs: number;
  /** Node names to send to (round-robin). */
  readonly targets: readonly string[];
  /** Node whose NewBlock events mark commits. */
  readonly watch: string;
  readonly tickMs?: number;
  readonly maxBatch?: number;
}

export interface BlockArrival {
  readonly height: number;
  /** Epoch ms at which its NewBlock event arrived here. */
  readonly at: number;
  readonly txs: number;
}

export interface LoadResult {
  readonly offeredTxPerSec: number;
  readonly achievedTxPerSec: number;
  readonly accounts: number;
  readonly warmupSeconds: number;
  readonly measuredSeconds: number;
  readonly presignSeconds: number;
  readonly submittedInWindow: number;
  readonly committedInWindow: number;
  readonly committedTxPerSec: number;
  readonly latencyMs: LatencySummary;
  readonly sentInWindowNotCommitted: number;
  readonly scheduleLagMs: LatencySummary;
  /** CPU seconds of this process during the window, and that per wall second (1.0 = one core). */
  readonly generatorCpuSeconds: number;
  readonly generatorCpuShare: number;
  readonly generatorLimited: boolean;
  readonly generatorLimitedWhy: string | null;
  readonly requests: Record<string, number>;
  readonly accepted: number;
  readonly refused: number;
  readonly refusals: Record<string, number>;
  readonly windowStart: number;
  readonly windowEnd: number;
  readonly blocks: readonly BlockArrival[];
}

/** Share of the offered rate the generator must reach not to be called the limit. */
const ACHIEVED_MIN_SHARE = 0.95;
/** CPU share (of one core) above which the generator counts as saturated. */
const CPU_SATURATED = 0.9;
const MAX_BLOCK_RECORDS = 100_000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const emit = (event: string, data: Record<string, unknown> = {}): boolean => process.stdout.write(`${JSON.stringify({ event, ...data })}\n`);

async function readNonces(rpc: string, ids: readonly string[]): Promise<number[]> {
  const poster = new KeepAlivePoster(rpc, 30_000, 4);
  try {
    const out: number[] = [];
    for (let i = 0; i < ids.length; i += 100) {
      const r = await poster.batch<{ nonce: number }>("triad_account", ids.slice(i, i + 100).map((id) => ({ id })));
      out.push(...r.map((a) => a.nonce));
    }
    return out;
  } finally {
    poster.close();
  }
}

export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const manifest = await readManifest(spec.dir);
  const rpcOf = (name: string): string => {
    const node = manifest.nodes.find((n) => n.name === name);
    if (node === undefined) throw new Error(`no node ${name} in ${spec.dir}`);
    return node.rpc;
  };
  const pairs = await Promise.all(manifest.accounts.map(async (a) => (await readKeyFile(a.key)).pair));
  if (pairs.length === 0) throw new Error("the testnet has no funded accounts with key files");
  const nonces = await readNonces(rpcOf(spec.watch), manifest.accounts.map((a) => a.id));
  const count = Math.ceil((spec.rate * (spec.warmupMs + spec.durationMs)) / 1000);
  const signStarted = performance.now();
  const txs = presign({ chainId: manifest.chainId, accounts: pairs, nonces, count });
  const presignSeconds = (performance.now() - signStarted) / 1000;

  const index = new Map<string, number>();
  for (let k = 0; k < count; k++) index.set(txs.base64[k]!, k);
  const submittedAt = new Float64Array(count);
  const committedAt = new Float64Array(count);
  let windowFrom = Number.POSITIVE_INFINITY;
  let windowTo = Number.POSITIVE_INFINITY;
  let committedInWindow = 0;
  const blocks: BlockArrival[] = [];

  const watcher = new TriadClient({ url: rpcOf(spec.watch) });
  const subscription = await watcher.subscribe("tm.event='NewBlock'", (event: ResultEvent) => {
    if (event.data.type !== "tendermint/event/NewBlock") return;
    const at = performance.now();
    const block = event.data.value.block;
    if (blocks.length < MAX_BLOCK_RECORDS) blocks.push({ height: Number(block.header.height), at: Date.now(), txs: block.data.txs.length });
    for (const b64 of block.data.txs) {
      const k = index.get(b64);
      if (k === undefined || committedAt[k] !== 0) continue;
      committedAt[k] = at;
      if (at >= windowFrom && at < windowTo) committedInWindow++;
    }
  });

  const sender = new OpenLoopSender({
    targets: spec.targets.map(rpcOf),
    txs: txs.base64,
    rate: spec.rate,
    tickMs: spec.tickMs ?? 10,
    maxBatch: spec.maxBatch ?? 100,
    onSubmit: (k, at) => (submittedAt[k] = at),
  });
  const started = performance.now();
  windowFrom = started + spec.warmupMs;
  windowTo = windowFrom + spec.durationMs;
  const running = sender.run();
  await sleep(spec.warmupMs);
  const cpuFrom = process.cpuUsage();
  const windowStart = Date.now();
  emit("window-start", { at: windowStart });
  await Promise.race([running, sleep(Math.max(0, windowTo - performance.now()))]);
  await sleep(Math.max(0, windowTo - performance.now()));
  const cpu = process.cpuUsage(cpuFrom);
  const windowEnd = Date.now();
  emit("window-end", { at: windowEnd });
  const wallSeconds = (performance.now() - windowFrom) / 1000;

  // In the window: submitted from windowFrom to windowTo.
  const inWindow: number[] = [];
  for (let k = 0; k < count; k++) if (submittedAt[k]! >= windowFrom && submittedAt[k]! < windowTo) inWindow.push(k);
  const drainUntil = performance.now() + spec.drainMs;
  while (performance.now() < drainUntil && inWindow.some((k) => committedAt[k] === 0)) await sleep(50);
  await sender.stop();
  await subscription.close().catch(() => undefined);
  await watcher.close();

  const latencies: number[] = [];
  const lags: number[] = [];
  for (const k of inWindow) {
    lags.push(sender.lag[k]!);
    if (committedAt[k] !== 0) latencies.push(committedAt[k]! - submittedAt[k]!);
  }
  const seconds = spec.durationMs / 1000;
  const achieved = inWindow.length / seconds;
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const cpuShare = cpuSeconds / wallSeconds;
  const why: string[] = [];
  if (achieved < ACHIEVED_MIN_SHARE * spec.rate) why.push(`sent ${round1(achieved)} of ${spec.rate} tx/s offered`);
  if (cpuShare > CPU_SATURATED) why.push(`generator CPU at ${Math.round(cpuShare * 100)}% of a core`);
  const { refusals, accepted, refused, ...requests } = sender.counts;
  return {
    offeredTxPerSec: spec.rate,
    achievedTxPerSec: round1(achieved),
    accounts: pairs.length,
    warmupSeconds: spec.warmupMs / 1000,
    measuredSeconds: seconds,
    presignSeconds: round1(presignSeconds),
    submittedInWindow: inWindow.length,
    committedInWindow,
    committedTxPerSec: round1(committedInWindow / seconds),
    latencyMs: summarize(latencies),
    sentInWindowNotCommitted: inWindow.length - latencies.length,
    scheduleLagMs: summarize(lags),
    generatorCpuSeconds: Math.round(cpuSeconds * 1000) / 1000,
    generatorCpuShare: Math.round(cpuShare * 100) / 100,
    generatorLimited: why.length > 0,
    generatorLimitedWhy: why.length > 0 ? why.join("; ") : null,
    requests: { ...requests },
    accepted,
    refused,
    refusals: { ...refusals },
    windowStart,
    windowEnd,
    blocks,
  };
}

/** Entry when this file is the process's main module (see ./load-runner.ts). */
export async function loadMain(specJson: string): Promise<void> {
  const result = await runLoad(JSON.parse(specJson) as LoadSpec);
  emit("result", { result });
}
