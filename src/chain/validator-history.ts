// The validator sets of a chain as a list of changes: each entry is a set and the first height
// it validates. validatorsAt must answer synchronously (consensus asks on its hot path), so
// every change is held in memory; sets change rarely (a PoA vote, a DBFT epoch whose winners
// differ), and a set that did not change is not recorded again.
import { assert } from "./errors.js";
import { sameSet, type ValidatorSet } from "./validator-set.js";

export interface ValidatorChange {
  /** The first height this set validates. */
  readonly height: number;
  readonly set: ValidatorSet;
}

export class ValidatorHistory {
  private readonly changes: ValidatorChange[] = [];

  /** Changes must come in ascending height order, the first one at height 1. */
  static fromChanges(changes: Iterable<ValidatorChange>): ValidatorHistory {
    const history = new ValidatorHistory();
    for (const change of changes) history.push(change);
    return history;
  }

  get length(): number {
    return this.changes.length;
  }

  push(change: ValidatorChange): void {
    const last = this.changes[this.changes.length - 1];
    assert(last === undefined ? change.height === 1 : change.height > last.height, `validator change at height ${change.height} is out of order`);
    this.changes.push(change);
  }

  /** The latest change at or below `height`: binary search, as DBFT with short epochs records many. */
  at(height: number): ValidatorSet {
    let lo = 0;
    let hi = this.changes.length - 1;
    let found: ValidatorChange | undefined;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const change = this.changes[mid]!;
      if (change.height <= height) {
        found = change;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    assert(found !== undefined, `no validator set in force at height ${height}`);
    return found.set;
  }

  /** The change to record for `set` taking effect at `height`, or null when it is the set already in force. */
  changeAt(height: number, set: ValidatorSet): ValidatorChange | null {
    return sameSet(this.at(height), set) ? null : { height, set };
  }
}
