// Proposer standing: skip validators that recently failed to propose, decided from the committed
// chain alone so every honest replica names the same primary. Shared by PoA and DBFT: each
// module keeps its own rotation formula and applies it to the *eligible* members (in set order),
// so a view change walks through eligible members only.
//
// What a decided block at height h says, and says the same to everyone:
//   - failed: the primaries of views 0 .. header.view-1 at h. A fresh proposal of view v has
//     header.view = v, so every earlier view's primary failed to get a block decided. A
//     re-proposal keeps the header of the view that first proposed it: only the primaries below
//     that view are known to have failed (the seal's view is not agreed, so later ones are not
//     counted).
//   - signed: the validators in block.lastCommit, the parent's seal the proposer chose and the
//     block hash commits to. A node's own stored seal is some quorum of commits and differs
//     between nodes; the lastCommit is the agreed record of who was alive to sign.
//
// The rule. A failed validator is suspended (not primary) until BOTH its backoff has passed AND
// it has appeared in a lastCommit of its failure's height or later (it is alive again). The
// backoff is n · 2^(failures-1) heights (n = set size, so the base is one rotation), capped at
// n · 2^MAX_DOUBLINGS; the failure count decays by one every decay period (the capped backoff)
// without a failure. At most f are suspended at once, keeping the f most recent failures, so at
// least n - f ≥ 2f+1 members rotate, of which at most f are faulty: some view of every height
// still has an honest primary.
//
// The bound on a Byzantine validator that "proposes just often enough". Each failure it causes
// costs one view change and suspends it for backoff(k) heights, k its count after the failure.
// Let D = n · 2^MAX_DOUBLINGS (the decay period, equal to the capped backoff). A failure that
// comes less than D heights after its previous one follows a backoff below D, so the count was
// below the cap, nothing decayed, and the count rises by one: there are at most
// MAX_COUNTED_FAILURES such rises beyond what decayed, and a gap of g ≥ D decays at most g / D.
// So over W heights it causes at most 1 + MAX_COUNTED_FAILURES + 2 · W / D stalled views
// (short gaps ≤ MAX_COUNTED_FAILURES + W / D, long gaps ≤ W / D): with n = 4 about one in 64
// heights in the long run, against one in 8 for a validator that skips half of its turns
// without the standing. Its first failures cost n, 2n, 4n … heights of absence. (The f cap can
// let it back early only when more than f validators failed recently, i.e. honest ones failed
// too; with at most f faulty validators and a healthy network that does not happen.)
//
// The standing is part of the ValidatorSet afterBlock returns (ValidatorSet.standing), so it is
// stored with the set history and survives restarts. It changes only on a failure, a signature
// after a failure, a re-admission or a decayed count reaching zero: the history records it
// rarely. validatorsHash covers members only: the standing decides who proposes, not who votes.
import {
  faultTolerance,
  isMember,
  sameMembers,
  sameStanding,
  type Block,
  type StandingEntry,
  type ValidatorId,
  type ValidatorSet,
} from "../../chain/index.js";

/** The backoff doubles per recent failure up to n · 2^MAX_DOUBLINGS heights. */
export const MAX_DOUBLINGS = 5;
/** Failures counted beyond this no longer lengthen the backoff (keeps the count bounded). */
export const MAX_COUNTED_FAILURES = MAX_DOUBLINGS + 1;

/** A selection module's rotation formula over an ordered list of candidates. */
export type Rotation = (candidates: readonly ValidatorId[], height: number, view: number) => ValidatorId;

/** Heights a validator with `failures` recent failures stays suspended in a set of n. */
export function backoffHeights(n: number, failures: number): number {
  return n * 2 ** (Math.min(Math.max(failures, 1), MAX_COUNTED_FAILURES) - 1);
}

/** Heights without a failure that forgive one counted failure: the capped backoff. */
export function decayHeights(n: number): number {
  return n * 2 ** MAX_DOUBLINGS;
}

/** The entry's failure count as of `height`, after decay. */
export function decayedFailures(entry: StandingEntry, n: number, height: number): number {
  const forgiven = Math.floor(Math.max(0, height - entry.lastFailure) / decayHeights(n));
  return Math.max(0, entry.failures - forgiven);
}

const eligibleCache = new WeakMap<ValidatorSet, readonly ValidatorId[]>();

