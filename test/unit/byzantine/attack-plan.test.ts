import { describe, expect, it } from "vitest";
import { makeBlock, txRoot } from "../../../src/chain/index.js";
import { AttackPlan } from "../../../src/byzantine/attack-plan.js";
import { Prng } from "../../../src/byzantine/prng.js";

const members = ["a1", "b2", "c3", "d4", "e5", "f6", "g7"];
const byzantine = ["c3", "f6"];

function block(timestamp: number) {
  const zero = new Uint8Array(32);
  return makeBlock({ chainId: "c", height: 1, view: 0, parentHash: zero, timestamp, proposer: "a1".padEnd(64, "0"), txRoot: txRoot([]), stateRoot: zero, validatorsHash: zero }, []);
}

/** Lure options with a round-robin primary over the members as given. */
function lure(lurers: readonly string[]) {
  return { lurers, silenceMs: 100, primary: (m: readonly string[], height: number, view: number) => m[(height + view) % m.length]! };
}

describe("AttackPlan", () => {
  it("splits the honest members of a slot in two, the same for every caller and in any order", () => {
    const one = new AttackPlan(new Prng(7).fork("attack-plan"), byzantine);
    const two = new AttackPlan(new Prng(7).fork("attack-plan"), byzantine);
    two.split(9, 1, members); // another slot drawn first must not shift this one
    const [a, b] = one.split(5, 2, members);
    expect(two.split(5, 2, members)).toEqual([a, b]);
    expect(one.split(5, 2, [...members].reverse())).toEqual([a, b]);
    expect([...a, ...b].sort()).toEqual(["a1", "b2", "d4", "e5", "g7"]);
    expect(a.length).toBe(3);
    expect(one.sideOf(5, 2, members, a[0]!)).toBe(1);
    expect(one.sideOf(5, 2, members, b[0]!)).toBe(2);
    expect(one.sideOf(5, 2, members, "c3")).toBeNull();
    // Another slot, another split (somewhere among a few).
    const splits = new Set([1, 2, 3, 4, 5, 6].map((h) => JSON.stringify(one.split(h, 0, members))));
    expect(splits.size).toBeGreaterThan(1);
  });

  it("gives a withholding node at most f honest members per slot", () => {
    const plan = new AttackPlan(new Prng(1), byzantine);
    for (let h = 1; h <= 20; h++) {
      const minority = plan.minority(h, 0, members);
      expect(minority.length).toBeLessThanOrEqual(2);
      for (const m of minority) expect(byzantine).not.toContain(m);
      expect(plan.minority(h, 0, members)).toBe(minority);
    }
  });

  it("keeps the first story told for a slot, knows the hiders, and counts acts", () => {
    const plan = new AttackPlan(new Prng(1), byzantine, ["f6"]);
    const first = { a: block(1), b: block(2) };
    expect(plan.tell(3, 0, first)).toBe(first);
    expect(plan.tell(3, 0, { a: block(3), b: block(4) })).toBe(first);
    expect(plan.story(3, 0)).toBe(first);
    expect(plan.story(3, 1)).toBeUndefined();
    expect(plan.hides("f6")).toBe(true);
    expect(plan.hides("c3")).toBe(false);
    expect(plan.hides(null)).toBe(false);
    expect(plan.witness(3, 0, members)).toBe(plan.split(3, 0, members)[0][0]);
    plan.count("x:y");
    plan.count("x:y", 2);
    expect(plan.acted.get("x:y")).toBe(3);
  });

  it("lures a slot with the fewest honest deciders that leave the others short of a quorum", () => {
    const heights = [1, 2, 3, 4, 5, 6, 7, 8];
    // n = 7 (q = 5), one lone-decider among 6 honest: two decide, the other four plus it are a quorum.
    const one = new AttackPlan(new Prng(3).fork("attack-plan"), ["c3"], [], lure(["c3"]));
    const lured = heights.map((h) => one.lure(h, 0, members)).filter((d) => d.length > 0);
    expect(lured.length).toBeGreaterThan(0);
    expect(lured.length).toBeLessThan(heights.length);
    for (const deciders of lured) {
      expect(deciders).toHaveLength(2);
      expect(deciders).not.toContain("c3");
    }
    // Every Byzantine node withholds its commit in a lured slot, so with a second one (5 honest)
    // one decider is enough: the other four plus the lone-decider are still a quorum.
    const two = new AttackPlan(new Prng(3).fork("attack-plan"), ["c3", "f6"], [], lure(["c3"]));
    const fewer = heights.map((h) => two.lure(h, 0, members)).filter((d) => d.length > 0);
    expect(fewer.length).toBeGreaterThan(0);
    for (const deciders of fewer) expect(deciders).toHaveLength(1);
    // No lone-decider in the run: nothing is lured.
    expect(heights.map((h) => new AttackPlan(new Prng(3).fork("attack-plan"), ["c3"]).lure(h, 0, members))).toEqual(heights.map(() => []));
  });
});
