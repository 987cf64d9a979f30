// Determinism is the product: the same options give a byte-identical summary (trace included),
// run after run and in any order; another seed gives another run.
import { describe, expect, it } from "vitest";
import { parseByzantineSpec } from "../../src/byzantine/byzantine-spec.js";
import { parseFaultSpec } from "../../src/sim/fault-spec.js";
import { runSimulation, type SimOptions } from "../../src/sim/runner.js";
import { randomScenario } from "../../src/sim/scenario.js";

const busy: SimOptions = {
  seed: 42,
  validators: 7,
  selection: "dbft",
  byzantine: parseByzantineSpec("0:equivocate+replay,3:twins", { validators: 7 }),
  faults: parseFaultSpec("drop=0.1,dup=0.1,delay=1..40,partition,crash"),
  heights: 12,
  trace: 200,
};

describe("determinism", () => {
  it("gives a byte-identical summary and trace for the same seed", async () => {
    const first = JSON.stringify(await runSimulation(busy));
    // Another run in between must not leak into the next one (no module-level state).
    await runSimulation({ ...busy, seed: 43 });
    const second = JSON.stringify(await runSimulation(busy));
    expect(second).toBe(first);
    expect(JSON.parse(first).trace).toHaveLength(200);
  }, 120_000);

  it("differs between seeds", async () => {
    const a = await runSimulation({ ...busy, trace: 0 });
    const b = await runSimulation({ ...busy, seed: 44, trace: 0 });
    expect(JSON.stringify(a)).not.toBe(JSON.stringify(b));
  }, 120_000);

  it("gives a byte-identical summary with set changes, observers and crash groups", async () => {
    const changing: SimOptions = {
      seed: 7,
      validators: 5,
      selection: "poa",
      byzantine: parseByzantineSpec("1:equivocate", { validators: 5 }),
      faults: parseFaultSpec("drop=0.05,delay=1..30,partition,crash"),
      heights: 16,
      setChanges: 3,
      observers: 2,
      crashGroups: true,
      trace: 100,
    };
    const first = JSON.stringify(await runSimulation(changing));
    const second = JSON.stringify(await runSimulation(changing));
    expect(second).toBe(first);
    const dbft = { ...changing, selection: "dbft" as const, byzantine: [], heights: 18 };
    expect(JSON.stringify(await runSimulation(dbft))).toBe(JSON.stringify(await runSimulation(dbft)));
  }, 120_000);

  it("draws the same scenario from the same seed", () => {
    for (const seed of [1, 77, 500]) expect(JSON.stringify(randomScenario(seed))).toBe(JSON.stringify(randomScenario(seed)));
  });
});
