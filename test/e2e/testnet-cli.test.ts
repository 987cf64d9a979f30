// `triad testnet` and `triad check` as a user runs them: the testnet is its own process, which
// starts one process per node, writes testnet.json, and stops every node on SIGTERM.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readKeyFile } from "../../src/node/key-file.js";
import { TriadClient } from "../../src/rpc/client.js";
import {
  isProcessAlive,
  manifestPath,
  manifestSchema,
  runTriad,
  submitUntilCommitted,
  TxBuilder,
  waitFor,
  waitForHeight,
  waitForTx,
  type TestnetManifest,
} from "../../src/testnet/index.js";
import { CliTestnet } from "../support/cli-testnet.js";

let dir: string;
let net: CliTestnet;
let manifest: TestnetManifest;

beforeAll(async () => {
  net = await CliTestnet.start("triad-testnet-cli", ["--validators", "4", "--selection", "poa", "--tick-ms", "50", "--load", "10", "--metrics-base-port", "0"]);
  dir = net.dir;
  manifest = net.manifest;
}, 120_000);

afterAll(async () => {
  await net?.stop();
}, 60_000);

describe("triad testnet", () => {
  it("writes testnet.json naming each node's id, RPC URL, p2p address, pid and home", () => {
    expect(manifest.selection).toBe("poa");
    expect(manifest.nodes.map((n) => n.name)).toEqual(["validator-0", "validator-1", "validator-2", "validator-3"]);
    for (const n of manifest.nodes) {
      expect(n.rpc).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(n.p2p).toBe(`/ip4/127.0.0.1/tcp/${/\/tcp\/(\d+)/.exec(n.p2p)![1]}/p2p/${n.nodeId}`);
      expect(n.nodeId).toMatch(/^12D3KooW/);
      expect(n.home).toBe(join(dir, "nodes", n.name));
      expect(isProcessAlive(n.pid!)).toBe(true);
      expect(existsSync(join(n.home, "node.log"))).toBe(true);
    }
  });

  it("advances blocks with the built-in load, and commits a transfer sent over JSON-RPC", async () => {
    const clients = manifest.nodes.map((n) => new TriadClient({ url: n.rpc }));
    await waitForHeight(clients, 3, { timeoutMs: 30_000 });
    // Every dev account is in the load, so the load may take our nonce with its own transfer;
    // submitUntilCommitted then signs again with the next one. A tx that is simply never
    // committed still fails the test.
    const sender = manifest.accounts[3]!;
    const pair = (await readKeyFile(sender.key)).pair;
    const builder = new TxBuilder(pair, manifest.chainId);
    const tx = await submitUntilCommitted(clients[2]!, sender.id, (nonce) => builder.transfer(nonce, manifest.accounts[0]!.id, 5n));
    const found = await waitForTx(clients, tx.id, { timeoutMs: 30_000 });
    expect(found.every((f) => f.height === found[0]!.height)).toBe(true);
    // The load generator's transfers land in blocks too.
    const txsInBlocks = await waitFor(
      "blocks with the load's txs",
      async () => {
        const chain = await clients[0]!.blockchain(1, Number((await clients[0]!.status()).sync_info.latest_block_height));
        const n = chain.block_metas.reduce((sum, m) => sum + Number(m.num_txs), 0);
        return n > 5 ? n : undefined;
      },
      { timeoutMs: 30_000 },
    );
    expect(txsInBlocks).toBeGreaterThan(5);
  }, 120_000);

  it("triad check finds every node in agreement, and every tx the load saw committed in every chain", async () => {
    // The load acknowledges the txs it sees in blocks in DIR/load-acks.jsonl.
    const acksFile = join(dir, "load-acks.jsonl");
    await waitFor("a few load acks", () => existsSync(acksFile) && readFileSync(acksFile, "utf8").split("\n").length > 5, { timeoutMs: 30_000 });
    const run = await runTriad(["check", "--dir", dir, "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as {
      ok: boolean;
      to: number;
      sealsVerified: number;
      acks: { checked: number };
      nodes: { name: string; honest: boolean; blocksChecked: number; ackedChecked: number; ackedFound: number; verdict: string }[];
    };
    expect(report.ok).toBe(true);
    expect(report.to).toBeGreaterThanOrEqual(3);
    expect(report.sealsVerified).toBeGreaterThanOrEqual(report.to * 3);
    expect(report.acks.checked).toBeGreaterThan(0);
    for (const n of report.nodes) {
      expect(n).toMatchObject({ honest: true, blocksChecked: report.to, verdict: "ok" });
      expect(n.ackedFound).toBe(n.ackedChecked);
      expect(n.ackedChecked).toBeGreaterThanOrEqual(report.acks.checked);
    }

    // --rpc prints the table; an acked tx no chain holds fails the check (exit 1).
    const bogus = join(dir, "bogus-acks.jsonl");
    writeFileSync(bogus, `${JSON.stringify({ id: "ab".repeat(32), height: 2, node: "validator-0" })}\n`);
    const urls = manifest.nodes.map((n) => n.rpc).join(",");
    const table = await runTriad(["check", "--rpc", urls, "--acks", bogus, "--to", "3"]);
    expect(table.code).toBe(1);
    expect(table.stdout).toMatch(/^node +kind +head +blocks +seals +txs +acked +verdict$/m);
    expect(table.stdout).toMatch(/^127\.0\.0\.1:\d+ +honest +\d+ +3 +3 +\d+ +0\/1 +FAIL \(1\)$/m);
    expect(table.stdout).toContain(`tx ${"ab".repeat(32)}, acknowledged by validator-0 at height 2, is not in its block 2`);
    expect(table.stderr).toMatch(/check failed/);
  }, 90_000);

  it("prints progress lines per node (plain lines when stdout is not a terminal)", async () => {
    await waitFor("a progress line for every node", () => manifest.nodes.every((n) => new RegExp(`${n.name} +height +\\d+ +view +\\d+`).test(net.output)), { timeoutMs: 15_000 });
  });

  it("stops every node and exits 0 on SIGTERM", async () => {
    const code = await net.terminate();
    expect(code, net.output.slice(-3000)).toBe(0);
    for (const n of manifest.nodes) expect(isProcessAlive(n.pid!)).toBe(false);
    const after = manifestSchema.parse(JSON.parse(readFileSync(manifestPath(dir), "utf8")));
    expect(after.nodes.every((n) => n.pid === null)).toBe(true);
  }, 30_000);
});
