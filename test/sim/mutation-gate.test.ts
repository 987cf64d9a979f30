// The mutation gate (issue 7 §3): the simulator is the proof that the core is BFT, so it must be
// able to fail. Each mutant (test/sim/mutation/mutants.ts) is a copy of src/ with one rule broken;
// the seeded sweep that `npm test` runs (randomScenario, seeds 1..SWEEP_SEEDS) is replayed against
// it until a run violates an invariant. A mutant that survives means the sweep must grow (a
// behaviour, a fault, a set change), not a test aimed at the mutant's line.
import { afterAll, describe, expect, it } from "vitest";
import { MUTANTS, type Mutant } from "./mutation/mutants.js";
import { mutatedTree, sweepUntilCaught, type MutatedTree } from "./mutation/mutated-tree.js";

/** The seeds the sweep files cover (sweep-1..4): a mutant must be caught within them. */
const SWEEP_SEEDS = 500;

const trees: MutatedTree[] = [];
afterAll(() => {
  for (const tree of trees) tree.remove();
});

function tree(mutant: Mutant): MutatedTree {
  const t = mutatedTree(mutant);
  trees.push(t);
  return t;
}

describe("mutation gate", () => {
  it("the unmutated copy runs clean (the harness itself reports no false catch)", async () => {
    const verdict = await sweepUntilCaught(tree({ name: "none", description: "no change", edits: [] }), 1, 3);
    expect(verdict.seed, verdict.detail).toBeNull();
    expect(verdict.seedsRun).toBe(3);
  }, 120_000);

  for (const mutant of MUTANTS) {
    it(`catches: ${mutant.description}`, async () => {
      const verdict = await sweepUntilCaught(tree(mutant), 1, SWEEP_SEEDS);
      // The seed and invariant go into the test name's output on failure; on success, the log.
      expect(verdict.seed, `mutant ${mutant.name} survived ${verdict.seedsRun} seeds of the sweep`).not.toBeNull();
      console.log(`mutant ${mutant.name}: caught by seed ${verdict.seed} (${verdict.invariants.join(", ")}): ${verdict.detail}`);
    }, 900_000);
  }
});
