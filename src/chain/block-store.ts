// What a block log is, apart from where it lives: LevelBlockStore keeps it in LevelDB on disk,
// MemoryBlockStore in memory for the simulator and unit tests. Both behave identically.
import type { Block } from "./block.js";
import type { Receipt } from "./receipt.js";
import type { Seal } from "./seal.js";
import type { ChainState, StateWrites } from "./state.js";
import type { SignedTx } from "./tx.js";
import type { ValidatorSet } from "./validator-set.js";

export interface StoredBlock {
  readonly block: Block;
  readonly seal: Seal;
  readonly receipts: readonly Receipt[];
}

export interface TxLocation {
  readonly tx: SignedTx;
  readonly height: number;
  readonly index: number;
  readonly blockHash: Uint8Array;
  readonly receipt: Receipt;
}

export interface ChainHead {
  readonly height: number;
  /** The head block's hash; at height 0, the genesis hash. */
  readonly hash: Uint8Array;
  /** The head block's timestamp; at height 0, the genesis time. */
  readonly timestamp: number;
}

export interface GenesisInit {
  readonly genesisHash: Uint8Array;
  readonly genesisTimestamp: number;
  readonly writes: StateWrites;
  readonly validators: ValidatorSet;
}

export interface AppendInput {
  readonly block: Block;
  readonly seal: Seal;
  readonly receipts: readonly Receipt[];
  /** State changes of executing the block; their root is block.header.stateRoot. */
  readonly writes: StateWrites;
  /** The set in force from height + 1 on (the selection module's afterBlock). */
  readonly nextValidators: ValidatorSet;
}

export interface AppendOptions {
  /** Synced to disk before the append resolves. Default true. */
  readonly durable?: boolean;
}

export interface BlockStore {
  /**
   * Open the store; on first use write the genesis state, later check it is the same genesis
   * (StoreError GENESIS_MISMATCH otherwise). Loads the committed state into memory.
   */
  open(genesis: GenesisInit): Promise<void>;
  close(): Promise<void>;
  head(): ChainHead;
  /** The stored seal of the head block, null at height 0: a proposer puts it in its block as lastCommit. */
  headSeal(): Seal | null;
  /** The committed state after the head block (do not mutate; append does). */
  state(): ChainState;
  /**
   * Atomically store block + seal + receipts + tx index + state writes + next validator set:
   * after a crash either all of it is there or none. Requires height = head + 1 and
   * parentHash = head hash (StoreError PARENT_MISMATCH / BAD_HEIGHT). `durable` false (sync
   * imports but the last of a batch) skips the fsync: a crash may then lose that block and the
   * ones after it, never leave a gap (the log is written in order), and sync fetches them again.
   */
  append(input: AppendInput, options?: AppendOptions): Promise<void>;
  getBlock(height: number): Promise<StoredBlock | undefined>;
  getBlockByHash(hash: string): Promise<StoredBlock | undefined>;
  getTx(id: string): Promise<TxLocation | undefined>;
  /** The set that validates block `height` (height ≥ 1; height head+1 is the next block's). */
  validatorsAt(height: number): ValidatorSet;
}

/** The phases of a validator's own signed messages, as recorded before they are sent. */
export type VotePhase = "pre-prepare" | "prepare" | "commit" | "view-change" | "new-view";

export interface VoteRecord {
  readonly height: number;
  readonly view: number;
  readonly phase: VotePhase;
  /** The signed message, opaque to the store. */
  readonly bytes: Uint8Array;
}

/**
 * The durable record of this validator's own votes (CometBFT's WriteSync of its own votes):
 * `record` resolves only once the vote is on disk (LevelDB `sync: true`), so a crash after a
 * message was sent can never make the validator forget it signed it.
 */
export interface VoteStore {
  record(vote: VoteRecord): Promise<void>;
  /** Several votes in one atomic, synced write (the votes of one consensus step: one fsync). */
  recordAll(votes: readonly VoteRecord[]): Promise<void>;
  /** Every recorded vote not yet pruned, in (height, view, phase) order. */
  load(): Promise<VoteRecord[]>;
  /** Drop votes for heights below `height` (they are covered by a seal now). */
  pruneBelow(height: number): Promise<void>;
}
