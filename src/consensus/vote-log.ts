// The prepares and commits of one height, keyed by (phase, view, validator id): a vote counts
// once per validator KEY, however many peers relay it and however often it is repeated. The
// first vote of a validator in a (phase, view) is kept; a different second one is equivocation.
import { toHex, type ValidatorId } from "../chain/index.js";
import type { Commit, Prepare, Signed } from "./messages.js";

export type Vote = Prepare | Commit;
export type VoteKind = Vote["type"];

interface PhaseVotes {
  readonly byValidator: Map<ValidatorId, Vote>;
  /** hash hex → the validators that voted for it (insertion order = arrival order). */
  readonly byHash: Map<string, Map<ValidatorId, Signed>>;
}

interface ViewVotes {
  readonly prepare: PhaseVotes;
  readonly commit: PhaseVotes;
}

function emptyPhase(): PhaseVotes {
  return { byValidator: new Map(), byHash: new Map() };
}

export class VoteLog {
  private readonly views = new Map<number, ViewVotes>();

  get(kind: VoteKind, view: number, from: ValidatorId): Vote | undefined {
    return this.views.get(view)?.[kind].byValidator.get(from);
  }

  /** Record a verified vote; false if this validator already voted in (kind, view). */
  add(vote: Vote): boolean {
    let votes = this.views.get(vote.view);
    if (votes === undefined) {
      votes = { prepare: emptyPhase(), commit: emptyPhase() };
      this.views.set(vote.view, votes);
    }
    const phase = votes[vote.type];
    if (phase.byValidator.has(vote.from)) return false;
    phase.byValidator.set(vote.from, vote);
    const hex = toHex(vote.blockHash);
    let voters = phase.byHash.get(hex);
    if (voters === undefined) {
      voters = new Map();
      phase.byHash.set(hex, voters);
    }
    voters.set(vote.from, { from: vote.from, signature: vote.signature });
    return true;
  }

  /** How many distinct validators voted for `hash` in (kind, view). */
  count(kind: VoteKind, view: number, hashHex: string): number {
    return this.views.get(view)?.[kind].byHash.get(hashHex)?.size ?? 0;
  }

  /** The signatures of the validators that voted for `hash` in (kind, view), sorted by id. */
  signers(kind: VoteKind, view: number, hashHex: string): Signed[] {
    const voters = this.views.get(view)?.[kind].byHash.get(hashHex);
    if (voters === undefined) return [];
    return [...voters.values()].sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : 0));
  }

  /** The views in which `hash` has at least `quorum` votes of `kind`. */
  quorumViews(kind: VoteKind, hashHex: string, quorum: number): number[] {
    const out: number[] = [];
    for (const [view, votes] of this.views) if ((votes[kind].byHash.get(hashHex)?.size ?? 0) >= quorum) out.push(view);
    return out;
  }

  /** Each validator's first vote of `kind` in `view`, by validator id: a read for status, never used by the protocol. */
  votesIn(kind: VoteKind, view: number): ReadonlyMap<ValidatorId, Vote> {
    return this.views.get(view)?.[kind].byValidator ?? new Map<ValidatorId, Vote>();
  }

  /** Bound the log: votes of views far behind the current one can no longer matter. */
  pruneViewsBelow(view: number): void {
    for (const v of this.views.keys()) if (v < view) this.views.delete(v);
  }

  get viewCount(): number {
    return this.views.size;
  }
}
