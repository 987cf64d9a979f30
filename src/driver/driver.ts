// The one place where async meets the pure core. Inputs go into one FIFO queue; each is fed to
// `replica.step`, and the resulting actions run in order: a `persist-vote` is awaited (durable)
// before the next action runs, answers to build/validate/append come back as new inputs at the
// back of the queue. The node feeds it from libp2p, a tick timer and the RPC; the simulator from
// its seeded event queue. Nothing else differs. The block work is the BlockExecutor's, fetching
// blocks the Syncer's; both reach the core only through this queue.
import {
  assert,
  type BlockStore,
  type ConsensusParams,
  type SignedTx,
  type StoredBlock,
  type TxRegistry,
  type ValidatorId,
  type VoteRecord,
  type VoteStore,
} from "../chain/index.js";
import {
  decodeVoteRecords,
  encodeVoteRecord,
  Replica,
  type Action,
  type Input,
  type ReplicaCrypto,
  type ReplicaRoundState,
  type ReplicaStatus,
  type ValidatorSelection,
} from "../consensus/index.js";
import { BlockExecutor } from "./block-executor.js";
import { Syncer } from "./syncer.js";
import type { SealedBlock, Transport } from "./transport.js";
import { failPoint } from "../fail-points.js";

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
  /** Ticks between two looks at the peers' heads (the syncer's decision whether we are behind). */
  readonly headCheckTicks?: number;
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

type PersistVote = Extract<Action, { type: "persist-vote" }>;

function voteRecordOf(action: PersistVote): VoteRecord {
  return { height: action.height, view: action.view, phase: action.phase, bytes: encodeVoteRecord(action.message, action.prepared ?? null) };
}

type Job =
  | { readonly kind: "input"; readonly input: Input }
  | { readonly kind: "import"; readonly blocks: readonly SealedBlock[]; readonly peers: readonly ValidatorId[]; readonly done: () => void };

export class Driver {
  private replica: Replica | null = null;
  private readonly queue: Job[] = [];
  private processing: Promise<void> | null = null;
  private stopped = false;
  private readonly executor: BlockExecutor;
  private readonly syncer: Syncer;
  private readonly maxQueued: number;
  droppedInputs = 0;
  /** When (clock ms) the replica entered its current (height, view): consensus_state's start_time. */
  private viewStart = { height: 0, view: 0, at: 0 };

  constructor(
    private readonly options: DriverOptions,
    private readonly deps: DriverDeps,
  ) {
    this.maxQueued = options.maxQueuedInputs ?? 10_000;
    this.executor = new BlockExecutor(options, {
      ...deps,
      verifyCommit: (payload, signature, validator) => deps.crypto.verify("commit", payload, signature, validator),
      appended: (input, stored, source) => {
        this.deps.events?.onAppended?.(stored, source);
        this.enqueue(input);
      },
      onSyncRejected: (error, peers) => this.deps.events?.onSyncRejected?.(error, peers),
    });
    this.syncer = new Syncer(options, {
      store: deps.store,
      transport: deps.transport,
      logger: deps.logger,
      importBatch: (blocks, peers) => this.importBatch(blocks, peers),
    });
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
    const first = this.replica.status();
    this.viewStart = { height: first.height, view: first.view, at: this.deps.clock.now() };
    this.stopped = false;
    this.syncer.start();
  }

