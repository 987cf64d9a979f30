import { describe, expect, it } from "vitest";
import { SimSpecError } from "../../../src/byzantine/byzantine-spec.js";
import { formatOutageSpec, parseOutageSpec } from "../../../src/sim/outage.js";

describe("outage spec", () => {
  it("parses down and flap, with the height defaulting to 5, and formats them back", () => {
    expect(parseOutageSpec("2:down@7", 4)).toEqual({ index: 2, mode: "down", atHeight: 7 });
    expect(parseOutageSpec("0:flap", 4)).toEqual({ index: 0, mode: "flap", atHeight: 5 });
    expect(parseOutageSpec("none", 4)).toBeNull();
    expect(parseOutageSpec("", 4)).toBeNull();
    expect(formatOutageSpec(parseOutageSpec("3:flap@12", 4))).toBe("3:flap@12");
    expect(formatOutageSpec(null)).toBe("none");
  });

  it("refuses other shapes and a validator the run does not have", () => {
    for (const bad of ["2", "2:down@", "x:down", "2:crash@5", "2:down@5,3:down@5", "4:down@5"]) {
      expect(() => parseOutageSpec(bad, 4), bad).toThrow(SimSpecError);
    }
  });
});
