// The syncer's loop alone: batches from head + 1 until a short batch, each imported through the
// driver's queue (here a stub that appends to the store); one sync at a time; a failed fetch or a
// batch that does not move the head ends it.
import { describe, expect, it } from "vitest";
import type { ValidatorId } from "../../../src/chain/index.js";
import { Syncer, syncDecision } from "../../../src/driver/syncer.js";
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
    // The second batch was already asked for (fetched while the first imported), then dropped.
    expect(refused.transport.fetches).toHaveLength(2);
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

describe("syncDecision", () => {
  const at = (peer: string, height: number) => ({ peer, height });

  it("syncs from the peers ahead, best first, when the gap is more than one block", () => {
    expect(syncDecision(3, -1, [at("a", 9), at("b", 3), at("c", 12)])).toEqual({ networkHeight: 12, syncFrom: ["c", "a"] });
  });

  it("leaves a one-block gap to consensus unless our head did not move since the last look", () => {
    expect(syncDecision(5, 4, [at("a", 6)])).toEqual({ networkHeight: 6, syncFrom: [] });
    expect(syncDecision(5, 5, [at("a", 6)])).toEqual({ networkHeight: 6, syncFrom: ["a"] });
  });

  it("does nothing when nobody is ahead or nobody answered", () => {
    expect(syncDecision(7, 7, [at("a", 7), at("b", 2)])).toEqual({ networkHeight: 7, syncFrom: [] });
    expect(syncDecision(7, 7, [])).toEqual({ networkHeight: null, syncFrom: [] });
  });

  it("counts a peer that answered twice once, at its best height", () => {
    expect(syncDecision(1, -1, [at("a", 4), at("b", 3), at("a", 2)])).toEqual({ networkHeight: 4, syncFrom: ["a", "b"] });
  });
});

/** A syncer over a store whose head the test sets, and peers that answer `heads`. */
function watching(heads: Record<string, number>, ours: { height: number }, headCheckTicks = 5) {
  const transport = new FakeTransport();
  transport.heads = heads;
  const store = { head: () => ({ height: ours.height, hash: new Uint8Array(32), timestamp: 0 }) };
  const syncer = new Syncer({ headCheckTicks }, { store, transport, importBatch: async () => undefined });
  syncer.start();
  const synced = () => transport.fetches.map((f) => [...f.peers]);
  return { syncer, transport, synced };
}

describe("Syncer: the decision to sync", () => {
  it("syncs at once from the peers ahead when the gap is more than one block, and is catching up while far behind", async () => {
    const ours = { height: 3 };
    const { syncer, synced } = watching({ a: 9, b: 3, c: 12 }, ours);
    expect(syncer.catchingUp).toBe(false);
    await syncer.checkHeads();
    await syncer.idle();
    expect(synced()).toEqual([["c", "a"]]);
    expect(syncer.bestKnownHeight).toBe(12);
    expect(syncer.catchingUp).toBe(true);
    ours.height = 11;
    expect(syncer.catchingUp).toBe(false);
  });

  it("with a peer one block ahead, syncs only when our head did not move between looks", async () => {
    const ours = { height: 5 };
    const { syncer, synced } = watching({ a: 6 }, ours);
    await syncer.checkHeads();
    expect(synced()).toEqual([]);
    ours.height = 6;
    await syncer.checkHeads();
    expect(synced()).toEqual([]); // we moved (and are level now)
    await syncer.checkHeads();
    expect(synced()).toEqual([]);
    ours.height = 5; // (a test double: pretend we are behind and stuck)
    await syncer.checkHeads();
    await syncer.checkHeads();
    await syncer.idle();
    expect(synced()).toEqual([["a"]]);
  });

  it("counts as catching up only when more than 3 blocks behind the best peer (8f79b1c)", async () => {
    const ours = { height: 10 };
    const { syncer, transport } = watching({ a: 13 }, ours);
    await syncer.checkHeads();
    expect(syncer.catchingUp).toBe(false); // a normal gap under load: the RPC keeps taking txs
    transport.heads = { a: 14 };
    await syncer.checkHeads();
    expect(syncer.catchingUp).toBe(true);
  });

  it("ignores peers that do not answer, and does nothing without peers", async () => {
    const { syncer, synced } = watching({}, { height: 1 });
    await syncer.checkHeads();
    expect(synced()).toEqual([]);
    expect(syncer.catchingUp).toBe(false);
    await syncer.stop();
  });

  it("looks at the peers' heads every headCheckTicks ticks", async () => {
    const { syncer, transport } = watching({ a: 1 }, { height: 1 }, 5);
    for (let i = 0; i < 4; i++) syncer.onTick();
    await syncer.idle();
    expect(transport.headChecks).toBe(0);
    syncer.onTick();
    await syncer.idle();
    expect(transport.headChecks).toBe(1);
    // Ticks 10 and 15 with no await between: the look of tick 10 is still under way at 15.
    for (let i = 0; i < 10; i++) syncer.onTick();
    await syncer.idle();
    expect(transport.headChecks).toBe(2);
    for (let i = 0; i < 5; i++) syncer.onTick();
    await syncer.idle();
    expect(transport.headChecks).toBe(3);
    await syncer.stop();
    for (let i = 0; i < 10; i++) syncer.onTick();
    expect(transport.headChecks).toBe(3);
  });
});
