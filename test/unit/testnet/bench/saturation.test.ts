import { describe, expect, it } from "vitest";
import { decideStep, saturationRate, SEARCH_DEFAULTS, type StepResult } from "../../../../src/testnet/bench/saturation.js";

const step = (offered: number, committed: number, p99Ms: number | null = 100, generatorLimited = false): StepResult => ({ offered, committed, p99Ms, generatorLimited });

describe("saturation search stepping", () => {
  it("goes on at offered x step while committed follows and p99 is within the bound", () => {
    expect(decideStep(step(100, 99), 0)).toEqual({ stop: false, nextRate: 150 });
    expect(decideStep(step(150, 135), 1)).toEqual({ stop: false, nextRate: 225 });
  });

  it("stops when committed falls below 90% of offered", () => {
    expect(decideStep(step(225, 202), 2)).toEqual({ stop: true, reason: "not-following" });
  });

  it("stops when p99 passes the bound, or nothing committed in the window", () => {
    expect(decideStep(step(100, 100, 2_001), 0)).toEqual({ stop: true, reason: "p99-bound" });
    expect(decideStep(step(100, 100, 2_000), 0)).toEqual({ stop: false, nextRate: 150 });
    expect(decideStep(step(100, 100, null), 0)).toEqual({ stop: true, reason: "p99-bound" });
  });

  it("stops when the generator, not the network, was the limit", () => {
    expect(decideStep(step(100, 100, 50, true), 0)).toEqual({ stop: true, reason: "generator-limited" });
  });

  it("stops after the last allowed step, and always raises the rate by at least one", () => {
    expect(decideStep(step(100, 100), SEARCH_DEFAULTS.maxSteps - 1)).toEqual({ stop: true, reason: "max-steps" });
    expect(decideStep(step(1, 1), 0, { ...SEARCH_DEFAULTS, step: 1.1 })).toEqual({ stop: false, nextRate: 2 });
  });

  it("saturation is the best committed rate of any step", () => {
    expect(saturationRate([step(100, 99), step(150, 148), step(225, 140)])).toBe(148);
    expect(saturationRate([])).toBe(0);
  });
});
