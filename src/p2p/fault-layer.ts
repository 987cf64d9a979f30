// Injected network faults between real processes (issue 9): per peer and per direction, drop
// with probability P, delay (fixed or a range), duplicate with probability P, or block. A block
// in both directions is a partition: the host closes the connections and the gater refuses the
// peer. A one-way block drops what we send to ("out") or take from ("in") that peer on every
// protocol. Only a node started with --unsafe lets anyone set these (the unsafe_net_* RPC).
//
// The layer decides; the protocols (consensus streams, tx relay, gossip, sync) ask it per
// message and deliver through it. With no fault set, `active` is false and callers skip it:
// the hot path pays one property read. The random source is seeded so a run can be replayed.
import { P2PError } from "./errors.js";

export type FaultDirection = "in" | "out" | "both";
export type LinkDirection = "in" | "out";

/** The peer key that stands for every peer (a peer's own entry wins, direction by direction). */
export const ANY_PEER = "*";

/** One direction of one link. All zero/false is no fault. */
export interface LinkFault {
  /** Probability in [0, 1] that a message is dropped. */
  readonly drop: number;
  /** Delay in ms; with delayMaxMs > delayMs, uniform in [delayMs, delayMaxMs]. */
  readonly delayMs: number;
  readonly delayMaxMs: number;
  /** Probability in [0, 1] that a message is delivered twice. */
  readonly duplicate: number;
  readonly block: boolean;
}

/** What a caller sets: fields left out keep their current value (a fresh link starts at none). */
export type FaultSpec = Partial<LinkFault>;

/** One row of `unsafe_net_faults` (snake_case: it goes out over JSON-RPC as is). */
export interface FaultEntry {
  readonly peer: string;
  readonly direction: FaultDirection;
  readonly drop: number;
  readonly delay_ms: number;
  readonly delay_max_ms: number;
  readonly duplicate: number;
  readonly block: boolean;
}

export interface FaultCounters {
  /** Messages dropped by the drop probability, or because too many were already delayed. */
  dropped: number;
  delayed: number;
  /** Extra copies delivered. */
  duplicated: number;
  /** Messages dropped and connections refused because of a block. */
  blocked: number;
}

/** What happens to one message: how many copies arrive (0 = dropped) and after how long. */
export interface FaultDecision {
  readonly copies: 0 | 1 | 2;
  readonly delayMs: number;
}

export interface FaultLayerOptions {
  /** Seed of the random source (drop/duplicate draws and delays in a range). */
  readonly seed: number;
  /** Delayed deliveries waiting at once; past it, further delayed messages are dropped (counted). */
  readonly maxPendingDelayed?: number;
  /** Peers that may have an entry or counters (a wildcard fault meets every peer that connects). */
  readonly maxPeers?: number;
  /** A delayed delivery threw: the caller's bug, reported rather than crashing a timer. */
  onError?(err: unknown): void;
}

export const FAULT_LIMITS = { maxPendingDelayed: 10_000, maxPeers: 1024, maxDelayMs: 60_000 } as const;

const NONE: LinkFault = { drop: 0, delayMs: 0, delayMaxMs: 0, duplicate: 0, block: false };
const PASS: FaultDecision = { copies: 1, delayMs: 0 };
const DROP: FaultDecision = { copies: 0, delayMs: 0 };

interface Link {
  in: LinkFault | null;
  out: LinkFault | null;
}

type Listener = () => void;

export class FaultLayer {
  /** True while any fault is set: callers skip the layer entirely otherwise. */
  active = false;
  private readonly links = new Map<string, Link>();
  private readonly counts = new Map<string, FaultCounters>();
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private readonly listeners: Listener[] = [];
  private readonly maxPending: number;
  private readonly maxPeers: number;
  private readonly random: () => number;
  private stopped = false;

  constructor(private readonly options: FaultLayerOptions) {
    this.random = seededRandom(options.seed);
    this.maxPending = options.maxPendingDelayed ?? FAULT_LIMITS.maxPendingDelayed;
    this.maxPeers = options.maxPeers ?? FAULT_LIMITS.maxPeers;
  }

  /** Delayed deliveries now waiting. */
  get pending(): number {
    return this.timers.size;
  }

  /** Called after every set/clear (the host closes partitioned connections, redials healed ones). */
  onChange(listener: Listener): void {
    this.listeners.push(listener);
  }

