// What the driver needs from a network: libp2p gossip in a node, the virtual network in the
// simulator. Sends are fire-and-forget (PBFT retransmits); fetching sealed blocks and asking the
// peers for their heads are async.
import type { Block, Seal, ValidatorId } from "../chain/index.js";
import type { ConsensusMessage } from "../consensus/index.js";

export interface SealedBlock {
  readonly block: Block;
  readonly seal: Seal;
}

/** A peer's block height, as it answered (unverified: it only decides whom to sync from). */
export interface PeerHead {
  readonly peer: ValidatorId;
  readonly height: number;
}

export interface Transport {
  broadcast(message: ConsensusMessage): void;
  send(to: ValidatorId, message: ConsensusMessage): void;
  /** Sealed blocks from `fromHeight` on, at most `count`, from one of `peers` (unverified). */
  fetchBlocks(peers: readonly ValidatorId[], fromHeight: number, count: number): Promise<readonly SealedBlock[]>;
  /**
   * The heads of the peers we can reach now (connected ones); a peer that does not answer is left
   * out. Never rejects. The syncer asks every few ticks to decide whether we are behind.
   */
  peerHeads(): Promise<readonly PeerHead[]>;
}
