// The validators in force at a height, and PBFT's arithmetic over them.
import { Writer } from "./encoding.js";
import { sha256 } from "./hash.js";
import { parsePublicKey } from "./keys.js";

/** A validator's id is its ed25519 public key in lower-case hex. */
export type ValidatorId = string;

/**
 * What the committed chain says about one member as a proposer (folded by the selection's
 * proposer standing, src/consensus/selection/proposer-standing.ts): how often it recently failed
 * to propose, and whether it is suspended from being primary.
 */
export interface StandingEntry {
  readonly validator: ValidatorId;
  /** Failures counted at `lastFailure`, that one included (they decay with height after it). */
  readonly failures: number;
  /** The height of the block that showed the latest failure. */
  readonly lastFailure: number;
  /** Not primary until re-admitted: the backoff has passed and it signed a lastCommit since. */
  readonly suspended: boolean;
  /** It appeared in a block's lastCommit for a height ≥ lastFailure (it is alive). */
  readonly signed: boolean;
}

export interface ValidatorSet {
  /** Sorted ascending and distinct, so every node derives the same order (and primary). */
  readonly members: readonly ValidatorId[];
  /**
   * Members with a recent proposer failure, sorted by validator; absent or empty when there are
   * none. Derived from the committed chain alone, so every replica holds the same; it decides who
   * may be primary, never who validates (validatorsHash covers members only).
   */
  readonly standing?: readonly StandingEntry[];
}

export const MIN_VALIDATORS = 4;
/** Cap on the set size: bounds seals, vote logs and per-height work. */
export const MAX_VALIDATORS = 256;

export function validatorSet(ids: Iterable<ValidatorId>): ValidatorSet {
  const members = [...new Set(ids)].sort();
  for (const id of members) parsePublicKey(id);
  if (members.length > MAX_VALIDATORS) throw new RangeError(`a validator set holds at most ${MAX_VALIDATORS} members`);
  return { members };
}

/** f: the most Byzantine validators n can tolerate. */
export function faultTolerance(n: number): number {
  // Clamped at 0: f(0) = -1 made quorumSize(0) = 0, so an empty seal "verified" against an empty set.
  return Math.max(0, Math.floor((n - 1) / 3));
}

/** The smallest q such that any two q-subsets of n overlap in at least f+1 validators. */
export function quorumSize(n: number): number {
  return Math.floor((n + faultTolerance(n)) / 2) + 1;
}

export function isMember(set: ValidatorSet, id: ValidatorId): boolean {
  // Sets are small (≤ 256) and sorted: binary search keeps this cheap on the message hot path.
  let lo = 0;
  let hi = set.members.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const m = set.members[mid]!;
    if (m === id) return true;
    if (m < id) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

export function validatorsHash(set: ValidatorSet): Uint8Array {
  const w = new Writer(set.members.length * 33 + 8).uint(set.members.length);
  for (const id of set.members) w.fixed(parsePublicKey(id), 32);
  return sha256(w.finish());
}

export function sameMembers(a: ValidatorSet, b: ValidatorSet): boolean {
  return a.members.length === b.members.length && a.members.every((m, i) => m === b.members[i]);
}

export function sameStanding(a: ValidatorSet, b: ValidatorSet): boolean {
  const x = a.standing ?? [];
  const y = b.standing ?? [];
  return (
    x.length === y.length &&
    x.every((e, i) => {
      const o = y[i]!;
      return e.validator === o.validator && e.failures === o.failures && e.lastFailure === o.lastFailure && e.suspended === o.suspended && e.signed === o.signed;
    })
  );
}

/** Same members and same proposer standing (a standing change is a change a history records). */
export function sameSet(a: ValidatorSet, b: ValidatorSet): boolean {
  return sameMembers(a, b) && sameStanding(a, b);
}
