// One conformance suite for every BlockStore (LevelBlockStore on a real temp dir, MemoryBlockStore),
// then the Level-only cases: damage on disk found on open and on read.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Level } from "level";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  ChainState,
  decodeSeal,
  InvariantError,
  sealsEqual,
  toHex,
  validatorSet,
  type AppendInput,
  type BlockStore,
  type ChainHead,
  type StoredBlock,
} from "../../../src/chain/index.js";
import { LevelBlockStore, MemoryBlockStore } from "../../../src/store/index.js";
import { blockKey, stateKey } from "../../../src/store/level-block-layout.js";
import { chainFixture, nextAppend } from "../../fixtures/chain-fixture.js";

const fx = chainFixture();
const otherGenesis = chainFixture({ chainId: "triad-other" });
/** Genesis set with validator-3 swapped for validator-4, and then validator-2 for validator-5. */
const secondSet = validatorSet([0, 1, 2, 4].map(fx.validatorId));
const thirdSet = validatorSet([0, 1, 4, 5].map(fx.validatorId));

interface StoreFactory {
  /** A fresh, unopened store over this test's empty storage. */
  create(): BlockStore;
  /** An unopened store over the same storage as `closed`, as a restarted node would make. */
  reopen(closed: BlockStore): BlockStore;
  dispose(): Promise<void>;
}

