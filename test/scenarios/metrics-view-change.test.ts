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

it("a killed primary shows on another node's /metrics as a view change by timeout or f+1 join (never bad-proposal), and the height rises again", async () => {
  for (const n of net.nodes) expect(n.metrics, n.name).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
  // Primaries rotate every height ((height + view) mod n), so any killed validator is the primary
  // of every n-th height from then on: when its turn comes the others time out and change view.
  // A fixed victim and watcher keep the test from racing the rotation.
  const watcher = net.node("validator-0");
  const victim = "validator-2";
  await waitFor("the watcher's height metric above 2", async () => (sampleValue(await scrape(watcher.metrics!), "triad_consensus_height") ?? 0) > 2, { timeoutMs: 30_000, intervalMs: 200 });
  const before = await scrape(watcher.metrics!);
  // The watcher leaves a dead primary's view either when its own timer expires (timeout) or when
  // f+1 others asked first (join): which comes first is a race between processes' timers.
  const leftView = (t: ReturnType<typeof parsePrometheusText>): number =>
    (sampleValue(t, "triad_consensus_view_changes_total", { reason: "timeout" }) ?? 0) + (sampleValue(t, "triad_consensus_view_changes_total", { reason: "join" }) ?? 0);
  const leftBefore = leftView(before);

  await net.kill(victim, "SIGKILL");
  const killedAt = sampleValue(await scrape(watcher.metrics!), "triad_consensus_height")!;

  const after = await waitFor(
    "a timeout view change on the watcher's /metrics and a height above the kill's",
    async () => {
      const t = await scrape(watcher.metrics!);
      const height = sampleValue(t, "triad_consensus_height") ?? 0;
      // Heights up to height - 1 are judged for missed blocks; the victim may have voted for one
      // or two heights past the watcher's head before it died.
      return leftView(t) > leftBefore && height > killedAt + 3 ? t : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 250 },
  );
  expect(leftView(after)).toBeGreaterThan(leftBefore);
  // A dead primary is never a refused proposal.
  expect(sampleValue(after, "triad_consensus_view_changes_total", { reason: "bad-proposal" }) ?? 0).toBe(0);
  expect(sampleValue(after, "triad_consensus_view_changes_total", { reason: "entered" })).toBeGreaterThanOrEqual(1);
  // The dead validator misses the heights after its death on the watcher's books.
  const dead = net.node(victim).id;
  expect(sampleValue(after, "triad_consensus_validator_missed_blocks", { validator: dead })).toBeGreaterThanOrEqual(1);
}, 120_000);
