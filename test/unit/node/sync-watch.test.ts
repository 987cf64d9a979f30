import { describe, expect, it } from "vitest";
import { pino } from "pino";
import type { ChainHead } from "../../../src/chain/index.js";
import { SyncWatch } from "../../../src/node/sync-watch.js";

const head = (height: number): ChainHead => ({ height, hash: new Uint8Array(32), timestamp: 0 });

function watch(heads: Record<string, number>, ours: { height: number }) {
  const synced: string[][] = [];
  const w = new SyncWatch(
    { intervalMs: 60_000 },
    {
      peers: () => Object.keys(heads),
      status: async (peer) => {
        if (heads[peer] === undefined) throw new Error("unreachable");
        return head(heads[peer]);
      },
      head: () => ours.height,
      sync: (peers) => synced.push([...peers]),
      logger: pino({ level: "silent" }),
    },
  );
  return { w, synced };
}

describe("SyncWatch", () => {
  it("syncs at once from the peers ahead, best first, when the gap is more than one block", async () => {
    const ours = { height: 3 };
    const { w, synced } = watch({ a: 9, b: 3, c: 12 }, ours);
    await w.check();
    expect(synced).toEqual([["c", "a"]]);
    expect(w.networkHeight).toBe(12);
    expect(w.behind).toBe(true);
    ours.height = 11;
    expect(w.behind).toBe(false);
  });

  it("with a peer one block ahead, syncs only when our head did not move between checks", async () => {
    const ours = { height: 5 };
    const { w, synced } = watch({ a: 6 }, ours);
    await w.check();
    expect(synced).toEqual([]);
    ours.height = 6;
    await w.check();
    expect(synced).toEqual([]); // we moved (and are level now)
    await w.check();
    expect(synced).toEqual([]);
    ours.height = 5; // (a test double: pretend we are behind and stuck)
    await w.check();
    await w.check();
    expect(synced).toEqual([["a"]]);
  });

  it("ignores peers that do not answer, and does nothing without peers", async () => {
    const { w, synced } = watch({}, { height: 1 });
    await w.check();
    expect(synced).toEqual([]);
    await w.stop();
  });
});
