// The pool of admitted, not yet appended txs. Every tx in it has passed the full envelope check
// (canonical form, chain id, signature, kind and payload, nonce window), so `has(id)` doubles as
// the "already verified" set that block validation uses to skip a second signature verify.
// There are no fees, so nothing is ever evicted to make room: a full pool refuses, and the
// order of a proposal depends only on the order of admission (deterministic, no clocks).
//
// Keys cost nothing, so per-sender caps alone do not stop a flood: 10,000 fresh keys with one
// tx each would fill the pool and lock every honest account out. Senders whose account holds no
// balance ("unfunded": anyone can mint such a key, and no fee is ever charged) therefore share a
// small quota of the pool, with a small cap each; a funded account (someone gave it value) or an
// exempt sender (the node exempts the validators, whose governance votes must get through)
// competes only for the rest. Balance, not nonce, is the test: a nonce is free to raise.
import { bytesEqual } from "./encoding.js";
import { DecodeError, MempoolError, TxError } from "./errors.js";
import type { verifyDomain } from "./signature.js";
import { readAccount, type StateView } from "./state.js";
import type { TxRegistry } from "./tx-registry.js";
import { decodeSignedTx, encodeSignedTx, MAX_TX_BYTES, verifyTx, type SignedTx } from "./tx.js";

export interface MempoolOptions {
  readonly chainId: string;
  /** Most txs held at once. */
  readonly maxTxs: number;
  /** Most canonical tx bytes held at once. */
  readonly maxBytes: number;
  /** How far past the sender's next nonce a tx may be (0: only the next nonce itself). */
  readonly maxNonceGap: number;
  /** Most txs one sender may hold, so one account cannot fill the pool for everyone. */
  readonly maxTxsPerSender: number;
  /** Most txs held at once from unfunded senders (zero balance, not exempt); default MEMPOOL_DEFAULTS. */
  readonly maxUnfundedTxs?: number;
  /** Most txs one unfunded sender may hold; default MEMPOOL_DEFAULTS. */
  readonly maxTxsPerUnfundedSender?: number;
}

export const MEMPOOL_DEFAULTS = {
  maxTxs: 10_000,
  maxBytes: 64 * 1024 * 1024,
  maxNonceGap: 64,
  maxTxsPerSender: 256,
  maxUnfundedTxs: 1_000,
  maxTxsPerUnfundedSender: 4,
} as const satisfies Omit<MempoolOptions, "chainId">;

export interface MempoolDeps {
  readonly registry: TxRegistry;
  /** The state at the chain's head: account nonces are read from it on each call. */
  readonly state: () => StateView;
  /** Signature check; a node passes its shared cache (defaults to OpenSSL, uncached). */
  readonly verify?: typeof verifyDomain;
  /** Called after each admission with the pool's new size (the driver wakes an idle primary). */
  readonly onAdded?: (poolSize: number) => void;
  /** Senders never held to the unfunded quota even with a zero balance (the node: validators). */
  readonly exempt?: (sender: string) => boolean;
}

/**
 * Senders beyond those of the included txs that removeIncluded checks per call. Only a tx's own
 * sender's nonce moves when a block executes it, so the touched senders are all that is needed;
 * the bounded sweep is a safety net (a state that moved some other way is caught within
 * senders / STALE_SWEEP_PER_CALL appends) at a cost independent of the pool's size.
 */
const STALE_SWEEP_PER_CALL = 64;

/** One sender's pooled txs, keyed by nonce. */
interface SenderQueue {
  readonly byNonce: Map<number, SignedTx>;
  /** Lowest pooled nonce, so a sweep for stale txs skips senders that have none. */
  minNonce: number;
  /** Its txs count against the unfunded quota (cleared, never set again, once it is funded). */
  unfunded: boolean;
}