  /** Stop taking inputs and wait for the one being processed (not a queued backlog). */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const job of this.queue.splice(0)) if (job.kind === "import") job.done();
    const syncer = this.syncer.stop();
    await this.processing;
    await syncer;
  }

  status(): ReplicaStatus {
    return this.core().status();
  }

  /** The current round as CometBFT's consensus_state shows it, and when its view began. */
  roundState(): ReplicaRoundState & { readonly startedAt: number } {
    return { ...this.core().roundState(), startedAt: this.viewStart.at };
  }

  get queueLength(): number {
    return this.queue.length;
  }

  /** True while a block sync (fetch + import) is in flight. */
  get syncing(): boolean {
    return this.syncer.syncing;
  }

  /** Well behind the best head the peers reported (the RPC's catching_up; it then refuses txs). */
  get catchingUp(): boolean {
    return this.syncer.catchingUp;
  }

  /** The best head seen at the syncer's last look at the peers (ours, if higher). */
  get bestKnownHeight(): number {
    return this.syncer.bestKnownHeight;
  }

  /** Catch up from `peers` outside consensus. No-op while a sync is already running. */
  requestSync(peers: readonly ValidatorId[]): void {
    this.syncer.sync(peers);
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

  /**
   * The mempool admitted a tx and now holds `poolSize`. Only the step from empty to non-empty
   * tells the core (one txs-waiting input): a primary idle for want of txs proposes at once.
   * While the pool stays non-empty the primary builds on entering each height and on its ticks,
   * so a flood of arrivals costs no inputs and no repeated builds over a pool of txs that cannot
   * go in yet (nonce gaps).
   */
  txAdded(poolSize: number): void {
    if (poolSize !== 1 || this.stopped) return;
    this.queue.push({ kind: "input", input: { type: "txs-waiting" } });
    this.kick();
  }

  /** Resolves once the queue is empty and no sync or head check is in flight (the simulator's barrier). */
  async idle(): Promise<void> {
    while (this.processing !== null || this.syncer.busy) {
      await this.processing;
      await this.syncer.idle();
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
      else await this.executor.importBlocks(job.blocks, job.peers).finally(job.done);
    }
  }

  private async handle(input: Input): Promise<void> {
    const raw = this.core().step(input);
    const actions = this.deps.filter === undefined ? raw : this.deps.filter(raw, input);
    // A step that signs several votes (a primary's pre-prepare and prepare) records them all at
    // the first one, in one synced write: each is then durable before any action after it, as
    // the rule asks, for one fsync instead of one per vote.
    const persists = actions.filter((a) => a.type === "persist-vote");
    const together = persists.length > 1;
    let recorded = false;
    for (const action of actions) {
      this.deps.events?.onAction?.(action);
      if (action.type === "persist-vote" && together) {
        if (!recorded) await this.deps.votes.recordAll(persists.map(voteRecordOf));
        recorded = true;
        continue;
      }
      await this.execute(action);
    }
    // The syncer's clock: every few ticks it looks at the peers' heads (in the background).
    if (input.type === "tick") this.syncer.onTick();
    // Only an append or an entered view moves the replica to a new (height, view).
    if (input.type === "block-appended" || raw.some((a) => a.type === "view-changed" && a.reason === "entered")) this.noteViewStart();
  }

  private noteViewStart(): void {
    const s = this.core().status();
    if (s.height !== this.viewStart.height || s.view !== this.viewStart.view) this.viewStart = { height: s.height, view: s.view, at: this.deps.clock.now() };
  }

  private enqueue(input: Input): void {
    this.queue.push({ kind: "input", input });
  }

  /** The syncer's imports go through the queue so they never interleave with a consensus append. */
  private importBatch(blocks: readonly SealedBlock[], peers: readonly ValidatorId[]): Promise<void> {
    return new Promise<void>((done) => {
      this.queue.push({ kind: "import", blocks, peers, done });
      this.kick();
    });
  }

  private async execute(action: Action): Promise<void> {
    switch (action.type) {
      case "persist-vote":
        // One record, one synced write: a commit and the certificate that prepared it.
        await this.deps.votes.record(voteRecordOf(action));
        return;
      case "broadcast":
        this.deps.transport.broadcast(action.message);
        failPoint("consensus.after-send", action.message.height);
        return;
      case "send":
        this.deps.transport.send(action.to, action.message);
        failPoint("consensus.after-send", action.message.height);
        return;
      case "build-block":
        this.enqueue({ type: "block-built", height: action.height, view: action.view, block: this.executor.build(action.height, action.view, action.allowEmpty) });
        return;
      case "validate-block": {
        const verdict = this.executor.validate(action.block);
        this.enqueue({ type: "block-validated", height: action.height, view: action.view, blockHash: action.block.hash, ...verdict });
        return;
      }
      case "append-block":
        await this.executor.append(action.block, action.seal);
        return;
      case "request-sync":
        this.syncer.sync(action.peers);
        return;
      case "report-fault":
        this.deps.logger?.warn({ peer: action.peer, fault: action.fault, detail: action.detail }, "peer fault");
        return;
      case "view-changed":
        this.deps.logger?.info({ height: action.height, view: action.view }, "view change");
        return;
    }
  }
}
