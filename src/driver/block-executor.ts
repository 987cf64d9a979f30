// The driver's block work: build a proposal from the mempool, validate a proposal by executing
// it, append a decided block (consensus) or a fetched one (sync) to the store. Executions of
// proposals we built or validated are kept (a few) so the append of a decided block does not
// execute it again. It never calls the core: each append hands the driver the `block-appended`
// input to queue, at once, so inputs that arrive while a sync batch is imported queue after it.
import {
  assert,
  BlockError,
  bytesEqual,
  SealError,
  toHex,
  type Block,
  type BlockStore,
  type CommitVerifier,
  type ConsensusParams,
  type Receipt,
  type Seal,
  type StateWrites,
  type StoredBlock,
  type TxRegistry,
  type ValidatorId,
  type ValidatorSet,
  type VoteStore,
} from "../chain/index.js";
import type { Input, ValidatorSelection } from "../consensus/index.js";
import { buildBlock, importSealedBlock, nextValidatorsAfter, validateBlock } from "../consensus/block-rules.js";
import type { DriverLogger, TxSource } from "./driver.js";
import type { SealedBlock } from "./transport.js";
import { failPoint } from "../fail-points.js";

export type BlockAppendedInput = Extract<Input, { type: "block-appended" }>;

export interface BlockExecutorOptions {
  readonly chainId: string;
  readonly self: ValidatorId | null;
  readonly params: ConsensusParams;
  /** A proposal whose timestamp is further ahead of our clock than this is invalid. */
  readonly maxFutureBlockMs?: number;
}

export interface BlockExecutorDeps {
  readonly store: BlockStore;
  readonly votes: VoteStore;
  readonly mempool: TxSource;
  readonly selection: ValidatorSelection;
  readonly registry: TxRegistry;
  readonly clock: { now(): number };
  /** Checks the commit signatures of a block's lastCommit (the driver passes the core's verifier). */
  readonly verifyCommit?: CommitVerifier;
  /** Called right after each append, with the input the core must see next. */
  appended(input: BlockAppendedInput, stored: StoredBlock, source: "consensus" | "sync"): void;
  /** A fetched block was refused (bad seal or block from a peer). */
  onSyncRejected?(error: Error, peers: readonly ValidatorId[]): void;
  readonly logger?: DriverLogger;
}

interface Execution {
  readonly parentHash: Uint8Array;
  readonly receipts: readonly Receipt[];
  readonly writes: StateWrites;
}

const EXECUTION_CACHE_LIMIT = 32;
/** Heights between two prunes of our recorded votes after consensus appends. */
export const VOTE_PRUNE_INTERVAL = 8;

export class BlockExecutor {
  /** Executions of proposals we built or validated, so append does not execute them again. */
  private readonly executions = new Map<string, Execution>();
  private readonly maxFutureBlockMs: number;

  constructor(
    private readonly options: BlockExecutorOptions,
    private readonly deps: BlockExecutorDeps,
  ) {
    this.maxFutureBlockMs = options.maxFutureBlockMs ?? 15_000;
  }

  /** Executions remembered (bounded by EXECUTION_CACHE_LIMIT). */
  get cachedExecutions(): number {
    return this.executions.size;
  }

  /** A proposal on the head for (height, view), or null (not our turn to build, or nothing to propose). */
  build(height: number, view: number, allowEmpty: boolean): Block | null {
    const head = this.deps.store.head();
    if (height !== head.height + 1 || this.options.self === null) return null;
    const p = this.params(height);
    const candidates = this.deps.mempool.reap(p.maxBlockTxs, p.maxBlockBytes);
    if (candidates.length === 0 && !allowEmpty) return null;
    const lastCommit = height === 1 ? null : this.deps.store.headSeal();
    const built = buildBlock({
      ...p,
      lastCommit,
      view,
      timestamp: Math.max(this.deps.clock.now(), head.timestamp),
      proposer: this.options.self,
      candidates,
    });
    if (built.block.txs.length === 0 && !allowEmpty) return null;
    this.remember(built.block, { parentHash: head.hash, receipts: built.receipts, writes: built.writes });
    return built.block;
  }

  /** Execute a proposal against the head; a block from a peer that fails is a verdict, never a throw. */
  validate(block: Block): { valid: boolean; reason?: string } {
    const cached = this.executions.get(block.id);
    const head = this.deps.store.head();
    if (cached !== undefined && bytesEqual(cached.parentHash, head.hash)) return { valid: true };
    if (block.header.timestamp > this.deps.clock.now() + this.maxFutureBlockMs) {
      return { valid: false, reason: `timestamp ${block.header.timestamp} is too far in the future` };
    }
    try {
      const result = validateBlock(block, this.params(block.header.height));
      this.remember(block, { parentHash: head.hash, ...result });
      return { valid: true };
    } catch (err) {
      if (err instanceof BlockError || err instanceof SealError) return { valid: false, reason: `${err.code}: ${err.message}` };
      throw err;
    }
  }

