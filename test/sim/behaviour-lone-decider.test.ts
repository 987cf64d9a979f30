// lone-decider: a few honest replicas decide a block while the adversarial network silences them
// and the Byzantine nodes withhold their commits from everyone else; the others, with the
// Byzantine nodes, change the view. The new-view must re-propose the decided block, and a lying
// Byzantine new primary (which claims nothing was prepared) must be refused. Without this
// behaviour a core whose new-view re-proposes nothing passed hundreds of sweep seeds.
import { describe, expect, it } from "vitest";
import { acted, scenario } from "./behaviour-helpers.js";
import { expectClean } from "./sweep-helpers.js";

describe("lone-decider", () => {
  it("n=4 PoA: the lured replica decides alone, the others view-change and decide the same block", async () => {
    let lies = 0;
    let refused = 0;
    for (const seed of [1, 2, 7]) {
      const s = await expectClean(scenario(seed, 4, "3:lone-decider", "none", 12));
      expect(acted(s, "lone-decider:silenced"), `seed ${seed}`).toBeGreaterThan(0);
      expect(acted(s, "lone-decider:view-change"), `seed ${seed}`).toBeGreaterThan(0);
      expect(s.viewChanges, `seed ${seed}`).toBeGreaterThan(0);
      lies += acted(s, "lone-decider:new-view-lie");
      refused += s.faultsReported["lying-new-view"] ?? 0;
    }
    // A lie can come too late to matter (the others already decided); some must be refused.
    expect(lies).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
  }, 120_000);

  it("n=7 DBFT: two lone-decider nodes, the lying new-view is refused", async () => {
    const s = await expectClean(scenario(1, 7, "1:lone-decider,4:lone-decider", "none", 10, "dbft"));
    expect(acted(s, "lone-decider:votes")).toBeGreaterThan(0);
    expect(acted(s, "lone-decider:new-view-lie")).toBeGreaterThan(0);
    expect(s.faultsReported["lying-new-view"] ?? 0).toBeGreaterThan(0);
  }, 120_000);

  it("with loss, partitions and crashes on top", async () => {
    for (const seed of [3, 4]) await expectClean(scenario(seed, 4, "1:lone-decider", "drop=0.05,partition,crash", 10));
  }, 120_000);
});
