// The proposer standing in the simulator (issue 8: "with one validator down, no recurring stall
// after the first view change"). A validator down for good costs one view change, when it first
// fails as primary, and none after; one that flaps is re-admitted once it is back and signing;
// a Byzantine primary that stays silent on half its turns stalls ever more rarely.
import { describe, expect, it } from "vitest";
import { backoffHeights, decayHeights, MAX_COUNTED_FAILURES } from "../../src/consensus/selection/index.js";
import { parseByzantineSpec } from "../../src/byzantine/byzantine-spec.js";
import { parseFaultSpec } from "../../src/sim/fault-spec.js";
import type { OutageSpec } from "../../src/sim/outage.js";
import type { SimOptions, SimSummary } from "../../src/sim/runner.js";
import { expectClean } from "./sweep-helpers.js";

const HEIGHTS = 200;

function run(seed: number, validators: number, selection: "poa" | "dbft", options: { byzantine?: string; faults?: string; outage?: OutageSpec }): SimOptions {
  return {
    seed,
    validators,
    selection,
    byzantine: parseByzantineSpec(options.byzantine ?? "none", { validators, allowOverF: false }),
    faults: parseFaultSpec(options.faults ?? "none"),
    heights: HEIGHTS,
    detail: true,
    ...(options.outage === undefined ? {} : { outage: options.outage }),
  };
}

/** "h12: -v2 +v5" → [12, ["-v2", "+v5"]] */
function changes(s: SimSummary): [number, string[]][] {
  return (s.standingChanges ?? []).map((line) => {
    const [h, rest] = line.split(": ");
    return [Number(h!.slice(1)), rest!.split(" ")];
  });
}

describe("proposer standing: a validator down for good", () => {
  it.each([
    [1, 4, "poa", "", 2],
    [2, 4, "dbft", "", 1],
    [3, 7, "dbft", "delay=1..20", 3],
    [4, 7, "poa", "", 6],
  ] as const)("seed %i, n=%i %s %s: one suspension, then no view change for the rest of the run", async (seed, n, selection, faults, index) => {
    const s = await expectClean(run(seed, n, selection, { faults, outage: { index, mode: "down", atHeight: 5 } }));
    const name = `v${index}`;
    const log = changes(s);
    expect(log[0]?.[1]).toEqual([`-${name}`]);
    const suspendedAt = log[0]![0];
    // Never let back in: it never signs again.
    expect(log.some(([, c]) => c.includes(`+${name}`))).toBe(false);
    expect(suspendedAt).toBeLessThanOrEqual(5 + 2 * n);
    // The one view change that showed it dead was at the height before the suspension took
    // effect; after that, none at all (no recurring stall), over ~190 heights.
    const after = (s.viewChangeHeights ?? []).filter((h) => h >= suspendedAt);
    expect(after, JSON.stringify(s.viewChangeHeights)).toEqual([]);
  }, 120_000);
});

describe("proposer standing: a validator that flaps", () => {
  it.each([
    [1, 4, "poa", 2],
    [2, 7, "dbft", 5],
  ] as const)("seed %i, n=%i %s: suspended while down, re-admitted once back and signing", async (seed, n, selection, index) => {
    const s = await expectClean(run(seed, n, selection, { outage: { index, mode: "flap", atHeight: 5 } }));
    const name = `v${index}`;
    const log = changes(s).filter(([, c]) => c.some((x) => x.slice(1) === name));
    expect(s.crashes).toBeGreaterThanOrEqual(2);
    // Suspended, back, suspended, back …: at least two full rounds.
    const marks = log.map(([, c]) => (c.includes(`-${name}`) ? "-" : "+")).join("");
    expect(marks.startsWith("-+-+"), marks).toBe(true);
    // Each time it goes down costs at most one stalled view on the chain, and the flapping
    // replica's own catch-up may add one local view change: never a stall per rotation.
    expect(s.viewChanges).toBeLessThanOrEqual(2 * s.crashes);
  }, 120_000);
});

describe("proposer standing: a Byzantine primary that proposes just often enough", () => {
  it.each([
    [1, 4, "poa", "1:sometimes-silent"],
    [2, 4, "dbft", "3:sometimes-silent"],
    [3, 7, "poa", "2:sometimes-silent,5:sometimes-silent"],
  ] as const)("seed %i, n=%i %s %s: its stalls thin out exponentially", async (seed, n, selection, byzantine) => {
    const s = await expectClean(run(seed, n, selection, { byzantine }));
    const silent = byzantine.split(",").length;
    const stalls = [...new Set(s.viewChangeHeights ?? [])];
    expect(s.attacks["sometimes-silent:skipped-turn"] ?? 0).toBeGreaterThanOrEqual(3);
    // The bound of proposer-standing.ts: over W heights each such validator stalls at most
    // 1 + MAX_COUNTED_FAILURES + 2·W/D views (D the decay period). Without the standing it
    // would stall on half of its W/n turns.
    const perValidator = 1 + MAX_COUNTED_FAILURES + Math.floor((2 * HEIGHTS) / decayHeights(n));
    expect(stalls.length).toBeLessThanOrEqual(silent * perValidator);
    expect(stalls.length).toBeLessThan((silent * HEIGHTS) / n / 2 / 2);
    // The gaps between one validator's stalls grow: the last gap is at least the largest backoff reached.
    if (silent === 1) {
      const gaps = stalls.slice(1).map((h, i) => h - stalls[i]!);
      expect(gaps[gaps.length - 1]!).toBeGreaterThanOrEqual(backoffHeights(n, gaps.length));
    }
  }, 120_000);
});