export class Mempool {
  private readonly options: Required<MempoolOptions>;
  private readonly deps: MempoolDeps;
  // Insertion order is arrival order: `pending` lists from it oldest first.
  private readonly byId = new Map<string, SignedTx>();
  // Insertion order is each sender's first arrival (since it last had nothing pooled): the
  // round-robin order of `reap`. A sender with no txs left is deleted, so this stays bounded.
  private readonly bySender = new Map<string, SenderQueue>();
  private totalBytes = 0;
  /** Pooled txs of senders marked unfunded. */
  private unfundedTxs = 0;
  // Where the stale sweep resumes: a live Map iterator skips deleted senders and reaches new ones.
  private sweepCursor: Iterator<string> | null = null;

  /** Ids of txs whose signatures the pool has verified: block validation's `verified` option. */
  readonly verified: { has(id: string): boolean } = { has: (id) => this.byId.has(id) };

  constructor(options: MempoolOptions, deps: MempoolDeps) {
    const full: Required<MempoolOptions> = {
      maxUnfundedTxs: MEMPOOL_DEFAULTS.maxUnfundedTxs,
      maxTxsPerUnfundedSender: MEMPOOL_DEFAULTS.maxTxsPerUnfundedSender,
      ...options,
    };
    for (const key of ["maxTxs", "maxBytes", "maxTxsPerSender", "maxUnfundedTxs", "maxTxsPerUnfundedSender"] as const) {
      if (!Number.isSafeInteger(full[key]) || full[key] < 1) throw new RangeError(`mempool ${key} must be a positive integer`);
    }
    if (!Number.isSafeInteger(options.maxNonceGap) || options.maxNonceGap < 0) {
      throw new RangeError("mempool maxNonceGap must be a non-negative integer");
    }
    this.options = full;
    this.deps = deps;
  }

  get size(): number {
    return this.byId.size;
  }

  /** Total canonical bytes of the pooled txs. */
  get bytes(): number {
    return this.totalBytes;
  }

  /** Pooled txs that count against the unfunded senders' quota. */
  get unfunded(): number {
    return this.unfundedTxs;
  }

