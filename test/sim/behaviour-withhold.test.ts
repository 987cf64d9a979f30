// withhold: a Byzantine node sends its prepares and commits only to the plan's minority of each
// (height, view) (f honest replicas or fewer). The others must still decide without its votes.
import { describe, expect, it } from "vitest";
import { acted, scenario } from "./behaviour-helpers.js";
import { expectClean } from "./sweep-helpers.js";

describe("withhold", () => {
  it("n=4: votes to a minority only, under loss, partitions and crashes", async () => {
    for (const seed of [1, 2, 3]) {
      const s = await expectClean(scenario(seed, 4, "2:withhold", "drop=0.1,partition,crash"));
      expect(acted(s, "withhold:prepare"), `seed ${seed}`).toBeGreaterThan(0);
      expect(acted(s, "withhold:commit"), `seed ${seed}`).toBeGreaterThan(0);
    }
  }, 120_000);

  it("n=7: two withholding nodes, and one that also splits", async () => {
    for (const [seed, spec] of [
      [1, "1:withhold,4:withhold"],
      [2, "1:withhold,4:split-brain+withhold"],
    ] as const) {
      const s = await expectClean(scenario(seed, 7, spec, "drop=0.05,crash", 8, "dbft"));
      expect(acted(s, "withhold:"), `seed ${seed}`).toBeGreaterThan(0);
    }
  }, 120_000);
});
