// A view change after a killed primary, as an operator sees it on /metrics: four validators in
// real processes serve Prometheus text on free ports (testnet.json names them); the current
// primary is killed, and another node's triad_consensus_view_changes_total{reason="timeout"}
// counts the view change while its triad_consensus_height rises again.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { isProcessAlive, prepareTestnet, Testnet, waitFor } from "../../src/testnet/index.js";
import { parsePrometheusText, sampleValue } from "../unit/metrics/prom-text.js";

let dir: string;
let net: Testnet;

async function scrape(url: string): Promise<ReturnType<typeof parsePrometheusText>> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  if (res.status !== 200) throw new Error(`${url}: HTTP ${res.status}`);
  return parsePrometheusText(await res.text());
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "triad-metrics-vc-"));
  const prepared = await prepareTestnet({
    dir,
    selection: "poa",
    validators: 4,
    consensus: { tickMs: 50, viewChangeTimeoutTicks: 20, maxViewChangeTimeoutTicks: 80, emptyBlockIntervalTicks: 4 },
    metricsBasePort: 0,
  });
  net = new Testnet(prepared, { startArgs: ["--log-level", "info"], stopGraceMs: 5_000 });
  await net.start();
}, 60_000);

afterAll(async () => {
  await net?.stop();
  for (const pid of net?.pids() ?? []) if (isProcessAlive(pid)) process.kill(pid, "SIGKILL");
  if (dir !== undefined && process.env.TRIAD_KEEP_TESTNET === undefined) rmSync(dir, { recursive: true, force: true });
}, 30_000);

it("a killed primary shows on another node's /metrics as a timeout view change, and the height rises again", async () => {
  for (const n of net.nodes) expect(n.metrics, n.name).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
  // Running: every node's height metric moves.
  const watcherName = "validator-0";
  const cs = await net.client(watcherName).consensusState();
  let victim = net.nodeById(cs.triad.primary)!.name;
  // Watch from a node that is not the one to die.
  const watcher = net.node(victim === watcherName ? "validator-1" : watcherName);
  await waitFor("the watcher's height metric above 2", async () => (sampleValue(await scrape(watcher.metrics!), "triad_consensus_height") ?? 0) > 2, { timeoutMs: 30_000, intervalMs: 200 });
  const before = await scrape(watcher.metrics!);
  const timeoutsBefore = sampleValue(before, "triad_consensus_view_changes_total", { reason: "timeout" }) ?? 0;

  // The primary may have moved on since: take the one of the watcher's current height.
  victim = net.nodeById((await net.client(watcher.name).consensusState()).triad.primary)!.name;
  if (victim === watcher.name) throw new Error("the watcher became primary; pick another");
  await net.kill(victim, "SIGKILL");
  const killedAt = sampleValue(await scrape(watcher.metrics!), "triad_consensus_height")!;

  const after = await waitFor(
    "a timeout view change on the watcher's /metrics and a height above the kill's",
    async () => {
      const t = await scrape(watcher.metrics!);
      const timeouts = sampleValue(t, "triad_consensus_view_changes_total", { reason: "timeout" }) ?? 0;
      const height = sampleValue(t, "triad_consensus_height") ?? 0;
      // Heights up to height - 1 are judged for missed blocks; the victim may have voted for one
      // or two heights past the watcher's head before it died.
      return timeouts > timeoutsBefore && height > killedAt + 3 ? t : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 250 },
  );
  expect(sampleValue(after, "triad_consensus_view_changes_total", { reason: "timeout" })).toBeGreaterThanOrEqual(1);
  expect(sampleValue(after, "triad_consensus_view_changes_total", { reason: "entered" })).toBeGreaterThanOrEqual(1);
  // The dead validator misses the heights after its death on the watcher's books.
  const dead = net.node(victim).id;
  expect(sampleValue(after, "triad_consensus_validator_missed_blocks", { validator: dead })).toBeGreaterThanOrEqual(1);
}, 120_000);
