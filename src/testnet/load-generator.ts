// A small, steady tx load for a testnet: signed transfers from funded accounts, spread over the
// nodes' RPC. Nonces are tracked locally so each account can have many txs in flight; a tx
// lost with a crashed node is re-sent (the same bytes, see ./tx-builder.ts) once the chain has
// stopped taking that account's txs for a while, so a lost tx never stalls an account.
// It also learns which of its txs were committed: once a second it reads the blocks appended
// since its last look from one node (triad_blocks, up to 100 blocks a call), never one call per
// tx, and records each of its txs found there as acknowledged `{ id, height, node }`.
import { kvPutKind, toHex, utf8, type KeyPair } from "../chain/index.js";
import { TriadRpcError, type TriadClient } from "../rpc/client.js";
import type { TxAck } from "./acks-file.js";
import { AcksWriter } from "./acks-file.js";
import { TxBuilder, type BuiltTx } from "./tx-builder.js";

export type LoadKind = "transfer" | "kv-put";
export const LOAD_KINDS: readonly LoadKind[] = ["transfer", "kv-put"];

export interface LoadOptions {
  readonly chainId: string;
  readonly accounts: readonly KeyPair[];
  /** Nodes to submit to, round-robin; a node that fails is skipped for a while. */
  readonly targets: readonly TriadClient[];
  /** Target tx/s over all accounts. */
  readonly rate: number;
  /** Most txs one account has submitted beyond its committed nonce (below the mempool's nonce gap). */
  readonly windowPerAccount?: number;
  /** Most submissions waiting for an answer at once. */
  readonly maxConcurrent?: number;
  /** How long an account's committed nonce may stand still, with txs out, before they are re-sent. */
  readonly resendAfterMs?: number;
  /** Called when a node first accepts a tx (not for re-sends): `submittedAt` is when it was sent. */
  readonly onAccepted?: (tx: BuiltTx, submittedAt: number) => void;
  readonly now?: () => number;
  /** Tx kinds, taken in turn by nonce (so a re-send is the same tx). Default ["transfer"]. */
  readonly kinds?: readonly LoadKind[];
  /** Names of `targets` for the acks (default: "node-<index>"). */
  readonly targetNames?: readonly string[];
  /** Record each tx seen committed: JSON lines appended to `file`, and/or a callback. */
  readonly acks?: { readonly file?: string; readonly onAck?: (ack: TxAck) => void };
  /** Most sent txs waiting to be seen in a block; the oldest are forgotten beyond it. */
  readonly maxPending?: number;
}

export interface LoadStats {
  /** Txs sent for the first time. */
  readonly sent: number;
  readonly accepted: number;
  readonly resent: number;
  /** Refused by a node (non-zero code other than a stale nonce after a resend). */
  readonly refused: number;
  /** No answer: the node was down, timed out or was syncing. */
  readonly failed: number;
  /** Txs seen in a block (acknowledged as committed by a node). */
  readonly committed: number;
  /** Sent txs no block has shown yet (bounded by maxPending). */
  readonly pending: number;
  /** Refusal codes seen, by name. */
  readonly refusals: Readonly<Record<string, number>>;
}

interface AccountState {
  readonly builder: TxBuilder;
  readonly to: string;
  /** Next nonce to send. */
  next: number;
  /** Highest committed nonce seen (the chain's next nonce). */
  committed: number;
  committedChangedAt: number;
  /** Highest nonce ever sent + 1: a nonce below it is a re-send. */
  sentUpTo: number;
  ready: boolean;
}

const TICK_MS = 50;
const NONCE_POLL_MS = 1_000;
const TARGET_BACKOFF_MS = 2_000;
const BLOCK_POLL_MS = 1_000;
/** triad_blocks calls per poll: 100 blocks each, so a poll catches up 1,000 blocks at most. */
const MAX_RANGES_PER_POLL = 10;

export class LoadGenerator {
  private readonly accounts: AccountState[];
  private readonly windowPerAccount: number;
  private readonly maxConcurrent: number;
  private readonly resendAfterMs: number;
  private readonly now: () => number;
  private readonly downUntil = new Map<TriadClient, number>();
  private timer: NodeJS.Timeout | null = null;
  private pollTimer: NodeJS.Timeout | null = null;
  private budget = 0;
  private lastTick = 0;
  private inFlight = 0;
  private nextAccount = 0;
  private nextTarget = 0;
  private readonly pending = new Set<Promise<void>>();
  private counts = { sent: 0, accepted: 0, resent: 0, refused: 0, failed: 0, committed: 0 };
  private readonly refusals: Record<string, number> = {};
  private readonly kinds: readonly LoadKind[];
  private readonly maxPending: number;
  /** Sent tx ids not yet seen in a block, oldest first. */
  private readonly waiting = new Set<string>();
  private readonly acksWriter: AcksWriter | null;
  private blockTimer: NodeJS.Timeout | null = null;
  private polling: Promise<void> | null = null;
  /** The last height whose txs were read; null until the first head is known. */
  private seenHeight: number | null = null;
  private nextBlockTarget = 0;

