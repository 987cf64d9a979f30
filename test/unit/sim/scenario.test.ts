// randomScenario draws set changes, observers and crash groups in some seeds (so the sweep in
// `npm test` covers them), with room in the target height for the changes to take effect.
import { describe, expect, it } from "vitest";
import { randomScenario } from "../../../src/sim/scenario.js";

describe("randomScenario", () => {
  it("draws set changes, observers and crash groups in a fraction of seeds", () => {
    let changes = 0;
    let observers = 0;
    let groups = 0;
    const selections = new Set<string>();
    for (let seed = 1; seed <= 500; seed++) {
      const s = randomScenario(seed);
      if ((s.setChanges ?? 0) > 0) {
        changes++;
        selections.add(s.selection);
        expect(s.setChanges).toBeLessThanOrEqual(3);
        expect(s.heights).toBeGreaterThanOrEqual(s.selection === "poa" ? 3 + 3 * s.setChanges! : 4 + 4 * s.setChanges!);
      }
      if ((s.observers ?? 0) > 0) observers++;
      if (s.crashGroups === true) {
        groups++;
        expect(s.faults?.crash).toBe(true);
      }
    }
    expect(changes).toBeGreaterThan(80);
    expect(changes).toBeLessThan(170);
    expect(selections).toEqual(new Set(["poa", "dbft"]));
    expect(observers).toBeGreaterThan(40);
    expect(groups).toBeGreaterThan(30);
  });

  it("can be told never to draw them", () => {
    for (let seed = 1; seed <= 50; seed++) {
      const s = randomScenario(seed, { setChangeChance: 0, observerChance: 0 });
      expect(s.setChanges).toBeUndefined();
      expect(s.observers).toBeUndefined();
    }
  });
});
