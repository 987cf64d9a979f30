// Live progress of a testnet: one line per node (height, view, phase, committed tx/s, peers),
// read by polling each node's RPC. On a terminal the table is redrawn in place; otherwise (a
// pipe, a CI log) it is printed as plain lines every few seconds, so logs stay readable.
import type { TriadClient } from "../rpc/client.js";

export interface ProgressNode {
  readonly name: string;
  readonly role: string;
  /** The node's key (validator id), lower-case hex: names the primary. */
  readonly id: string;
  /** Best with a short timeout: a hung node must not stall the table. */
  readonly client: TriadClient;
  /** False when the supervisor knows the process is not running. */
  readonly running: () => boolean;
  /** Its Byzantine behaviours (the table marks the node), absent or [] when honest. */
  readonly byzantine?: readonly string[];
}

export interface NodeSample {
  readonly name: string;
  readonly role: string;
  readonly up: boolean;
  readonly height: number;
  readonly view: number;
  readonly phase: string;
  readonly primary: string | null;
  readonly peers: number | null;
  readonly validatorId: string | null;
  readonly catchingUp: boolean;
  /** Committed txs per second over the last few seconds, as seen by this node. */
  readonly txPerSecond: number;
  readonly error?: string;
}

export interface ProgressOptions {
  readonly out: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  readonly pollMs?: number;
  /** Without a TTY: print the table this often. */
  readonly plainEveryMs?: number;
  /** A line shown under the table (load stats, …). */
  readonly footer?: () => string | undefined;
  readonly header?: string;
}

interface Tracker {
  lastHeight: number;
  /** (time, cumulative committed txs) samples for the tx/s window. */
  samples: { at: number; txs: number }[];
  txs: number;
}

const WINDOW_MS = 5_000;
/** A good timeout for ProgressNode clients. */
export const PROGRESS_RPC_TIMEOUT_MS = 1_500;
const MAX_PAGES_PER_POLL = 5;

export class ProgressMonitor {
  private readonly trackers = new Map<string, Tracker>();
  private timer: NodeJS.Timeout | null = null;
  private drawn = 0;
  private lastPlain = 0;
  private polling: Promise<void> | null = null;
  private latest: NodeSample[] = [];
  private readonly tty: boolean;

  constructor(
    private readonly nodes: readonly ProgressNode[],
    private readonly options: ProgressOptions,
  ) {
    this.tty = options.out.isTTY === true;
  }

  get samples(): readonly NodeSample[] {
    return this.latest;
  }