  /**
   * Merge `spec` into the fault of each peer (validator hex id, or ANY_PEER) in `direction`.
   * A link left with no fault is removed. Throws P2PError BAD_REQUEST on a bad value.
   */
  set(peers: readonly string[], direction: FaultDirection, spec: FaultSpec): void {
    checkSpec(spec);
    const dirs: LinkDirection[] = direction === "both" ? ["in", "out"] : [direction];
    for (const peer of peers) {
      const link = this.links.get(peer) ?? { in: null, out: null };
      for (const dir of dirs) {
        const merged: LinkFault = { ...(link[dir] ?? NONE), ...definedOnly(spec) };
        if (merged.delayMaxMs < merged.delayMs) throw new P2PError("BAD_REQUEST", `delay_max_ms (${merged.delayMaxMs}) is below delay_ms (${merged.delayMs})`);
        link[dir] = isNone(merged) ? null : merged;
      }
      if (link.in === null && link.out === null) this.links.delete(peer);
      else {
        if (!this.links.has(peer) && this.links.size >= this.maxPeers) throw new P2PError("BAD_REQUEST", `at most ${this.maxPeers} peers may have faults`);
        this.links.set(peer, link);
      }
    }
    this.changed();
  }

  /** Remove the faults of `peers` (all when omitted). Counters are kept. */
  clear(peers?: readonly string[]): void {
    if (peers === undefined) this.links.clear();
    else for (const peer of peers) this.links.delete(peer);
    this.changed();
  }

  /** The current faults, one row per peer and direction ("both" when in and out are equal). */
  list(): FaultEntry[] {
    const out: FaultEntry[] = [];
    for (const [peer, link] of this.links) {
      if (link.in !== null && link.out !== null && sameFault(link.in, link.out)) out.push(entry(peer, "both", link.in));
      else {
        if (link.in !== null) out.push(entry(peer, "in", link.in));
        if (link.out !== null) out.push(entry(peer, "out", link.out));
      }
    }
    return out;
  }

  /** What the layer did, per peer (validator hex id). */
  counters(): Record<string, FaultCounters> {
    const out: Record<string, FaultCounters> = {};
    for (const [peer, c] of this.counts) out[peer] = { ...c };
    return out;
  }

  /** The fault on one direction of the link to `peer`: its own, else the wildcard's, else null. */
  fault(peer: string, dir: LinkDirection): LinkFault | null {
    if (!this.active) return null;
    return this.links.get(peer)?.[dir] ?? this.links.get(ANY_PEER)?.[dir] ?? null;
  }

  /** Blocked in both directions: a partition (no connection at all). */
  isPartitioned(peer: string): boolean {
    return this.active && this.fault(peer, "in")?.block === true && this.fault(peer, "out")?.block === true;
  }

  /** Blocked in either direction: a request/response exchange with the peer cannot complete. */
  isCut(peer: string): boolean {
    return this.active && (this.fault(peer, "in")?.block === true || this.fault(peer, "out")?.block === true);
  }

  /** Count a refused connection or request (the gater, sync) against the peer. */
  countBlocked(peer: string): void {
    const c = this.counter(peer);
    if (c !== null) c.blocked++;
  }

  /** Decide the fate of one message on one direction of the link to `peer`, and count it. */
  decide(peer: string, dir: LinkDirection): FaultDecision {
    const f = this.fault(peer, dir);
    if (f === null) return PASS;
    const c = this.counter(peer);
    if (f.block) {
      if (c !== null) c.blocked++;
      return DROP;
    }
    // Draw only for the probabilities that are set, so one fault's sequence does not depend on
    // whether another kind is configured at zero.
    if (f.drop > 0 && this.random() < f.drop) {
      if (c !== null) c.dropped++;
      return DROP;
    }
    let copies: 1 | 2 = 1;
    if (f.duplicate > 0 && this.random() < f.duplicate) {
      copies = 2;
      if (c !== null) c.duplicated++;
    }
    let delayMs = f.delayMs;
    if (f.delayMaxMs > f.delayMs) delayMs += Math.floor(this.random() * (f.delayMaxMs - f.delayMs + 1));
    if (delayMs > 0 && c !== null) c.delayed++;
    return copies === 1 && delayMs === 0 ? PASS : { copies, delayMs };
  }

