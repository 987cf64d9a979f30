// What one peer may take from our sync server. The stream cap is per connection and a peer may
// hold many connections, so the budget is kept per peer id: a token bucket of blocks (refilled
// at a steady rate, up to a burst) and a cap on the requests served at once. A request the budget
// cannot cover is refused whole, before the store is read: a partial answer would end an honest
// syncer's batch loop early, a refusal tells it to wait and ask again (RATE_LIMITED).
//
// Per-peer state is an LRU map with a hard cap: only admitted peers reach the server, but the
// allow-list changes over time, and a map keyed by whoever asked must not grow without end.

export interface SyncRateLimitOptions {
  /** Blocks a peer is served per second, sustained. */
  readonly blocksPerSecond: number;
  /** Most blocks a peer may take at once after being idle (raised to one full response plus one). */
  readonly burstBlocks: number;
  /** Requests of one peer served at once, over all its connections. */
  readonly maxConcurrentPerPeer: number;
  /** Peers whose budget is remembered; the least recently seen idle one is forgotten first. */
  readonly maxPeers: number;
}

export const SYNC_RATE_LIMIT_DEFAULTS: SyncRateLimitOptions = {
  blocksPerSecond: 256,
  burstBlocks: 1024,
  maxConcurrentPerPeer: 2,
  maxPeers: 1024,
};

/** Every request costs this much on top of its blocks: a flood of tiny or status requests is not free. */
export const SYNC_REQUEST_COST = 1;

export type SyncGrant =
  | { readonly ok: true; /** Call once the request is over; `unused` blocks go back to the bucket. */ release(unused: number): void }
  | { readonly ok: false; readonly reason: "busy" | "rate"; /** When asking again may succeed (rate only; 0 for busy). */ readonly retryAfterMs: number };

interface PeerBudget {
  tokens: number;
  at: number;
  active: number;
}

export class SyncRateLimiter {
  private readonly peers = new Map<string, PeerBudget>();
  private readonly burst: number;
  /** Requests refused, by reason (for tests and status). */
  readonly refused = { busy: 0, rate: 0 };

  constructor(
    private readonly opts: SyncRateLimitOptions,
    /** Milliseconds; injected so tests run on a clock they move. */
    private readonly now: () => number,
    /** The largest response the server sends: the burst must cover one, or a request never fits. */
    maxBlocksPerResponse: number,
  ) {
    this.burst = Math.max(opts.burstBlocks, maxBlocksPerResponse + SYNC_REQUEST_COST);
  }

  /** Take a request of `blocks` blocks (0 for a status request) for `peer`, or say why not. */
  acquire(peer: string, blocks: number): SyncGrant {
    const budget = this.budget(peer);
    if (budget.active >= this.opts.maxConcurrentPerPeer) {
      this.refused.busy++;
      return { ok: false, reason: "busy", retryAfterMs: 0 };
    }
    const cost = SYNC_REQUEST_COST + Math.max(0, blocks);
    if (budget.tokens < cost) {
      this.refused.rate++;
      const rate = this.opts.blocksPerSecond;
      const retryAfterMs = rate > 0 ? Math.ceil(((cost - budget.tokens) * 1000) / rate) : 60_000;
      return { ok: false, reason: "rate", retryAfterMs };
    }
    budget.tokens -= cost;
    budget.active++;
    let released = false;
    return {
      ok: true,
      release: (unused: number): void => {
        if (released) return;
        released = true;
        budget.active--;
        // Blocks not sent (the byte cap, the head moved down, a store error) are not charged.
        const refund = Math.min(Math.max(0, unused), Math.max(0, blocks));
        this.refill(budget);
        budget.tokens = Math.min(this.burst, budget.tokens + refund);
      },
    };
  }

  /** Peers whose budget is held (bounded by maxPeers, plus busy peers past it). */
  get size(): number {
    return this.peers.size;
  }

  private budget(peer: string): PeerBudget {
    let budget = this.peers.get(peer);
    if (budget === undefined) {
      budget = { tokens: this.burst, at: this.now(), active: 0 };
      this.evict();
    } else {
      this.peers.delete(peer); // re-inserted below: Map order is the LRU order
      this.refill(budget);
    }
    this.peers.set(peer, budget);
    return budget;
  }

  private refill(budget: PeerBudget): void {
    const now = this.now();
    const elapsed = Math.max(0, now - budget.at);
    budget.at = Math.max(budget.at, now);
    budget.tokens = Math.min(this.burst, budget.tokens + (elapsed * this.opts.blocksPerSecond) / 1000);
  }

  /**
   * Make room for one more peer: forget the least recently seen idle peers. A peer mid-request
   * is kept (its release must find its budget), so the map can exceed the cap by the busy ones,
   * which the stream caps bound. A forgotten peer comes back with a full bucket: the cap is far
   * above the number of peers a permissioned node admits, so only churn reaches it.
   */
  private evict(): void {
    if (this.peers.size < this.opts.maxPeers) return;
    for (const [peer, budget] of this.peers) {
      if (budget.active > 0) continue;
      this.peers.delete(peer);
      if (this.peers.size < this.opts.maxPeers) return;
    }
  }
}
