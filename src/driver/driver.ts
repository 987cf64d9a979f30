// The one place where async meets the pure core. Inputs go into one FIFO queue; each is fed to
// `replica.step`, and the resulting actions run in order: a `persist-vote` is awaited (durable)
// before the next action runs, answers to build/validate/append come back as new inputs at the
// back of the queue. The node feeds it from libp2p, a tick timer and the RPC; the simulator from
// its seeded event queue. Nothing else differs.
import {
  assert,
  BlockError,
  bytesEqual,
  SealError,
  toHex,
  type Block,
  type BlockStore,
  type ConsensusParams,
  type Receipt,
  type Seal,
  type SignedTx,
  type StateWrites,
  type StoredBlock,
  type TxRegistry,
  type ValidatorId,
  type ValidatorSet,
  type VoteStore,
} from "../chain/index.js";
import {
  decodeVoteRecords,
  encodeVoteRecord,
  Replica,
  type Action,
  type Input,
  type ReplicaCrypto,
  type ReplicaStatus,
  type ValidatorSelection,
} from "../consensus/index.js";
import { buildBlock, importSealedBlock, nextValidatorsAfter, validateBlock } from "../consensus/block-rules.js";
import type { SealedBlock, Transport } from "./transport.js";

/** What the driver needs from a mempool. */
export interface TxSource {
  reap(maxTxs: number, maxBytes: number): SignedTx[];
  removeIncluded(txs: readonly SignedTx[]): void;
  has(id: string): boolean;
}

export interface DriverLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** A Byzantine behaviour is a filter on a correct replica's actions (DESIGN.md §1). */
export type ActionFilter = (actions: readonly Action[], input: Input) => readonly Action[];

export interface DriverEvents {
  /** Every action as it is executed (after the filter). */
  onAction?(action: Action): void;
  onAppended?(stored: StoredBlock, source: "consensus" | "sync"): void;
  /** A sync batch was refused (bad seal or block from a peer). */
  onSyncRejected?(error: Error, peers: readonly ValidatorId[]): void;
}

export interface DriverOptions {
  readonly chainId: string;
  readonly self: ValidatorId | null;
  readonly params: ConsensusParams;
  /** Blocks asked for per sync request. */
  readonly syncBatchBlocks?: number;
  /** A proposal whose timestamp is further ahead of our clock than this is invalid. */
  readonly maxFutureBlockMs?: number;
  /** Inputs waiting beyond this are dropped (network messages only; PBFT retransmits). */
  readonly maxQueuedInputs?: number;
}

export interface DriverDeps {
  readonly store: BlockStore;
  readonly votes: VoteStore;
  readonly mempool: TxSource;
  readonly selection: ValidatorSelection;
  readonly registry: TxRegistry;
  readonly crypto: ReplicaCrypto;
  readonly transport: Transport;
  readonly clock: { now(): number };
  readonly filter?: ActionFilter;
  readonly events?: DriverEvents;
  readonly logger?: DriverLogger;
}

type Job =
  | { readonly kind: "input"; readonly input: Input }
  | { readonly kind: "import"; readonly blocks: readonly SealedBlock[]; readonly peers: readonly ValidatorId[]; readonly done: () => void };

interface Execution {
  readonly parentHash: Uint8Array;
  readonly receipts: readonly Receipt[];
  readonly writes: StateWrites;
}

const EXECUTION_CACHE_LIMIT = 32;

export class Driver {
  private replica: Replica | null = null;
  private readonly queue: Job[] = [];
  private processing: Promise<void> | null = null;
  private syncTask: Promise<void> | null = null;
  private stopped = false;
  /** Executions of proposals we built or validated, so append does not execute them again. */
  private readonly executions = new Map<string, Execution>();
  private readonly syncBatch: number;
  private readonly maxFutureBlockMs: number;
  private readonly maxQueued: number;
  droppedInputs = 0;

  constructor(
    private readonly options: DriverOptions,
    private readonly deps: DriverDeps,
  ) {
    this.syncBatch = options.syncBatchBlocks ?? 64;
    this.maxFutureBlockMs = options.maxFutureBlockMs ?? 15_000;
    this.maxQueued = options.maxQueuedInputs ?? 10_000;
  }