  /**
   * Deliver one message through the link's fault: `deliver` runs 0, 1 or 2 times, now or after
   * the delay. Returns false when the message was dropped (now, or for want of a delay slot).
   */
  route(peer: string, dir: LinkDirection, deliver: () => void): boolean {
    return this.apply(peer, this.decide(peer, dir), deliver);
  }

  /** Carry out a decision made earlier (gossip decides in its validator, delivers later). */
  apply(peer: string, decision: FaultDecision, deliver: () => void): boolean {
    if (decision.copies === 0) return false;
    if (decision.delayMs === 0) {
      deliver();
      if (decision.copies === 2) deliver();
      return true;
    }
    if (this.stopped || this.timers.size >= this.maxPending) {
      const c = this.counter(peer);
      if (c !== null) c.dropped++;
      return false;
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      try {
        deliver();
        if (decision.copies === 2) deliver();
      } catch (err) {
        this.options.onError?.(err);
      }
    }, decision.delayMs);
    this.timers.add(timer);
    return true;
  }

  /** Drop every delayed delivery still waiting; later delays are dropped too. */
  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private counter(peer: string): FaultCounters | null {
    let c = this.counts.get(peer);
    if (c === undefined) {
      if (this.counts.size >= this.maxPeers) return null;
      c = { dropped: 0, delayed: 0, duplicated: 0, blocked: 0 };
      this.counts.set(peer, c);
    }
    return c;
  }

  private changed(): void {
    this.active = this.links.size > 0;
    for (const listener of this.listeners) listener();
  }
}

function definedOnly(spec: FaultSpec): FaultSpec {
  const out: { -readonly [K in keyof LinkFault]?: LinkFault[K] } = {};
  if (spec.drop !== undefined) out.drop = spec.drop;
  if (spec.delayMs !== undefined) out.delayMs = spec.delayMs;
  if (spec.delayMaxMs !== undefined) out.delayMaxMs = spec.delayMaxMs;
  if (spec.duplicate !== undefined) out.duplicate = spec.duplicate;
  if (spec.block !== undefined) out.block = spec.block;
  // A fixed delay given alone sets the range's top to it, so "delay 80" after "delay 10-50" is 80.
  if (spec.delayMs !== undefined && spec.delayMaxMs === undefined) out.delayMaxMs = spec.delayMs;
  return out;
}

function checkSpec(spec: FaultSpec): void {
  for (const name of ["drop", "duplicate"] as const) {
    const p = spec[name];
    if (p !== undefined && !(Number.isFinite(p) && p >= 0 && p <= 1)) throw new P2PError("BAD_REQUEST", `${name} must be a probability in [0, 1], got ${p}`);
  }
  for (const name of ["delayMs", "delayMaxMs"] as const) {
    const ms = spec[name];
    if (ms !== undefined && !(Number.isSafeInteger(ms) && ms >= 0 && ms <= FAULT_LIMITS.maxDelayMs)) {
      throw new P2PError("BAD_REQUEST", `${name} must be a whole number of ms in [0, ${FAULT_LIMITS.maxDelayMs}], got ${ms}`);
    }
  }
}

function isNone(f: LinkFault): boolean {
  return f.drop === 0 && f.delayMs === 0 && f.delayMaxMs === 0 && f.duplicate === 0 && !f.block;
}

function sameFault(a: LinkFault, b: LinkFault): boolean {
  return a.drop === b.drop && a.delayMs === b.delayMs && a.delayMaxMs === b.delayMaxMs && a.duplicate === b.duplicate && a.block === b.block;
}

function entry(peer: string, direction: FaultDirection, f: LinkFault): FaultEntry {
  return { peer, direction, drop: f.drop, delay_ms: f.delayMs, delay_max_ms: f.delayMaxMs, duplicate: f.duplicate, block: f.block };
}

/** The default seed: from the node's key, so a node's fault draws repeat across runs. */
export function faultSeedOf(validatorId: string): number {
  return Number.parseInt(validatorId.slice(0, 8), 16) >>> 0;
}

/** A small seeded generator in [0, 1) (splitmix32): fault draws need repeatability, not quality. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    z ^= z >>> 16;
    return (z >>> 0) / 4294967296;
  };
}
