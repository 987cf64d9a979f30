// bad-sync-server: asked for blocks, it serves validly sealed blocks of other heights, truncated
// ranges, nothing, or a block whose seal repeats its own commit signature q times. Honest
// importers must refuse each (the invariants check every appended block) and catch up elsewhere.
import { describe, expect, it } from "vitest";
import { acted, scenario } from "./behaviour-helpers.js";
import { expectClean } from "./sweep-helpers.js";

describe("bad-sync-server", () => {
  it("n=4: laggards catch up past a lying sync server", async () => {
    let forged = 0;
    // Seed 5, not 4: since the proposer standing changed who is primary, seed 4's laggards no
    // longer happen to ask the lying server.
    for (const seed of [1, 2, 3, 5]) {
      const s = await expectClean(scenario(seed, 4, "3:bad-sync-server", "drop=0.1,crash"));
      expect(acted(s, "bad-sync-server:"), `seed ${seed}`).toBeGreaterThan(0);
      forged += acted(s, "bad-sync-server:duplicate-signers");
    }
    expect(forged).toBeGreaterThan(0);
  }, 120_000);

  it("n=7: two lying sync servers under partitions and crashes", async () => {
    for (const seed of [1, 3]) {
      const s = await expectClean(scenario(seed, 7, "2:bad-sync-server,5:bad-sync-server", "drop=0.1,partition,crash"));
      expect(acted(s, "bad-sync-server:"), `seed ${seed}`).toBeGreaterThan(0);
    }
  }, 120_000);
});
