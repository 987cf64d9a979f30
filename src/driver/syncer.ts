// Block sync outside consensus: fetch sealed blocks from peers, batch by batch, and have the
// driver import each batch through its queue (so an import never interleaves with a consensus
// append). One sync runs at a time; a request while one runs is dropped (the running one goes on
// to the newest head it can get).
import type { BlockStore, ValidatorId } from "../chain/index.js";
import type { DriverLogger } from "./driver.js";
import type { SealedBlock, Transport } from "./transport.js";

export interface SyncerOptions {
  /** Blocks asked for per sync request. */
  readonly syncBatchBlocks?: number;
}

export interface SyncerDeps {
  readonly store: Pick<BlockStore, "head">;
  readonly transport: Pick<Transport, "fetchBlocks">;
  /** Import one fetched batch through the driver's queue; resolves once it ran (or was dropped). */
  importBatch(blocks: readonly SealedBlock[], peers: readonly ValidatorId[]): Promise<void>;
  readonly logger?: DriverLogger;
}

export class Syncer {
  private syncTask: Promise<void> | null = null;
  private stopped = false;
  private readonly syncBatch: number;

  constructor(
    options: SyncerOptions,
    private readonly deps: SyncerDeps,
  ) {
    this.syncBatch = options.syncBatchBlocks ?? 64;
  }

  /** True while a block sync (fetch + import) is in flight. */
  get syncing(): boolean {
    return this.syncTask !== null;
  }

  /** Allow syncs again (after stop(), for a restarted driver). */
  start(): void {
    this.stopped = false;
  }

  /** No new sync; resolves when the one in flight ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.idle();
  }

  /** Resolves when no sync is in flight. */
  async idle(): Promise<void> {
    await this.syncTask?.catch(() => undefined);
  }

  /** Catch up from `peers` (best first). No-op while a sync is already running. */
  sync(peers: readonly ValidatorId[]): void {
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
      await this.deps.importBatch(blocks, peers);
      if (blocks.length < this.syncBatch || this.deps.store.head().height < from) return;
    }
  }
}
