// The tx relay: txs a client submitted to this node go straight to each connected validator of the
// current set, in batches, over one long-lived stream per peer. It replaces flooding each tx as
// its own gossipsub message (about nine sends per tx on four nodes, each decrypted, demuxed,
// decoded and hashed). The origin sends to every validator, so a tx received from a peer is never
// relayed again, and an observer, which never proposes, gets none.
//
// The same streams, on their own protocol and limits, carry the consensus messages between
// validators (../node/consensus-transport.ts): what they move is opaque bytes, one frame a batch.
//
// Batching is Nagle-like: with no batch in flight to a peer, a tx leaves at once (idle latency);
// while a write is in flight, txs accumulate and go out together when it completes, up to a
// batch's tx and byte caps. A peer that cannot keep up fills its bounded queue and further txs
// for it are dropped and counted: they stay in our mempool and we propose them on our turn.
import type { IncomingStreamData, Libp2p, PeerId, Stream } from "@libp2p/interface";
import { lpStream, type LengthPrefixedStream } from "it-length-prefixed-stream";
import { setImmediate as nextTurn } from "node:timers/promises";
import type { Logger } from "pino";
import { DecodeError, type ValidatorId } from "../chain/index.js";
import type { FaultLayer } from "./fault-layer.js";
import { isPeerAllowed, type AllowList } from "./gater.js";
import { peerIdFromValidatorId, tryValidatorIdFromPeerId } from "./identity.js";
import { checkItem, FrameRefusedError, GuardedFrameReader, type FrameGuard } from "./frame-reader.js";
import { decodeTxBatch, encodeTxBatch, MAX_TX_BATCH_BYTES, MAX_TX_BATCH_TXS, TX_BATCH_LIMITS, type BatchLimits } from "./tx-batch-codec.js";

export function txRelayProtocol(chainId: string): string {
  return `/triad/${chainId}/tx-batch/1`;
}

export interface TxRelayOptions {
  readonly chainId: string;
  /**
   * The stream protocol and what its frames may hold. Defaults: the tx relay's. The consensus
   * streams (../node/consensus-transport.ts) carry signed consensus messages the same way.
   */
  readonly protocol?: string;
  readonly limits?: BatchLimits;
  /**
   * Read frames through a guard (frame-reader.ts): the length and each item's type-dependent cap
   * are checked before the bytes are read. Without it a frame up to limits.maxFrameBytes is read whole.
   */
  readonly frameGuard?: FrameGuard;
  /** Txs and bytes that close a batch (a batch always takes its first tx). */
  readonly maxBatchTxs?: number;
  readonly maxBatchBytes?: number;
  /** Per peer: txs and bytes waiting to be sent; past either, new txs for that peer are dropped. */
  readonly maxQueuedTxs?: number;
  readonly maxQueuedBytes?: number;
  /** Streams of this protocol a connection may open to us. */
  readonly maxInboundStreams?: number;
  /** Txs admitted between two yields to the event loop, so consensus traffic never waits long. */
  readonly admitChunk?: number;
  /** Deadline of one stream open or one batch write. */
  readonly writeTimeoutMs?: number;
}

export const TX_RELAY_DEFAULTS = {
  maxBatchTxs: MAX_TX_BATCH_TXS,
  maxBatchBytes: MAX_TX_BATCH_BYTES,
  maxQueuedTxs: 8192,
  maxQueuedBytes: 8 * 1024 * 1024,
  maxInboundStreams: 8,
  admitChunk: 16,
  writeTimeoutMs: 10_000,
} as const satisfies Omit<Required<TxRelayOptions>, "chainId" | "protocol" | "limits" | "frameGuard">;

export interface TxRelayDeps {
  readonly libp2p: Pick<Libp2p, "handle" | "unhandle" | "dialProtocol" | "getConnections" | "addEventListener" | "removeEventListener">;
  /** Our own validator id: never a target. */
  readonly self: ValidatorId;
  /** Admission: only these peers may open the relay stream to us. */
  readonly isAllowed: AllowList;
  /** Who gets our clients' txs: the validators of the set in force for the next block. */
  targets(): readonly ValidatorId[];
  /** A tx from a peer's batch, as canonical bytes (not yet decoded or verified): the mempool decides. */
  admit(tx: Uint8Array, from: ValidatorId): void;
  readonly logger: Logger;
  /** Injected faults: per tx and peer on the way out, per batch on the way in. */
  readonly faults?: FaultLayer;
  /** A peer's frame was refused (its stream is reset): for counting and penalising the sender. */
  onBadFrame?(from: ValidatorId, reason: string): void;
}

