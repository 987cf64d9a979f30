import { describe, expect, it } from "vitest";
import { makeBlock, makeSeal, validatorSet, type Block, type StandingEntry, type ValidatorId, type ValidatorSet } from "../../../../src/chain/index.js";
import {
  backoffHeights,
  dbftSelection,
  DBFT_PARAMS_KEY,
  decayHeights,
  eligibleMembers,
  encodeDbftParams,
  failedPrimaries,
  foldStanding,
  MAX_COUNTED_FAILURES,
  poaSelection,
  type ValidatorSelection,
} from "../../../../src/consensus/selection/index.js";
import { id, validatorKeys } from "./harness.js";

const ZERO = new Uint8Array(32);
const seven = validatorSet(validatorKeys(7).map(id));
const four = validatorSet(validatorKeys(4).map(id));

/** A decided block at `height` proposed in `view` whose lastCommit names `signers` (signatures are not checked by the fold). */
function decided(selection: ValidatorSelection, set: ValidatorSet, height: number, view: number, signers: readonly ValidatorId[] = set.members): Block {
  const lastCommit = height === 1 ? null : makeSeal(height - 1, 0, ZERO, signers.map((validator) => ({ validator, signature: new Uint8Array(64) })));
  const proposer = selection.primary(set, height, view);
  return makeBlock({ chainId: "c", height, view, parentHash: ZERO, timestamp: height, proposer, txRoot: ZERO, stateRoot: ZERO, validatorsHash: ZERO }, [], lastCommit);
}

/** PoA's fold needs its member list in state; an empty state leaves the members as they are. */
const noState = { get: () => undefined };

function fold(selection: ValidatorSelection, set: ValidatorSet, block: Block): ValidatorSet {
  if (selection === poaSelection) return selection.afterBlock(set, block, noState);
  // DBFT reads its params: an epoch that never ends inside these tests.
  const params = new Map([[DBFT_PARAMS_KEY, encodeDbftParams({ epochLength: 1_000_000, validatorCount: 7 })]]);
  return selection.afterBlock(set, block, { get: (k) => params.get(k) });
}

const entry = (set: ValidatorSet, v: ValidatorId): StandingEntry | undefined => set.standing?.find((e) => e.validator === v);
const suspended = (set: ValidatorSet): ValidatorId[] => (set.standing ?? []).filter((e) => e.suspended).map((e) => e.validator);