/** Members that may be primary, in set order. Every fold re-admits whoever is due, so a suspended entry here is out. */
export function eligibleMembers(set: ValidatorSet): readonly ValidatorId[] {
  const standing = set.standing;
  if (standing === undefined || standing.length === 0) return set.members;
  const cached = eligibleCache.get(set);
  if (cached !== undefined) return cached;
  const out = new Set(standing.filter((e) => e.suspended).map((e) => e.validator));
  const eligible = set.members.filter((m) => !out.has(m));
  // Never empty: at most f of n ≥ 1 are suspended. Guard anyway against a hand-made set.
  const result = eligible.length === 0 ? set.members : eligible;
  eligibleCache.set(set, result);
  return result;
}

/** The primary of (height, view): the module's rotation applied to the eligible members. */
export function standingPrimary(set: ValidatorSet, height: number, view: number, rotate: Rotation): ValidatorId {
  return rotate(eligibleMembers(set), height, view);
}

/** The primaries the block shows to have failed at its height, earliest view first. */
export function failedPrimaries(set: ValidatorSet, block: Block, rotate: Rotation): ValidatorId[] {
  const h = block.header;
  const eligible = eligibleMembers(set);
  const failed: ValidatorId[] = [];
  // After one lap of the eligible members every one of them has failed once: views beyond add
  // nobody new, so the loop is bounded by the set size whatever view the header names.
  const views = Math.min(h.view, eligible.length);
  for (let v = 0; v < views; v++) {
    const p = rotate(eligible, h.height, v);
    if (p !== h.proposer && !failed.includes(p)) failed.push(p);
  }
  return failed;
}

/**
 * The set in force after `block`: `next` (the module's members after the block: the same object
 * as `set` when the members did not change) with the standing folded over the block. Returns
 * `set` itself when neither members nor standing changed.
 */
export function foldStanding(set: ValidatorSet, block: Block, next: ValidatorSet, rotate: Rotation): ValidatorSet {
  const height = block.header.height;
  const n = set.members.length;
  const entries = new Map<ValidatorId, StandingEntry>((set.standing ?? []).map((e) => [e.validator, e]));

  // Alive: a signature in the lastCommit of the failure's height or later.
  const lastCommit = block.lastCommit;
  if (lastCommit !== null) {
    for (const c of lastCommit.commits) {
      const e = entries.get(c.validator);
      if (e !== undefined && e.suspended && !e.signed && lastCommit.height >= e.lastFailure) entries.set(c.validator, { ...e, signed: true });
    }
  }

  // Failed: suspend, with the decayed count plus this failure.
  const failed = failedPrimaries(set, block, rotate);
  for (const validator of failed) {
    const old = entries.get(validator);
    const counted = old === undefined ? 0 : decayedFailures(old, n, height);
    entries.set(validator, { validator, failures: Math.min(counted + 1, MAX_COUNTED_FAILURES), lastFailure: height, suspended: true, signed: false });
  }

  // Only members of the next set keep a standing (a DBFT epoch keeps those who stay).
  for (const validator of [...entries.keys()]) if (!isMember(next, validator)) entries.delete(validator);

  // At most f suspended: keep the most recent failures (a later view's failure is more recent
  // than an earlier view's at the same height; the rest by id, for one answer everywhere).
  const nextN = next.members.length;
  const f = faultTolerance(nextN);
  const suspended = [...entries.values()].filter((e) => e.suspended);
  if (suspended.length > f) {
    const recency = (e: StandingEntry): number => failed.indexOf(e.validator);
    suspended.sort((a, b) => a.lastFailure - b.lastFailure || recency(a) - recency(b) || (a.validator < b.validator ? -1 : 1));
    for (const e of suspended.slice(0, suspended.length - f)) entries.set(e.validator, { ...e, suspended: false, signed: false });
  }

  // Re-admit whoever is due at the next height, so a suspended entry in force always means "out";
  // forget counts that decayed away.
  const out: StandingEntry[] = [];
  for (let entry of entries.values()) {
    if (entry.suspended && entry.signed && height + 1 >= entry.lastFailure + backoffHeights(nextN, entry.failures)) {
      entry = { ...entry, suspended: false, signed: false };
    }
    if (!entry.suspended && decayedFailures(entry, nextN, height + 1) === 0) continue;
    out.push(entry);
  }
  out.sort((a, b) => (a.validator < b.validator ? -1 : a.validator > b.validator ? 1 : 0));

  const folded: ValidatorSet = out.length === 0 ? { members: next.members } : { members: next.members, standing: out };
  if (sameMembers(set, next) && sameStanding(set, folded)) return set;
  return out.length === 0 && (next.standing ?? []).length === 0 ? next : folded;
}