  /** Build the replica from the store's head and our recorded votes (restart-safe). */
  async start(): Promise<void> {
    const records = await this.deps.votes.load();
    const { ownVotes, ownCertificates } = decodeVoteRecords(records);
    const head = this.deps.store.head();
    this.replica = new Replica(
      { chainId: this.options.chainId, self: this.options.self, params: this.options.params, selection: this.deps.selection },
      this.deps.crypto,
      { head, validators: this.deps.store.validatorsAt(head.height + 1), ownVotes, ownCertificates },
    );
    this.stopped = false;
  }

  /** Stop taking inputs and wait for the one being processed (not a queued backlog). */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const job of this.queue.splice(0)) if (job.kind === "import") job.done();
    await this.processing;
    await this.syncTask?.catch(() => undefined);
  }

  status(): ReplicaStatus {
    return this.core().status();
  }

  get queueLength(): number {
    return this.queue.length;
  }

  /** True while a block sync (fetch + import) is in flight. */
  get syncing(): boolean {
    return this.syncTask !== null;
  }

  /**
   * Catch up from `peers` outside consensus: the node's periodic head check uses it when a peer
   * is ahead but no consensus message says so (after a restart, or a late observer). No-op while
   * a sync is already running.
   */
  requestSync(peers: readonly ValidatorId[]): void {
    this.startSync(peers);
  }

  /** Queue an input; processing runs in the background in FIFO order. */
  submit(input: Input): void {
    if (this.stopped) return;
    if (input.type === "message" && this.queue.length >= this.maxQueued) {
      this.droppedInputs++;
      return;
    }
    this.queue.push({ kind: "input", input });
    this.kick();
  }

  /** Resolves once the queue is empty and no sync is in flight (the simulator's barrier). */
  async idle(): Promise<void> {
    while (this.processing !== null || this.syncTask !== null) {
      await this.processing;
      await this.syncTask?.catch(() => undefined);
    }
  }

  private core(): Replica {
    assert(this.replica !== null, "driver used before start()");
    return this.replica;
  }

  private kick(): void {
    if (this.processing !== null) return;
    this.processing = this.drain().then(
      () => {
        this.processing = null;
        // A job queued after drain() found the queue empty but before this callback ran (a sync
        // import: kick() saw `processing` still set) would otherwise wait for the next input,
        // and idle() for ever.
        if (this.queue.length > 0 && !this.stopped) this.kick();
      },
      (err: unknown) => {
        this.processing = null;
        throw err;
      },
    );
  }

  private async drain(): Promise<void> {
    while (!this.stopped) {
      const job = this.queue.shift();
      if (job === undefined) return;
      if (job.kind === "input") await this.handle(job.input);
      else await this.importBlocks(job.blocks, job.peers).finally(job.done);
    }
  }

  private async handle(input: Input): Promise<void> {
    const raw = this.core().step(input);
    const actions = this.deps.filter === undefined ? raw : this.deps.filter(raw, input);
    for (const action of actions) {
      this.deps.events?.onAction?.(action);
      await this.execute(action);
    }
  }

  private enqueue(input: Input): void {
    this.queue.push({ kind: "input", input });
  }

  private async execute(action: Action): Promise<void> {
    switch (action.type) {
      case "persist-vote":
        // One record, one synced write: a commit and the certificate that prepared it.
        await this.deps.votes.record({ height: action.height, view: action.view, phase: action.phase, bytes: encodeVoteRecord(action.message, action.prepared ?? null) });
        return;
      case "broadcast":
        this.deps.transport.broadcast(action.message);
        return;
      case "send":
        this.deps.transport.send(action.to, action.message);
        return;
      case "build-block":
        this.enqueue({ type: "block-built", height: action.height, view: action.view, block: this.build(action.height, action.view, action.allowEmpty) });
        return;
      case "validate-block": {
        const verdict = this.validate(action.block);
        this.enqueue({ type: "block-validated", height: action.height, view: action.view, blockHash: action.block.hash, ...verdict });
        return;
      }
      case "append-block":
        await this.append(action.block, action.seal);
        return;
      case "request-sync":
        this.startSync(action.peers);
        return;
      case "report-fault":
        this.deps.logger?.warn({ peer: action.peer, fault: action.fault, detail: action.detail }, "peer fault");
        return;
      case "view-changed":
        this.deps.logger?.info({ height: action.height, view: action.view }, "view change");
        return;
    }
  }

  private params(height: number) {
    const head = this.deps.store.head();
    const p = this.options.params;
    return {
      chainId: this.options.chainId,
      height,
      parent: { hash: head.hash, timestamp: head.timestamp },
      validators: this.deps.store.validatorsAt(height),
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

  private build(height: number, view: number, allowEmpty: boolean): Block | null {
    const head = this.deps.store.head();
    if (height !== head.height + 1 || this.options.self === null) return null;
    const p = this.params(height);
    const candidates = this.deps.mempool.reap(p.maxBlockTxs, p.maxBlockBytes);
    if (candidates.length === 0 && !allowEmpty) return null;
    const built = buildBlock({
      ...p,
      view,
      timestamp: Math.max(this.deps.clock.now(), head.timestamp),
      proposer: this.options.self,
      candidates,
    });
    if (built.block.txs.length === 0 && !allowEmpty) return null;
    this.remember(built.block, { parentHash: head.hash, receipts: built.receipts, writes: built.writes });
    return built.block;
  }

  private validate(block: Block): { valid: boolean; reason?: string } {
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

  private async append(block: Block, seal: Seal): Promise<void> {
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
    await this.commitToStore(block, seal, { ...execution, nextValidators }, "consensus");
  }

  private async commitToStore(
    block: Block,
    seal: Seal,
    execution: { readonly receipts: readonly Receipt[]; readonly writes: StateWrites; readonly nextValidators: ValidatorSet },
    source: "consensus" | "sync",
  ): Promise<void> {
    const height = block.header.height;
    const { receipts, writes, nextValidators } = execution;
    await this.deps.store.append({ block, seal, receipts, writes, nextValidators });
    this.executions.delete(block.id);
    this.deps.mempool.removeIncluded(block.txs);
    await this.deps.votes.pruneBelow(height);
    this.deps.events?.onAppended?.({ block, seal, receipts }, source);
    this.enqueue({ type: "block-appended", height, blockHash: block.hash, timestamp: block.header.timestamp, nextValidators });
  }

  private startSync(peers: readonly ValidatorId[]): void {
    if (this.syncTask !== null || peers.length === 0 || this.stopped) return;
    this.syncTask = this.syncLoop(peers).finally(() => {
      this.syncTask = null;
    });
  }

  private async syncLoop(peers: readonly ValidatorId[]): Promise<void> {
    for (;;) {
      if (this.stopped) return;
      const from = this.deps.store.head().height + 1;
      let blocks: readonly SealedBlock[];
      try {
        blocks = await this.deps.transport.fetchBlocks(peers, from, this.syncBatch);
      } catch (err) {
        this.deps.logger?.warn({ err: (err as Error).message, from }, "sync fetch failed");
        return;
      }
      if (blocks.length === 0) return;
      // Imports go through the queue so they never interleave with a consensus append.
      await new Promise<void>((done) => {
        this.queue.push({ kind: "import", blocks, peers, done });
        this.kick();
      });
      if (blocks.length < this.syncBatch || this.deps.store.head().height < from) return;
    }
  }

  /** Verify and append fetched blocks in height order; stop at the first bad one. */
  private async importBlocks(blocks: readonly SealedBlock[], peers: readonly ValidatorId[]): Promise<void> {
    for (const { block, seal } of blocks) {
      const head = this.deps.store.head();
      const height = block.header.height;
      if (height <= head.height) continue;
      if (height !== head.height + 1) break;
      try {
        const result = importSealedBlock(block, seal, this.params(height));
        await this.commitToStore(block, seal, result, "sync");
      } catch (err) {
        if (err instanceof BlockError || err instanceof SealError) {
          this.deps.logger?.warn({ height, block: toHex(block.hash), err: err.message, peers }, "sync: refused a block");
          this.deps.events?.onSyncRejected?.(err, peers);
          break;
        }
        throw err;
      }
    }
  }
}