describe.each([
  ["poa", poaSelection],
  ["dbft", dbftSelection],
] as const)("proposer standing (%s)", (_name, selection) => {
  it("a block decided in view 0 changes nothing, and afterBlock hands back the same set", () => {
    const block = decided(selection, seven, 10, 0);
    expect(fold(selection, seven, block)).toBe(seven);
  });

  it("the primaries of the views before header.view failed and are suspended; the primary skips them", () => {
    const block = decided(selection, seven, 10, 2);
    const failed = [selection.primary(seven, 10, 0), selection.primary(seven, 10, 1)];
    expect(failedPrimaries(seven, block, (c, h, v) => selection.primary({ members: c }, h, v))).toEqual(failed);
    const next = fold(selection, seven, block);
    expect(next.members).toEqual(seven.members);
    expect(suspended(next).sort()).toEqual([...failed].sort());
    expect(entry(next, failed[0]!)).toMatchObject({ failures: 1, lastFailure: 10, suspended: true, signed: false });
    // Every view of every later height skips them, and walks through the others only.
    for (let h = 11; h < 30; h++) {
      const primaries = new Set(Array.from({ length: 14 }, (_, v) => selection.primary(next, h, v)));
      for (const f of failed) expect(primaries.has(f)).toBe(false);
      expect(primaries.size).toBe(5);
    }
    expect(eligibleMembers(next)).toEqual(seven.members.filter((m) => !failed.includes(m)));
  });

  it("re-admits only once the backoff has passed AND it signed a lastCommit since its failure", () => {
    let set = fold(selection, four, decided(selection, four, 10, 1));
    const dead = suspended(set)[0]!;
    const others = four.members.filter((m) => m !== dead);
    // The backoff passes, but it never signs: it stays out.
    for (let h = 11; h < 11 + 3 * backoffHeights(4, 1); h++) set = fold(selection, set, decided(selection, set, h, 0, others));
    expect(suspended(set)).toEqual([dead]);
    // It signs (alive again), long after the backoff: that block's fold re-admits it.
    const h = 11 + 3 * backoffHeights(4, 1);
    set = fold(selection, set, decided(selection, set, h, 0, four.members));
    expect(suspended(set)).toEqual([]);
    expect(entry(set, dead)).toMatchObject({ failures: 1, suspended: false });
  });

  it("a signature before the backoff ends is remembered; re-admission waits for the backoff", () => {
    let set = fold(selection, four, decided(selection, four, 10, 1));
    const slow = suspended(set)[0]!;
    set = fold(selection, set, decided(selection, set, 11, 0));
    expect(entry(set, slow)).toMatchObject({ suspended: true, signed: true });
    const due = 10 + backoffHeights(4, 1);
    let h = 12;
    for (; h + 1 < due; h++) {
      set = fold(selection, set, decided(selection, set, h, 0, four.members.filter((m) => m !== slow)));
      expect(suspended(set)).toEqual([slow]);
    }
    set = fold(selection, set, decided(selection, set, h, 0, four.members.filter((m) => m !== slow)));
    expect(suspended(set)).toEqual([]);
    // Eligible from `due` on: some view-0 primary of the next heights is it again.
    expect(Array.from({ length: 4 }, (_, i) => selection.primary(set, due + i, 0))).toContain(slow);
  });

  it("backs off exponentially on repeated failures, up to the cap, and the count decays", () => {
    expect([1, 2, 3].map((k) => backoffHeights(4, k))).toEqual([4, 8, 16]);
    expect(backoffHeights(4, 100)).toBe(backoffHeights(4, MAX_COUNTED_FAILURES));
    let set: ValidatorSet = four;
    let h = 1;
    const victim = selection.primary(four, 1, 0);
    const failures: number[] = [];
    // Fail every turn it gets (it signs every block, so only the backoff holds it back).
    for (; h < 400; h++) {
      const view = selection.primary(set, h, 0) === victim ? 1 : 0;
      set = fold(selection, set, decided(selection, set, h, view));
      if (view === 1) failures.push(h);
    }
    const gaps = failures.slice(1).map((f, i) => f - failures[i]!);
    for (let i = 1; i < gaps.length; i++) expect(gaps[i]!).toBeGreaterThanOrEqual(gaps[i - 1]!);
    expect(gaps[0]!).toBeGreaterThanOrEqual(backoffHeights(4, 1));
    expect(gaps[3]!).toBeGreaterThanOrEqual(backoffHeights(4, 4));
    expect(entry(set, victim)!.failures).toBeLessThanOrEqual(MAX_COUNTED_FAILURES);
    // Then it behaves: one failure is forgiven per decay period, and the entry goes at zero.
    const last = entry(set, victim)!;
    for (; h < last.lastFailure + (last.failures + 1) * decayHeights(4) + backoffHeights(4, MAX_COUNTED_FAILURES); h++) {
      set = fold(selection, set, decided(selection, set, h, 0));
      const e = entry(set, victim);
      if (e !== undefined && !e.suspended) expect(e.failures).toBeGreaterThanOrEqual(1);
    }
    expect(entry(set, victim)).toBeUndefined();
    expect(set.standing ?? []).toEqual([]);
  });

  it("never suspends more than f: the most recent failures stay, the oldest is let back in", () => {
    // n = 7, f = 2: three failures in a row.
    let set = fold(selection, seven, decided(selection, seven, 10, 1));
    const first = suspended(set)[0]!;
    set = fold(selection, set, decided(selection, set, 11, 1));
    expect(suspended(set)).toHaveLength(2);
    set = fold(selection, set, decided(selection, set, 12, 1));
    expect(suspended(set)).toHaveLength(2);
    expect(suspended(set)).not.toContain(first);
    expect(entry(set, first)).toMatchObject({ suspended: false, failures: 1 });
    // Three primaries failing at one height: the two latest views' primaries are kept.
    const many = decided(selection, seven, 10, 3);
    const next = fold(selection, seven, many);
    const failed = [0, 1, 2].map((v) => selection.primary(seven, 10, v));
    expect(suspended(next).sort()).toEqual([failed[1]!, failed[2]!].sort());
    expect(eligibleMembers(next).length).toBeGreaterThanOrEqual(5);
  });

  it("a huge header view costs one lap of the members, no more", () => {
    const next = fold(selection, seven, decided(selection, seven, 10, 1_000_000));
    expect(suspended(next)).toHaveLength(2);
  });

  it("the standing of members that leave is dropped; members who stay keep theirs", () => {
    const set = fold(selection, seven, decided(selection, seven, 10, 1));
    const out = suspended(set)[0]!;
    const stay = seven.members.filter((m) => m !== out);
    const smaller = validatorSet(stay);
    // Fold directly with a new member list, as an epoch or a governance vote would hand it.
    const rotate = (c: readonly ValidatorId[], h: number, v: number): ValidatorId => selection.primary({ members: c }, h, v);
    expect(foldStanding(set, decided(selection, set, 11, 0), smaller, rotate).standing).toBeUndefined();
    const other = seven.members.find((m) => m !== out)!;
    const moved = foldStanding(set, decided(selection, set, 11, 0), validatorSet(seven.members.filter((m) => m !== other)), rotate);
    expect(suspended(moved)).toEqual([out]);
  });
});