  /** Append a block consensus decided. */
  async append(block: Block, seal: Seal): Promise<void> {
    const head = this.deps.store.head();
    const height = block.header.height;
    if (height <= head.height) {
      // Sync got there first; agreement says it must be the same block.
      const stored = await this.deps.store.getBlock(height);
      assert(stored !== undefined && bytesEqual(stored.block.hash, block.hash), `decided block ${block.id} at height ${height} differs from the stored one`);
      return;
    }
    const cached = this.executions.get(block.id);
    // A block decided by a quorum that we never validated ourselves (we joined late) is
    // executed here; a block that fails now means our state diverged: stop (assert in rules).
    const execution =
      cached !== undefined && bytesEqual(cached.parentHash, head.hash) ? cached : validateBlock(block, this.params(height));
    const store = this.deps.store;
    const nextValidators = nextValidatorsAfter(this.deps.selection, store.validatorsAt(height), block, store.state(), execution.writes);
    // Not fsynced here: the votes live in the same database, so the next synced vote write
    // (this replica's next prepare or commit) makes this append durable with it; a process crash
    // loses nothing either way, an OS crash before then only this block, which q replicas hold
    // (and recorded, with its certificate, in their commits) and sync brings back.
    await this.commitToStore(block, seal, { ...execution, nextValidators }, "consensus", { durable: false, prune: true });
  }

  /**
   * Verify and append fetched blocks in height order; stop at the first bad one. Only the last
   * append of a batch is synced to disk and old votes are pruned once: a crash loses at most a
   * suffix of the batch, which sync fetches again (a node syncing is not voting at those heights).
   */
  async importBlocks(blocks: readonly SealedBlock[], peers: readonly ValidatorId[]): Promise<void> {
    const startHeight = this.deps.store.head().height;
    const lastHeight = blocks[blocks.length - 1]?.block.header.height ?? startHeight;
    for (const [i, { block, seal: served }] of blocks.entries()) {
      const head = this.deps.store.head();
      const height = block.header.height;
      if (height <= head.height) continue;
      if (height !== head.height + 1) break;
      // The next block's lastCommit is a seal of this one that the whole network agreed on (the
      // next header commits to it): checked as this block's seal, it is the very seal the next
      // block's validation checks again, from the verify cache. One seal verified per block
      // instead of two; the peer's own seal is used only for the last block of the batch.
      const next = blocks[i + 1]?.block;
      const seal = next !== undefined && next.header.height === height + 1 && next.lastCommit !== null ? next.lastCommit : served;
      try {
        const result = importSealedBlock(block, seal, this.params(height));
        await this.commitToStore(block, seal, result, "sync", { durable: height >= lastHeight, prune: false });
        if (height < lastHeight) failPoint("sync.mid-batch", height);
      } catch (err) {
        if (err instanceof BlockError || err instanceof SealError) {
          this.deps.logger?.warn({ height, block: toHex(block.hash), err: err.message, peers }, "sync: refused a block");
          this.deps.onSyncRejected?.(err, peers);
          break;
        }
        throw err;
      }
    }
    // A batch that stopped early (a bad block, a gap) leaves its last good append unsynced until
    // the next synced one: a crash before then costs a re-fetch, never a gap.
    const head = this.deps.store.head().height;
    if (head > startHeight) await this.deps.votes.pruneBelow(head);
  }

  private params(height: number) {
    const head = this.deps.store.head();
    const p = this.options.params;
    return {
      chainId: this.options.chainId,
      height,
      parent: { hash: head.hash, timestamp: head.timestamp },
      validators: this.deps.store.validatorsAt(height),
      parentValidators: height > 1 ? this.deps.store.validatorsAt(height - 1) : null,
      ...(this.deps.verifyCommit === undefined ? {} : { verifyCommit: this.deps.verifyCommit }),
      selection: this.deps.selection,
      state: this.deps.store.state(),
      registry: this.deps.registry,
      maxBlockTxs: p.maxBlockTxs,
      maxBlockBytes: p.maxBlockBytes,
      verified: this.deps.mempool,
    };
  }

  private remember(block: Block, execution: Execution): void {
    if (this.executions.size >= EXECUTION_CACHE_LIMIT) {
      const oldest = this.executions.keys().next().value;
      if (oldest !== undefined) this.executions.delete(oldest);
    }
    this.executions.set(block.id, execution);
  }

  private async commitToStore(
    block: Block,
    seal: Seal,
    execution: { readonly receipts: readonly Receipt[]; readonly writes: StateWrites; readonly nextValidators: ValidatorSet },
    source: "consensus" | "sync",
    options: { readonly durable: boolean; readonly prune: boolean } = { durable: true, prune: true },
  ): Promise<void> {
    const height = block.header.height;
    const { receipts, writes, nextValidators } = execution;
    await this.deps.store.append({ block, seal, receipts, writes, nextValidators }, { durable: options.durable });
    failPoint("driver.after-append", height);
    this.executions.delete(block.id);
    this.deps.mempool.removeIncluded(block.txs);
    // Old votes go every few heights, not after each block: a prune is a range scan and a write
    // on the path from one height to the next, and the records it leaves are a few heights' worth.
    if (options.prune && height % VOTE_PRUNE_INTERVAL === 0) await this.deps.votes.pruneBelow(height);
    this.deps.appended(
      { type: "block-appended", height, blockHash: block.hash, timestamp: block.header.timestamp, nextValidators },
      { block, seal, receipts },
      source,
    );
  }
}
