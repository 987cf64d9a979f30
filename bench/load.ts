// The load side of `npm run bench:node`, run as its own process so that signing and submitting
// never share a CPU queue with the supervisor: signed transfers from every funded account of a
// testnet, in parallel, nonces tracked locally (LoadGenerator), to the validators' RPC. Commits
// are observed on a WebSocket NewBlock subscription; submit-to-commit latency is measured per
// tx from just before its broadcast call to the arrival of the block holding it.
//   node --import tsx bench/load.ts --dir DIR [--rate 400] [--duration 20] [--warmup 3] [--drain 10]
// Prints one JSON object on stdout.
import { parseArgs } from "node:util";
import { sha256, toHex } from "../src/chain/index.js";
import { readKeyFile } from "../src/node/key-file.js";
import { TriadClient, type ResultEvent } from "../src/rpc/client.js";
import { LoadGenerator, readManifest } from "../src/testnet/index.js";

const { values } = parseArgs({
  options: {
    dir: { type: "string" },
    rate: { type: "string", default: "400" },
    duration: { type: "string", default: "20" },
    warmup: { type: "string", default: "3" },
    drain: { type: "string", default: "10" },
    window: { type: "string", default: "32" },
  },
});
if (values.dir === undefined) throw new Error("--dir is required");
const rate = Number(values.rate);
const durationMs = Number(values.duration) * 1000;
const warmupMs = Number(values.warmup) * 1000;
const drainMs = Number(values.drain) * 1000;

const manifest = await readManifest(values.dir);
const validators = manifest.nodes.filter((n) => n.role === "validator");
const pairs = await Promise.all(manifest.accounts.map(async (a) => (await readKeyFile(a.key)).pair));

/** First submission time of every tx sent, by id. */
const sentAt = new Map<string, number>();
/** Commit time of txs seen in a block before their broadcast call returned. */
const earlyCommits = new Map<string, number>();
const latencies: number[] = [];
let measureFrom = Number.POSITIVE_INFINITY;
let measureTo = Number.POSITIVE_INFINITY;
let committedInWindow = 0;
let committedTotal = 0;

function recordCommit(id: string, at: number): void {
  committedTotal++;
  if (at >= measureFrom && at < measureTo) committedInWindow++;
  const sent = sentAt.get(id);
  if (sent === undefined) {
    earlyCommits.set(id, at);
    return;
  }
  sentAt.delete(id);
  if (sent >= measureFrom && sent < measureTo) latencies.push(at - sent);
}

const watcher = new TriadClient({ url: validators[0]!.rpc });
const subscription = await watcher.subscribe("tm.event='NewBlock'", (event: ResultEvent) => {
  if (event.data.type !== "tendermint/event/NewBlock") return;
  const at = performance.now();
  for (const b64 of event.data.value.block.data.txs) recordCommit(toHex(sha256(Buffer.from(b64, "base64"))), at);
});

const load = new LoadGenerator({
  chainId: manifest.chainId,
  accounts: pairs,
  targets: validators.map((n) => new TriadClient({ url: n.rpc, timeoutMs: 10_000 })),
  rate,
  windowPerAccount: Number(values.window),
  maxConcurrent: 64,
  now: () => performance.now(),
  onAccepted: (tx, at) => {
    const early = earlyCommits.get(tx.id);
    if (early !== undefined) {
      earlyCommits.delete(tx.id);
      if (at >= measureFrom && at < measureTo) latencies.push(early - at);
      return;
    }
    sentAt.set(tx.id, at);
  },
});

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const started = performance.now();
measureFrom = started + warmupMs;
measureTo = measureFrom + durationMs;
load.start();
await sleep(warmupMs + durationMs);
await load.stop();
// Let the txs sent inside the window commit, so their latencies count; bounded.
const drainUntil = performance.now() + drainMs;
while (performance.now() < drainUntil && [...sentAt.values()].some((t) => t >= measureFrom && t < measureTo)) await sleep(100);
await subscription.close().catch(() => undefined);
await watcher.close();

const sorted = [...latencies].sort((a, b) => a - b);
const pct = (p: number): number | null => (sorted.length === 0 ? null : Math.round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! * 10) / 10);
const stats = load.stats;
const uncommitted = [...sentAt.values()].filter((t) => t >= measureFrom && t < measureTo).length;
process.stdout.write(
  `${JSON.stringify({
    targetTxPerSec: rate,
    accounts: pairs.length,
    measuredSeconds: durationMs / 1000,
    warmupSeconds: warmupMs / 1000,
    sent: stats.sent,
    accepted: stats.accepted,
    resent: stats.resent,
    refused: stats.refused,
    failed: stats.failed,
    refusals: stats.refusals,
    committedTotal,
    committedInWindow,
    committedTxPerSec: Math.round((committedInWindow / (durationMs / 1000)) * 10) / 10,
    latencyMs: { samples: sorted.length, p50: pct(50), p90: pct(90), p99: pct(99), max: sorted.length === 0 ? null : Math.round(sorted[sorted.length - 1]! * 10) / 10 },
    sentInWindowNotCommitted: uncommitted,
  })}\n`,
);
