// The syncer's loop alone: batches from head + 1 until a short batch, each imported through the
// driver's queue (here a stub that appends to the store); one sync at a time; a failed fetch or a
// batch that does not move the head ends it.
import { describe, expect, it } from "vitest";
import type { ValidatorId } from "../../../src/chain/index.js";
import { Syncer } from "../../../src/driver/syncer.js";
import type { SealedBlock } from "../../../src/driver/transport.js";
import { chainFixture, FakeTransport, nextAppend, storeWith } from "./harness.js";

const fx = chainFixture();

async function setup(options: { batch?: number; sourceBlocks?: number; refuse?: boolean } = {}) {
  const store = await storeWith(fx);
  const transport = new FakeTransport();
  transport.source = await storeWith(fx, options.sourceBlocks ?? 5);
  const imported: { heights: number[]; peers: readonly ValidatorId[] }[] = [];
  const warnings: string[] = [];
  const syncer = new Syncer(
    { syncBatchBlocks: options.batch ?? 2 },
    {
      store,
      transport,
      importBatch: async (blocks: readonly SealedBlock[], peers) => {
        imported.push({ heights: blocks.map((b) => b.block.header.height), peers });
        if (options.refuse === true) return;
        for (const { block } of blocks) {
          if (block.header.height !== store.head().height + 1) continue;
          // The fixture is deterministic: the next fixture block is the fetched one.
          await store.append(nextAppend(fx, store));
        }
      },
      logger: { debug: () => undefined, info: () => undefined, warn: (_o, msg) => warnings.push(msg ?? ""), error: () => undefined },
    },
  );
  syncer.start();
  return { store, transport, syncer, imported, warnings };
}

describe("Syncer", () => {
  it("fetches batch after batch from our head until a short batch", async () => {
    const s = await setup({ batch: 2, sourceBlocks: 5 });
    s.syncer.sync(["a", "b"]);
    expect(s.syncer.syncing).toBe(true);
    await s.syncer.idle();
    expect(s.syncer.syncing).toBe(false);
    expect(s.store.head().height).toBe(5);
    expect(s.transport.fetches.map((f) => [f.from, f.count])).toEqual([[1, 2], [3, 2], [5, 2]]);
    expect(s.imported.map((i) => i.heights)).toEqual([[1, 2], [3, 4], [5]]);
    expect(s.imported.every((i) => i.peers.join() === "a,b")).toBe(true);
  });

  it("runs one sync at a time: a request while one runs is dropped", async () => {
    const s = await setup({ batch: 2, sourceBlocks: 2 });
    s.syncer.sync(["a"]);
    s.syncer.sync(["b"]);
    await s.syncer.idle();
    expect(s.transport.fetches.map((f) => f.peers)).toEqual([["a"], ["a"]]);
  });

  it("ends on a fetch error, and when a batch does not move the head", async () => {
    const failing = await setup();
    failing.transport.fetchError = new Error("peer went away");
    failing.syncer.sync(["a"]);
    await failing.syncer.idle();
    expect(failing.warnings).toEqual(["sync fetch failed"]);
    expect(failing.syncer.syncing).toBe(false);

    const refused = await setup({ batch: 2, sourceBlocks: 5, refuse: true });
    refused.syncer.sync(["a"]);
    await refused.syncer.idle();
    expect(refused.transport.fetches).toHaveLength(1);
    expect(refused.store.head().height).toBe(0);
  });

  it("does nothing without peers, or once stopped", async () => {
    const s = await setup();
    s.syncer.sync([]);
    expect(s.syncer.syncing).toBe(false);
    await s.syncer.stop();
    s.syncer.sync(["a"]);
    expect(s.syncer.syncing).toBe(false);
    expect(s.transport.fetches).toEqual([]);
  });
});
