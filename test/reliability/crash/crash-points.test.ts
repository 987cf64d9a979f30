// Kill a validator at every named fail point, over and over, in a real 4-validator network of OS
// processes under a steady tx load, and show that nothing unsafe comes of it:
// - zero conflicting signatures: the nodes agree on every block and every stored seal verifies
//   (`triad check`), and no honest node ever saw two different votes from one validator for the
//   same (height, view, phase) (the core reports that as an `equivocation` fault);
// - zero lost appended blocks: each restart opens its store at or above the height the crash
//   left on disk (the fail point logs it before the SIGKILL, the next start logs what it opened);
// - the node rejoins by itself: started unarmed after its cycles, it catches up with the others.
//
// One network serves every point; the victim rotates over the validators (point i kills
// validator i mod 4). Each cycle starts the victim armed at a random hit count (a fixed seed) that
// fires within a second or two under load; it dies there, and the next cycle starts it again,
// re-armed. Only the victim is ever down, so the other three keep a quorum throughout.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Prng } from "../../../src/byzantine/prng.js";
import { FAIL_POINT_NAMES, type FailPointCrash, type FailPointName } from "../../../src/fail-points.js";
import { checkTestnet, headHeight, tailOf, waitFor, waitForHeight } from "../../../src/testnet/index.js";
import { CrashNetwork, type CrashLogLine } from "./crash-network.js";

const SEED = 0x11c4a54;
const CYCLES = Number(process.env.TRIAD_CRASH_CYCLES ?? 20);
/** A point that has not fired this long after the start is given up on (counted, and the test fails). */
const FIRE_TIMEOUT_MS = 120_000;

/** Hits drawn from 1..max: small enough that the point fires within a second or two of the start. */
const MAX_HIT: Record<FailPointName, number> = {
  "vote.before-sync": 8,
  "vote.after-sync": 8,
  "block.before-append": 12,
  "block.after-append": 12,
  "driver.after-append": 12,
  "sync.mid-batch": 3,
  "votes.before-prune": 2,
  "consensus.after-send": 16,
};

interface PointResult {
  readonly point: FailPointName;
  readonly victim: string;
  fired: number;
  notFired: number;
  /** Restarts whose store opened below the height the crash before left on disk. */
  lostBlocks: number;
  equivocations: number;
  rejoinMs: number;
  elapsedMs: number;
}

let dir: string;
let net: CrashNetwork;
const results: PointResult[] = [];

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function equivocationsSeen(net: CrashNetwork, except: string): Promise<number> {
  let total = 0;
  for (const name of net.names.filter((n) => n !== except && net.isRunning(n))) {
    const status = await net.client(name).call<{ faults_reported: Record<string, number> }>("triad_status");
    total += status.faults_reported.equivocation ?? 0;
  }
  return total;
}

/** Pairs each crash with the start after it: the start must open at or above the crash's head. */
function lostAcrossCrashes(lines: readonly CrashLogLine[]): { lost: string[]; crashes: FailPointCrash[] } {
  const lost: string[] = [];
  const crashes: FailPointCrash[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (!("point" in line)) continue;
    crashes.push(line);
    const next = lines.slice(i + 1).find((l) => "opened" in l);
    if (next !== undefined && "opened" in next && next.opened < line.appendedHeight) {
      lost.push(`${line.point} hit ${line.hit} left height ${line.appendedHeight}; the next start opened at ${next.opened}`);
    }
  }
  return { lost, crashes };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "triad-crash-points-"));
  net = await CrashNetwork.create(dir);
  await Promise.all(net.names.map((n) => net.start(n)));
  await waitForHeight(net.names.map((n) => net.client(n)), 2, { timeoutMs: 60_000 });
  await net.startLoad(40, join(dir, "acks.jsonl"));
}, 600_000);

afterAll(async () => {
  await net?.load?.stop();
  await net?.stopAll();
  if (dir !== undefined && process.env.TRIAD_KEEP_TESTNET === undefined) rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe(`crash points: ${CYCLES} kill-and-restart cycles per fail point in a 4-validator network under load`, () => {
  it.each(FAIL_POINT_NAMES.map((point, i) => [point, i] as const))("%s", async (point, index) => {
    const victim = net.names[index % net.names.length]!;
    const prng = new Prng(SEED).fork(point);
    const result: PointResult = { point, victim, fired: 0, notFired: 0, lostBlocks: 0, equivocations: 0, rejoinMs: 0, elapsedMs: 0 };
    const started = Date.now();
    const logBefore = net.crashLog(victim).length;

    // The victim is running unarmed (from the start, or the last point's rejoin): the first cycle replaces it.
    await net.kill(victim);
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      const hit = 1 + (prng.u32() % MAX_HIT[point]);
      net.spawn(victim, `${point}=crash@${hit}`);
      const exit = await Promise.race([net.exited(victim), sleep(FIRE_TIMEOUT_MS).then(() => null)]);
      if (exit === null) {
        result.notFired++;
        await net.kill(victim);
        continue;
      }
      if (exit.signal !== "SIGKILL") {
        throw new Error(`${victim} armed at ${point}@${hit} exited with code ${exit.code}, not by the fail point:\n${await tailOf(join(net.node(victim).home, "node.log"), 30)}`);
      }
      result.fired++;
    }

    // Unarmed now: it must catch up with the others by itself.
    const rejoinStart = Date.now();
    await net.start(victim);
    const target = await net.bestHeight(victim);
    await waitFor(`${victim} to rejoin at height ${target}`, async () => (await headHeight(net.client(victim))) >= target, { timeoutMs: 90_000, intervalMs: 250 });
    result.rejoinMs = Date.now() - rejoinStart;

    const { lost, crashes } = lostAcrossCrashes(net.crashLog(victim).slice(logBefore));
    result.lostBlocks = lost.length;
    result.equivocations = await equivocationsSeen(net, victim);
    result.elapsedMs = Date.now() - started;
    results.push(result);
    console.log(JSON.stringify(result));

    expect(lost).toEqual([]);
    expect(crashes.filter((c) => c.point === point).length).toBe(result.fired);
    expect(result.notFired).toBe(0);
    expect(result.fired).toBe(CYCLES);
    expect(result.equivocations).toBe(0);
  });

  it("the nodes agree on every block, every seal verifies and every acknowledged tx is in every chain", async () => {
    await net.load?.stop();
    const best = await net.bestHeight();
    await waitForHeight(net.names.map((n) => net.client(n)), best, { timeoutMs: 60_000 });
    const report = await checkTestnet(net.prepared.manifest, { acksFile: join(dir, "acks.jsonl") });
    console.log(
      JSON.stringify({ to: report.to, sealsVerified: report.sealsVerified, txs: report.txs, acks: report.acks, load: net.load?.stats, points: results }),
    );
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.acks.checked).toBeGreaterThan(0);
    expect(await equivocationsSeen(net, "")).toBe(0);
  });
});
