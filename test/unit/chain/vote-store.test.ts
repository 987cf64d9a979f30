// Both VoteStores: records come back in (height, view, phase) order, pruneBelow drops whole
// heights, and LevelVoteStore's records survive a reopen — on its own database or on a sublevel
// of the block store's.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { VotePhase, VoteRecord, VoteStore } from "../../../src/chain/index.js";
import { LevelBlockStore, LevelVoteStore, MemoryVoteStore } from "../../../src/store/index.js";
import { chainFixture, nextAppend } from "../../fixtures/chain-fixture.js";
import { decodeVoteRecords, encodeMessage, encodeVoteRecord } from "../../../src/consensus/index.js";
import { certificate, commit, GENESIS_HASH, makeKeys, makeTestBlock, prepare } from "../consensus/harness.js";

const vote = (height: number, view: number, phase: VotePhase): VoteRecord => ({
  height,
  view,
  phase,
  bytes: Uint8Array.of(height & 0xff, view & 0xff, phase.length),
});

/** Recorded out of order on purpose; `ordered` is what load must return. */
const ordered: VoteRecord[] = [
  vote(1, 0, "pre-prepare"),
  vote(1, 0, "prepare"),
  vote(1, 0, "commit"),
  vote(2, 0, "prepare"),
  vote(2, 0, "view-change"),
  vote(2, 1, "prepare"),
  vote(2, 1, "new-view"),
  vote(2, 2 ** 33, "commit"),
  vote(3, 0, "prepare"),
  vote(300, 0, "commit"),
  vote(2 ** 40, 0, "pre-prepare"),
];
const shuffled = [5, 9, 0, 10, 3, 7, 1, 8, 2, 6, 4].map((i) => ordered[i]!);

interface VoteStoreFactory {
  open(): Promise<VoteStore>;
  /** Close the store and open it again over the same storage. */
  reopen(store: VoteStore): Promise<VoteStore>;
  dispose(): Promise<void>;
}

function memoryFactory(): VoteStoreFactory {
  return { open: async () => new MemoryVoteStore(), reopen: async (store) => store, dispose: async () => undefined };
}

