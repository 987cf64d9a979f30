// Block sync outside consensus, and the decision to start one. Sync fetches sealed blocks from
// peers, batch by batch, and has the driver import each batch through its queue (so an import
// never interleaves with a consensus append); one runs at a time, a request while one runs is
// dropped (the running one goes on to the newest head it can get).
//
// Consensus asks for a sync by itself when it sees members at later heights, but a node that
// restarted into a quiet network, or an observer that joined late, may receive no consensus
// message that says it is behind. So every few ticks the syncer asks the reachable peers for
// their heads and syncs when one is ahead and our head has not moved since the last look, or the
// gap is more than one block (which consensus can never close by itself). The same code runs in
// the node (ticks from a timer, heads over the p2p status protocol) and in the simulator.
import type { BlockStore, ValidatorId } from "../chain/index.js";
import type { DriverLogger } from "./driver.js";
import type { PeerHead, SealedBlock, Transport } from "./transport.js";

export interface SyncerOptions {
  /** Blocks asked for per sync request. */
  readonly syncBatchBlocks?: number;
  /** Ticks between two looks at the peers' heads (default 20: 2 s at the default tickMs of 100). */
  readonly headCheckTicks?: number;
}

/** How far behind the best peer a node must be to count as catching up. */
export const CATCHING_UP_BLOCKS = 3;
export const DEFAULT_HEAD_CHECK_TICKS = 20;

export interface SyncDecision {
  /** The best head seen (ours included), or null when no peer answered. */
  readonly networkHeight: number | null;
  /** Peers to sync from, best first (empty: no sync). */
  readonly syncFrom: readonly ValidatorId[];
}

/**
 * What one look at the peers' heads decides. `lastHead` is our head at the previous look (-1 at
 * the first): a peer one block ahead is caught up by consensus unless our head is stuck.
 */
export function syncDecision(head: number, lastHead: number, heads: readonly PeerHead[]): SyncDecision {
  if (heads.length === 0) return { networkHeight: null, syncFrom: [] };
  // A peer id may answer twice (two connections): keep its best height.
  const best = new Map<ValidatorId, number>();
  for (const h of heads) best.set(h.peer, Math.max(h.height, best.get(h.peer) ?? -1));
  const bestHeight = Math.max(...best.values());
  const ahead = [...best].filter(([, height]) => height > head).sort((a, b) => b[1] - a[1]);
  const stalled = head === lastHead;
  const sync = ahead.length > 0 && (bestHeight - head > 1 || stalled);
  return { networkHeight: Math.max(bestHeight, head), syncFrom: sync ? ahead.map(([peer]) => peer) : [] };
}

export interface SyncerDeps {
  readonly store: Pick<BlockStore, "head">;
  readonly transport: Pick<Transport, "fetchBlocks" | "peerHeads">;
  /** Import one fetched batch through the driver's queue; resolves once it ran (or was dropped). */
  importBatch(blocks: readonly SealedBlock[], peers: readonly ValidatorId[]): Promise<void>;
  readonly logger?: DriverLogger;
}

export class Syncer {
  private syncTask: Promise<void> | null = null;
  private checkTask: Promise<void> | null = null;
  private stopped = false;
  private readonly syncBatch: number;
  private readonly headCheckTicks: number;
  private ticks = 0;
  /** Our head at the last look at the peers' heads (-1: none yet). */
  private lastHead = -1;
  /** The best head seen at the last look that got an answer (ours at start). */
  private networkHeight = 0;

  constructor(
    options: SyncerOptions,
    private readonly deps: SyncerDeps,
  ) {
    this.syncBatch = options.syncBatchBlocks ?? 64;
    this.headCheckTicks = Math.max(1, options.headCheckTicks ?? DEFAULT_HEAD_CHECK_TICKS);
  }

  /** True while a block sync (fetch + import) is in flight. */
  get syncing(): boolean {
    return this.syncTask !== null;
  }

  /** True while a sync or a look at the peers' heads is in flight. */
  get busy(): boolean {
    return this.syncTask !== null || this.checkTask !== null;
  }

