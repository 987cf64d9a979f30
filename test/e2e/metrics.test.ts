// The Prometheus endpoint of a real `triad start` process (the first of four validators): the text
// parses strictly, the height rises between two scrapes, libp2p's and Node's process metrics
// are in the same registry, and only /metrics is served.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { parsePrometheusText, sampleValue } from "../unit/metrics/prom-text.js";
import { isProcessAlive, prepareTestnet, Testnet } from "../../src/testnet/index.js";
import { FAST_CONSENSUS, pollFor } from "./node-helpers.js";

let dir: string;
let net: Testnet;
let url: string;

async function scrape(): Promise<ReturnType<typeof parsePrometheusText>> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  return parsePrometheusText(await res.text());
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "triad-e2e-metrics-"));
  // The library starts the four processes at once (ports chosen up front), not one after another.
  const prepared = await prepareTestnet({ dir, selection: "poa", validators: 4, consensus: FAST_CONSENSUS, metricsBasePort: 0 });
  net = new Testnet(prepared, { stopGraceMs: 5_000 });
  await net.start();
  url = net.nodes[0]!.metrics!;
  expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
}, 120_000);

afterAll(async () => {
  await net?.stop();
  for (const pid of net?.pids() ?? []) if (isProcessAlive(pid)) process.kill(pid, "SIGKILL");
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
}, 30_000);

it("serves Prometheus text whose height rises, with libp2p's and Node's metrics", async () => {
  const first = await scrape();
  const h1 = sampleValue(first, "triad_consensus_height");
  expect(h1).toBeTypeOf("number");
  for (const name of ["triad_consensus_view_changes_total", "triad_consensus_step_duration_seconds", "triad_mempool_size", "triad_p2p_peers", "triad_blocksync_syncing"]) {
    expect(first.has(name), name).toBe(true);
  }
  expect([...first.keys()].some((n) => n.startsWith("libp2p_")), "libp2p_ metrics").toBe(true);
  expect(first.has("process_cpu_user_seconds_total")).toBe(true);
  expect(first.has("nodejs_eventloop_lag_seconds")).toBe(true);
  const h2 = await pollFor("a higher triad_consensus_height", async () => {
    const h = sampleValue(await scrape(), "triad_consensus_height")!;
    return h > h1! ? h : undefined;
  }, 30_000, 200);
  expect(h2).toBeGreaterThan(h1!);
  const later = await scrape();
  expect(sampleValue(later, "triad_consensus_commit_latency_seconds_count")).toBeGreaterThan(0);
  expect(sampleValue(later, "triad_consensus_step_duration_seconds_count", { step: "commit" })).toBeGreaterThan(0);
}, 60_000);

it("serves nothing but /metrics", async () => {
  const base = new URL(url);
  for (const path of ["/", "/metric", "/metrics/x", "/dashboard"]) {
    const res = await fetch(new URL(path, base));
    expect(res.status, path).toBe(404);
    await res.text();
  }
  const post = await fetch(url, { method: "POST", body: "x" });
  expect(post.status).toBe(405);
  await post.text();
});
