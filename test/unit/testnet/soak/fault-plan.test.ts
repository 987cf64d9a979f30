// The soak's fault budget: whatever the dice draw, at most f validators are faulty at once
// counting the Byzantine ones, network faults come one at a time and never while a node is
// paused, and nothing is drawn for a node already out.
import { describe, expect, it } from "vitest";
import { Prng } from "../../../../src/byzantine/prng.js";
import { FaultPlan, faultyNodes, majorityHeight, StallTracker, type SoakFault, type SoakNode } from "../../../../src/testnet/soak/index.js";

function nodes(n: number, byzantine: number): SoakNode[] {
  return Array.from({ length: n }, (_, i) => ({ name: `validator-${i}`, honest: i >= byzantine }));
}

function drive(n: number, byzantine: number, seed: number): { kinds: Set<string>; drawn: number } {
  const f = Math.floor((n - 1) / 3);
  const all = nodes(n, byzantine);
  const plan = new FaultPlan(all, new Prng(seed), { f });
  const dice = new Prng(seed).fork("test");
  const kinds = new Set<string>();
  let drawn = 0;
  const undoing: SoakFault[] = [];
  for (let t = 0; t < 300_000; t += 500) {
    // Undo takes a while: release some of the expired ones later.
    undoing.push(...plan.expired(t));
    for (const x of [...undoing]) {
      if (dice.chance(0.5)) {
        plan.release(x);
        undoing.splice(undoing.indexOf(x), 1);
      }
    }
    const x = plan.draw(t);
    if (x !== null) {
      drawn++;
      kinds.add(x.kind);
    }
    // Plain checks: this runs 100,000s of times, too often for expect().
    const current = plan.current();
    const out = new Set(current.flatMap(faultyNodes));
    const honestOut = [...out].filter((name) => all.find((m) => m.name === name)!.honest);
    if (honestOut.length + byzantine > Math.max(f, byzantine)) throw new Error(`seed ${seed} t ${t}: ${honestOut.length} honest + ${byzantine} Byzantine faulty > f ${f}`);
    const net = current.filter((c) => c.kind !== "kill" && c.kind !== "pause");
    if (net.length > 1) throw new Error(`seed ${seed} t ${t}: ${net.length} network faults at once`);
    // Pause is drawn only when no network fault is on, and a network fault never while paused.
    if (net.length > 0 && current.some((c) => c.kind === "pause")) throw new Error(`seed ${seed} t ${t}: a network fault and a pause at once`);
    const perNode = current.flatMap((c) => (c.kind === "kill" || c.kind === "pause" ? [c.node] : []));
    if (new Set(perNode).size !== perNode.length) throw new Error(`seed ${seed} t ${t}: two process faults on one node`);
  }
  return { kinds, drawn };
}

describe("soak fault plan", () => {
  it("keeps at most f validators faulty, the Byzantine one included (4 and 7 validators, many seeds)", () => {
    for (const [n, byz] of [
      [4, 1],
      [4, 0],
      [7, 1],
      [7, 2],
      [10, 1],
    ] as const) {
      for (let seed = 1; seed <= 8; seed++) {
        const { drawn } = drive(n, byz, seed);
        expect(drawn).toBeGreaterThan(10);
      }
    }
  });

  it("draws every kind where the budget allows it", () => {
    const kinds = new Set<string>();
    for (let seed = 1; seed <= 10; seed++) for (const k of drive(7, 1, seed).kinds) kinds.add(k);
    expect([...kinds].sort()).toEqual(["delay", "isolate", "kill", "loss", "partition", "pause"]);
  });

  it("with 4 validators and a Byzantine one, hard faults fall only on the Byzantine node", () => {
    const plan = new FaultPlan(nodes(4, 1), new Prng(5), { f: 1 });
    for (let t = 0; t < 200_000; t += 1000) {
      for (const x of plan.expired(t)) plan.release(x);
      const x = plan.draw(t);
      if (x !== null) for (const name of faultyNodes(x)) expect(name).toBe("validator-0");
    }
  });

  it("is the same for the same seed", () => {
    const run = (): string[] => {
      const plan = new FaultPlan(nodes(7, 1), new Prng(11), { f: 2 });
      const out: string[] = [];
      for (let t = 0; t < 100_000; t += 700) {
        for (const x of plan.expired(t)) plan.release(x);
        const x = plan.draw(t);
        if (x !== null) out.push(JSON.stringify(x));
      }
      return out;
    };
    expect(run()).toEqual(run());
  });
});

describe("soak stall tracker", () => {
  it("measures the longest time the honest majority's height stood still", () => {
    const s = new StallTracker();
    s.sample(0, [1, 1, 1]);
    s.sample(1000, [2, 2, 1]);
    // One node ahead is not progress of the majority.
    s.sample(2000, [9, 2, 2]);
    s.sample(6000, [9, 2, 2]);
    s.sample(7000, [9, 3, 3]);
    s.sample(8000, [9, 4, 4]);
    expect(s.max.ms).toBe(5000);
    expect(majorityHeight([5, 1, 9, 7])).toBe(5);
    expect(majorityHeight([])).toBe(0);
  });
});
