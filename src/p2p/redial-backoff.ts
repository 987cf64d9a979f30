// When to dial a configured peer again. A peer whose gater refuses us lets the Noise handshake
// finish on our side and closes the connection a few milliseconds later, so "the dial worked"
// says nothing: libp2p's KEEP_ALIVE reconnect took each close as a reason to dial at once, about
// 20 times a second, each costing the refusing validator a handshake. Here a connection counts as
// a success only once it stayed open for `stableMs`; a failed dial or a shorter connection doubles
// the wait (with jitter, up to `maxMs`), and a success resets it, so a restarted peer is dialled
// again at once.

export interface RedialBackoffOptions {
  /** The first wait after a failure. */
  readonly initialMs: number;
  /** The longest wait between two dials of one peer. */
  readonly maxMs: number;
  /** A connection open this long was accepted by the peer: the back-off starts over. */
  readonly stableMs: number;
}

export const REDIAL_BACKOFF_DEFAULTS: RedialBackoffOptions = {
  initialMs: 500,
  maxMs: 15_000,
  stableMs: 5_000,
};

/** Time and chance, injected so a test counts dials over simulated time. */
export interface RedialClock {
  /** Milliseconds. */
  now(): number;
  /** Uniform in [0, 1). */
  random(): number;
}

interface PeerState {
  failures: number;
  /** Not dialled before this time. */
  nextAt: number;
  /** When the current connection opened (null: none). */
  openedAt: number | null;
}

export class RedialBackoff {
  /** One entry per configured peer (the host forgets none: the list is config). */
  private readonly peers = new Map<string, PeerState>();

  constructor(
    private readonly opts: RedialBackoffOptions,
    private readonly clock: RedialClock,
  ) {}

  /** May `peer` be dialled now? */
  due(peer: string): boolean {
    return this.clock.now() >= this.state(peer).nextAt;
  }

  /** Our dial of `peer` failed (refused, unreachable, timed out). */
  dialFailed(peer: string): void {
    this.fail(this.state(peer));
  }

  /** A connection to `peer` opened (ours or theirs). */
  connected(peer: string): void {
    this.state(peer).openedAt = this.clock.now();
  }

  /** The last connection to `peer` closed: a success if it lasted, else one more failure. */
  disconnected(peer: string): void {
    const s = this.state(peer);
    const openedAt = s.openedAt;
    s.openedAt = null;
    if (openedAt !== null && this.clock.now() - openedAt >= this.opts.stableMs) {
      s.failures = 0;
      s.nextAt = this.clock.now();
    } else this.fail(s);
  }

  /** Start every peer over (a healed partition: the failures said nothing about the peer). */
  reset(): void {
    for (const s of this.peers.values()) {
      s.failures = 0;
      s.nextAt = 0;
    }
  }

  /** Failures in a row and the earliest next dial of `peer` (for tests and logs). */
  describe(peer: string): { failures: number; nextAt: number } {
    const s = this.state(peer);
    return { failures: s.failures, nextAt: s.nextAt };
  }

  /** The wait after `failures` failures in a row: doubling, capped, in [half, all] of it (equal jitter). */
  delayMs(failures: number): number {
    if (failures <= 0) return 0;
    const base = Math.min(this.opts.maxMs, this.opts.initialMs * 2 ** Math.min(failures - 1, 30));
    return Math.round(base / 2 + (this.clock.random() * base) / 2);
  }

  private fail(s: PeerState): void {
    s.failures++;
    s.nextAt = this.clock.now() + this.delayMs(s.failures);
  }

  private state(peer: string): PeerState {
    let s = this.peers.get(peer);
    if (s === undefined) {
      s = { failures: 0, nextAt: 0, openedAt: null };
      this.peers.set(peer, s);
    }
    return s;
  }
}