  /** Number of distinct senders with pooled txs. */
  get senders(): number {
    return this.bySender.size;
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  get(id: string): SignedTx | undefined {
    return this.byId.get(id);
  }

  /** Up to `limit` pooled txs, oldest first (for RPC listings). */
  pending(limit: number): SignedTx[] {
    const out: SignedTx[] = [];
    if (!(limit >= 1)) return out; // also refuses NaN
    const n = Math.min(Math.floor(limit), this.byId.size);
    for (const tx of this.byId.values()) {
      out.push(tx);
      if (out.length >= n) break;
    }
    return out;
  }

  /**
   * Admit a tx from a client or a peer, or throw a MempoolError saying why not; a refusal
   * changes nothing. Cheap checks run first: the signature verify is the one costly step.
   */
  add(input: Uint8Array | SignedTx): SignedTx {
    const tx = this.decode(input);
    const id = tx.id;
    // Gossip delivers the same tx many times; same id means the same bytes, so it is settled.
    if (this.byId.has(id)) throw new MempoolError("ALREADY_KNOWN", `tx ${id} is already in the mempool`, { id });
    if (tx.chainId !== this.options.chainId) {
      throw new MempoolError("WRONG_CHAIN", `tx ${id} is for chain ${JSON.stringify(tx.chainId)}, this is ${JSON.stringify(this.options.chainId)}`, {
        id,
        expected: this.options.chainId,
        actual: tx.chainId,
      });
    }
    try {
      this.deps.registry.decodePayload(tx);
    } catch (err) {
      throw refusal(err, id);
    }

    const sender = tx.sender;
    const account = readAccount(this.deps.state(), sender);
    const next = account.nonce;
    if (tx.nonce < next) {
      throw new MempoolError("STALE_NONCE", `tx ${id} has nonce ${tx.nonce}, below the account's next nonce ${next}`, {
        id,
        sender,
        expected: next,
        actual: tx.nonce,
      });
    }
    if (tx.nonce - next > this.options.maxNonceGap) {
      throw new MempoolError("NONCE_GAP", `tx ${id} has nonce ${tx.nonce}, more than ${this.options.maxNonceGap} past the account's next nonce ${next}`, {
        id,
        sender,
        expected: next,
        actual: tx.nonce,
        maxGap: this.options.maxNonceGap,
      });
    }
    const queue = this.bySender.get(sender);
    const holder = queue?.byNonce.get(tx.nonce);
    if (holder !== undefined) {
      // No fees, so no replace-by-fee: the first tx for a (sender, nonce) keeps its slot.
      throw new MempoolError("NONCE_TAKEN", `tx ${id}: sender ${sender} already has tx ${holder.id} pooled with nonce ${tx.nonce}`, {
        id,
        sender,
        nonce: tx.nonce,
        holder: holder.id,
      });
    }
    let unfunded = account.balance === 0n && this.deps.exempt?.(sender) !== true;
    if (queue !== undefined) {
      if (queue.unfunded && !unfunded) {
        // Funded since its first tx arrived: its txs leave the quota.
        queue.unfunded = false;
        this.unfundedTxs -= queue.byNonce.size;
      }
      // A sender already counted as funded keeps that standing while it has txs pooled.
      unfunded = queue.unfunded;
    }
    if (unfunded) this.checkUnfunded(tx, queue);
    this.checkRoom(tx, queue);

    try {
      verifyTx(tx, this.options.chainId, this.deps.verify);
    } catch (err) {
      throw refusal(err, id);
    }

    this.insert(tx, queue, unfunded);
    this.deps.onAdded?.(this.byId.size);
    return tx;
  }

  /**
   * Txs for a proposal: per sender only the contiguous run of nonces from its account nonce
   * (anything after a gap could not execute), taken round-robin one per sender per round in
   * order of first arrival, so a sender with many txs cannot crowd out the others. Never
   * exceeds `maxTxs` or `maxBytes`; a tx that does not fit ends its sender's run (its
   * successors depend on it) while smaller txs of other senders may still fit. Work is
   * proportional to the senders reached plus the txs returned, not to the pool's size.
   */
  reap(maxTxs: number, maxBytes: number): SignedTx[] {
    const out: SignedTx[] = [];
    // `!(x >= 1)` also refuses NaN, which would otherwise never stop the rounds below.
    if (!(maxTxs >= 1) || !(maxBytes >= 1) || this.byId.size === 0) return out;
    const txLimit = Math.floor(maxTxs);
    const state = this.deps.state();
    let bytesLeft = maxBytes;

    // Each cursor is a sender still in the running and the nonce it needs next.
    const queues: Map<number, SignedTx>[] = [];
    const nonces: number[] = [];
    const take = (tx: SignedTx): boolean => {
      if (tx.bytes.length > bytesLeft) return false;
      out.push(tx);
      bytesLeft -= tx.bytes.length;
      return true;
    };

    // Round 0 walks senders lazily: with txLimit reached it stops without reading more accounts.
    for (const [sender, queue] of this.bySender) {
      if (out.length >= txLimit) return out;
      const next = readAccount(state, sender).nonce;
      const tx = queue.byNonce.get(next);
      if (tx === undefined || !take(tx)) continue;
      queues.push(queue.byNonce);
      nonces.push(next + 1);
    }

    let active = queues.length;
    while (active > 0 && out.length < txLimit) {
      let kept = 0;
      for (let i = 0; i < active; i++) {
        if (out.length >= txLimit) return out;
        const byNonce = queues[i]!;
        const nonce = nonces[i]!;
        const tx = byNonce.get(nonce);
        if (tx === undefined || !take(tx)) continue;
        // Compact in place: senders whose run ended drop out of later rounds.
        queues[kept] = byNonce;
        nonces[kept] = nonce + 1;
        kept++;
      }
      active = kept;
    }
    return out;
  }

  /**
   * After a block is appended (and the state updated): drop the included txs, then every
   * pooled tx whose nonce its sender's account has moved past, since it can never execute.
   * Called on every append, so its work is proportional to the block, not to the pool: it reads
   * the accounts of the block's senders, plus a bounded sweep of the others.
   */
  removeIncluded(txs: readonly SignedTx[]): void {
    const touched = new Set<string>();
    for (const tx of txs) {
      touched.add(tx.sender);
      const pooled = this.byId.get(tx.id);
      if (pooled !== undefined) this.remove(pooled);
    }
    if (this.bySender.size === 0) return;
    const state = this.deps.state();
    for (const sender of touched) this.dropStale(sender, state);
    let budget = Math.min(STALE_SWEEP_PER_CALL, this.bySender.size);
    while (budget-- > 0) {
      this.sweepCursor ??= this.bySender.keys();
      const next = this.sweepCursor.next();
      if (next.done === true) {
        this.sweepCursor = null;
        continue;
      }
      if (!touched.has(next.value)) this.dropStale(next.value, state);
    }
  }

  /**
   * The next nonce `sender` can use counting its contiguous pooled txs from `from` (the account's
   * nonce); O(its pooled txs), never O(pool).
   */
  pendingNonce(sender: string, from: number): number {
    const queue = this.bySender.get(sender);
    let n = from;
    if (queue === undefined) return n;
    while (queue.byNonce.has(n)) n++;
    return n;
  }

  clear(): void {
    this.byId.clear();
    this.bySender.clear();
    this.totalBytes = 0;
    this.unfundedTxs = 0;
    this.sweepCursor = null;
  }

  private dropStale(sender: string, state: StateView): void {
    const queue = this.bySender.get(sender);
    if (queue === undefined) return;
    const next = readAccount(state, sender).nonce;
    if (queue.minNonce >= next) return;
    // Copy: removing entries from the map being walked (at most maxTxsPerSender of them).
    for (const tx of [...queue.byNonce.values()]) if (tx.nonce < next) this.remove(tx);
  }

  /** Canonical decode of raw bytes, or re-decode of a SignedTx's own bytes. */
  private decode(input: Uint8Array | SignedTx): SignedTx {
    const raw = input instanceof Uint8Array ? input : input.bytes;
    // Before decoding: an oversize blob costs nothing more than its length check.
    if (raw.length > MAX_TX_BYTES) {
      throw new MempoolError("TX_TOO_LARGE", `tx of ${raw.length} bytes exceeds ${MAX_TX_BYTES}`, { size: raw.length, limit: MAX_TX_BYTES });
    }
    let tx: SignedTx;
    try {
      tx = decodeSignedTx(raw);
    } catch (err) {
      throw refusal(err, undefined);
    }
    // A SignedTx object is trusted no further than its bytes: the pool's contents vouch for
    // signatures (the `verified` set), so fields that disagree with the bytes are refused
    // rather than silently replaced.
    if (!(input instanceof Uint8Array) && !agrees(input, tx)) {
      throw new MempoolError("BAD_PAYLOAD", `tx ${tx.id}: its fields do not match its canonical bytes`, { id: tx.id, reason: "INCONSISTENT" });
    }
    return tx;
  }

  private checkUnfunded(tx: SignedTx, queue: SenderQueue | undefined): void {
    const { maxUnfundedTxs, maxTxsPerUnfundedSender } = this.options;
    const held = queue?.byNonce.size ?? 0;
    if (held >= maxTxsPerUnfundedSender) {
      throw new MempoolError(
        "UNFUNDED_QUOTA",
        `tx ${tx.id}: sender ${tx.sender} holds no balance and already has ${held} txs pooled (limit ${maxTxsPerUnfundedSender} for unfunded senders)`,
        { id: tx.id, reason: "SENDER_LIMIT", sender: tx.sender, limit: maxTxsPerUnfundedSender },
      );
    }
    if (this.unfundedTxs >= maxUnfundedTxs) {
      throw new MempoolError(
        "UNFUNDED_QUOTA",
        `tx ${tx.id}: sender ${tx.sender} holds no balance and the pool's ${maxUnfundedTxs} places for unfunded senders are taken`,
        { id: tx.id, reason: "QUOTA", sender: tx.sender, limit: maxUnfundedTxs },
      );
    }
  }

  private checkRoom(tx: SignedTx, queue: SenderQueue | undefined): void {
    const size = tx.bytes.length;
    const { maxTxs, maxBytes, maxTxsPerSender } = this.options;
    if (queue !== undefined && queue.byNonce.size >= maxTxsPerSender) {
      throw new MempoolError("MEMPOOL_FULL", `tx ${tx.id}: sender ${tx.sender} already has ${queue.byNonce.size} txs pooled (limit ${maxTxsPerSender})`, {
        id: tx.id,
        reason: "SENDER_LIMIT",
        sender: tx.sender,
        limit: maxTxsPerSender,
      });
    }
    if (this.byId.size >= maxTxs) {
      throw new MempoolError("MEMPOOL_FULL", `mempool holds ${this.byId.size} txs (limit ${maxTxs})`, { id: tx.id, reason: "COUNT", limit: maxTxs });
    }
    if (this.totalBytes + size > maxBytes) {
      throw new MempoolError("MEMPOOL_FULL", `mempool holds ${this.totalBytes} bytes; ${size} more would exceed ${maxBytes}`, {
        id: tx.id,
        reason: "BYTES",
        size,
        limit: maxBytes,
      });
    }
  }

  private insert(tx: SignedTx, queue: SenderQueue | undefined, unfunded: boolean): void {
    if (queue === undefined) {
      this.bySender.set(tx.sender, { byNonce: new Map([[tx.nonce, tx]]), minNonce: tx.nonce, unfunded });
      if (unfunded) this.unfundedTxs++;
    } else {
      if (queue.unfunded) this.unfundedTxs++;
      queue.byNonce.set(tx.nonce, tx);
      if (tx.nonce < queue.minNonce) queue.minNonce = tx.nonce;
    }
    this.byId.set(tx.id, tx);
    this.totalBytes += tx.bytes.length;
  }

  private remove(tx: SignedTx): void {
    if (!this.byId.delete(tx.id)) return;
    this.totalBytes -= tx.bytes.length;
    const queue = this.bySender.get(tx.sender);
    if (queue === undefined) return;
    queue.byNonce.delete(tx.nonce);
    if (queue.unfunded) this.unfundedTxs--;
    if (queue.byNonce.size === 0) {
      this.bySender.delete(tx.sender);
    } else if (tx.nonce === queue.minNonce) {
      // At most maxTxsPerSender entries, so the rescan is bounded.
      let min = Number.POSITIVE_INFINITY;
      for (const n of queue.byNonce.keys()) if (n < min) min = n;
      queue.minNonce = min;
    }
  }
}

/** Map a decode or envelope failure to the mempool's refusal, keeping its code and facts. */
function refusal(err: unknown, id: string | undefined): MempoolError {
  const withId = id === undefined ? {} : { id };
  if (err instanceof TxError) return new MempoolError(err.code, id === undefined ? err.message : `tx ${id}: ${err.message}`, { ...err.details, ...withId });
  if (err instanceof DecodeError) {
    return new MempoolError("BAD_PAYLOAD", `tx is not a canonical encoding: ${err.message}`, { ...err.details, ...withId, reason: err.code });
  }
  throw err;
}

function agrees(given: SignedTx, decoded: SignedTx): boolean {
  if (given.id !== decoded.id || !bytesEqual(given.hash, decoded.hash)) return false;
  try {
    return bytesEqual(encodeSignedTx(given, given.signature), decoded.bytes);
  } catch {
    // The writer refuses malformed fields (say, a `from` of the wrong length).
    return false;
  }
}
