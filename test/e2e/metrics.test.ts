// The Prometheus endpoint of a real `triad start` process (one of four validators): the text
// parses strictly, the height rises between two scrapes, libp2p's and Node's process metrics
// are in the same registry, and only /metrics is served.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { parsePrometheusText, sampleValue } from "../unit/metrics/prom-text.js";
import { NodeProcess, pollFor, runCli, writeDevGenesis } from "./node-helpers.js";

let dir: string;
const N = 4;
const nodes: NodeProcess[] = [];
let url: string;

async function scrape(): Promise<ReturnType<typeof parsePrometheusText>> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  return parsePrometheusText(await res.text());
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "triad-e2e-metrics-"));
  const netDir = join(dir, "net");
  await writeDevGenesis(netDir, N);
  const inits = await Promise.all(
    Array.from({ length: N }, (_, i) =>
      runCli([
        "init",
        "--home", join(dir, `v${i}`),
        "--genesis", join(netDir, "genesis.json"),
        "--key", join(netDir, "keys", `validator-${i}.json`),
        "--p2p-listen", "/ip4/127.0.0.1/tcp/0",
        "--rpc-listen", "127.0.0.1:0",
      ]),
    ),
  );
  for (const r of inits) expect(r.code, r.stderr).toBe(0);
  // Each node dials the ones started before it; only the first serves metrics.
  const addrs: string[] = [];
  for (let i = 0; i < N; i++) {
    const node = new NodeProcess(join(dir, `v${i}`));
    nodes.push(node);
    const info = await node.start([...(i === 0 ? ["--metrics-listen", "127.0.0.1:0"] : []), ...(addrs.length === 0 ? [] : ["--peers", addrs.join(",")])]);
    addrs.push(info.p2p[0]!);
    if (i === 0) {
      expect(info.metrics).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      url = info.metrics!;
    } else expect(info.metrics).toBeNull();
  }
}, 60_000);

afterAll(async () => {
  await Promise.all(nodes.map((n) => n.stop()));
  rmSync(dir, { recursive: true, force: true });
});

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
