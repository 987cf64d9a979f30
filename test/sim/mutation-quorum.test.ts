// A deliberately broken core must be caught: with the quorum lowered to f+1 (two quorums no
// longer need to share a correct validator), a small sweep with equivocating primaries,
// conflicting votes and partitions must report agreement violations.
import { describe, expect, it, vi } from "vitest";

vi.mock("../../src/chain/validator-set.js", async (importOriginal) => {
  const original = await importOriginal<typeof import("../../src/chain/validator-set.js")>();
  return { ...original, quorumSize: (n: number) => original.faultTolerance(n) + 1 };
});

const { quorumSize } = await import("../../src/chain/index.js");
const { runSimulation } = await import("../../src/sim/runner.js");
const { randomScenario } = await import("../../src/sim/scenario.js");

describe("mutation: quorum of f+1", () => {
  it("is really in effect", () => {
    expect(quorumSize(4)).toBe(2);
    expect(quorumSize(7)).toBe(3);
  });

  it("is caught by the agreement invariant", async () => {
    const caught = new Set<string>();
    let agreement = 0;
    for (let seed = 1; seed <= 24; seed++) {
      const run = randomScenario(seed, {
        behaviours: ["equivocate", "conflicting-votes"],
        faults: ["partition", "drop"],
        heights: { min: 8, max: 10 },
      });
      const summary = await runSimulation({ ...run, faults: { ...run.faults!, partitions: ["halves"] } });
      for (const v of summary.violations) caught.add(v.invariant);
      if (summary.violations.some((v) => v.invariant === "agreement")) agreement++;
      if (agreement >= 4) break;
    }
    expect([...caught]).toContain("agreement");
    expect(agreement).toBeGreaterThanOrEqual(4);
  }, 300_000);
});