function levelFactory(): VoteStoreFactory {
  const dir = mkdtempSync(join(tmpdir(), "triad-votes-"));
  const open: LevelVoteStore[] = [];
  const make = async (): Promise<LevelVoteStore> => {
    const store = new LevelVoteStore({ path: dir });
    await store.open();
    open.push(store);
    return store;
  };
  return {
    open: make,
    async reopen(store) {
      await (store as LevelVoteStore).close();
      return make();
    },
    async dispose() {
      for (const store of open) await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function conformance(name: string, makeFactory: () => VoteStoreFactory): void {
  describe(`${name} (VoteStore conformance)`, () => {
    let factory: VoteStoreFactory;
    let store: VoteStore;

    beforeEach(async () => {
      factory = makeFactory();
      store = await factory.open();
    });
    afterEach(async () => {
      await factory.dispose();
    });

    it("starts empty", async () => {
      expect(await store.load()).toEqual([]);
    });

    it("loads every record in (height, view, phase) order", async () => {
      for (const v of shuffled) await store.record(v);
      expect(await store.load()).toEqual(ordered);
    });

    it("records several votes in one write, all or none, and they survive a reopen", async () => {
      await store.recordAll([vote(5, 0, "prepare"), vote(5, 0, "pre-prepare")]);
      const bad = { ...vote(6, 0, "commit"), height: -1 };
      await expect(store.recordAll([vote(6, 0, "prepare"), bad])).rejects.toThrow();
      const reopened = await factory.reopen(store);
      expect(await reopened.load()).toEqual([vote(5, 0, "pre-prepare"), vote(5, 0, "prepare")]);
    });

    it("keeps one record per (height, view, phase): a second replaces the first", async () => {
      await store.record(vote(4, 0, "prepare"));
      await store.record({ ...vote(4, 0, "prepare"), bytes: Uint8Array.of(9) });
      expect(await store.load()).toEqual([{ ...vote(4, 0, "prepare"), bytes: Uint8Array.of(9) }]);
    });

    it("prunes whole heights below the given one", async () => {
      for (const v of shuffled) await store.record(v);
      await store.pruneBelow(2);
      expect(await store.load()).toEqual(ordered.filter((v) => v.height >= 2));
      await store.pruneBelow(301);
      expect(await store.load()).toEqual([vote(2 ** 40, 0, "pre-prepare")]);
      await store.pruneBelow(0);
      expect(await store.load()).toHaveLength(1);
    });

    it("returns the records after a reopen", async () => {
      for (const v of shuffled) await store.record(v);
      await store.pruneBelow(2);
      store = await factory.reopen(store);
      expect(await store.load()).toEqual(ordered.filter((v) => v.height >= 2));
    });

    it("keeps a commit and its prepared certificate in one record, and still loads plain (older) records", async () => {
      const keys = makeKeys(4);
      const block = makeTestBlock(1, 0, GENESIS_HASH, keys[1]!.id);
      const own = commit(keys[0]!, 1, 0, block.hash);
      const cert = certificate([keys[0]!, keys[1]!, keys[2]!], 1, 0, block.hash);
      // An older record: the plain message, as written before certificates were persisted.
      await store.record({ height: 1, view: 0, phase: "prepare", bytes: encodeMessage(prepare(keys[0]!, 1, 0, block.hash)) });
      await store.record({ height: 1, view: 0, phase: "commit", bytes: encodeVoteRecord(own, { certificate: cert, block }) });
      store = await factory.reopen(store);
      const loaded = await store.load();
      expect(loaded.map((r) => r.phase)).toEqual(["prepare", "commit"]);
      const { ownVotes, ownCertificates } = decodeVoteRecords(loaded);
      expect(ownVotes.map((m) => m.type)).toEqual(["prepare", "commit"]);
      expect(ownVotes[1]).toEqual(own);
      expect(ownCertificates).toEqual([{ height: 1, certificate: cert, block }]);
    });

    it("does not alias the caller's buffer", async () => {
      const bytes = Uint8Array.of(1, 2, 3);
      await store.record({ height: 1, view: 0, phase: "commit", bytes });
      bytes[0] = 99;
      expect((await store.load())[0]!.bytes).toEqual(Uint8Array.of(1, 2, 3));
    });
  });
}

conformance("MemoryVoteStore", memoryFactory);
conformance("LevelVoteStore", levelFactory);

describe("LevelVoteStore", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it("shares the block store's database through a sublevel, and both survive a reopen", async () => {
    const dir = mkdtempSync(join(tmpdir(), "triad-shared-"));
    dirs.push(dir);
    const fx = chainFixture();
    let blocks = new LevelBlockStore({ path: dir });
    await blocks.open(fx.init);
    let votes = new LevelVoteStore({ db: blocks.sublevel("votes") });
    await votes.open();
    for (const v of shuffled) await votes.record(v);
    await blocks.append(nextAppend(fx, blocks));
    await votes.close();
    await blocks.close();

    blocks = new LevelBlockStore({ path: dir });
    await blocks.open(fx.init);
    votes = new LevelVoteStore({ db: blocks.sublevel("votes") });
    await votes.open();
    expect(await votes.load()).toEqual(ordered);
    expect(blocks.head().height).toBe(1);
    await blocks.append(nextAppend(fx, blocks));
    expect(await votes.load()).toEqual(ordered);
    await votes.close();
    await blocks.close();
  });

  it("refuses calls before open and after close", async () => {
    const dir = mkdtempSync(join(tmpdir(), "triad-votes-"));
    dirs.push(dir);
    const store = new LevelVoteStore({ path: dir });
    await expect(store.load()).rejects.toMatchObject({ code: "NOT_INITIALIZED" });
    await store.open();
    await store.close();
    await expect(store.record(vote(1, 0, "commit"))).rejects.toMatchObject({ code: "CLOSED" });
  });
});
