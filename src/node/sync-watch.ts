// The periodic head check. Consensus asks for sync by itself when f+1 members are seen at later
// heights, but a node that restarted into a quiet network, or an observer that joined late,
// may receive no consensus message that says it is behind. Every few seconds this asks the
// connected peers for their heads; when one is ahead and our own head is not moving (or the
// gap is more than one block, which consensus can never close by itself) it starts a sync.
import type { ChainHead, ValidatorId } from "../chain/index.js";
import type { Logger } from "./logger.js";

export interface SyncWatchOptions {
  readonly intervalMs: number;
  /** Deadline of one peer's status answer. */
  readonly statusTimeoutMs?: number;
}

export interface SyncWatchDeps {
  /** Peers we are connected to (validator ids / node keys). */
  peers(): ValidatorId[];
  status(peer: ValidatorId, signal: AbortSignal): Promise<ChainHead>;
  head(): number;
  /** Start fetching blocks from these peers (best first). */
  sync(peers: readonly ValidatorId[]): void;
  readonly logger: Logger;
}

/** How far behind the best peer a node must be to count as catching up. */
const CATCHING_UP_BLOCKS = 3;

export class SyncWatch {
  private timer: ReturnType<typeof setInterval> | null = null;
  private running: Promise<void> | null = null;
  private lastHead = -1;
  private readonly stopping = new AbortController();
  /** The highest head a peer reported at the last check. */
  networkHeight = 0;

  constructor(
    private readonly options: SyncWatchOptions,
    private readonly deps: SyncWatchDeps,
  ) {}

  start(): void {
    if (this.timer !== null) return;
    this.networkHeight = this.deps.head();
    this.timer = setInterval(() => this.check(), this.options.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.stopping.abort();
    await this.running;
  }

  /**
   * True while the node's head is well behind the best head seen (what `status` reports as
   * catching_up, and what makes the RPC refuse txs). A gap of a block or two is normal under
   * load between two checks: counting it made the RPC refuse txs from a healthy validator.
   */
  get behind(): boolean {
    return this.networkHeight - this.deps.head() > CATCHING_UP_BLOCKS;
  }

  /** One check now (the timer calls this; tests may too). */
  check(): Promise<void> {
    this.running ??= this.checkOnce().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async checkOnce(): Promise<void> {
    const peers = this.deps.peers();
    if (peers.length === 0 || this.stopping.signal.aborted) return;
    const timeout = this.options.statusTimeoutMs ?? 3_000;
    const answers = await Promise.allSettled(
      peers.map(async (peer) => ({ peer, head: await this.deps.status(peer, AbortSignal.any([this.stopping.signal, AbortSignal.timeout(timeout)])) })),
    );
    if (this.stopping.signal.aborted) return;
    const heads = answers.flatMap((a) => (a.status === "fulfilled" ? [a.value] : []));
    const head = this.deps.head();
    const stalled = head === this.lastHead;
    this.lastHead = head;
    if (heads.length === 0) return;
    const best = Math.max(...heads.map((h) => h.head.height));
    this.networkHeight = Math.max(best, head);
    const ahead = heads.filter((h) => h.head.height > head).sort((a, b) => b.head.height - a.head.height);
    if (ahead.length === 0) return;
    if (best - head > 1 || stalled) {
      this.deps.logger.info({ head, best, peers: ahead.length }, "peers are ahead: syncing");
      this.deps.sync(ahead.map((h) => h.peer));
    }
  }
}
