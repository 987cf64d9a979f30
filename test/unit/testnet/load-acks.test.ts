// The load generator's acks: txs of both kinds go to a node (an RPC server over FakeNode), the
// node appends what is pooled, and every tx the generator sees in a block is written to the
// acks file, which `checkNetwork` then finds in the chain.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TriadClient } from "../../../src/rpc/client.js";
import { parseAcks, type TxAck } from "../../../src/testnet/acks-file.js";
import { checkNetwork } from "../../../src/testnet/agreement-check.js";
import { LoadGenerator } from "../../../src/testnet/load-generator.js";
import { waitFor } from "../../../src/testnet/scenario.js";
import { accountKeys } from "../../rpc/fake-node.js";
import { startRpc, type RpcHarness } from "../../rpc/helpers.js";
import { tempDir } from "../cli/run-cli.js";

describe("LoadGenerator acks", () => {
  let h: RpcHarness;
  const tmp = tempDir();
  beforeAll(async () => {
    h = await startRpc();
    h.node.appendBlock([]);
  });
  afterAll(async () => {
    await h.close();
    tmp.remove();
  });

  it("acknowledges each committed tx once, in a file and a callback, and the check finds them all", async () => {
    const file = join(tmp.dir, "acks.jsonl");
    const seen: TxAck[] = [];
    const client = new TriadClient({ url: h.address.url, timeoutMs: 5_000 });
    const load = new LoadGenerator({
      chainId: h.node.chainId,
      accounts: accountKeys.slice(0, 2),
      targets: [client],
      targetNames: ["fake-0"],
      rate: 40,
      kinds: ["transfer", "kv-put"],
      acks: { file, onAck: (a) => seen.push(a) },
    });
    // The fake node appends whatever is pooled, as a chain would.
    const timer = setInterval(() => {
      if (h.node.mempoolTxs.size > 0) h.node.appendBlock();
    }, 50);
    try {
      load.start();
      await waitFor("20 txs acknowledged", () => load.stats.committed >= 20, { timeoutMs: 20_000, intervalMs: 50 });
    } finally {
      // No block after this: the generator's last look at stop sees the final chain.
      clearInterval(timer);
      await load.stop();
    }
    const stats = load.stats;
    const { acks, bad } = parseAcks(readFileSync(file, "utf8"));
    expect(bad).toBe(0);
    expect(acks).toEqual(seen);
    expect(acks.length).toBe(stats.committed);
    expect(new Set(acks.map((a) => a.id)).size).toBe(acks.length);
    // Every ack is where the chain has it, and both kinds were sent.
    const kinds = new Set<string>();
    for (const a of acks) {
      const block = h.node.blocks[a.height - 1]!.block;
      const tx = block.txs.find((t) => t.id === a.id);
      expect(tx, a.id).toBeDefined();
      kinds.add(tx!.kind);
      expect(a.node).toBe("fake-0");
    }
    expect([...kinds].sort()).toEqual(["kv.put", "transfer"]);
    // Whatever was in blocks when it stopped is acknowledged: nothing of ours is left unseen there.
    const ours = new Set(h.node.blocks.flatMap((b) => b.block.txs.map((t) => t.id)));
    expect(stats.committed).toBe(ours.size);

    const report = await checkNetwork([{ name: "fake-0", rpc: h.address.url, honest: true }], { acksFile: file });
    expect(report.problems).toEqual([]);
    expect(report.acks.checked).toBe(acks.length);
    expect(report.nodes[0]).toMatchObject({ ackedFound: acks.length, verdict: "ok" });
  }, 30_000);
});