  constructor(private readonly options: LoadOptions) {
    if (options.accounts.length === 0) throw new RangeError("the load generator needs at least one funded account");
    if (options.targets.length === 0) throw new RangeError("the load generator needs at least one node to send to");
    this.windowPerAccount = options.windowPerAccount ?? 32;
    this.maxConcurrent = options.maxConcurrent ?? 32;
    this.resendAfterMs = options.resendAfterMs ?? 4_000;
    this.now = options.now ?? Date.now;
    this.kinds = options.kinds === undefined || options.kinds.length === 0 ? ["transfer"] : options.kinds;
    this.maxPending = options.maxPending ?? 100_000;
    this.acksWriter = options.acks?.file === undefined ? null : new AcksWriter(options.acks.file);
    const ids = options.accounts.map((a) => toHex(a.publicKey));
    this.accounts = options.accounts.map((pair, i) => ({
      builder: new TxBuilder(pair, options.chainId),
      // One account sends to the next; with a single account, to itself (a valid transfer).
      to: ids[(i + 1) % ids.length]!,
      next: 0,
      committed: 0,
      committedChangedAt: 0,
      sentUpTo: 0,
      ready: false,
    }));
  }

  get stats(): LoadStats {
    return { ...this.counts, pending: this.waiting.size, refusals: { ...this.refusals } };
  }

  start(): void {
    if (this.timer !== null) return;
    this.lastTick = this.now();
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.pollTimer = setInterval(() => void this.pollNonces(), NONCE_POLL_MS);
    this.blockTimer = setInterval(() => void this.pollBlocks(), BLOCK_POLL_MS);
    void this.pollNonces();
    void this.pollBlocks();
  }

