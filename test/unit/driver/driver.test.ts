// The driver: the one place async meets the core. A one-validator chain runs through it end to
// end (build → pre-prepare → votes → append → block-appended), each own vote durable before
// anything after it runs; network messages beyond the queue bound are dropped (ticks never);
// a requested sync imports through the queue and the core follows; stop() ends the intake.
import { describe, expect, it } from "vitest";
import { toHex, type StoredBlock } from "../../../src/chain/index.js";
import type { ConsensusMessage } from "../../../src/consensus/index.js";
import { poaSelection } from "../../../src/consensus/selection/index.js";
import { chainFixture, driverCluster, driverSetup, GatedVoteStore, nextAppend, storeWith, type ChainFixture } from "./harness.js";

/** The fixture index of the primary of (1, 0). */
function primaryIndex(fx: ChainFixture): number {
  const id = poaSelection.primary(fx.init.validators, 1, 0);
  return fx.genesis.validators.findIndex((v) => v.id === id);
}

/** Lets the event loop turn until `done` resolves, calling `between` on each turn (no timers). */
async function pump(done: Promise<void>, between: () => void, maxTurns = 10_000): Promise<void> {
  let settled = false;
  let failure: unknown = null;
  done.then(
    () => (settled = true),
    (err: unknown) => {
      failure = err;
      settled = true;
    },
  );
  for (let turn = 0; turn < maxTurns && !settled; turn++) {
    await new Promise<void>((resolve) => setImmediate(resolve));
    between();
  }
  if (failure !== null) throw failure;
  expect(settled).toBe(true);
}