  /**
   * True while our head is well behind the best head seen (what `status` reports as catching_up,
   * and what makes the RPC refuse txs). A gap of a block or two is normal under load between two
   * looks: counting it made the RPC refuse txs from a healthy validator (commit 8f79b1c).
   */
  get catchingUp(): boolean {
    return this.networkHeight - this.deps.store.head().height > CATCHING_UP_BLOCKS;
  }

  /** The best head seen at the last look (ours, if higher). */
  get bestKnownHeight(): number {
    return Math.max(this.networkHeight, this.deps.store.head().height);
  }

  /** Allow syncs again (after stop(), for a restarted driver); the head checks start over. */
  start(): void {
    this.stopped = false;
    this.ticks = 0;
    this.lastHead = -1;
    this.networkHeight = this.deps.store.head().height;
  }

  /** No new sync; resolves when the one in flight ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.idle();
  }

  /** Resolves when no sync and no head check is in flight. */
  async idle(): Promise<void> {
    while (this.busy) {
      await this.checkTask;
      await this.syncTask?.catch(() => undefined);
    }
  }

  /** One tick of the consensus clock: every headCheckTicks, look at the peers' heads. */
  onTick(): void {
    if (this.stopped) return;
    this.ticks++;
    if (this.ticks % this.headCheckTicks !== 0) return;
    this.checkHeads();
  }

  /** Look at the peers' heads now, unless a look is under way (the tick calls this; tests may too). */
  checkHeads(): Promise<void> {
    this.checkTask ??= this.checkOnce()
      .catch((err: unknown) => this.deps.logger?.warn({ err: (err as Error).message }, "head check failed"))
      .finally(() => {
        this.checkTask = null;
      });
    return this.checkTask;
  }

  private async checkOnce(): Promise<void> {
    const heads = await this.deps.transport.peerHeads();
    if (this.stopped) return;
    const head = this.deps.store.head().height;
    const decision = syncDecision(head, this.lastHead, heads);
    this.lastHead = head;
    if (decision.networkHeight !== null) this.networkHeight = decision.networkHeight;
    if (decision.syncFrom.length === 0) return;
    this.deps.logger?.info({ head, best: decision.networkHeight, peers: decision.syncFrom.length }, "peers are ahead: syncing");
    this.sync(decision.syncFrom);
  }

  /** Catch up from `peers` (best first). No-op while a sync is already running. */
  sync(peers: readonly ValidatorId[]): void {
    if (this.syncTask !== null || peers.length === 0 || this.stopped) return;
    this.syncTask = this.syncLoop(peers).finally(() => {
      this.syncTask = null;
    });
  }

  /**
   * Batch after batch until a short one. The next batch is fetched while this one is imported
   * (the peer reads and sends while we verify and append); if the import stops short of the
   * batch's end (a bad block), the fetched batch no longer follows our head and is dropped.
   */
  private async syncLoop(peers: readonly ValidatorId[]): Promise<void> {
    let next: Promise<readonly SealedBlock[] | null> | null = this.fetch(peers, this.deps.store.head().height + 1);
    while (next !== null) {
      const blocks = await next;
      next = null;
      if (this.stopped || blocks === null || blocks.length === 0) return;
      const last = blocks[blocks.length - 1]!.block.header.height;
      if (blocks.length >= this.syncBatch) next = this.fetch(peers, last + 1);
      await this.deps.importBatch(blocks, peers);
      if (this.deps.store.head().height < last) {
        await next;
        return;
      }
    }
  }

  /** One batch from `from` on; null (logged) when no peer could serve it. */
  private async fetch(peers: readonly ValidatorId[], from: number): Promise<readonly SealedBlock[] | null> {
    try {
      return await this.deps.transport.fetchBlocks(peers, from, this.syncBatch);
    } catch (err) {
      this.deps.logger?.warn({ err: (err as Error).message, from }, "sync fetch failed");
      return null;
    }
  }
}