  start(): void {
    if (this.timer !== null) return;
    const tick = (): void => {
      if (this.polling !== null) return;
      this.polling = this.poll()
        .then((samples) => this.render(samples))
        .catch(() => undefined)
        .finally(() => (this.polling = null));
    };
    this.timer = setInterval(tick, this.options.pollMs ?? 1_000);
    tick();
  }

  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await this.polling;
  }

  /** Print a message above the table (a node exited, shutting down, …). */
  message(line: string): void {
    this.clear();
    this.options.out.write(`${line}\n`);
    if (this.tty && this.latest.length > 0) this.draw(this.lines(this.latest));
  }

  async poll(): Promise<NodeSample[]> {
    this.latest = await Promise.all(this.nodes.map((n) => this.sample(n)));
    return this.latest;
  }

  private async sample(node: ProgressNode): Promise<NodeSample> {
    const base = { name: node.name, role: node.role };
    const down = (error?: string): NodeSample => ({
      ...base,
      up: false,
      height: this.trackers.get(node.name)?.lastHeight ?? 0,
      view: 0,
      phase: "-",
      primary: null,
      peers: null,
      validatorId: null,
      catchingUp: false,
      txPerSecond: 0,
      ...(error !== undefined ? { error } : {}),
    });
    if (!node.running()) return down("not running");
    try {
      const [status, consensus, net] = await Promise.all([node.client.status(), node.client.consensusState(), node.client.netInfo()]);
      const height = Number(status.sync_info.latest_block_height);
      const txPerSecond = await this.track(node, height);
      return {
        ...base,
        up: true,
        height,
        view: consensus.triad.view,
        phase: consensus.triad.phase,
        primary: consensus.triad.primary,
        peers: Number(net.n_peers),
        validatorId: status.triad.validator_id,
        catchingUp: status.sync_info.catching_up,
        txPerSecond,
      };
    } catch (err) {
      return down((err as Error).message);
    }
  }

  /** Count the txs of the blocks appended since the last poll; return tx/s over the window. */
  private async track(node: ProgressNode, height: number): Promise<number> {
    const now = Date.now();
    let t = this.trackers.get(node.name);
    if (t === undefined) {
      // Count from now on: the history before the monitor started is not "per second".
      t = { lastHeight: height, samples: [{ at: now, txs: 0 }], txs: 0 };
      this.trackers.set(node.name, t);
      return 0;
    }
    for (let page = 0; page < MAX_PAGES_PER_POLL && t.lastHeight < height; page++) {
      const max = Math.min(height, t.lastHeight + 20);
      const chain = await node.client.blockchain(t.lastHeight + 1, max);
      for (const meta of chain.block_metas) t.txs += Number(meta.num_txs);
      t.lastHeight = max;
    }
    // Blocks beyond what one poll reads are skipped, not counted late in a burst.
    t.lastHeight = Math.max(t.lastHeight, height);
    t.samples.push({ at: now, txs: t.txs });
    while (t.samples.length > 2 && now - t.samples[0]!.at > WINDOW_MS) t.samples.shift();
    const first = t.samples[0]!;
    const seconds = (now - first.at) / 1000;
    return seconds > 0 ? (t.txs - first.txs) / seconds : 0;
  }

  lines(samples: readonly NodeSample[]): string[] {
    const nameWidth = Math.max(4, ...samples.map((s) => s.name.length));
    const out: string[] = [];
    if (this.options.header !== undefined) out.push(this.options.header);
    const byId = new Map(this.nodes.map((n) => [n.id, n.name]));
    const byzantine = new Map(this.nodes.filter((n) => (n.byzantine?.length ?? 0) > 0).map((n) => [n.name, n.byzantine!.join("+")]));
    for (const s of samples) {
      const name = s.name.padEnd(nameWidth);
      const marked = byzantine.has(s.name) ? `  BYZANTINE ${byzantine.get(s.name)!}` : "";
      if (!s.up) {
        out.push(`${name}  down${s.error !== undefined && s.error !== "not running" ? ` (${s.error.slice(0, 60)})` : ""}  last height ${s.height}${marked}`);
        continue;
      }
      const primary = s.primary === null ? "" : (byId.get(s.primary) ?? `${s.primary.slice(0, 8)}…`);
      const flags = [s.validatorId === null ? "follower" : "validator", s.catchingUp ? "catching up" : ""].filter(Boolean).join(", ");
      out.push(
        `${name}  height ${String(s.height).padStart(6)}  view ${String(s.view).padStart(3)}  ${s.phase.padEnd(12)}  ` +
          `${s.txPerSecond.toFixed(1).padStart(7)} tx/s  peers ${s.peers ?? "-"}  primary ${primary}  ${flags}${marked}`,
      );
    }
    const footer = this.options.footer?.();
    if (footer !== undefined) out.push(footer);
    return out;
  }

  render(samples: readonly NodeSample[]): void {
    const lines = this.lines(samples);
    if (this.tty) {
      this.clear();
      this.draw(lines);
      return;
    }
    const now = Date.now();
    if (now - this.lastPlain < (this.options.plainEveryMs ?? 5_000)) return;
    this.lastPlain = now;
    const stamp = new Date(now).toISOString().slice(11, 19);
    this.options.out.write(lines.map((l) => `[${stamp}] ${l}\n`).join(""));
  }

  private draw(lines: readonly string[]): void {
    const columns = this.options.out.columns ?? 0;
    const width = columns > 0 ? columns : 160;
    this.options.out.write(lines.map((l) => `${l.slice(0, Math.max(20, width - 1))}\n`).join(""));
    this.drawn = lines.length;
  }

  /** Erase the table drawn last (TTY only). */
  private clear(): void {
    if (!this.tty || this.drawn === 0) return;
    this.options.out.write(`\x1b[${this.drawn}A\x1b[0J`);
    this.drawn = 0;
  }
}
