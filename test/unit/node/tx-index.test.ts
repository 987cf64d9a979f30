import { describe, expect, it } from "vitest";
import { toHex } from "../../../src/chain/index.js";
import { MemoryBlockStore } from "../../../src/store/memory.js";
import { locate, RecentTxIndex } from "../../../src/node/tx-index.js";
import { chainFixture, nextAppend } from "../../fixtures/chain-fixture.js";

async function chainOf(blocks: number, txs: number) {
  const fx = chainFixture();
  const store = new MemoryBlockStore();
  await store.open(fx.init);
  const appended = [];
  for (let i = 0; i < blocks; i++) {
    const input = nextAppend(fx, store, { txs });
    await store.append(input);
    appended.push({ block: input.block, seal: input.seal, receipts: input.receipts });
  }
  return { fx, store, appended };
}

describe("RecentTxIndex", () => {
  it("keeps the last maxBlocks blocks, loads them from the store, and pages results read back from the store", async () => {
    const { fx, store, appended } = await chainOf(4, 2);
    const live = new RecentTxIndex(2);
    for (const stored of appended) live.add(stored);
    expect(live.oldestHeight).toBe(3);
    const all = live.search({}, { offset: 0, limit: 10, order: "asc" });
    expect(all.refs.map((r) => r.height)).toEqual([3, 3, 4, 4]);
    expect(live.search({}, { offset: 1, limit: 2, order: "desc" }).refs).toEqual([
      { height: 4, index: 0 },
      { height: 3, index: 1 },
    ]);
    const located = await locate(store, all.refs);
    expect(located.map((l) => l.tx.id)).toEqual([...appended[2]!.block.txs, ...appended[3]!.block.txs].map((t) => t.id));
    expect(located[1]).toMatchObject({ height: 3, index: 1, blockHash: appended[2]!.block.hash, receipt: appended[2]!.receipts[1] });
    const sender = located[0]!.tx.sender;
    const bySender = await locate(store, live.search({ sender }, { offset: 0, limit: 10, order: "asc" }).refs);
    expect(bySender.length).toBeGreaterThan(0);
    expect(bySender.every((l) => l.tx.sender === sender)).toBe(true);
    expect(live.search({ height: 2 }, { offset: 0, limit: 10, order: "asc" }).total).toBe(0);

    const loaded = new RecentTxIndex(2);
    await loaded.load(store);
    expect(loaded.search({}, { offset: 0, limit: 10, order: "asc" })).toEqual(all);
    // Replays of old heights are ignored.
    loaded.add((await store.getBlock(1))!);
    expect(loaded.search({ sender: toHex(fx.accounts[0]!.publicKey) }, { offset: 0, limit: 10, order: "asc" }).refs.every((r) => r.height >= 3)).toBe(true);
  });

  it("holds at most maxTxs txs, dropping whole old blocks, live and when loaded", async () => {
    const { store, appended } = await chainOf(5, 3);
    const live = new RecentTxIndex(100, 7);
    for (const stored of appended) live.add(stored);
    // 3 txs a block: two blocks (6 txs) fit, a third would pass 7.
    expect(live.size).toBe(6);
    expect(live.oldestHeight).toBe(4);
    const loaded = new RecentTxIndex(100, 7);
    await loaded.load(store);
    expect(loaded.size).toBe(6);
    expect(loaded.oldestHeight).toBe(4);
    expect(loaded.search({}, { offset: 0, limit: 10, order: "asc" })).toEqual(live.search({}, { offset: 0, limit: 10, order: "asc" }));
    // One block over the bound alone is still indexed.
    const tiny = new RecentTxIndex(100, 2);
    tiny.add(appended[0]!);
    expect(tiny.size).toBe(3);
  });

  it("keeps one copy of each sender, forgotten once no indexed tx names it", async () => {
    const { store, appended } = await chainOf(6, 3);
    const distinct = (blocks: typeof appended): number => new Set(blocks.flatMap((b) => b.block.txs.map((t) => t.sender))).size;
    // One block of 3 txs at a time, over the fixture's rotating accounts: senders come and go.
    const live = new RecentTxIndex(1);
    const seen = new Set<string>();
    for (const stored of appended) {
      live.add(stored);
      expect(live.senders).toBe(distinct([stored]));
      for (const t of stored.block.txs) seen.add(t.sender);
    }
    expect(seen.size).toBeGreaterThan(live.senders);
    // Reloading replaces what it held; the count is the window's again.
    await live.load(store);
    expect(live.senders).toBe(distinct(appended.slice(5)));
    // Searches still match by value.
    const sender = appended[5]!.block.txs[0]!.sender;
    const hits = live.search({ sender: `${sender}` }, { offset: 0, limit: 10, order: "asc" }).refs;
    expect(hits.length).toBe(appended.slice(5).flatMap((b) => b.block.txs).filter((t) => t.sender === sender).length);
  });
});
