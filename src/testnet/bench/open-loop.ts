// The open-loop sender: pre-signed txs go out on a clock, in broadcast_tx_batch calls every
// few ms round-robin over the validators, whatever the answers. A closed loop (N requests in
// flight) lets a slow network slow the generator down and hides it; here the offered rate is
// fixed and what the network does with it is measured. A request that fails to connect (a
// killed node) is sent again, with its original submit times, to the next node, as a wallet
// would; answers (accepted or refused) are only counted. A tx's submit time is when it is
// handed to the HTTP layer: if a node answers so slowly that all 32 sockets to it are busy, the
// wait for a socket counts as that node's latency (`maxOutstanding` shows when it happened).
import { KeepAlivePoster } from "./http-post.js";

export interface OpenLoopOptions {
  readonly targets: readonly string[];
  /** Pre-signed txs in base64, in sending order; the run ends when they are all sent. */
  readonly txs: readonly string[];
  /** Offered tx/s. */
  readonly rate: number;
  /** How often the clock hands due txs out, ms. */
  readonly tickMs: number;
  /** Most txs in one broadcast_tx_batch (the server's limit; 100 by default). */
  readonly maxBatch: number;
  /** Called with each tx index as it is handed to the HTTP layer. */
  readonly onSubmit: (index: number, at: number) => void;
}

export interface OpenLoopCounts {
  requests: number;
  failedRequests: number;
  retriedRequests: number;
  lostTxs: number;
  accepted: number;
  refused: number;
  maxOutstanding: number;
  readonly refusals: Record<string, number>;
}

const TARGET_BACKOFF_MS = 1_000;
const MAX_ATTEMPTS = 4;

interface BatchReply {
  readonly result?: { readonly results: readonly { readonly code: number; readonly triad?: { readonly error?: string | null } }[] };
  readonly error?: { readonly code: number; readonly message: string };
}

export class OpenLoopSender {
  readonly counts: OpenLoopCounts = { requests: 0, failedRequests: 0, retriedRequests: 0, lostTxs: 0, accepted: 0, refused: 0, maxOutstanding: 0, refusals: {} };
  /** Per tx: how late it was handed out against its slot on the schedule, ms. */
  readonly lag: Float64Array;
  private readonly posters: KeepAlivePoster[];
  private readonly downUntil: number[];
  private nextTarget = 0;
  private sent = 0;
  private outstanding = 0;
  private startedAt = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly pending = new Set<Promise<void>>();
  private finished: (() => void) | null = null;

  constructor(private readonly options: OpenLoopOptions) {
    this.posters = options.targets.map((url) => new KeepAlivePoster(url, 30_000, 32));
    this.downUntil = options.targets.map(() => 0);
    this.lag = new Float64Array(options.txs.length);
  }

  get submitted(): number {
    return this.sent;
  }

  /** Start the clock; resolves when every tx has been handed out (answers may still be due). */
  run(): Promise<void> {
    this.startedAt = performance.now();
    return new Promise((resolve) => {
      this.finished = resolve;
      this.timer = setInterval(() => this.tick(), this.options.tickMs);
      this.tick();
    });
  }

  /** Stop sending (if not done) and wait for the answers still out. */
  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.finished?.();
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
    for (const p of this.posters) p.close();
  }

  private tick(): void {
    const now = performance.now();
    const total = this.options.txs.length;
    const due = Math.min(total, Math.floor((this.options.rate * (now - this.startedAt)) / 1000));
    const perTx = 1000 / this.options.rate;
    while (this.sent < due) {
      const from = this.sent;
      const to = Math.min(due, from + this.options.maxBatch);
      for (let k = from; k < to; k++) {
        this.lag[k] = Math.max(0, now - (this.startedAt + (k + 1) * perTx));
        this.options.onSubmit(k, now);
      }
      this.sent = to;
      this.dispatch(from, to, 1);
    }
    if (this.sent >= total && this.timer !== null) {
      clearInterval(this.timer);
      this.timer = null;
      this.finished?.();
    }
  }

  private target(): number | null {
    const now = performance.now();
    const n = this.posters.length;
    for (let i = 0; i < n; i++) {
      const t = (this.nextTarget + i) % n;
      if (this.downUntil[t]! <= now) {
        this.nextTarget = (t + 1) % n;
        return t;
      }
    }
    return null;
  }

  private dispatch(from: number, to: number, attempt: number): void {
    const t = this.target() ?? this.nextTarget++ % this.posters.length;
    const body = `{"jsonrpc":"2.0","id":${from},"method":"broadcast_tx_batch","params":{"txs":["${this.options.txs.slice(from, to).join('","')}"]}}`;
    this.counts.requests++;
    this.outstanding++;
    this.counts.maxOutstanding = Math.max(this.counts.maxOutstanding, this.outstanding);
    const p = this.posters[t]!.post(body)
      .then((text) => this.onReply(text, to - from))
      .catch(() => {
        this.counts.failedRequests++;
        this.downUntil[t] = performance.now() + TARGET_BACKOFF_MS;
        if (attempt < MAX_ATTEMPTS) {
          this.counts.retriedRequests++;
          this.dispatch(from, to, attempt + 1);
        } else {
          this.counts.lostTxs += to - from;
        }
      })
      .finally(() => {
        this.outstanding--;
        this.pending.delete(p);
      });
    this.pending.add(p);
  }

  private onReply(text: string, txs: number): void {
    let reply: BatchReply;
    try {
      reply = JSON.parse(text) as BatchReply;
    } catch {
      this.refuse("non-JSON answer", txs);
      return;
    }
    if (reply.error !== undefined || reply.result === undefined) {
      this.refuse(`rpc ${reply.error?.code ?? "?"}`, txs);
      return;
    }
    for (const r of reply.result.results) {
      if (r.code === 0) this.counts.accepted++;
      else this.refuse(r.triad?.error ?? `code ${r.code}`, 1);
    }
  }

  private refuse(reason: string, txs: number): void {
    this.counts.refused += txs;
    this.counts.refusals[reason] = (this.counts.refusals[reason] ?? 0) + txs;
  }
}
