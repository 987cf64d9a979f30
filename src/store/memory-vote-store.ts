// The vote store in memory, for the simulator and unit tests: LevelVoteStore's contract without
// the disk. One record per (height, view, phase); recording the same slot again replaces it.
import type { VoteRecord, VoteStore } from "../chain/block-store.js";
import { checkVoteRecord, compareVotes, votePhaseIndex } from "../chain/vote-order.js";

export class MemoryVoteStore implements VoteStore {
  private readonly votes = new Map<string, VoteRecord>();

  async record(vote: VoteRecord): Promise<void> {
    checkVoteRecord(vote);
    this.put(vote);
  }

  async recordAll(votes: readonly VoteRecord[]): Promise<void> {
    // All checked before any is kept: one write, all or nothing, as LevelVoteStore's batch.
    for (const vote of votes) checkVoteRecord(vote);
    for (const vote of votes) this.put(vote);
  }

  private put(vote: VoteRecord): void {
    // Copied: the caller's buffer may be reused, a disk would not see that either.
    const stored: VoteRecord = { height: vote.height, view: vote.view, phase: vote.phase, bytes: Uint8Array.from(vote.bytes) };
    this.votes.set(`${vote.height}/${vote.view}/${votePhaseIndex(vote.phase)}`, stored);
  }

  async load(): Promise<VoteRecord[]> {
    return [...this.votes.values()].sort(compareVotes);
  }

  async pruneBelow(height: number): Promise<void> {
    for (const [key, vote] of this.votes) if (vote.height < height) this.votes.delete(key);
  }
}
