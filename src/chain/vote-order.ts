// The order of a validator's recorded votes, shared by both vote stores: by height, then view,
// then phase in protocol order, so a restarted replica replays its own votes as it made them.
import type { VotePhase, VoteRecord } from "./block-store.js";
import { assert } from "./errors.js";

export const VOTE_PHASES: readonly VotePhase[] = ["pre-prepare", "prepare", "commit", "view-change", "new-view"];

export function votePhaseIndex(phase: VotePhase): number {
  const index = VOTE_PHASES.indexOf(phase);
  assert(index >= 0, `unknown vote phase ${String(phase)}`);
  return index;
}

export function compareVotes(a: VoteRecord, b: VoteRecord): number {
  return a.height - b.height || a.view - b.view || votePhaseIndex(a.phase) - votePhaseIndex(b.phase);
}

/** A vote that could not be keyed is a bug in the caller, not an operating error. */
export function checkVoteRecord(vote: VoteRecord): void {
  assert(Number.isSafeInteger(vote.height) && vote.height >= 0, `vote height ${vote.height} is not a non-negative integer`);
  assert(Number.isSafeInteger(vote.view) && vote.view >= 0, `vote view ${vote.view} is not a non-negative integer`);
  votePhaseIndex(vote.phase);
}
