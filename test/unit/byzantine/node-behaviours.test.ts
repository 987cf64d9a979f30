import { describe, expect, it } from "vitest";
import { BEHAVIOURS, checkNodeBehaviours, parseBehaviourList, SIM_ONLY_BEHAVIOURS } from "../../../src/byzantine/index.js";

describe("node behaviours", () => {
  it("parses a + list, distinct and in order, and names an unknown behaviour", () => {
    expect(parseBehaviourList("equivocate+replay+equivocate")).toEqual(["equivocate", "replay"]);
    expect(() => parseBehaviourList("silent+loud")).toThrow(/unknown behaviour "loud"/);
  });

  it("a node runs every behaviour but the simulator-only ones", () => {
    for (const b of BEHAVIOURS) {
      if (SIM_ONLY_BEHAVIOURS.includes(b)) expect(() => checkNodeBehaviours([b])).toThrow(/triad sim --byzantine <index>:/);
      else expect(() => checkNodeBehaviours([b])).not.toThrow();
    }
    expect([...SIM_ONLY_BEHAVIOURS].sort()).toEqual(["bad-sync-server", "lone-decider"]);
  });
});