/** Counters for logs, tests and benchmarks; they only grow. */
export interface TxRelayStats {
  /** Txs handed to relay() and queued for at least one peer. */
  relayed: number;
  /** Per-peer copies written, and the batch frames that carried them. */
  sentTxs: number;
  sentBatches: number;
  /** Per-peer copies dropped: the peer's queue was full, or its stream failed. */
  dropped: number;
  /** Txs and batch frames received from peers (before the mempool's verdict). */
  receivedTxs: number;
  receivedBatches: number;
  /** Frames that failed the canonical decode or the size limit; each cost the sender its stream. */
  badFrames: number;
  /** Inbound streams refused: the peer is not allowed. */
  refusedStreams: number;
  /** Bytes read from peers' streams (frames and their prefixes; the guard stops early on a bad one). */
  receivedBytes: number;
}

interface PeerQueue {
  readonly id: ValidatorId;
  readonly peerId: PeerId;
  txs: Uint8Array[];
  bytes: number;
  writing: boolean;
  stream: Stream | null;
  lp: LengthPrefixedStream<Stream> | null;
}

export class TxRelay {
  readonly protocol: string;
  readonly stats: TxRelayStats = { relayed: 0, sentTxs: 0, sentBatches: 0, dropped: 0, receivedTxs: 0, receivedBatches: 0, badFrames: 0, refusedStreams: 0, receivedBytes: 0 };
  private readonly opts: Required<Omit<TxRelayOptions, "protocol" | "frameGuard">> & Pick<TxRelayOptions, "frameGuard">;
  private readonly log: Logger;
  private readonly peers = new Map<ValidatorId, PeerQueue>();
  // A validator that is down is asked about on every relay: convert its key once, not per tx.
  private readonly peerIds = new Map<ValidatorId, PeerId | null>();
  private readonly inbound = new Set<Stream>();
  private stopping = new AbortController();
  private running = false;

  constructor(
    options: TxRelayOptions,
    private readonly deps: TxRelayDeps,
  ) {
    this.opts = { ...TX_RELAY_DEFAULTS, limits: TX_BATCH_LIMITS, ...options };
    this.protocol = options.protocol ?? txRelayProtocol(options.chainId);
    this.log = deps.logger.child({ module: "p2p", component: "tx-relay" });
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.stopping = new AbortController();
    await this.deps.libp2p.handle(this.protocol, this.onStream, { maxInboundStreams: this.opts.maxInboundStreams, maxOutboundStreams: this.opts.maxInboundStreams });
    this.deps.libp2p.addEventListener("peer:disconnect", this.onPeerDisconnect);
    this.running = true;
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.stopping.abort();
    this.deps.libp2p.removeEventListener("peer:disconnect", this.onPeerDisconnect);
    for (const q of this.peers.values()) this.reset(q, null);
    this.peers.clear();
    for (const s of this.inbound) s.abort(new Error("tx relay stopped"));
    this.inbound.clear();
    await this.deps.libp2p.unhandle(this.protocol).catch(() => undefined);
  }

  /**
   * Queue a tx admitted from a client for every connected validator but us; returns the number
   * of peers it was queued for. Never throws and never waits: the writes happen behind it.
   */
  relay(tx: Uint8Array): number {
    return this.relayTo(this.deps.targets(), tx);
  }

  /** relay() to the given peers instead of the targets (a message meant for one peer). */
  relayTo(targets: readonly ValidatorId[], tx: Uint8Array): number {
    if (!this.running) return 0;
    let queued = 0;
    const faults = this.deps.faults;
    for (const id of targets) {
      if (id === this.deps.self) continue;
      if (faults?.active === true) {
        if (faults.route(id, "out", () => void this.enqueue(id, tx))) queued++;
      } else if (this.enqueue(id, tx)) queued++;
    }
    if (queued > 0) this.stats.relayed++;
    return queued;
  }

  private enqueue(id: ValidatorId, tx: Uint8Array): boolean {
    if (!this.running) return false;
    const q = this.peer(id);
    if (q === null) return false;
    if (q.txs.length >= this.opts.maxQueuedTxs || q.bytes + tx.length > this.opts.maxQueuedBytes) {
      this.stats.dropped++;
      return false;
    }
    q.txs.push(tx);
    q.bytes += tx.length;
    if (!q.writing) {
      // Start on a microtask, not inline: every tx relayed in the same synchronous run (one RPC
      // batch) rides in the first frame, and no IO turn passes before it leaves.
      q.writing = true;
      queueMicrotask(() => void this.flush(q));
    }
    return true;
  }

