// The block store in memory, for the simulator and unit tests: the same contract and the same
// refusals as LevelBlockStore (both run the checks in ./block-store-checks.ts), but synchronous
// inside, so an append is complete before its promise is even returned and two appends can
// never interleave. Cheap to create: a simulated cluster makes thousands of these.
//
// close() keeps the data, like a disk that survives its process: open() again (with the same
// genesis) resumes from the stored head, which is how the simulator models a restart.
import type { AppendInput, AppendOptions, BlockStore, ChainHead, GenesisInit, StoredBlock, TxLocation } from "../chain/block-store.js";
import { checkAppend, checkOpen, checkValidatorsHeight, isBlockHeight, isHashHex, type StoreStatus } from "../chain/block-store-checks.js";
import { bytesEqual, toHex } from "../chain/encoding.js";
import { assert, StoreError } from "../chain/errors.js";
import type { Seal } from "../chain/seal.js";
import { ChainState } from "../chain/state.js";
import { ValidatorHistory } from "../chain/validator-history.js";
import type { ValidatorSet } from "../chain/validator-set.js";

export type MemoryBlockStoreOptions = Record<never, never>;
export type MemoryBlockStoreDeps = Record<never, never>;

interface StoredGenesis {
  readonly hash: Uint8Array;
  readonly timestamp: number;
}

export class MemoryBlockStore implements BlockStore {
  private status: StoreStatus = "new";
  private genesis: StoredGenesis | null = null;
  private chainHead: ChainHead | null = null;
  private readonly chainState = new ChainState();
  /** blocks[h - 1] is the block at height h. */
  private readonly blocks: StoredBlock[] = [];
  private readonly heightByHash = new Map<string, number>();
  private readonly txIndex = new Map<string, { readonly height: number; readonly index: number }>();
  private readonly history = new ValidatorHistory();

  constructor(_options: MemoryBlockStoreOptions = {}, _deps: MemoryBlockStoreDeps = {}) {}

  async open(genesis: GenesisInit): Promise<void> {
    assert(this.status !== "open", "MemoryBlockStore.open called twice");
    if (this.genesis === null) {
      this.genesis = { hash: Uint8Array.from(genesis.genesisHash), timestamp: genesis.genesisTimestamp };
      this.chainState.apply(new Map(genesis.writes));
      this.history.push({ height: 1, set: genesis.validators });
      this.chainHead = { height: 0, hash: this.genesis.hash, timestamp: this.genesis.timestamp };
    } else if (!bytesEqual(this.genesis.hash, genesis.genesisHash)) {
      throw new StoreError("GENESIS_MISMATCH", "the store holds a chain with another genesis", {
        expected: toHex(this.genesis.hash),
        actual: toHex(genesis.genesisHash),
      });
    }
    this.status = "open";
  }

  async close(): Promise<void> {
    if (this.status === "open") this.status = "closed";
  }

  head(): ChainHead {
    checkOpen(this.status);
    return this.chainHead!;
  }

  headSeal(): Seal | null {
    checkOpen(this.status);
    return this.blocks[this.blocks.length - 1]?.seal ?? null;
  }

  state(): ChainState {
    checkOpen(this.status);
    return this.chainState;
  }

  /** Memory is the simulator's disk: every append is as durable as it gets (options ignored). */
  async append(input: AppendInput, _options?: AppendOptions): Promise<void> {
    checkOpen(this.status);
    const head = this.chainHead!;
    checkAppend(head, this.chainState, input);
    const { block, seal, receipts } = input;
    const height = block.header.height;
    const change = this.history.changeAt(height + 1, input.nextValidators);
    this.blocks.push({ block, seal, receipts: [...receipts] });
    this.heightByHash.set(block.id, height);
    block.txs.forEach((tx, index) => this.txIndex.set(tx.id, { height, index }));
    this.chainState.apply(input.writes);
    if (change !== null) this.history.push(change);
    this.chainHead = { height, hash: block.hash, timestamp: block.header.timestamp };
  }

  async getBlock(height: number): Promise<StoredBlock | undefined> {
    checkOpen(this.status);
    return isBlockHeight(height) ? this.blocks[height - 1] : undefined;
  }

  async getBlockByHash(hash: string): Promise<StoredBlock | undefined> {
    checkOpen(this.status);
    const height = isHashHex(hash) ? this.heightByHash.get(hash) : undefined;
    return height === undefined ? undefined : this.blocks[height - 1];
  }

  async getTx(id: string): Promise<TxLocation | undefined> {
    checkOpen(this.status);
    const at = isHashHex(id) ? this.txIndex.get(id) : undefined;
    if (at === undefined) return undefined;
    const stored = this.blocks[at.height - 1]!;
    return {
      tx: stored.block.txs[at.index]!,
      height: at.height,
      index: at.index,
      blockHash: stored.block.hash,
      receipt: stored.receipts[at.index]!,
    };
  }

  validatorsAt(height: number): ValidatorSet {
    checkOpen(this.status);
    checkValidatorsHeight(this.chainHead!, height);
    return this.history.at(height);
  }
}
