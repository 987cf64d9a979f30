import { describe, expect, it } from "vitest";
import { classifyRejection } from "../../../src/metrics/index.js";

describe("classifyRejection", () => {
  it("maps checkConsensusData's reasons to closed label values", () => {
    expect(classifyRejection("stale pre-prepare")).toEqual({ type: "pre-prepare", reason: "stale" });
    expect(classifyRejection("stale prepare")).toEqual({ type: "prepare", reason: "stale" });
    expect(classifyRejection(`commit from non-member ${"ab".repeat(32)}`)).toEqual({ type: "commit", reason: "non-member" });
    expect(classifyRejection(`bad signature on view-change from ${"ab".repeat(32)}`)).toEqual({ type: "view-change", reason: "bad-signature" });
    expect(classifyRejection('wrong chain "x"')).toEqual({ type: "unknown", reason: "wrong-chain" });
    expect(classifyRejection("malformed: TRUNCATED new-view")).toEqual({ type: "new-view", reason: "malformed" });
    expect(classifyRejection("oversize: 99 bytes")).toEqual({ type: "unknown", reason: "oversize" });
    expect(classifyRejection("anything else")).toEqual({ type: "unknown", reason: "other" });
  });
});
