// Found by the fuzz suite (test/reliability/fuzz/store.test.ts): a damaged vote key whose height
// or view is above 2^53 loaded as a rounded number, so the vote would be replayed at a (height,
// view) it was never cast for. It is damage, and must be refused as such.
import { describe, expect, it } from "vitest";
import { StoreError } from "../../../src/chain/errors.js";
import { LevelVoteStore, type VoteDatabase } from "../../../src/store/level-vote-store.js";

function key(high: number, low: number, viewHigh: number, viewLow: number, phase: number): Uint8Array {
  const k = new Uint8Array(18);
  const dv = new DataView(k.buffer);
  k[0] = 0x76;
  dv.setUint32(1, high);
  dv.setUint32(5, low);
  dv.setUint32(9, viewHigh);
  dv.setUint32(13, viewLow);
  k[17] = phase;
  return k;
}

async function load(rows: [Uint8Array, Uint8Array][]) {
  const db: VoteDatabase = {
    put: async () => undefined,
    batch: async () => undefined,
     
    iterator: async function* () {
      yield* rows;
    },
     
    keys: async function* () {
      yield* rows.map(([k]) => k);
    },
  };
  const store = new LevelVoteStore({ db });
  await store.open();
  return store.load();
}

describe("LevelVoteStore: damaged keys", () => {
  it("loads the largest safe height and view", async () => {
    const votes = await load([[key(0x1fffff, 0xffffffff, 0x1fffff, 0xffffffff, 2), Uint8Array.of(1)]]);
    expect(votes).toEqual([{ height: Number.MAX_SAFE_INTEGER, view: Number.MAX_SAFE_INTEGER, phase: "commit", bytes: Uint8Array.of(1) }]);
  });

  it("refuses a height above 2^53 as CORRUPT instead of rounding it", async () => {
    const err = await load([[key(0xbc353202, 0x55d3509d, 0, 3, 4), Uint8Array.of(1)]]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).code).toBe("CORRUPT");
  });

  it("refuses a view above 2^53 as CORRUPT", async () => {
    const err = await load([[key(0, 5, 0x200000, 0, 1), Uint8Array.of(1)]]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).code).toBe("CORRUPT");
  });
});