  /** The peer's queue, or null when we hold no connection to it (a relay never dials). */
  private peer(id: ValidatorId): PeerQueue | null {
    let q = this.peers.get(id);
    if (q === undefined) {
      const peerId = this.peerIdOf(id);
      if (peerId === null || this.deps.libp2p.getConnections(peerId).length === 0) return null;
      q = { id, peerId, txs: [], bytes: 0, writing: false, stream: null, lp: null };
      this.peers.set(id, q);
    } else if (q.stream === null && this.deps.libp2p.getConnections(q.peerId).length === 0) {
      return null;
    }
    return q;
  }

  private peerIdOf(id: ValidatorId): PeerId | null {
    let peerId = this.peerIds.get(id);
    if (peerId !== undefined) return peerId;
    try {
      peerId = peerIdFromValidatorId(id);
    } catch {
      peerId = null;
    }
    // Validator sets are small; a cap only guards against a target list gone wild.
    if (this.peerIds.size >= 1024) this.peerIds.clear();
    this.peerIds.set(id, peerId);
    return peerId;
  }

  // One writer per peer: the loop runs while txs keep arriving, each pass sending what piled up
  // during the previous write. Never rejects.
  private async flush(q: PeerQueue): Promise<void> {
    try {
      while (q.txs.length > 0 && this.running) {
        // A stream the peer reset while we were idle is replaced before the write, not after a lost batch.
        if (q.stream !== null && q.stream.status !== "open") this.reset(q, null);
        const batch = this.take(q);
        try {
          // A timeout alone (stop() aborts the stream itself): no composite signal per batch kept
          // alive by the long-lived stopping signal.
          const signal = AbortSignal.timeout(this.opts.writeTimeoutMs);
          const lp = q.lp ?? (await this.open(q, signal));
          await lp.write(encodeTxBatch(batch), { signal });
          this.stats.sentTxs += batch.length;
          this.stats.sentBatches++;
        } catch (err) {
          // Drop what is queued too: retrying a dead peer per tx would spin. The txs stay in our
          // mempool; the stream is opened afresh by the next relay() once the peer is back.
          this.stats.dropped += batch.length + q.txs.length;
          q.txs = [];
          q.bytes = 0;
          this.reset(q, err);
          if (this.running) this.log.debug({ peer: q.id, err: (err as Error).message }, "tx batch send failed");
        }
      }
    } finally {
      q.writing = false;
    }
  }

  private take(q: PeerQueue): Uint8Array[] {
    const { maxBatchTxs, maxBatchBytes } = this.opts;
    let n = 0;
    let bytes = 0;
    while (n < q.txs.length && n < maxBatchTxs) {
      const size = q.txs[n]!.length;
      if (n > 0 && bytes + size > maxBatchBytes) break;
      bytes += size;
      n++;
    }
    const batch = n === q.txs.length ? q.txs : q.txs.slice(0, n);
    q.txs = n === q.txs.length ? [] : q.txs.slice(n);
    q.bytes -= bytes;
    return batch;
  }

  private async open(q: PeerQueue, signal: AbortSignal): Promise<LengthPrefixedStream<Stream>> {
    const stream = await this.deps.libp2p.dialProtocol(q.peerId, this.protocol, { signal });
    q.stream = stream;
    q.lp = lpStream(stream, { maxDataLength: this.opts.limits.maxFrameBytes });
    return q.lp;
  }

  private reset(q: PeerQueue, err: unknown): void {
    const stream = q.stream;
    q.stream = null;
    q.lp = null;
    if (stream !== null) stream.abort(err instanceof Error ? err : new Error("tx relay stream closed"));
  }

  private readonly onPeerDisconnect = (evt: CustomEvent<PeerId>): void => {
    const id = tryValidatorIdFromPeerId(evt.detail);
    const q = id === null ? undefined : this.peers.get(id);
    if (q === undefined) return;
    // A writer in flight fails on its own and clears the queue; an idle one is dropped here, so
    // the map holds only connected peers.
    if (!q.writing) {
      this.reset(q, null);
      this.peers.delete(q.id);
    }
  };

