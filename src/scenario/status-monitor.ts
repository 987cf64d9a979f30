// Watches every node of a running scenario through `triad_status`: the latest answer of each,
// a bounded history of heights, and the node's counters summed over its process restarts
// (a restarted process counts from zero again). The timeline resolves "primary" from it, and the
// evidence (fell behind, caught up, view changes, faults reported) is read from it afterwards.
import type { TriadClient } from "../rpc/client.js";

/** The counters part of `triad_status` (see the README's RPC section). */
export interface NodeCounters {
  readonly view_changes: Readonly<Record<string, number>>;
  readonly faults_reported: Readonly<Record<string, number>>;
  readonly faults_by_peer: Readonly<Record<string, number>>;
  readonly messages_refused: number;
  readonly byzantine_acts: Readonly<Record<string, number>>;
}

export interface TriadStatus extends NodeCounters {
  readonly node: { readonly moniker: string; readonly validator_id: string; readonly peer_id: string; readonly version: string };
  readonly role: "primary" | "backup" | "observer";
  readonly byzantine: readonly string[];
  readonly height: number;
  readonly view: number;
  readonly phase: string;
  readonly primary: string | null;
  readonly syncing: boolean;
  readonly uptime_ms: number;
}

export interface HeightSample {
  /** ms since the monitor started. */
  readonly t: number;
  /** null: the node did not answer. */
  readonly height: number | null;
}

export interface WatchedNode {
  readonly name: string;
  readonly client: TriadClient;
}

const HISTORY = 4096;

interface NodeTrack {
  latest: TriadStatus | null;
  /** Counters of the processes before the current one, summed. */
  earlier: Counters;
  history: HeightSample[];
  lastUptime: number;
}

type Counters = {
  view_changes: Record<string, number>;
  faults_reported: Record<string, number>;
  faults_by_peer: Record<string, number>;
  messages_refused: number;
  byzantine_acts: Record<string, number>;
};

function emptyCounters(): Counters {
  return { view_changes: {}, faults_reported: {}, faults_by_peer: {}, messages_refused: 0, byzantine_acts: {} };
}

function addInto(into: Record<string, number>, from: Readonly<Record<string, number>> | undefined): void {
  for (const [k, v] of Object.entries(from ?? {})) into[k] = (into[k] ?? 0) + v;
}

function sum(a: NodeCounters, b: NodeCounters | null): Counters {
  const out = emptyCounters();
  for (const c of [a, b]) {
    if (c === null) continue;
    addInto(out.view_changes, c.view_changes);
    addInto(out.faults_reported, c.faults_reported);
    addInto(out.faults_by_peer, c.faults_by_peer);
    addInto(out.byzantine_acts, c.byzantine_acts);
    out.messages_refused += c.messages_refused ?? 0;
  }
  return out;
}

export class StatusMonitor {
  private readonly tracks = new Map<string, NodeTrack>();
  private readonly started = Date.now();
  private timer: NodeJS.Timeout | null = null;
  private polling: Promise<void> | null = null;

  constructor(
    private readonly nodes: readonly WatchedNode[],
    private readonly intervalMs = 250,
  ) {
    for (const n of nodes) this.tracks.set(n.name, { latest: null, earlier: emptyCounters(), history: [], lastUptime: 0 });
  }

  /** ms since the monitor started: the time axis of the history and the report. */
  now(): number {
    return Date.now() - this.started;
  }

  start(): void {
    if (this.timer !== null) return;
    this.timer = setInterval(() => {
      this.polling ??= this.poll().finally(() => (this.polling = null));
    }, this.intervalMs);
  }

  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await this.polling;
  }

  /** Ask every node once (also what the timer does). */
  async poll(): Promise<void> {
    const t = this.now();
    await Promise.all(
      this.nodes.map(async (n) => {
        const track = this.tracks.get(n.name)!;
        let status: TriadStatus | null = null;
        try {
          status = await n.client.call<TriadStatus>("triad_status");
        } catch {
          // down, paused or partitioned from us: recorded as no answer
        }
        if (status !== null) {
          // A younger process than the last one seen: the counters started again from zero.
          if (track.latest !== null && status.uptime_ms < track.lastUptime) track.earlier = sum(track.latest, track.earlier);
          track.latest = status;
          track.lastUptime = status.uptime_ms;
        }
        track.history.push({ t, height: status?.height ?? null });
        if (track.history.length > HISTORY) track.history.splice(0, track.history.length - HISTORY);
      }),
    );
  }

  latest(name: string): TriadStatus | null {
    return this.tracks.get(name)?.latest ?? null;
  }

  /** The last height the node reported (even if it has stopped answering since). */
  height(name: string): number {
    return this.tracks.get(name)?.latest?.height ?? 0;
  }

  /** Did the node answer at the last poll? */
  answering(name: string): boolean {
    const h = this.tracks.get(name)?.history;
    return h !== undefined && h.length > 0 && h[h.length - 1]!.height !== null;
  }

  history(name: string): readonly HeightSample[] {
    return this.tracks.get(name)?.history ?? [];
  }

  /** The node's counters over all its processes so far. */
  counters(name: string): NodeCounters {
    const track = this.tracks.get(name);
    if (track === undefined || track.latest === null) return track?.earlier ?? emptyCounters();
    return sum(track.latest, track.earlier);
  }
}
