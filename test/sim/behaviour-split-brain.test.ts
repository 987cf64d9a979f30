// split-brain, equivocate and conflicting-votes tell the honest replicas two stories along ONE
// split drawn from the run's AttackPlan: every Byzantine node tells side 1 block A and side 2
// block B. Safety must hold, and the run must still reach its height.
import { describe, expect, it } from "vitest";
import { acted, scenario } from "./behaviour-helpers.js";
import { expectClean } from "./sweep-helpers.js";

describe("split-brain and the coordinated equivocations", () => {
  it("n=4: one split-brain node equivocates as primary and votes both stories as backup", async () => {
    for (const seed of [1, 2, 3]) {
      const s = await expectClean(scenario(seed, 4, "1:split-brain", seed === 3 ? "drop=0.1,crash" : "none"));
      expect(acted(s, "split-brain:pre-prepare"), `seed ${seed}`).toBeGreaterThan(0);
      expect(acted(s, "split-brain:prepare"), `seed ${seed}`).toBeGreaterThan(0);
    }
  }, 120_000);

  it("n=7: two split-brain nodes vote along each other's stories", async () => {
    for (const seed of [1, 2]) {
      const s = await expectClean(scenario(seed, 7, "0:split-brain,3:split-brain", seed === 2 ? "drop=0.05,partition" : "none"));
      expect(acted(s, "split-brain:pre-prepare"), `seed ${seed}`).toBeGreaterThan(0);
      // A backup's prepares and commits for a slot whose primary told two stories.
      expect(acted(s, "split-brain:prepare-story") + acted(s, "split-brain:commit-story"), `seed ${seed}`).toBeGreaterThan(0);
    }
  }, 120_000);

  it("n=7: equivocate and conflicting-votes on different nodes share the plan's split", async () => {
    for (const seed of [1, 2]) {
      const s = await expectClean(scenario(seed, 7, "0:equivocate,3:conflicting-votes", "none", 10, "dbft"));
      expect(acted(s, "equivocate:pre-prepare"), `seed ${seed}`).toBeGreaterThan(0);
      expect(acted(s, "conflicting-votes:prepare-story"), `seed ${seed}`).toBeGreaterThan(0);
    }
  }, 120_000);
});