  // libp2p does not await a handler: it must never reject.
  private readonly onStream = ({ stream, connection }: IncomingStreamData): void => {
    const from = tryValidatorIdFromPeerId(connection.remotePeer);
    if (!this.running || from === null || !isPeerAllowed(this.deps.isAllowed, connection.remotePeer)) {
      this.stats.refusedStreams++;
      stream.abort(new Error("peer not allowed"));
      return;
    }
    this.inbound.add(stream);
    this.serve(stream, from)
      .catch((err: unknown) => {
        stream.abort(err instanceof Error ? err : new Error(String(err)));
        if (this.running) this.log.debug({ from, err: (err as Error).message }, "tx relay stream failed");
      })
      .finally(() => this.inbound.delete(stream));
  };

  /** Read batches until the peer closes; the next frame is read only once this one is admitted. */
  private async serve(stream: Stream, from: ValidatorId): Promise<void> {
    const guard = this.opts.frameGuard;
    const lp = guard === undefined ? lpStream(stream, { maxDataLength: this.opts.limits.maxFrameBytes }) : null;
    const guarded = guard === undefined ? null : new GuardedFrameReader(stream.source, guard);
    for (;;) {
      let frame: Uint8Array;
      const before = guarded?.bytesRead ?? 0;
      try {
        let data: Uint8Array;
        if (guarded !== null) {
          const next = await guarded.next();
          this.stats.receivedBytes += guarded.bytesRead - before;
          if (next === null) {
            await stream.close().catch(() => undefined);
            return;
          }
          data = next;
        } else {
          data = (await lp!.read({ signal: this.stopping.signal })).subarray();
          this.stats.receivedBytes += data.length;
        }
        // A Buffer's slice is a view; a plain Uint8Array's is a copy, so each decoded tx owns its bytes.
        frame = Buffer.isBuffer(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : data;
      } catch (err) {
        if (guarded !== null) this.stats.receivedBytes += guarded.bytesRead - before;
        const name = (err as Error).name;
        if (name === "UnexpectedEOFError" || this.stopping.signal.aborted) {
          await stream.close().catch(() => undefined);
          return;
        }
        if (err instanceof FrameRefusedError) this.refuseFrame(from, err.message);
        else if (name.startsWith("InvalidDataLength") || name.startsWith("InvalidMessageLength")) this.refuseFrame(from, `oversize: ${(err as Error).message}`);
        throw err;
      }
      let txs: Uint8Array[];
      try {
        txs = decodeTxBatch(frame, this.opts.limits);
        const bad = guard === undefined ? null : txs.reduce<string | null>((found, tx, i) => found ?? checkItem(guard, tx, i), null);
        if (bad !== null) throw new FrameRefusedError(bad);
      } catch (err) {
        if (err instanceof FrameRefusedError) {
          this.refuseFrame(from, err.message);
          throw err;
        }
        if (!(err instanceof DecodeError)) throw err;
        this.refuseFrame(from, `malformed: ${err.message}`);
        this.log.debug({ from, code: err.code, err: err.message }, "malformed tx batch; closing the peer's stream");
        throw err;
      }
      this.stats.receivedBatches++;
      this.stats.receivedTxs += txs.length;
      const faults = this.deps.faults;
      if (faults?.active === true) {
        const decision = faults.decide(from, "in");
        if (decision.copies === 0) continue;
        if (decision.delayMs > 0) {
          // Delayed batches give up the stream's backpressure; the layer bounds how many wait.
          faults.apply(from, decision, () => void this.admitAll(txs, from));
          continue;
        }
        if (decision.copies === 2) await this.admitAll(txs, from);
      }
      await this.admitAll(txs, from);
    }
  }

  private refuseFrame(from: ValidatorId, reason: string): void {
    this.stats.badFrames++;
    try {
      this.deps.onBadFrame?.(from, reason);
    } catch (err) {
      this.log.error({ err, from }, "onBadFrame threw");
    }
  }

  private async admitAll(txs: readonly Uint8Array[], from: ValidatorId): Promise<void> {
    const chunk = this.opts.admitChunk;
    for (let i = 0; i < txs.length; i++) {
      if (i > 0 && i % chunk === 0) {
        await nextTurn();
        if (!this.running) return;
      }
      try {
        this.deps.admit(txs[i]!, from);
      } catch (err) {
        this.log.error({ err, from }, "tx admit threw");
      }
    }
  }
}
