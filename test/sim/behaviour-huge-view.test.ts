// huge-view: validly signed view-changes for views far ahead (view + 1000, MAX_VIEW) that pass the
// decoder and reach the core. Honest replicas must not follow one member there (f+1 are needed
// to join) and must not stall. Whether they reach the core is shown in test/unit/sim/huge-view.
import { describe, expect, it } from "vitest";
import { acted, scenario } from "./behaviour-helpers.js";
import { expectClean } from "./sweep-helpers.js";

describe("huge-view", () => {
  it("n=4 and n=7: far-ahead view-changes neither move nor stall the honest replicas", async () => {
    for (const [seed, n, spec, faults] of [
      [1, 4, "0:huge-view", "none"],
      [2, 4, "3:huge-view", "drop=0.1,partition,crash"],
      [1, 7, "1:huge-view,4:huge-view", "drop=0.05,crash"],
      [2, 7, "1:huge-view+withhold,4:huge-view", "partition"],
    ] as const) {
      const s = await expectClean(scenario(seed, n, spec, faults));
      expect(acted(s, "huge-view:sent"), `seed ${seed} n=${n}`).toBeGreaterThan(0);
      // The honest replicas moved through few views: none followed the spam.
      expect(s.viewChanges, `seed ${seed} n=${n}`).toBeLessThan(40);
      // Valid on the wire and signed: nothing for an honest replica to report.
      expect(s.faultsReported["bad-signature"] ?? 0, `seed ${seed} n=${n}`).toBe(0);
      expect(s.faultsReported["malformed"] ?? 0, `seed ${seed} n=${n}`).toBe(0);
    }
  }, 120_000);
});
