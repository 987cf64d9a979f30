// A 4-validator PoA testnet of real processes where validator-1 runs `invalid-block` (the
// simulator's behaviour, through `triad start --byzantine`) and `forge`: the honest nodes keep
// appending and agree, they count the Byzantine node's refused proposals or disconnect it for its
// forged messages (refused before the core, each a strike), as triad_status shows, and the
// Byzantine node says what it is in its status and its log.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseByzantineSpec } from "../../src/byzantine/index.js";
import { checkTestnet, headHeight, isProcessAlive, nodeLogPath, prepareTestnet, runTriad, Testnet, waitFor, waitForHeight } from "../../src/testnet/index.js";

const HONEST = ["validator-0", "validator-2", "validator-3"];
const BYZANTINE = "validator-1";
const SEED = 42;

interface TriadStatus {
  node: { moniker: string; validator_id: string | null };
  role: string;
  byzantine: string[];
  height: number;
  view_changes: Record<string, number>;
  faults_reported: Record<string, number>;
  faults_by_peer: Record<string, number>;
  messages_refused: number;
  byzantine_acts: Record<string, number>;
  peers_refused: string[];
  peer_bans: number;
}

let dir: string;
let net: Testnet;
const status = (name: string): Promise<TriadStatus> => net.client(name).call<TriadStatus>("triad_status");

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "triad-byzantine-"));
  const prepared = await prepareTestnet({
    dir,
    selection: "poa",
    validators: 4,
    consensus: { tickMs: 50, viewChangeTimeoutTicks: 20, maxViewChangeTimeoutTicks: 80, emptyBlockIntervalTicks: 4 },
    byzantine: parseByzantineSpec("1:invalid-block+forge", { validators: 4 }),
    byzantineSeed: SEED,
  });
  net = new Testnet(prepared, { startArgs: ["--log-level", "info"], stopGraceMs: 5_000 });
  await net.start();
}, 60_000);

afterAll(async () => {
  await net?.stop();
  for (const pid of net?.pids() ?? []) if (isProcessAlive(pid)) process.kill(pid, "SIGKILL");
  if (dir !== undefined && process.env.TRIAD_KEEP_TESTNET === undefined) rmSync(dir, { recursive: true, force: true });
}, 30_000);

describe("Byzantine testnet (4 PoA validators, validator-1 invalid-block+forge)", () => {
  it("marks the node in testnet.json", () => {
    const byz = net.node(BYZANTINE);
    expect(byz.byzantine).toEqual(["invalid-block", "forge"]);
    expect(byz.byzantineSeed).toBe(SEED);
    for (const name of HONEST) expect(net.node(name).byzantine).toBeUndefined();
  });

  it("the honest nodes keep appending and hold the Byzantine node to account: its bad proposals counted or it disconnected; all agree", async () => {
    const honest = HONEST.map((n) => net.client(n));
    const byzId = net.node(BYZANTINE).id;
    // Validator-1 is primary every fourth height: its bad proposals are refused and counted. Its
    // forgeries are refused before the core and strike it: past 10 strikes an honest node
    // disconnects it for a minute, and from then on sees none of its proposals (its turns as
    // primary end in a timeout view change). Which comes first is a race, so either counts.
    const changedView = (s: TriadStatus): boolean => (s.view_changes["bad-proposal"] ?? 0) + (s.view_changes.timeout ?? 0) + (s.view_changes.join ?? 0) > 0;
    const heldToAccount = (s: TriadStatus): boolean => ((s.faults_by_peer[byzId] ?? 0) > 0 && (s.faults_reported["invalid-block"] ?? 0) > 0) || s.peers_refused.includes(byzId) || s.peer_bans > 0;
    const counted = await waitFor(
      "invalid-block faults against validator-1 or its disconnection, refused forgeries and a view change on every honest node",
      async () => {
        const all = await Promise.all(HONEST.map(status));
        const missing = all.flatMap((s, i) => {
          const lacks = [heldToAccount(s) ? null : "no invalid-block fault against it and no ban", s.messages_refused > 0 ? null : "no refused message", changedView(s) ? null : "no view change"];
          return lacks.filter((l) => l !== null).map((l) => `${HONEST[i]}: ${l}`);
        });
        if (missing.length > 0) throw new Error(missing.join("; "));
        return all;
      },
      { timeoutMs: 30_000 },
    );
    for (const s of counted) {
      expect(s.byzantine).toEqual([]);
      expect(s.byzantine_acts).toEqual({});
      expect(["primary", "backup"]).toContain(s.role);
    }
    const after = Math.max(...(await Promise.all(honest.map(headHeight)))) + 3;
    await waitForHeight(honest, after, { timeoutMs: 30_000 });
    const report = await checkTestnet({ ...net.manifest, nodes: net.manifest.nodes.filter((n) => HONEST.includes(n.name)) }, { to: after });
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
  }, 70_000);

  it("the Byzantine node lists its behaviours and what they did in triad_status, and warns in its log", async () => {
    const s = await status(BYZANTINE);
    expect(s.byzantine).toEqual(["invalid-block", "forge"]);
    expect(s.node.moniker).toBe(BYZANTINE);
    const log = readFileSync(nodeLogPath(net.node(BYZANTINE).home), "utf8");
    expect(log).toContain("BYZANTINE");
    // Started with the testnet's seed and every Byzantine id (it logs both at start).
    expect(log).toContain(`"seed":${SEED}`);
    expect(log).toContain(net.node(BYZANTINE).id);
    expect(readFileSync(nodeLogPath(net.node("validator-0").home), "utf8")).not.toContain("BYZANTINE");
  });

  it("triad testnet refuses a behaviour that only the simulator can play, naming triad sim", async () => {
    const run = await runTriad(["testnet", "--dir", join(dir, "refused"), "--byzantine", "1:lone-decider"]);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/lone-decider only runs in the simulator.*triad sim/);
  });
});
