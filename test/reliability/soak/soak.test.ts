// The chaos soak's engine for a short run on a real 4-validator network: seeded faults are
// injected, nothing acknowledged is lost, the honest nodes make progress after the heal and
// the check passes. The Byzantine validator is left out here so the budget (f = 1) goes to
// honest nodes: kill -9 and pause of an honest node, with acked txs checked in every honest
// chain. `.ci/run` runs the default soak (one Byzantine validator) for 2 minutes beside this.
// Checks are on counts and verdicts only, never on timing.
import { describe, expect, it } from "vitest";
import { runSoak } from "../../../src/testnet/soak/index.js";

describe("triad soak engine", () => {
  it("injects faults on a real network, loses no acknowledged tx, recovers and passes the check", async () => {
    const lines: string[] = [];
    const summary = await runSoak({
      durationMs: 40_000,
      seed: 3,
      validators: 4,
      selection: "poa",
      rate: 20,
      byzantine: "none",
      faultEveryMs: 3_000,
      onProgress: (line) => lines.push(line),
    });
    const context = `${JSON.stringify(summary)}\n${lines.join("\n")}`;
    expect(summary.failures, context).toEqual([]);
    expect(summary.ok, context).toBe(true);
    expect(summary.faultsTotal, context).toBeGreaterThan(0);
    expect(summary.txs.acknowledged, context).toBeGreaterThan(0);
    expect(summary.txs.lost, context).toBe(0);
    expect(summary.check.ok, context).toBe(true);
    expect(summary.check.acksOutOfRange, context).toBe(0);
    expect(summary.recovered, context).toBe(true);
    for (const h of Object.values(summary.heights)) expect(h, context).not.toBeNull();
  });
});
