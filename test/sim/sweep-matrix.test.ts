// The part of the sweep that is not left to chance: every Byzantine behaviour under both
// selection modules, alone at n = 4 (f = 1) with every fault kind on, and paired with another
// behaviour at n = 7 (f = 2); every fault kind alone; and a check that the random sweep's 500
// seeds cover every size, module, behaviour and fault kind.
import { describe, expect, it } from "vitest";
import { BEHAVIOURS } from "../../src/byzantine/byzantine-spec.js";
import { parseFaultSpec } from "../../src/sim/fault-spec.js";
import { randomScenario } from "../../src/sim/scenario.js";
import { expectClean } from "./sweep-helpers.js";

const ALL_FAULTS = parseFaultSpec("drop=0.1,dup=0.1,delay=1..30,partition,crash");

describe("sweep matrix", () => {
  for (const selection of ["poa", "dbft"] as const) {
    it(`every behaviour alone at n=4 with every fault (${selection})`, async () => {
      for (const [i, behaviour] of BEHAVIOURS.entries()) {
        await expectClean({ seed: 9000 + i, validators: 4, selection, byzantine: [{ index: i % 4, behaviours: [behaviour] }], faults: ALL_FAULTS, heights: 8 });
      }
    }, 300_000);

    it(`every behaviour paired with another at n=7, f=2 (${selection})`, async () => {
      for (const [i, behaviour] of BEHAVIOURS.entries()) {
        const other = BEHAVIOURS[(i + 3) % BEHAVIOURS.length]!;
        await expectClean({
          seed: 9100 + i,
          validators: 7,
          selection,
          byzantine: [
            { index: i % 7, behaviours: [behaviour, other] },
            { index: (i + 3) % 7, behaviours: [other] },
          ],
          faults: parseFaultSpec(i % 2 === 0 ? "drop=0.05,partition" : "dup=0.1,crash"),
          heights: 8,
        });
      }
    }, 300_000);
  }

  it("every fault kind alone, and all of them together at n=5 and n=10", async () => {
    const specs = ["drop=0.3", "dup=0.5", "delay=0..100", "partition=isolate", "partition=halves", "partition=one-way", "crash"];
    for (const [i, spec] of specs.entries()) {
      await expectClean({ seed: 9200 + i, validators: 4 + (i % 4), selection: i % 2 === 0 ? "poa" : "dbft", faults: parseFaultSpec(spec), heights: 8 });
    }
    await expectClean({ seed: 9300, validators: 5, selection: "dbft", byzantine: [{ index: 4, behaviours: ["equivocate", "replay"] }], faults: ALL_FAULTS, heights: 10 });
    await expectClean({
      seed: 9301,
      validators: 10,
      selection: "poa",
      byzantine: [
        { index: 0, behaviours: ["twins"] },
        { index: 4, behaviours: ["lying-newview"] },
        { index: 8, behaviours: ["slow-primary", "forge"] },
      ],
      faults: ALL_FAULTS,
      heights: 10,
    });
  }, 300_000);

  it("the random sweep's 500 seeds cover every size, module, behaviour and fault kind", () => {
    const sizes = new Set<number>();
    const selections = new Set<string>();
    const behaviours = new Set<string>();
    const faults = new Set<string>();
    let byzantineRuns = 0;
    const outages = new Set<string>();
    for (let seed = 1; seed <= 500; seed++) {
      const s = randomScenario(seed);
      sizes.add(s.validators);
      selections.add(s.selection);
      if ((s.byzantine ?? []).length > 0) byzantineRuns++;
      for (const b of s.byzantine ?? []) for (const name of b.behaviours) behaviours.add(name);
      // An outage's validator counts against f with the Byzantine ones.
      expect((s.byzantine ?? []).length + (s.outage == null ? 0 : 1)).toBeLessThanOrEqual(Math.floor((s.validators - 1) / 3));
      if (s.outage != null) outages.add(s.outage.mode);
      const f = s.faults!;
      if (f.drop > 0) faults.add("drop");
      if (f.duplicate > 0) faults.add("dup");
      if (f.delayMs.max > 10) faults.add("delay");
      for (const p of f.partitions) faults.add(`partition=${p}`);
      if (f.crash) faults.add("crash");
    }
    expect([...sizes].sort((a, b) => a - b)).toEqual([4, 5, 7, 10]);
    expect([...selections].sort()).toEqual(["dbft", "poa"]);
    expect([...behaviours].sort()).toEqual([...BEHAVIOURS].sort());
    expect([...faults].sort()).toEqual(["crash", "delay", "drop", "dup", "partition=halves", "partition=isolate", "partition=one-way"]);
    expect(byzantineRuns).toBeGreaterThan(200);
    expect([...outages].sort()).toEqual(["down", "flap"]);
  });
});
