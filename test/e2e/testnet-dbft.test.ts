// A DBFT testnet of real node processes: 4 elected validators plus 2 more candidates (each with
// a running node, following until elected), epochs of 5 blocks. An account's `dbft.vote` moves
// the set at the next epoch boundary, and a newly elected validator then proposes.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readKeyFile } from "../../src/node/key-file.js";
import type { TriadClient } from "../../src/rpc/client.js";
import { checkTestnet, headHeight, isProcessAlive, prepareTestnet, Testnet, TxBuilder, waitFor, waitForHeight, waitForTx } from "../../src/testnet/index.js";

const EPOCH = 5;
let dir: string;
let net: Testnet;

const all = (): TriadClient[] => net.nodes.map((n) => net.client(n.name));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "triad-testnet-dbft-"));
  const prepared = await prepareTestnet({
    dir,
    selection: "dbft",
    validators: 4,
    candidates: 6,
    validatorCount: 4,
    epochLength: EPOCH,
    consensus: { tickMs: 50, viewChangeTimeoutTicks: 20, maxViewChangeTimeoutTicks: 80, emptyBlockIntervalTicks: 4 },
  });
  net = new Testnet(prepared, { stopGraceMs: 5_000 });
  await net.start();
}, 120_000);

afterAll(async () => {
  await net?.stop();
  for (const pid of net?.pids() ?? []) if (isProcessAlive(pid)) process.kill(pid, "SIGKILL");
  if (dir !== undefined && process.env.TRIAD_KEEP_TESTNET === undefined) rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe("DBFT testnet (4 of 6 candidates elected, processes)", () => {
  it("starts a node for every candidate; the non-elected ones follow", async () => {
    expect(net.nodes.map((n) => `${n.name}:${n.role}`)).toEqual([
      "validator-0:validator",
      "validator-1:validator",
      "validator-2:validator",
      "validator-3:validator",
      "candidate-4:candidate",
      "candidate-5:candidate",
    ]);
    await waitForHeight(all(), 2, { timeoutMs: 30_000 });
    for (const name of ["candidate-4", "candidate-5"]) expect((await net.client(name).status()).triad.validator_id).toBeNull();
    expect((await net.client("validator-0").status()).triad.validator_id).toBe(net.node("validator-0").id);
  }, 120_000);

  it("a dbft.vote moves the set at the next epoch boundary and a newly elected speaker proposes", async () => {
    const elected = ["candidate-4", "candidate-5", "validator-0", "validator-1"].map((n) => net.node(n).id);
    const voter = net.manifest.accounts[0]!;
    const pair = (await readKeyFile(voter.key)).pair;
    const client = net.client("validator-2");
    const tx = new TxBuilder(pair, net.manifest.chainId).dbftVote(await client.nextNonce(voter.id), elected);
    const r = await client.broadcast(tx.bytes, "sync");
    expect(r.code, r.log).toBe(0);
    const [committed] = await waitForTx([client], tx.id, { timeoutMs: 20_000 });
    expect(committed!.tx_result.code, committed!.tx_result.log).toBe(0);
    const votedAt = Number(committed!.height);
    // The set elected after the first epoch boundary at or after the vote's block.
    const boundary = Math.ceil(votedAt / EPOCH) * EPOCH;

    await waitForHeight([client], boundary + 1, { timeoutMs: 30_000 });
    const before = await client.validators(boundary, 1, 100);
    const after = await client.validators(boundary + 1, 1, 100);
    const ids = (v: typeof after): string[] => v.validators.map((m) => m.address.toLowerCase()).sort();
    expect(ids(after)).toEqual([...elected].sort());
    expect(ids(before)).not.toEqual(ids(after));

    const newcomers = new Set([net.node("candidate-4").id, net.node("candidate-5").id]);
    const proposed = await waitFor(
      "a block proposed by a newly elected validator",
      async () => {
        const head = await headHeight(client);
        for (let h = boundary + 1; h <= head; h++) {
          const b = await client.block(h);
          if (newcomers.has(b.block.header.triad.proposer)) return b;
        }
        return undefined;
      },
      { timeoutMs: 40_000, intervalMs: 500 },
    );
    expect(Number(proposed.block.header.height)).toBeGreaterThan(boundary);
    for (const name of ["candidate-4", "candidate-5"]) {
      await waitFor(`${name} to know it validates`, async () => (await net.client(name).status()).triad.validator_id === net.node(name).id, { timeoutMs: 20_000 });
    }
    const report = await checkTestnet(net.manifest);
    expect(report.problems).toEqual([]);
  }, 120_000);
});