function levelFactory(): StoreFactory & { readonly dir: string } {
  const dir = mkdtempSync(join(tmpdir(), "triad-block-store-"));
  const made: BlockStore[] = [];
  const make = (): BlockStore => {
    const store = new LevelBlockStore({ path: dir });
    made.push(store);
    return store;
  };
  return {
    dir,
    create: make,
    reopen: make,
    async dispose() {
      for (const store of made) await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function memoryFactory(): StoreFactory {
  return { create: () => new MemoryBlockStore(), reopen: (closed) => closed, dispose: async () => undefined };
}

function errorCode(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return undefined;
}

function genesisState(): ChainState {
  const state = new ChainState();
  state.apply(fx.init.writes);
  return state;
}

function expectStored(stored: StoredBlock | undefined, input: AppendInput): void {
  expect(stored).toBeDefined();
  expect(toHex(stored!.block.bytes)).toBe(toHex(input.block.bytes));
  expect(stored!.block.id).toBe(input.block.id);
  expect(sealsEqual(stored!.seal, input.seal)).toBe(true);
  expect(stored!.receipts).toEqual(input.receipts);
}

function sortedEntries(state: ChainState): [string, string][] {
  return [...state.entries()].map(([k, v]): [string, string] => [k, toHex(v)]).sort(([a], [b]) => (a < b ? -1 : 1));
}

/** Appends `count` fixture blocks, switching the validator set where `changes` says. */
async function appendBlocks(store: BlockStore, count: number, changes: ReadonlyMap<number, ReturnType<typeof validatorSet>> = new Map()): Promise<AppendInput[]> {
  const inputs: AppendInput[] = [];
  for (let i = 0; i < count; i++) {
    const height = store.head().height + 1;
    const input = nextAppend(fx, store, { txs: height % 3, nextValidators: changes.get(height) ?? store.validatorsAt(height) });
    await store.append(input);
    inputs.push(input);
  }
  return inputs;
}

function conformance(name: string, makeFactory: () => StoreFactory): void {
  describe(`${name} (BlockStore conformance)`, () => {
    let factory: StoreFactory;
    let store: BlockStore;

    beforeEach(async () => {
      factory = makeFactory();
      store = factory.create();
      await store.open(fx.init);
    });
    afterEach(async () => {
      await factory.dispose();
    });

    async function restart(genesis = fx.init): Promise<BlockStore> {
      await store.close();
      store = factory.reopen(store);
      await store.open(genesis);
      return store;
    }

    it("starts at the genesis: height 0, genesis hash and time, genesis state and validators", async () => {
      expect(store.head()).toEqual({ height: 0, hash: fx.init.genesisHash, timestamp: fx.init.genesisTimestamp });
      expect(toHex(store.state().root())).toBe(toHex(genesisState().root()));
      expect(store.validatorsAt(1)).toEqual(fx.init.validators);
      expect(await store.getBlock(1)).toBeUndefined();
    });

    it("reopens with the same genesis and refuses another", async () => {
      await restart();
      expect(store.head().height).toBe(0);
      expect(toHex(store.state().root())).toBe(toHex(genesisState().root()));
      await store.close();
      store = factory.reopen(store);
      await expect(store.open(otherGenesis.init)).rejects.toMatchObject({
        code: "GENESIS_MISMATCH",
        details: { expected: toHex(fx.init.genesisHash), actual: toHex(otherGenesis.init.genesisHash) },
      });
      await store.open(fx.init);
      expect(store.head().height).toBe(0);
    });

    it("appends blocks and reads them back by height and by hash, with the head following", async () => {
      const inputs: AppendInput[] = [];
      for (let h = 1; h <= 4; h++) {
        const input = nextAppend(fx, store, { txs: h - 1 });
        await store.append(input);
        inputs.push(input);
        expect(store.head()).toEqual({ height: h, hash: input.block.hash, timestamp: input.block.header.timestamp });
      }
      for (const input of inputs) {
        expectStored(await store.getBlock(input.block.header.height), input);
        expectStored(await store.getBlockByHash(input.block.id), input);
      }
      for (const missing of [0, -1, 5, 1.5, Number.NaN]) expect(await store.getBlock(missing)).toBeUndefined();
      expect(await store.getBlockByHash("00".repeat(32))).toBeUndefined();
      expect(await store.getBlockByHash("not hex")).toBeUndefined();
      expect(await store.getBlockByHash(inputs[0]!.block.id.toUpperCase())).toBeUndefined();
    });

    it("finds every tx by id with its height, index, block hash and receipt", async () => {
      const inputs = await appendBlocks(store, 5);
      let found = 0;
      for (const input of inputs) {
        for (const [index, tx] of input.block.txs.entries()) {
          const location = await store.getTx(tx.id);
          expect(location).toBeDefined();
          expect(location!.tx.id).toBe(tx.id);
          expect(toHex(location!.tx.bytes)).toBe(toHex(tx.bytes));
          expect(location!.height).toBe(input.block.header.height);
          expect(location!.index).toBe(index);
          expect(toHex(location!.blockHash)).toBe(input.block.id);
          expect(location!.receipt).toEqual(input.receipts[index]);
          found++;
        }
      }
      expect(found).toBeGreaterThan(3);
      expect(await store.getTx("ab".repeat(32))).toBeUndefined();
      expect(await store.getTx("xyz")).toBeUndefined();
    });

    it("holds the state with each block's writes applied: root equals the header's stateRoot", async () => {
      const shadow = genesisState();
      for (let h = 1; h <= 6; h++) {
        const input = nextAppend(fx, store, { txs: 3 });
        await store.append(input);
        shadow.apply(input.writes);
        expect(toHex(store.state().root())).toBe(toHex(shadow.root()));
        expect(toHex(store.state().root())).toBe(toHex(input.block.header.stateRoot));
      }
      expect(sortedEntries(store.state())).toEqual(sortedEntries(shadow));
    });

    it("answers validatorsAt across a change, and only for heights 1..head+1", async () => {
      await appendBlocks(store, 3, new Map([[2, secondSet]]));
      expect(store.validatorsAt(1)).toEqual(fx.init.validators);
      expect(store.validatorsAt(2)).toEqual(fx.init.validators);
      expect(store.validatorsAt(3)).toEqual(secondSet);
      expect(store.validatorsAt(4)).toEqual(secondSet);
      for (const outside of [0, 5, 2.5]) expect(errorCode(() => store.validatorsAt(outside))).toBe("BAD_HEIGHT");
    });

    it("refuses BAD_HEIGHT and PARENT_MISMATCH and is unchanged after", async () => {
      await appendBlocks(store, 2);
      const next = nextAppend(fx, store);
      const before = { head: store.head(), root: toHex(store.state().root()) };

      /** Build on a head the store does not have: the store's state and validators, a doctored head. */
      const onHead = (head: ChainHead): AppendInput =>
        nextAppend(fx, { head: () => head, headSeal: () => store.headSeal(), state: () => store.state(), validatorsAt: () => store.validatorsAt(3) });
      const stale = onHead({ ...before.head, height: 1 });
      await expect(store.append(stale)).rejects.toMatchObject({ code: "BAD_HEIGHT", details: { expected: 3, actual: 2 } });
      const gap = onHead({ ...before.head, height: 3 });
      await expect(store.append(gap)).rejects.toMatchObject({ code: "BAD_HEIGHT", details: { expected: 3, actual: 4 } });
      const forkParent = new Uint8Array(32).fill(7);
      const fork = onHead({ ...before.head, hash: forkParent });
      await expect(store.append(fork)).rejects.toMatchObject({
        code: "PARENT_MISMATCH",
        details: { expected: toHex(before.head.hash), actual: toHex(forkParent) },
      });

      for (const refused of [stale, gap, fork]) {
        for (const tx of refused.block.txs) {
          if (!next.block.txs.some((t) => t.id === tx.id)) expect(await store.getTx(tx.id)).toBeUndefined();
        }
        expect(await store.getBlockByHash(refused.block.id)).toBeUndefined();
      }
      expect(store.head()).toEqual(before.head);
      expect(toHex(store.state().root())).toBe(before.root);
      expect(await store.getBlock(3)).toBeUndefined();
      await store.append(next);
      expect(store.head().height).toBe(3);
    });

    it("treats a seal for another block, missing receipts or writes that miss the stateRoot as a bug", async () => {
      const next = nextAppend(fx, store);
      const other = nextAppend(fx, store, { view: 1 });
      const bugs: AppendInput[] = [
        { ...next, seal: other.seal },
        { ...next, receipts: next.receipts.slice(1) },
        { ...next, writes: new Map([...next.writes].slice(1)) },
      ];
      for (const input of bugs) await expect(store.append(input)).rejects.toBeInstanceOf(InvariantError);
      expect(store.head().height).toBe(0);
      expect(toHex(store.state().root())).toBe(toHex(genesisState().root()));
      await store.append(next);
    });

    it("runs concurrent appends one at a time: the second of two identical appends is refused", async () => {
      const input = nextAppend(fx, store);
      const results = await Promise.allSettled([store.append(input), store.append(input)]);
      expect(results[0]!.status).toBe("fulfilled");
      expect(results[1]).toMatchObject({ status: "rejected", reason: { code: "BAD_HEIGHT" } });
      expect(store.head().height).toBe(1);
    });

    it("restores head, state and validator sets exactly after a reopen, and appends on", async () => {
      const inputs = await appendBlocks(store, 12, new Map([[4, secondSet], [9, thirdSet]]));
      const before = {
        head: store.head(),
        root: toHex(store.state().root()),
        entries: sortedEntries(store.state()),
        sets: Array.from({ length: 13 }, (_, i) => store.validatorsAt(i + 1)),
      };
      await restart();
      expect(store.head()).toEqual(before.head);
      expect(toHex(store.state().root())).toBe(before.root);
      expect(sortedEntries(store.state())).toEqual(before.entries);
      expect(Array.from({ length: 13 }, (_, i) => store.validatorsAt(i + 1))).toEqual(before.sets);
      expect(store.validatorsAt(13)).toEqual(thirdSet);
      for (const input of inputs) expectStored(await store.getBlock(input.block.header.height), input);
      await appendBlocks(store, 2);
      expect(store.head().height).toBe(14);
    });

    it("keeps the proposer standing with the set history across a reopen, and the head's seal", async () => {
      // Same members, a standing change only: a change the history must record and restore.
      const base = fx.init.validators;
      const out = base.members[1]!;
      const suspended = { ...base, standing: [{ validator: out, failures: 2, lastFailure: 3, suspended: true, signed: false }] };
      const signed = { ...base, standing: [{ validator: out, failures: 2, lastFailure: 3, suspended: true, signed: true }] };
      const inputs = await appendBlocks(store, 8, new Map([[3, suspended], [5, signed], [7, base]]));
      const before = Array.from({ length: 9 }, (_, i) => store.validatorsAt(i + 1));
      expect(store.validatorsAt(4)).toEqual(suspended);
      expect(store.validatorsAt(6)).toEqual(signed);
      expect(store.validatorsAt(8)).toEqual(base);
      expect(store.headSeal()).toEqual(inputs[7]!.seal);
      await restart();
      expect(Array.from({ length: 9 }, (_, i) => store.validatorsAt(i + 1))).toEqual(before);
      expect(store.headSeal()).toEqual(inputs[7]!.seal);
    });

    it("refuses every call once closed, and before open", async () => {
      await appendBlocks(store, 1);
      const next = nextAppend(fx, store);
      await store.close();
      await store.close();
      expect(errorCode(() => store.head())).toBe("CLOSED");
      expect(errorCode(() => store.state())).toBe("CLOSED");
      expect(errorCode(() => store.validatorsAt(1))).toBe("CLOSED");
      await expect(store.getBlock(1)).rejects.toMatchObject({ code: "CLOSED" });
      await expect(store.getBlockByHash(next.block.id)).rejects.toMatchObject({ code: "CLOSED" });
      await expect(store.getTx("00".repeat(32))).rejects.toMatchObject({ code: "CLOSED" });
      await expect(store.append(next)).rejects.toMatchObject({ code: "CLOSED" });
      const unopened = factory.create();
      expect(errorCode(() => unopened.head())).toBe("NOT_INITIALIZED");
      await expect(unopened.append(next)).rejects.toMatchObject({ code: "NOT_INITIALIZED" });
    });
  });
}

conformance("MemoryBlockStore", memoryFactory);
conformance("LevelBlockStore", levelFactory);

describe("LevelBlockStore.getBlockBytes (what sync serves)", () => {
  it("returns the stored block and seal bytes of a range in height order, up to the head", async () => {
    const factory = levelFactory();
    try {
      const store = factory.create() as LevelBlockStore;
      await store.open(fx.init);
      const inputs = await appendBlocks(store, 4);
      const range = await store.getBlockBytes(2, 10);
      expect(range).toHaveLength(3);
      range.forEach((r, i) => {
        expect(Uint8Array.from(r.block)).toEqual(inputs[i + 1]!.block.bytes);
        expect(sealsEqual(decodeSeal(Uint8Array.from(r.seal)), inputs[i + 1]!.seal)).toBe(true);
      });
      expect(await store.getBlockBytes(5, 3)).toEqual([]);
      expect(await store.getBlockBytes(0, 3)).toEqual([]);
      expect(await store.getBlockBytes(1, 0)).toEqual([]);
    } finally {
      await factory.dispose();
    }
  });
});

describe("LevelBlockStore damage on disk", () => {
  let factory: ReturnType<typeof levelFactory>;

  beforeEach(() => {
    factory = levelFactory();
  });
  afterEach(async () => {
    await factory.dispose();
  });

  /** A store with `blocks` appended, closed, then `damage` done to its raw database. */
  async function damaged(blocks: number, damage: (db: Level<Uint8Array, Uint8Array>) => Promise<void>): Promise<BlockStore> {
    const store = factory.create();
    await store.open(fx.init);
    await appendBlocks(store, blocks);
    await store.close();
    const db = new Level<Uint8Array, Uint8Array>(factory.dir, { keyEncoding: "view", valueEncoding: "view" });
    await db.open();
    await damage(db);
    await db.close();
    return factory.reopen(store);
  }

  it("refuses to open when the head names a missing block", async () => {
    const store = await damaged(3, (db) => db.del(blockKey(3)));
    await expect(store.open(fx.init)).rejects.toMatchObject({ code: "CORRUPT" });
  });

  it("refuses to open when the state does not match the head's stateRoot", async () => {
    const account = `acct/${toHex(fx.accounts[0]!.publicKey)}`;
    const store = await damaged(2, (db) => db.put(stateKey(account), Uint8Array.of(1, 2, 3)));
    await expect(store.open(fx.init)).rejects.toMatchObject({ code: "CORRUPT" });
  });

  it("reports a block whose bytes do not decode as CORRUPT on read", async () => {
    const store = await damaged(3, (db) => db.put(blockKey(1), Uint8Array.of(0xff, 0x00)));
    await store.open(fx.init);
    expect(store.head().height).toBe(3);
    await expect(store.getBlock(1)).rejects.toMatchObject({ code: "CORRUPT" });
  });
});