describe("Driver", () => {
  it("runs a chain end to end: the primary proposes the mempool's txs, all decide and append, the cores move on", async () => {
    const fx = chainFixture();
    const appended: StoredBlock[] = [];
    const c = await driverCluster(fx);
    const block1 = nextAppend(fx, await storeWith(fx)).block;
    // Every mempool holds the txs (as the tx relay would have it). The primary proposes the
    // first at once (txs-waiting), the rest go into the next height's block.
    for (const node of c.nodes) for (const tx of block1.txs) node.mempool.add(tx);
    await c.deliver();
    await c.tickAll();
    await c.deliver();
    for (const node of c.nodes) {
      expect(node.store.head().height).toBe(2);
      expect(node.driver.status().height).toBe(3);
      const stored = [(await node.store.getBlock(1))!, (await node.store.getBlock(2))!];
      appended.push(...stored);
      expect(stored.flatMap((b) => b.block.txs.map((t) => t.id))).toEqual(block1.txs.map((t) => t.id));
      expect(node.mempool.size).toBe(0);
    }
    expect(appended[0]!.block.txs).toHaveLength(1);
  });

  it("roundState: the start of the current view is the clock when the replica entered it (start, then each append)", async () => {
    const fx = chainFixture();
    const c = await driverCluster(fx);
    const node = c.nodes[0]!;
    expect(node.driver.roundState()).toMatchObject({ height: 1, view: 0, startedAt: node.clock.now() });
    const block1 = nextAppend(fx, await storeWith(fx)).block;
    for (const n of c.nodes) for (const tx of block1.txs) n.mempool.add(tx);
    await c.deliver();
    await c.tickAll();
    await c.deliver();
    // The harness's clock reads the head's timestamp + 1 s: at the append of block 2, block 2's.
    const head = node.store.head();
    expect(head.height).toBe(2);
    expect(node.driver.roundState()).toMatchObject({ height: 3, view: 0, startedAt: head.timestamp + 1_000, proposalHash: null, lockedHash: null });
  });

  it("wakes an idle primary when its mempool fills: the block is proposed and decided with no tick", async () => {
    const fx = chainFixture();
    const c = await driverCluster(fx);
    const primary = c.nodes[primaryIndex(fx)]!;
    // One tick each: the primary finds no txs and waits (emptyBlockIntervalTicks has not passed).
    await c.tickAll();
    await c.deliver();
    expect(primary.transport.sent).toEqual([]);
    const block1 = nextAppend(fx, await storeWith(fx)).block;
    for (const tx of block1.txs) primary.mempool.add(tx);
    await primary.driver.idle();
    await c.deliver();
    for (const node of c.nodes) expect(node.store.head().height).toBe(1);
    // The first tx woke it; it did not wait to batch the second.
    expect((await primary.store.getBlock(1))!.block.txs.map((t) => t.id)).toEqual([block1.txs[0]!.id]);
  });

  it("holds every action after a persist-vote until the vote is durable", async () => {
    const fx = chainFixture();
    const log: string[] = [];
    const gated = new GatedVoteStore(log);
    const p = primaryIndex(fx);
    const c = await driverCluster(fx, { votes: (i) => (i === p ? gated : undefined) });
    const primary = c.nodes[p]!;
    primary.transport.log = log;
    for (const tx of nextAppend(fx, await storeWith(fx)).block.txs) primary.mempool.add(tx);
    let held = 0;
    await pump(
      (async () => {
        await c.tickAll();
        await c.deliver();
      })(),
      () => {
        if (gated.waiting === 0) return;
        // While a write is pending, nothing was sent after it started.
        expect(log[log.length - 1]).toMatch(/^record-start /);
        held++;
        gated.releaseAll();
      },
    );
    expect(primary.store.head().height).toBe(1);
    // The primary's pre-prepare and prepare come from one step: one synced write holds both.
    expect(log).toContain("record-start pre-prepare@1/0 + prepare@1/0");
    expect(held).toBeGreaterThanOrEqual(2); // (pre-prepare + prepare), commit … of the primary
    // And every message the primary sent was recorded first.
    const sends = log.filter((l) => l.startsWith("send "));
    expect(sends.length).toBeGreaterThan(0);
    for (const [i, line] of log.entries()) {
      if (!line.startsWith("send ")) continue;
      const recorded = log.indexOf(`recorded ${line.slice("send ".length)}`);
      expect(recorded, line).toBeGreaterThanOrEqual(0);
      expect(recorded, line).toBeLessThan(i);
    }
  });

  it("drops network messages beyond the queue bound, never ticks", async () => {
    const fx = chainFixture();
    const s = await driverSetup(fx, { self: null, driver: { maxQueuedInputs: 2 } });
    const junk: ConsensusMessage = { type: "prepare", chainId: fx.chainId, height: 1, view: 0, blockHash: new Uint8Array(32), from: toHex(new Uint8Array(32)), signature: new Uint8Array(64) };
    // The first input is taken off the queue at once; two more fit; the rest are dropped.
    for (let i = 0; i < 6; i++) s.driver.submit({ type: "message", message: junk });
    expect(s.driver.droppedInputs).toBe(3);
    for (let i = 0; i < 4; i++) s.driver.submit({ type: "tick" });
    expect(s.driver.droppedInputs).toBe(3);
    expect(s.driver.queueLength).toBe(6);
    await s.driver.idle();
    expect(s.driver.queueLength).toBe(0);
  });

  it("imports a requested sync through its queue, and the core follows the store", async () => {
    const fx = chainFixture();
    const appended: string[] = [];
    const s = await driverSetup(fx, { self: null, driver: { syncBatchBlocks: 2 }, deps: { events: { onAppended: (b, source) => appended.push(`${b.block.header.height}:${source}`) } } });
    s.transport.source = await storeWith(fx, 5);
    s.driver.requestSync([fx.validatorId(0)]);
    expect(s.driver.syncing).toBe(true);
    await s.driver.idle();
    expect(s.driver.syncing).toBe(false);
    expect(s.store.head().height).toBe(5);
    expect(appended).toEqual(["1:sync", "2:sync", "3:sync", "4:sync", "5:sync"]);
    expect(s.transport.fetches.map((f) => f.from)).toEqual([1, 3, 5]);
    expect(s.driver.status().height).toBe(6);
  });

  it("decides by itself, on its ticks, that it is behind: looks at the peers' heads and syncs", async () => {
    const fx = chainFixture();
    const s = await driverSetup(fx, { self: null, driver: { headCheckTicks: 3 } });
    s.transport.source = await storeWith(fx, 5);
    // The peer claims more than it serves: after the sync we are still well behind its head.
    s.transport.heads = { [fx.validatorId(2)]: 10 };
    for (let i = 0; i < 2; i++) s.driver.submit({ type: "tick" });
    await s.driver.idle();
    expect(s.transport.headChecks).toBe(0);
    expect(s.driver.catchingUp).toBe(false);
    s.driver.submit({ type: "tick" });
    await s.driver.idle();
    expect(s.transport.headChecks).toBe(1);
    expect(s.transport.fetches[0]!.peers).toEqual([fx.validatorId(2)]);
    expect(s.store.head().height).toBe(5);
    expect(s.driver.status().height).toBe(6);
    expect(s.driver.bestKnownHeight).toBe(10);
    expect(s.driver.catchingUp).toBe(true);
    s.transport.heads = { [fx.validatorId(2)]: 5 };
    for (let i = 0; i < 3; i++) s.driver.submit({ type: "tick" });
    await s.driver.idle();
    expect(s.driver.catchingUp).toBe(false);
  });

  it("takes no input after stop(), and restarts from the store and its recorded votes", async () => {
    const fx = chainFixture();
    const c = await driverCluster(fx);
    const p = primaryIndex(fx);
    const primary = c.nodes[p]!;
    for (const tx of nextAppend(fx, await storeWith(fx)).block.txs) primary.mempool.add(tx);
    await c.tickAll(); // the primary pre-prepares (and records it)
    const recorded = await primary.votes.load();
    expect(recorded.length).toBeGreaterThan(0);
    await primary.driver.stop();
    primary.driver.submit({ type: "tick" });
    expect(primary.driver.queueLength).toBe(0);
    await primary.driver.start();
    expect(primary.driver.status()).toMatchObject({ height: 1, view: 0, isPrimary: true });
    await c.deliver();
    for (const node of c.nodes) expect(node.store.head().height).toBe(1);
  });
});
