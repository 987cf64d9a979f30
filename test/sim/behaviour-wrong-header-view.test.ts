// wrong-header-view (issue 7, bug 2): as primary of (h, v) a Byzantine node proposes a block whose
// header says view v+1 and names that view's primary, under a valid pre-prepare for (h, v).
import { describe, expect, it } from "vitest";
import { acted, scenario } from "./behaviour-helpers.js";
import { expectClean } from "./sweep-helpers.js";

describe("wrong-header-view", () => {
  it("n=4 and n=7 without a node that must sync: proposes the lying header, backups refuse it, the chain goes on", async () => {
    for (const [seed, n, spec] of [
      [1, 4, "1:wrong-header-view"],
      [3, 4, "2:wrong-header-view"],
      [1, 7, "2:wrong-header-view,5:wrong-header-view"],
    ] as const) {
      const s = await expectClean(scenario(seed, n, spec));
      expect(acted(s, "wrong-header-view:proposed"), `seed ${seed} n=${n}`).toBeGreaterThan(0);
    }
  }, 120_000);

  // Bug 2, pinned: before the fix honest replicas accepted and decided the block with seal view v,
  // and every node that later had to sync height h refused it for ever (seal view below header
  // view), so v0 and v3 stalled at height 2. Now backups refuse the proposal. Replay:
  //   triad sim --validators 4 --selection poa --byzantine 1:wrong-header-view --faults drop=0.1,crash --heights 8 --seed 2 --trace
  it("n=4 seed 2 with crashes: the lying proposal is refused and every node catches up (bug 2)", async () => {
    const s = await expectClean(scenario(2, 4, "1:wrong-header-view", "drop=0.1,crash"));
    expect(acted(s, "wrong-header-view:proposed")).toBeGreaterThan(0);
    expect(s.faultsReported["invalid-block"] ?? 0).toBeGreaterThan(0);
  }, 120_000);
});
