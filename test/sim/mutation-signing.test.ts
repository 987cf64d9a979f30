// A deliberately broken core must be caught: a vote store that loses its records across a restart
// (load() returns nothing) makes a restarted replica forget what it signed; with crash faults the
// monotonic-signing invariant must see it sign a second value for some (height, view, phase).
import { describe, expect, it, vi } from "vitest";

vi.mock("../../src/store/memory-vote-store.js", async (importOriginal) => {
  const original = await importOriginal<typeof import("../../src/store/memory-vote-store.js")>();
  class ForgetfulVoteStore extends original.MemoryVoteStore {
    override async load() {
      return [];
    }
  }
  return { ...original, MemoryVoteStore: ForgetfulVoteStore };
});

const { MemoryVoteStore } = await import("../../src/store/memory.js");
const { runSimulation } = await import("../../src/sim/runner.js");
const { randomScenario } = await import("../../src/sim/scenario.js");

describe("mutation: the signing record is forgotten on restart", () => {
  it("is really in effect", async () => {
    const store = new MemoryVoteStore();
    await store.record({ height: 1, view: 0, phase: "prepare", bytes: new Uint8Array([1]) });
    expect(await store.load()).toEqual([]);
  });

  it("is caught by the monotonic-signing invariant", async () => {
    const caught = new Set<string>();
    let signing = 0;
    for (let seed = 1; seed <= 24; seed++) {
      const run = randomScenario(seed, { behaviours: ["silent", "equivocate"], faults: ["crash", "drop"], heights: { min: 8, max: 12 } });
      const summary = await runSimulation({ ...run, faults: { ...run.faults!, crash: true } });
      for (const v of summary.violations) caught.add(v.invariant);
      if (summary.violations.some((v) => v.invariant === "monotonic-signing")) signing++;
      if (signing >= 4) break;
    }
    expect([...caught]).toContain("monotonic-signing");
    expect(signing).toBeGreaterThanOrEqual(4);
  }, 300_000);
});
