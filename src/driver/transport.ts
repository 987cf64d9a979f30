// What the driver needs from a network: libp2p gossip in a node, the virtual network in the
// simulator. Sends are fire-and-forget (PBFT retransmits); fetching sealed blocks is async.
import type { Block, Seal, ValidatorId } from "../chain/index.js";
import type { ConsensusMessage } from "../consensus/index.js";

export interface SealedBlock {
  readonly block: Block;
  readonly seal: Seal;
}

export interface Transport {
  broadcast(message: ConsensusMessage): void;
  send(to: ValidatorId, message: ConsensusMessage): void;
  /** Sealed blocks from `fromHeight` on, at most `count`, from one of `peers` (unverified). */
  fetchBlocks(peers: readonly ValidatorId[], fromHeight: number, count: number): Promise<readonly SealedBlock[]>;
}
