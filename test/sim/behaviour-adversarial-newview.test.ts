// adversarial-newview: a new primary that picks, among the legal quorums of view-changes it holds,
// the one hiding the highest prepared certificate (here: all of them), and proposes a fresh block.
// Every message passes honest checks; safety must hold under every legal quorum. Paired with
// split-brain, the plan leaves it a certificate to hide: the equivocating primary of the view
// before lets exactly one honest witness prepare block A and nobody commit it.
import { describe, expect, it } from "vitest";
import { acted, scenario } from "./behaviour-helpers.js";
import { expectClean } from "./sweep-helpers.js";

describe("adversarial-newview", () => {
  it("n=7: hides the prepared certificate a split-brain ally left it (primary of the next view)", async () => {
    // Validator 5 follows validator 0 in PoA's round-robin order of these genesis keys.
    for (const seed of [1, 2, 3]) {
      const s = await expectClean(scenario(seed, 7, "0:split-brain,5:adversarial-newview", seed === 3 ? "drop=0.05" : "none", 10));
      expect(acted(s, "adversarial-newview:hid-"), `seed ${seed}`).toBeGreaterThan(0);
      // Legal: no honest replica found anything wrong with its new-views.
      expect(s.faultsReported["lying-new-view"] ?? 0, `seed ${seed}`).toBe(0);
      expect(s.faultsReported["invalid-certificate"] ?? 0, `seed ${seed}`).toBe(0);
    }
  }, 120_000);

  it("n=4: alone under loss and partitions, it hides a certificate when it can", async () => {
    const s = await expectClean(scenario(21, 4, "1:adversarial-newview", "drop=0.2,partition"));
    expect(acted(s, "adversarial-newview:hid-")).toBeGreaterThan(0);
    expect(s.faultsReported).toEqual({});
    for (const seed of [11, 12]) {
      const other = await expectClean(scenario(seed, 4, "1:adversarial-newview", "drop=0.2,partition"));
      expect(acted(other, "adversarial-newview:new-view"), `seed ${seed}`).toBeGreaterThan(0);
    }
  }, 120_000);
});
