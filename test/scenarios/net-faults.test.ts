// `triad net` against a running `triad testnet`, as a user runs them: a partition leaves a
// one-node minority behind while the majority commits, a heal lets it catch up; pause/resume
// and kill/restart go through the supervisor's control endpoint. Every wait is on a condition.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TriadClient } from "../../src/rpc/client.js";
import {
  ControlClient,
  headHeight,
  runTriad,
  waitFor,
  type TestnetManifest,
} from "../../src/testnet/index.js";
import { CliTestnet } from "../support/cli-testnet.js";

let dir: string;
let testnet: CliTestnet;
let manifest: TestnetManifest;
let clients: TriadClient[];

async function net(...args: string[]): Promise<Record<string, unknown>> {
  const run = await runTriad(["net", ...args, "--dir", dir, "--json"]);
  expect(run.code, `triad net ${args.join(" ")}: ${run.stderr}`).toBe(0);
  return JSON.parse(run.stdout) as Record<string, unknown>;
}

const heights = (): Promise<number[]> => Promise.all(clients.map(async (c) => headHeight(c).catch(() => -1)));
const majority = async (): Promise<number> => Math.min(...(await heights()).slice(0, 3));

interface StatusRow {
  name: string;
  process: string;
  faults: { peer: string; block: boolean }[];
  counters: Record<string, { blocked: number }>;
}

beforeAll(async () => {
  testnet = await CliTestnet.start("triad-net", ["--validators", "4", "--tick-ms", "50", "--log-level", "warn", "--metrics-base-port", "0"]);
  dir = testnet.dir;
  manifest = testnet.manifest;
  clients = manifest.nodes.map((n) => new TriadClient({ url: n.rpc, timeoutMs: 2_000 }));
  await waitFor("height 2 everywhere", async () => ((await heights()).every((h) => h >= 2) ? true : undefined), { timeoutMs: 30_000 });
}, 120_000);

afterAll(async () => {
  await testnet?.stop();
}, 60_000);

describe("triad net", () => {
  it("partition leaves a one-node minority behind while the majority commits; heal lets it catch up", async () => {
    await net("partition", "0,1,2/3");
    const cut = (await heights())[3]!;
    const target = Math.max(cut, await majority()) + 3;
    await waitFor(`the majority at height ${target}`, async () => ((await majority()) >= target ? true : undefined), { timeoutMs: 30_000 });
    // At most the block already in flight when the partition began.
    expect((await heights())[3]!).toBeLessThanOrEqual(cut + 1);
    const status = (await net("status")).nodes as StatusRow[];
    const minority = status.find((n) => n.name === "validator-3")!;
    expect(minority.faults.filter((f) => f.block).map((f) => f.peer).sort()).toEqual(manifest.nodes.slice(0, 3).map((n) => n.id).sort());
    expect(Object.values(minority.counters).reduce((s, c) => s + c.blocked, 0)).toBeGreaterThan(0);

    await net("heal");
    const healedAt = await majority();
    await waitFor(`validator-3 to catch up to ${healedAt}`, async () => ((await heights())[3]! >= healedAt ? true : undefined), { timeoutMs: 30_000 });
    for (const c of clients) expect((await c.call<{ faults: unknown[] }>("unsafe_net_faults")).faults).toEqual([]);
  }, 90_000);

  it("pause freezes a node while the others go on; resume lets it catch up", async () => {
    // `triad net` for the action, the supervisor's endpoint in-process for the state (a CLI run costs seconds here).
    const supervisor = new ControlClient(manifest.control!);
    await net("pause", "validator-2");
    expect((await supervisor.states())["validator-2"]).toBe("paused");
    const paused = (await heights())[2];
    const others = [0, 1, 3];
    const target = Math.max(...(await heights())) + 2;
    await waitFor(`the other three at ${target}`, async () => {
      const h = await heights();
      return others.every((i) => h[i]! >= target) ? true : undefined;
    }, { timeoutMs: 30_000 });
    expect(paused).toBeLessThan(target);
    // Frozen, not just slow: its RPC does not answer at all (the client gives up after 2 s).
    expect((await heights())[2]).toBe(-1);
    await net("resume", "2");
    await waitFor(`validator-2 at ${target}`, async () => ((await heights())[2]! >= target ? true : undefined), { timeoutMs: 30_000 });
    expect((await supervisor.states())["validator-2"]).toBe("running");
  }, 90_000);

  it("kill and restart a node through the supervisor", async () => {
    const supervisor = new ControlClient(manifest.control!);
    await supervisor.kill("validator-1");
    expect((await supervisor.states())["validator-1"]).toBe("stopped");
    const target = (await majority()) + 1;
    await supervisor.restart("validator-1");
    await waitFor(`validator-1 back at ${target}`, async () => ((await heights())[1]! >= target ? true : undefined), { timeoutMs: 30_000 });
  }, 90_000);
});
