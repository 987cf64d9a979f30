// Strikes and cool-downs for misbehaving peers. A peer that sends bad consensus frames or invalid
// messages costs us decoding and verification; past a few within a window it is disconnected and
// refused (the allow-list says no) until its cool-down ends. Only authenticated, allowed peers
// can strike, so the maps are small; both are capped anyway.
import type { ValidatorId } from "../chain/index.js";

export interface PenaltyOptions {
  /** Strikes within `windowMs` that get a peer disconnected. */
  readonly strikes: number;
  readonly windowMs: number;
  /** How long a disconnected peer is refused (inbound and outbound). */
  readonly coolDownMs: number;
  /** Most peers tracked in each map; the oldest entry goes first. */
  readonly maxPeers: number;
}

export const PENALTY_DEFAULTS: PenaltyOptions = {
  strikes: 10,
  windowMs: 30_000,
  coolDownMs: 60_000,
  maxPeers: 1024,
};

export class PeerPenalties {
  private readonly opts: PenaltyOptions;
  private readonly strikesOf = new Map<ValidatorId, number[]>();
  private readonly refusedUntil = new Map<ValidatorId, number>();
  /** Strikes recorded and disconnections decided (they only grow). */
  strikes = 0;
  bans = 0;

  constructor(
    options: Partial<PenaltyOptions> = {},
    private readonly now: () => number = Date.now,
  ) {
    this.opts = { ...PENALTY_DEFAULTS, ...options };
  }

  /** Record one offence; true when it is the one that gets the peer refused. */
  strike(id: ValidatorId): boolean {
    if (this.isRefused(id)) return false;
    this.strikes++;
    const now = this.now();
    const recent = (this.strikesOf.get(id) ?? []).filter((t) => t > now - this.opts.windowMs);
    recent.push(now);
    this.strikesOf.delete(id); // re-insert: the map's order is the eviction order
    if (recent.length < this.opts.strikes) {
      put(this.strikesOf, id, recent, this.opts.maxPeers);
      return false;
    }
    this.refuse(id);
    return true;
  }

  /** Refuse a peer for the cool-down, now (e.g. its gossip score fell below the graylist). */
  refuse(id: ValidatorId): void {
    this.bans++;
    this.strikesOf.delete(id);
    this.refusedUntil.delete(id);
    put(this.refusedUntil, id, this.now() + this.opts.coolDownMs, this.opts.maxPeers);
  }

  /** Forget a peer's strikes and cool-down (an operator's call, or a test running several attacks from one key). */
  pardon(id: ValidatorId): void {
    this.strikesOf.delete(id);
    this.refusedUntil.delete(id);
  }

  isRefused(id: ValidatorId): boolean {
    const until = this.refusedUntil.get(id);
    if (until === undefined) return false;
    if (until > this.now()) return true;
    this.refusedUntil.delete(id);
    return false;
  }

  /** Peers refused right now (for status and logs). */
  refused(): ValidatorId[] {
    return [...this.refusedUntil.keys()].filter((id) => this.isRefused(id));
  }
}

function put<V>(map: Map<ValidatorId, V>, id: ValidatorId, value: V, max: number): void {
  if (map.size >= max) {
    const oldest = map.keys().next();
    if (oldest.done !== true) map.delete(oldest.value);
  }
  map.set(id, value);
}
