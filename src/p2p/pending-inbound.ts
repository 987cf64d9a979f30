// Per-IP cap on inbound connections still in their handshake. libp2p counts every accepted
// socket as pending until its upgrade ends (Noise + muxer) or times out, and refuses all new
// inbound connections once the global count is reached, before any key is known: a handful of
// silent sockets from one address would lock every peer out. This cap, checked in the gater's
// denyInboundConnection, keeps one address to its share of the global limit.
import type { MultiaddrConnection } from "@libp2p/interface";

/** Most addresses tracked at once; past it, settled and expired entries are swept. */
const MAX_TRACKED_IPS = 4096;

export class PendingInbound {
  private readonly byIp = new Map<string, Set<MultiaddrConnection>>();
  /** Inbound connections refused because their address held too many handshakes. */
  refused = 0;

  /**
   * @param perIp most handshakes in progress from one IP address
   * @param timeoutMs libp2p's inbound upgrade timeout: an older entry has been aborted by it
   */
  constructor(
    private readonly perIp: number,
    private readonly timeoutMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Gater hook: true refuses the connection (its address holds its share already). */
  deny(maConn: MultiaddrConnection): boolean {
    const ip = remoteIp(maConn);
    if (ip === null) return false;
    let pending = this.byIp.get(ip);
    if (pending === undefined) {
      if (this.byIp.size >= MAX_TRACKED_IPS) this.sweep();
      pending = new Set();
      this.byIp.set(ip, pending);
    } else this.prune(pending);
    if (pending.size >= this.perIp) {
      this.refused++;
      return true;
    }
    pending.add(maConn);
    return false;
  }

  /** The handshake finished (the Encrypted hook ran): the connection no longer counts. */
  settle(maConn: MultiaddrConnection): void {
    const ip = remoteIp(maConn);
    const pending = ip === null ? undefined : this.byIp.get(ip);
    if (pending === undefined) return;
    pending.delete(maConn);
    if (pending.size === 0) this.byIp.delete(ip!);
  }

  /** Handshakes in progress from `ip` (for tests and diagnostics). */
  pendingFrom(ip: string): number {
    const pending = this.byIp.get(ip);
    if (pending === undefined) return 0;
    this.prune(pending);
    return pending.size;
  }

  // A socket closed mid-handshake (refused, reset, or timed out by libp2p) stops counting; its
  // close time is on its timeline. The timeout bound covers a socket libp2p gave up on but that
  // has not closed yet.
  private prune(pending: Set<MultiaddrConnection>): void {
    const oldest = this.now() - this.timeoutMs;
    for (const c of pending) {
      if (c.timeline.close !== undefined || c.timeline.open < oldest) pending.delete(c);
    }
  }

  private sweep(): void {
    for (const [ip, pending] of this.byIp) {
      this.prune(pending);
      if (pending.size === 0) this.byIp.delete(ip);
    }
  }
}

function remoteIp(maConn: MultiaddrConnection): string | null {
  try {
    return maConn.remoteAddr.nodeAddress().address;
  } catch {
    return null; // not an IP transport: nothing to key on
  }
}
