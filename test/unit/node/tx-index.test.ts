import { describe, expect, it } from "vitest";
import { toHex } from "../../../src/chain/index.js";
import { MemoryBlockStore } from "../../../src/store/memory.js";
import { RecentTxIndex } from "../../../src/node/tx-index.js";
import { chainFixture, nextAppend } from "../../fixtures/chain-fixture.js";

describe("RecentTxIndex", () => {
  it("keeps the last maxBlocks blocks, loads them from the store, and pages results", async () => {
    const fx = chainFixture();
    const store = new MemoryBlockStore();
    await store.open(fx.init);
    const live = new RecentTxIndex(2);
    for (let i = 0; i < 4; i++) {
      const input = nextAppend(fx, store, { txs: 2 });
      await store.append(input);
      live.add({ block: input.block, seal: input.seal, receipts: input.receipts });
    }
    expect(live.oldestHeight).toBe(3);
    const all = live.search({}, { offset: 0, limit: 10, order: "asc" });
    expect(all.txs.map((l) => l.height)).toEqual([3, 3, 4, 4]);
    expect(live.search({}, { offset: 1, limit: 2, order: "desc" }).txs.map((l) => [l.height, l.index])).toEqual([
      [4, 0],
      [3, 1],
    ]);
    const sender = all.txs[0]!.tx.sender;
    expect(live.search({ sender }, { offset: 0, limit: 10, order: "asc" }).txs.every((l) => l.tx.sender === sender)).toBe(true);
    expect(live.search({ height: 2 }, { offset: 0, limit: 10, order: "asc" }).total).toBe(0);

    const loaded = new RecentTxIndex(2);
    await loaded.load(store);
    expect(loaded.search({}, { offset: 0, limit: 10, order: "asc" })).toEqual(all);
    // Replays of old heights are ignored.
    const first = await store.getBlock(1);
    loaded.add(first!);
    expect(loaded.search({ sender: toHex(fx.accounts[0]!.publicKey) }, { offset: 0, limit: 10, order: "asc" }).txs.every((l) => l.height >= 3)).toBe(true);
  });
});
