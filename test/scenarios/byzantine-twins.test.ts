// Twins in real processes: validator-2 runs as two processes with one key, each connected to
// (and admitting) only its own half of the other nodes, drawn from the seed. The honest nodes
// keep appending and agree; each copy sees only its half.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseByzantineSpec } from "../../src/byzantine/index.js";
import { loadConfig } from "../../src/node/config.js";
import { checkTestnet, headHeight, isProcessAlive, prepareTestnet, Testnet, waitFor, waitForHeight } from "../../src/testnet/index.js";

const HONEST = ["validator-0", "validator-1", "validator-3"];
const COPIES = ["validator-2", "validator-2-twin"];

let dir: string;
let net: Testnet;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "triad-twins-"));
  const prepared = await prepareTestnet({
    dir,
    selection: "poa",
    validators: 4,
    consensus: { tickMs: 50, viewChangeTimeoutTicks: 20, maxViewChangeTimeoutTicks: 80, emptyBlockIntervalTicks: 4 },
    byzantine: parseByzantineSpec("2:twins", { validators: 4 }),
    byzantineSeed: 3,
  });
  net = new Testnet(prepared, { startArgs: ["--log-level", "info"], stopGraceMs: 5_000 });
  await net.start();
}, 60_000);

afterAll(async () => {
  await net?.stop();
  for (const pid of net?.pids() ?? []) if (isProcessAlive(pid)) process.kill(pid, "SIGKILL");
  if (dir !== undefined && process.env.TRIAD_KEEP_TESTNET === undefined) rmSync(dir, { recursive: true, force: true });
}, 30_000);

describe("twins testnet (4 PoA validators, validator-2 twins)", () => {
  it("runs a second process with the same key, and splits the other nodes between the copies", () => {
    const [original, twin] = COPIES.map((n) => net.node(n));
    expect(net.nodes.map((n) => n.name)).toEqual(["validator-0", "validator-1", "validator-2", "validator-2-twin", "validator-3"]);
    expect(twin!.id).toBe(original!.id);
    expect(twin!.key).toBe(original!.key);
    expect(twin!.twinOf).toBe("validator-2");
    expect(twin!.home).not.toBe(original!.home);
    expect(twin!.byzantine).toEqual(["twins"]);
    const halves = COPIES.map((n) => net.node(n).onlyPeers!);
    const honestIds = HONEST.map((n) => net.node(n).id).sort();
    expect([...halves[0]!, ...halves[1]!].sort()).toEqual(honestIds);
    for (const name of HONEST) {
      // Each honest node dials the copy whose half it is in, never the other.
      const peers = loadConfig(join(net.node(name).home, "config", "config.toml"), {}).p2p.peers;
      const mine = halves[0]!.includes(net.node(name).id) ? 0 : 1;
      expect(peers).toContain(net.node(COPIES[mine]!).p2p);
      expect(peers).not.toContain(net.node(COPIES[1 - mine]!).p2p);
    }
  });

  it("the honest nodes keep appending and agree; each copy is connected only to its half", async () => {
    const honest = HONEST.map((n) => net.client(n));
    const start = Math.max(...(await Promise.all(honest.map(headHeight))));
    await waitForHeight(honest, start + 4, { timeoutMs: 40_000 });
    for (const name of COPIES) {
      const half = net.node(name).onlyPeers!;
      const peers = await waitFor(`${name} connected to its half`, async () => {
        const info = await net.client(name).netInfo();
        const ids = info.peers.map((p) => p.triad.validator_id);
        return ids.length > 0 ? ids : undefined;
      });
      for (const id of peers) expect(half).toContain(id);
      const s = await net.client(name).call<{ byzantine: string[] }>("triad_status");
      expect(s.byzantine).toEqual(["twins"]);
    }
    const report = await checkTestnet({ ...net.manifest, nodes: net.manifest.nodes.filter((n) => HONEST.includes(n.name)) }, { to: start + 4 });
    expect(report.problems).toEqual([]);
  }, 60_000);
});
