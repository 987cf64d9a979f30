// The block executor alone: build from the mempool, validate a proposal (a verdict, never a
// throw), append a decided block (reusing the execution of its validation), and import fetched
// blocks (stopping at the first bad one). Every append hands back the core's next input.
import { beforeEach, describe, expect, it } from "vitest";
import { makeBlock, makeSeal, Mempool, MEMPOOL_DEFAULTS, type StoredBlock, type ValidatorId } from "../../../src/chain/index.js";
import { poaSelection } from "../../../src/consensus/selection/index.js";
import { BlockExecutor, VOTE_PRUNE_INTERVAL, type BlockAppendedInput } from "../../../src/driver/block-executor.js";
import type { SealedBlock } from "../../../src/driver/transport.js";
import { MemoryBlockStore, MemoryVoteStore } from "../../../src/store/memory.js";
import { chainFixture, registry, sealedRange, storeWith } from "./harness.js";

const fx = chainFixture();
const SELF = fx.validatorId(1);

interface Setup {
  store: MemoryBlockStore;
  votes: MemoryVoteStore;
  mempool: Mempool;
  executor: BlockExecutor;
  appended: { input: BlockAppendedInput; stored: StoredBlock; source: string }[];
  rejected: { error: Error; peers: readonly ValidatorId[] }[];
  clock: { ms: number };
}

async function setup(self: ValidatorId | null = SELF): Promise<Setup> {
  const store = await storeWith(fx);
  const votes = new MemoryVoteStore();
  const mempool = new Mempool({ chainId: fx.chainId, ...MEMPOOL_DEFAULTS }, { registry, state: () => store.state() });
  const clock = { ms: store.head().timestamp + 60_000 };
  const appended: Setup["appended"] = [];
  const rejected: Setup["rejected"] = [];
  const executor = new BlockExecutor(
    { chainId: fx.chainId, self, params: fx.genesis.consensus },
    {
      store,
      votes,
      mempool,
      selection: poaSelection,
      registry,
      clock: { now: () => clock.ms },
      appended: (input, stored, source) => appended.push({ input, stored, source }),
      onSyncRejected: (error, peers) => rejected.push({ error, peers }),
    },
  );
  return { store, votes, mempool, executor, appended, rejected, clock };
}

let chain: SealedBlock[];
beforeEach(async () => {
  chain = await sealedRange(await storeWith(fx, 4), 1, 4);
});

describe("BlockExecutor.build", () => {
  it("proposes the waiting txs on the head, and nothing when it may not", async () => {
    const s = await setup();
    expect(s.executor.build(1, 0, false)).toBeNull(); // no txs, and an empty block is not asked for
    const empty = s.executor.build(1, 0, true);
    expect(empty?.txs.length).toBe(0);
    expect(empty?.header.proposer).toBe(SELF);
    for (const tx of chain[0]!.block.txs) s.mempool.add(tx);
    const block = s.executor.build(1, 0, false);
    expect(block?.txs.map((t) => t.id)).toEqual(chain[0]!.block.txs.map((t) => t.id));
    expect(s.executor.build(2, 0, true)).toBeNull(); // not the next height
    expect((await setup(null)).executor.build(1, 0, true)).toBeNull(); // an observer builds nothing
  });

  it("remembers what it built, so validating its own proposal executes nothing again", async () => {
    const s = await setup();
    const block = s.executor.build(1, 0, true)!;
    expect(s.executor.cachedExecutions).toBe(1);
    s.clock.ms = 0; // a fresh validation would now refuse the timestamp: the cache answers first
    expect(s.executor.validate(block)).toEqual({ valid: true });
  });
});

describe("BlockExecutor.validate", () => {
  it("accepts a valid proposal and caches its execution for the append", async () => {
    const s = await setup(null);
    expect(s.executor.validate(chain[0]!.block)).toEqual({ valid: true });
    expect(s.executor.cachedExecutions).toBe(1);
    await s.executor.append(chain[0]!.block, chain[0]!.seal);
    expect(s.executor.cachedExecutions).toBe(0);
    expect(s.store.head().height).toBe(1);
  });

  it("refuses a proposal from too far in the future", async () => {
    const s = await setup(null);
    s.clock.ms = chain[0]!.block.header.timestamp - 20_000;
    const verdict = s.executor.validate(chain[0]!.block);
    expect(verdict.valid).toBe(false);
    expect(verdict.reason).toMatch(/too far in the future/);
  });

  it("returns a verdict with the error code for a block that does not execute to its header", async () => {
    const s = await setup(null);
    const good = chain[0]!.block;
    const bad = makeBlock({ ...good.header, stateRoot: new Uint8Array(32) }, good.txs, good.lastCommit);
    const verdict = s.executor.validate(bad);
    expect(verdict.valid).toBe(false);
    expect(verdict.reason).toMatch(/^[A-Z_]+: /);
    expect(s.executor.cachedExecutions).toBe(0);
  });
});

