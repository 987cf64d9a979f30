// Validator-set changes under faults, observers and crash groups (issue 7, section 2): each run
// must keep every invariant (including one validator set per height on every honest replica,
// observers included), reach its target on every honest replica, and show that what it claims to
// exercise happened: the changes took effect, the offline validator was added, the primary was
// removed, zero-weight registrants never got a seat, observers reached the target.
import { describe, expect, it } from "vitest";
import { parseByzantineSpec } from "../../src/byzantine/byzantine-spec.js";
import { parseFaultSpec } from "../../src/sim/fault-spec.js";
import type { SetChangeKind } from "../../src/sim/governance-client.js";
import type { SimOptions, SimSummary } from "../../src/sim/runner.js";
import { expectClean } from "./sweep-helpers.js";

function run(
  seed: number,
  validators: number,
  selection: "poa" | "dbft",
  byzantine: string,
  faults: string,
  heights: number,
  extra: Partial<SimOptions> = {},
): SimOptions {
  return { seed, validators, selection, byzantine: parseByzantineSpec(byzantine, { validators }), faults: parseFaultSpec(faults), heights, ...extra };
}

/** Every honest slot (validators, added validators, observers) reached the target. */
function allAtTarget(summary: SimSummary, indices: readonly number[]): void {
  for (const i of indices) expect(summary.heights[String(i)], `slot ${i}`).toBeGreaterThanOrEqual(summary.target);
}

describe("PoA set changes", () => {
  it("adds a validator that never comes online, adds one that does, removes the primary, then the offline one (n=4)", async () => {
    const kinds: SetChangeKind[] = ["add-offline", "add-online", "remove-primary", "remove-offline"];
    const summary = await expectClean(run(11, 4, "poa", "none", "drop=0.05,delay=1..20", 24, { setChanges: 4, setChangeKinds: kinds }));
    expect(summary.setChanges).toBe(4);
    const log = summary.governance ?? [];
    expect(log[0]).toMatch(/^poa add v\d+ \(never online\)/);
    expect(log[1]).toMatch(/^poa add v[45] /);
    expect(log[2]).toMatch(/^poa remove v\d+ \(primary of height \d+\)/);
    expect(log[3]).toMatch(/^poa remove v\d+ \(never online\)/);
    expect(summary.setChangeLog).toHaveLength(4);
    // The added validator (v4) is an honest slot: it followed, then validated, to the target.
    allAtTarget(summary, [4, 5]);
  }, 120_000);

  it("grows the quorum past the live members with a Byzantine member silent, under crashes and partitions (n=7)", async () => {
    // 8 members with v7 offline and v3 silent: q = 6 of the 6 live honest ones.
    const kinds: SetChangeKind[] = ["add-offline", "remove-primary", "add-online"];
    const summary = await expectClean(
      run(5, 7, "poa", "3:silent", "partition,crash", 22, { setChanges: 3, setChangeKinds: kinds, crashGroups: true }),
    );
    expect(summary.setChanges).toBe(3);
    expect(summary.governance?.[0]).toMatch(/^poa add v\d+ \(never online\)/);
    expect(summary.governance?.[1]).toMatch(/\(primary of height \d+\)/);
    allAtTarget(summary, [0, 1, 2, 4, 5, 6, 7, 8]);
  }, 120_000);

  it("keeps the fault budget: with f Byzantine already, a never-online validator is not added", async () => {
    const summary = await expectClean(run(3, 4, "poa", "1:equivocate", "drop=0.05", 14, { setChanges: 2, setChangeKinds: ["add-offline", "add-offline"] }));
    expect(summary.setChanges).toBe(2);
    expect((summary.governance ?? []).join("\n")).not.toMatch(/never online/);
  }, 120_000);
});

describe("DBFT set changes", () => {
  it("elects an online and a never-online candidate and unelects them over several epochs; zero-weight registrants never sit (n=4)", async () => {
    const kinds: SetChangeKind[] = ["elect-online", "elect-offline", "unelect", "unelect"];
    const summary = await expectClean(run(21, 4, "dbft", "none", "drop=0.05,delay=1..20", 30, { setChanges: 4, setChangeKinds: kinds, observers: 1 }));
    expect(summary.setChanges).toBe(4);
    const log = (summary.governance ?? []).join("\n");
    expect(log).toMatch(/dbft elect v[45] /);
    expect(log).toMatch(/dbft elect v\d+ \(never online\)/);
    // Four registrants with the lowest keys of two dozen registered, and never got a seat.
    expect(log.match(/registered r\d \(zero weight\)/g)).toHaveLength(4);
    for (const change of summary.setChangeLog ?? []) expect(change).not.toMatch(/\+r\d/);
    allAtTarget(summary, [4, 5, 7]);
  }, 120_000);

  it("changes the set under a Byzantine member, crashes and partitions (n=7)", async () => {
    const kinds: SetChangeKind[] = ["elect-offline", "elect-online", "unelect"];
    const summary = await expectClean(run(8, 7, "dbft", "2:conflicting-votes", "partition,crash,dup=0.1", 26, { setChanges: 3, setChangeKinds: kinds }));
    expect(summary.setChanges).toBe(3);
    expect(summary.governance?.find((l) => l.startsWith("dbft elect"))).toMatch(/never online/);
    for (const change of summary.setChangeLog ?? []) expect(change).not.toMatch(/\+r\d/);
  }, 120_000);
});

describe("observers and crash groups", () => {
  it("observers follow through loss, partitions and crashes and reach the target", async () => {
    const summary = await expectClean(run(4, 4, "poa", "2:silent", "drop=0.1,partition,crash", 14, { observers: 2 }));
    expect(summary.observers).toBe(2);
    // Observers o0, o1 have indices 4 and 5 (no validators were added).
    allAtTarget(summary, [4, 5]);
  }, 120_000);

  it("restarts several honest replicas together, a Byzantine one withholding (n=4)", async () => {
    const summary = await expectClean(run(2, 4, "dbft", "3:silent", "crash", 16, { crashGroups: true }));
    expect(summary.crashGroups).toBeGreaterThan(0);
    expect(summary.crashes).toBeGreaterThanOrEqual(2);
  }, 120_000);

  it("set changes, observers and crash groups together (n=5)", async () => {
    const summary = await expectClean(run(2, 5, "poa", "1:silent", "crash,drop=0.05", 24, { setChanges: 3, observers: 1, crashGroups: true }));
    expect(summary.setChanges).toBe(3);
    expect(summary.crashGroups).toBeGreaterThan(0);
  }, 120_000);
});