  /** Stop sending and wait for the submissions in flight. */
  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    if (this.pollTimer !== null) clearInterval(this.pollTimer);
    if (this.blockTimer !== null) clearInterval(this.blockTimer);
    this.timer = null;
    this.pollTimer = null;
    this.blockTimer = null;
    await Promise.allSettled([...this.pending]);
    // A last look, so txs committed just now are acknowledged too.
    await this.polling;
    await this.pollBlocks();
    await this.acksWriter?.flush();
  }

  /**
   * Read the blocks since the last look from one node (in turn, skipping nodes that failed) and
   * acknowledge every one of our txs in them. One poll at a time.
   */
  private pollBlocks(): Promise<void> {
    this.polling ??= this.readBlocks().finally(() => {
      this.polling = null;
    });
    return this.polling;
  }

  private async readBlocks(): Promise<void> {
    const targets = this.options.targets;
    const index = this.nextBlockTarget;
    this.nextBlockTarget = (index + 1) % targets.length;
    const target = targets[index]!;
    if ((this.downUntil.get(target) ?? 0) > this.now()) return;
    const node = this.options.targetNames?.[index] ?? `node-${index}`;
    try {
      if (this.seenHeight === null) {
        // Our txs can only be in blocks after the head at start.
        this.seenHeight = Number((await target.status()).sync_info.latest_block_height);
      }
      for (let i = 0; i < MAX_RANGES_PER_POLL; i++) {
        const r = await target.blocks(this.seenHeight + 1);
        for (const b of r.blocks) {
          if (b.height !== this.seenHeight + 1) break;
          for (const id of b.tx_ids) {
            if (!this.waiting.delete(id)) continue;
            this.counts.committed++;
            const ack = { id, height: b.height, node };
            this.acksWriter?.add(ack);
            this.options.acks?.onAck?.(ack);
          }
          this.seenHeight = b.height;
        }
        if (r.blocks.length === 0 || this.seenHeight >= r.last_height) break;
      }
    } catch {
      // Another node answers next time, from the same height on.
    }
    await this.acksWriter?.flush();
  }

  private remember(id: string): void {
    if (this.waiting.has(id)) return;
    if (this.waiting.size >= this.maxPending) {
      const oldest = this.waiting.values().next().value;
      if (oldest !== undefined) this.waiting.delete(oldest);
    }
    this.waiting.add(id);
  }

  /** The tx for (account, nonce): a pure function of both, so a re-send is the same tx. */
  private build(a: AccountState, index: number): BuiltTx {
    const kind = this.kinds[a.next % this.kinds.length]!;
    if (kind === "kv-put") {
      // A few keys per account, rewritten: the state stays small however long the load runs.
      return a.builder.build(a.next, kvPutKind.kind, kvPutKind.encode({ key: `load-${index}-${a.next % 16}`, value: utf8(`nonce ${a.next}`) }));
    }
    return a.builder.transfer(a.next, a.to, 1n);
  }

  private target(): TriadClient | undefined {
    const targets = this.options.targets;
    const now = this.now();
    for (let i = 0; i < targets.length; i++) {
      const t = targets[(this.nextTarget + i) % targets.length]!;
      if ((this.downUntil.get(t) ?? 0) <= now) {
        this.nextTarget = (this.nextTarget + i + 1) % targets.length;
        return t;
      }
    }
    return undefined;
  }

  private async pollNonces(): Promise<void> {
    const target = this.target();
    if (target === undefined) return;
    await Promise.all(
      this.accounts.map(async (a) => {
        try {
          const info = await target.account(a.builder.id);
          const now = this.now();
          if (!a.ready) {
            // Start after whatever an earlier run left in the mempools.
            a.next = a.sentUpTo = Math.max(a.next, info.pending_nonce);
            a.ready = true;
          }
          if (info.nonce > a.committed || a.committedChangedAt === 0) {
            a.committed = Math.max(a.committed, info.nonce);
            a.committedChangedAt = now;
          }
          if (a.next < a.committed) a.next = a.committed;
          // Txs out but none taken for a while: some were lost (a crashed node's mempool). Send
          // again from the first one the chain still wants.
          if (a.next > a.committed && now - a.committedChangedAt > this.resendAfterMs) {
            a.next = a.committed;
            a.committedChangedAt = now;
          }
        } catch {
          this.downUntil.set(target, this.now() + TARGET_BACKOFF_MS);
        }
      }),
    );
  }

  private tick(): void {
    const now = this.now();
    const elapsed = now - this.lastTick;
    this.lastTick = now;
    // Never bank more than a second's worth: a stalled chain must not cause a burst later.
    this.budget = Math.min(this.budget + (this.options.rate * elapsed) / 1000, Math.max(1, this.options.rate));
    let attempts = this.accounts.length;
    while (this.budget >= 1 && this.inFlight < this.maxConcurrent && attempts > 0) {
      const index = this.nextAccount;
      const a = this.accounts[index]!;
      this.nextAccount = (this.nextAccount + 1) % this.accounts.length;
      if (!a.ready || a.next - a.committed >= this.windowPerAccount) {
        attempts--;
        continue;
      }
      attempts = this.accounts.length;
      this.budget -= 1;
      const tx = this.build(a, index);
      this.remember(tx.id);
      const resend = a.next < a.sentUpTo;
      a.next++;
      a.sentUpTo = Math.max(a.sentUpTo, a.next);
      if (resend) this.counts.resent++;
      else this.counts.sent++;
      this.submit(tx, resend);
    }
  }

  private submit(tx: BuiltTx, resend: boolean): void {
    const target = this.target();
    if (target === undefined) {
      this.counts.failed++;
      return;
    }
    this.inFlight++;
    const sentAt = this.now();
    const p = target
      .broadcast(tx.bytes, "sync")
      .then((r) => {
        if (r.code === 0) {
          if (!resend) {
            this.counts.accepted++;
            this.options.onAccepted?.(tx, sentAt);
          }
          return;
        }
        const reason = r.triad.error ?? String(r.code);
        // After a re-send, the chain may have taken the tx meanwhile: nothing went wrong.
        if (reason === "STALE_NONCE" && resend) return;
        if (!resend) this.waiting.delete(tx.id);
        this.counts.refused++;
        this.refusals[reason] = (this.refusals[reason] ?? 0) + 1;
      })
      .catch((err: unknown) => {
        this.counts.failed++;
        const kind = err instanceof TriadRpcError ? `rpc ${err.code}` : "unreachable";
        this.refusals[kind] = (this.refusals[kind] ?? 0) + 1;
        this.downUntil.set(target, this.now() + TARGET_BACKOFF_MS);
      })
      .finally(() => {
        this.inFlight--;
        this.pending.delete(p);
      });
    this.pending.add(p);
  }
}