describe("BlockExecutor.append", () => {
  it("appends a decided block, removes its txs from the mempool and hands back block-appended", async () => {
    const s = await setup(null);
    for (const tx of chain[0]!.block.txs) s.mempool.add(tx);
    await s.votes.record({ height: 0, view: 0, phase: "prepare", bytes: new Uint8Array([1]) });
    await s.votes.record({ height: 1, view: 0, phase: "prepare", bytes: new Uint8Array([2]) });
    await s.executor.append(chain[0]!.block, chain[0]!.seal);
    expect(s.store.head().height).toBe(1);
    expect(s.mempool.size).toBe(0);
    // Not a prune height: old votes stay until one.
    expect((await s.votes.load()).map((r) => r.height)).toEqual([0, 1]);
    expect(s.appended).toHaveLength(1);
    const { input, source, stored } = s.appended[0]!;
    expect(source).toBe("consensus");
    expect(stored.block.id).toBe(chain[0]!.block.id);
    expect(input).toMatchObject({ type: "block-appended", height: 1, blockHash: chain[0]!.block.hash, timestamp: chain[0]!.block.header.timestamp });
    expect(input.nextValidators.members).toEqual(s.store.validatorsAt(2).members);
  });

  it("prunes our old votes every VOTE_PRUNE_INTERVAL heights", async () => {
    const long = await sealedRange(await storeWith(fx, VOTE_PRUNE_INTERVAL), 1, VOTE_PRUNE_INTERVAL);
    const s = await setup(null);
    for (let h = 0; h <= VOTE_PRUNE_INTERVAL; h++) await s.votes.record({ height: h, view: 0, phase: "prepare", bytes: new Uint8Array([h]) });
    for (const { block, seal } of long.slice(0, -1)) await s.executor.append(block, seal);
    expect(await s.votes.load()).toHaveLength(VOTE_PRUNE_INTERVAL + 1);
    const last = long[long.length - 1]!;
    await s.executor.append(last.block, last.seal);
    expect((await s.votes.load()).map((r) => r.height)).toEqual([VOTE_PRUNE_INTERVAL]);
  });

  it("treats a decided block that sync already stored as done, and a different one as a broken invariant", async () => {
    const s = await setup(null);
    await s.executor.importBlocks(chain.slice(0, 1), []);
    await s.executor.append(chain[0]!.block, chain[0]!.seal);
    expect(s.appended).toHaveLength(1);
    const other = makeBlock({ ...chain[0]!.block.header, timestamp: chain[0]!.block.header.timestamp + 1 }, chain[0]!.block.txs, chain[0]!.block.lastCommit);
    await expect(s.executor.append(other, makeSeal(1, 0, other.hash, chain[0]!.seal.commits))).rejects.toThrow(/differs from the stored one/);
  });
});

describe("BlockExecutor.importBlocks", () => {
  it("appends fetched blocks in order, skipping heights already stored", async () => {
    const s = await setup(null);
    await s.executor.importBlocks(chain.slice(0, 2), []);
    await s.executor.importBlocks(chain, ["peer"]);
    expect(s.store.head().height).toBe(4);
    expect(s.appended.map((a) => [a.input.height, a.source])).toEqual([1, 2, 3, 4].map((h) => [h, "sync"]));
    expect(s.rejected).toEqual([]);
  });

  it("syncs only the last append of a batch to disk, and prunes old votes once per batch", async () => {
    const s = await setup(null);
    const durable: boolean[] = [];
    const append = s.store.append.bind(s.store);
    s.store.append = (input, options) => {
      durable.push(options?.durable ?? true);
      return append(input, options);
    };
    const prunes: number[] = [];
    const prune = s.votes.pruneBelow.bind(s.votes);
    s.votes.pruneBelow = (height) => {
      prunes.push(height);
      return prune(height);
    };
    await s.executor.importBlocks(chain, ["peer"]);
    expect(durable).toEqual([false, false, false, true]);
    expect(prunes).toEqual([4]);
  });

  it("stops at a gap without appending anything past it", async () => {
    const s = await setup(null);
    await s.executor.importBlocks(chain.slice(1), ["peer"]);
    expect(s.store.head().height).toBe(0);
    expect(s.appended).toEqual([]);
  });

  it("stops at the first block with a bad seal and reports the peers that served it", async () => {
    const s = await setup(null);
    const forged = { ...chain[1]!.seal, commits: chain[1]!.seal.commits.map((c, i) => (i === 0 ? { ...c, signature: new Uint8Array(64) } : c)) };
    // Block 2 ends the batch: its served seal is the only one there is, and it is forged.
    await s.executor.importBlocks([chain[0]!, { block: chain[1]!.block, seal: forged }], ["bad-peer"]);
    expect(s.store.head().height).toBe(1);
    expect(s.rejected).toHaveLength(1);
    expect(s.rejected[0]!.peers).toEqual(["bad-peer"]);
  });

  it("seals each block but the batch's last with the next block's lastCommit, never with what the peer served", async () => {
    const s = await setup(null);
    const forged = { ...chain[1]!.seal, commits: chain[1]!.seal.commits.map((c, i) => (i === 0 ? { ...c, signature: new Uint8Array(64) } : c)) };
    await s.executor.importBlocks([chain[0]!, { block: chain[1]!.block, seal: forged }, chain[2]!], ["peer"]);
    expect(s.store.head().height).toBe(3);
    expect(s.rejected).toEqual([]);
    const stored = (await s.store.getBlock(2))!;
    expect(stored.seal).toEqual(chain[2]!.block.lastCommit);
    expect((await s.store.getBlock(3))!.seal).toEqual(chain[2]!.seal);
  });
});
