// A real CometBFT client against the server: @cosmjs/tendermint-rpc's Comet38Client decodes
// every answer with strict checks, so whatever it reads here is CometBFT-shaped enough for the
// ecosystem's tools.
import { Comet38Client, connectComet } from "@cosmjs/tendermint-rpc";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toHex } from "../../src/chain/encoding.js";
import { CHECK_TX_CODES } from "../../src/rpc/check-codes.js";
import { account0, CHAIN_ID, transferTx } from "./fake-node.js";
import { startRpc, type RpcHarness } from "./helpers.js";

describe("Comet38Client (cosmjs) against the server", () => {
  let h: RpcHarness;
  let client: Comet38Client;
  const committed = transferTx(account0, 0, 42n);
  beforeAll(async () => {
    h = await startRpc({ commitTimeoutMs: 5000 });
    h.node.appendBlock([]);
    h.node.appendBlock([committed]);
    h.node.appendBlock([]);
    client = await Comet38Client.connect(`http://127.0.0.1:${h.address.port}`);
  });
  afterAll(async () => {
    client.disconnect();
    await h.close();
  });

  it("connectComet picks the 0.38 client (it reads node_info.version), which reads status and tx", async () => {
    const auto = await connectComet(`http://127.0.0.1:${h.address.port}`);
    try {
      expect(auto).toBeInstanceOf(Comet38Client);
      expect((await auto.status()).nodeInfo.version).toMatch(/^0\.38\./);
      expect((await auto.tx({ hash: committed.hash })).height).toBe(2);
    } finally {
      auto.disconnect();
    }
  });

  it("status", async () => {
    const s = await client.status();
    expect(s.nodeInfo.network).toBe(CHAIN_ID);
    expect(s.syncInfo.latestBlockHeight).toBe(3);
    expect(toHex(s.syncInfo.latestBlockHash)).toBe(h.node.blocks[2]!.block.id);
    expect(s.syncInfo.catchingUp).toBe(false);
    expect(s.syncInfo.earliestBlockHeight).toBe(1);
    expect(s.validatorInfo.pubkey?.algorithm).toBe("ed25519");
    expect(s.validatorInfo.votingPower).toBe(1n);
  });

  it("block (with last commit) and blockchain", async () => {
    const b = await client.block(2);
    expect(b.block.header.height).toBe(2);
    expect(b.block.header.chainId).toBe(CHAIN_ID);
    expect(toHex(b.blockId.hash)).toBe(h.node.blocks[1]!.block.id);
    expect(b.block.txs).toHaveLength(1);
    expect(toHex(b.block.txs[0]!)).toBe(toHex(committed.bytes));
    expect(b.block.lastCommit?.height).toBe(1);
    expect(b.block.lastCommit?.signatures.filter((s) => s.signature !== undefined)).toHaveLength(3);
    expect(toHex(b.block.header.proposerAddress)).toBe(h.node.blocks[1]!.block.header.proposer);
    expect((await client.block(1)).block.lastCommit).toBeNull();
    expect((await client.block()).block.header.height).toBe(3);
    const chain = await client.blockchain(1, 3);
    expect(chain.blockMetas.map((m) => m.header.height)).toEqual([3, 2, 1]);
  });

  it("commit and validators", async () => {
    const c = await client.commit(2);
    expect(c.canonical).toBe(true);
    expect(c.commit.height).toBe(2);
    const v = await client.validators({ height: 2 });
    expect(v.blockHeight).toBe(2);
    expect(v.total).toBe(4);
    expect(v.validators.map((x) => toHex(x.address))).toEqual(h.node.set.members);
    expect(v.validators[0]!.pubkey?.algorithm).toBe("ed25519");
    const all = await client.validatorsAll();
    expect(all.validators).toHaveLength(4);
  });

  it("tx by hash (cosmjs sends base64) and txSearch", async () => {
    const t = await client.tx({ hash: committed.hash });
    expect(t.height).toBe(2);
    expect(t.index).toBe(0);
    expect(t.result.code).toBe(0);
    expect(toHex(t.hash)).toBe(committed.id);
    expect(toHex(t.tx)).toBe(toHex(committed.bytes));
    const found = await client.txSearchAll({ query: `tx.sender='${committed.sender}'` });
    expect(found.totalCount).toBe(1);
  });

  it("genesis, health, numUnconfirmedTxs, blockResults, abciInfo", async () => {
    const g = await client.genesis();
    expect(g.chainId).toBe(CHAIN_ID);
    expect(g.validators).toHaveLength(4);
    expect(await client.health()).toBeNull();
    expect((await client.numUnconfirmedTxs()).total).toBe(0);
    const r = await client.blockResults(2);
    expect(r.results.map((x) => x.code)).toEqual([0]);
    expect((await client.abciInfo()).lastBlockHeight).toBe(3);
  });

  it("broadcastTxSync: accepted, then known on resubmission, refusals as codes", async () => {
    const tx = transferTx(account0, 1);
    const r = await client.broadcastTxSync({ tx: tx.bytes });
    expect(r.code).toBe(0);
    expect(toHex(r.hash)).toBe(tx.id);
    const again = await client.broadcastTxSync({ tx: tx.bytes });
    expect(again.code).toBe(0);
    const other = transferTx(account0, 2, 1n, "another-chain");
    const refused = await client.broadcastTxSync({ tx: other.bytes });
    expect(refused.code).toBe(CHECK_TX_CODES.WRONG_CHAIN);
    expect(refused.codespace).toBe("triad");
    expect(refused.log).toMatch(/chain/);
  });

  it("broadcastTxAsync and broadcastTxCommit", async () => {
    const a = transferTx(account0, 3);
    expect(toHex((await client.broadcastTxAsync({ tx: a.bytes })).hash)).toBe(a.id);
    const tx = transferTx(account0, 4);
    const pending = client.broadcastTxCommit({ tx: tx.bytes });
    await expect.poll(() => h.node.waiterCount).toBe(1);
    h.node.appendBlock([tx]);
    const r = await pending;
    expect(r.height).toBe(4);
    expect(r.checkTx.code).toBe(0);
    expect(r.txResult?.code).toBe(0);
  });

  it("subscribes over WebSocket: NewBlock and Tx events decode", async () => {
    const ws = await Comet38Client.connect(`ws://127.0.0.1:${h.address.port}`);
    try {
      const blocks: number[] = [];
      const txs: string[] = [];
      const s1 = ws.subscribeNewBlock().subscribe({ next: (b) => blocks.push(b.header.height), error: () => undefined });
      const s2 = ws.subscribeTx().subscribe({ next: (t) => txs.push(toHex(t.hash)), error: () => undefined });
      // cosmjs subscribes lazily; produce events only once the server holds both subscriptions.
      await expect.poll(() => h.server.stats().subscriptions).toBe(2);
      const tx = transferTx(account0, 5);
      h.node.appendBlock([tx]);
      await expect.poll(() => blocks).toEqual([h.node.height]);
      await expect.poll(() => txs).toEqual([tx.id]);
      s1.unsubscribe();
      s2.unsubscribe();
    } finally {
      ws.disconnect();
    }
  });
});
