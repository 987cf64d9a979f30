// Block sync: request/response on `/triad/<chainId>/sync/1`. A client asks for a range of sealed
// blocks (or the peer's head); the server streams {block, seal} frames from its BlockStore, then
// an end frame. Nothing the server sends is trusted: the client decodes with the canonical
// decoders and checks the frames fit the request; seals are verified by the node, which knows
// the validator set at each height.
import type { Connection, IncomingStreamData, Libp2p, PeerId, Stream } from "@libp2p/interface";
import { lpStream } from "it-length-prefixed-stream";
import type { Logger } from "pino";
import {
  bytesEqual,
  decodeBlock,
  decodeSeal,
  encodeSeal,
  TriadError,
  type Block,
  type BlockStore,
  type ChainHead,
  type Seal,
} from "../chain/index.js";
import { P2PError } from "./errors.js";
import type { FaultLayer } from "./fault-layer.js";
import { isPeerAllowed, type AllowList } from "./gater.js";
import { parsePeer, tryValidatorIdFromPeerId } from "./identity.js";
import {
  decodeSyncFrame,
  decodeSyncRequest,
  encodeSyncFrame,
  encodeSyncRequest,
  MAX_SYNC_FRAME_BYTES,
  MAX_SYNC_REQUEST_BYTES,
  type SyncFrame,
  type SyncRequest,
} from "./sync-codec.js";
import { SYNC_RATE_LIMIT_DEFAULTS, SyncRateLimiter, type SyncGrant, type SyncRateLimitOptions } from "./sync-rate-limit.js";
import { ownedBytes } from "./wire-bytes.js";
import type { Metrics } from "../metrics/index.js";
import { linkAbort } from "../linked-abort.js";

export function syncProtocol(chainId: string): string {
  return `/triad/${chainId}/sync/1`;
}

/** Stored block and seal bytes of one height, as the store holds them (not decoded). */
export interface StoredBlockBytes {
  readonly block: Uint8Array;
  readonly seal: Uint8Array;
}

/**
 * What the server reads: a BlockStore satisfies it. A store that can hand out a range of stored
 * bytes in one read (LevelBlockStore) is served from those, neither decoded nor encoded again:
 * the client checks every block and seal anyway.
 */
export type SyncStore = Pick<BlockStore, "getBlock" | "head"> & {
  getBlockBytes?(fromHeight: number, count: number): Promise<readonly StoredBlockBytes[]>;
};

export interface SyncedBlock {
  readonly block: Block;
  readonly seal: Seal;
}

export interface SyncOptions {
  readonly chainId: string;
  /** Most blocks in one response (server caps, client refuses more). */
  readonly maxBlocksPerResponse: number;
  /** Soft cap on a response's bytes: the server stops before exceeding it, but always sends one block. */
  readonly maxResponseBytes: number;
  /** Deadline of one whole exchange, on both sides. */
  readonly requestTimeoutMs: number;
  /** Concurrent inbound sync streams per connection. */
  readonly maxInboundStreams: number;
  /** What one peer (by id, over all its connections) may take from the server: see SyncRateLimiter. */
  readonly rateLimit: SyncRateLimitOptions;
}

/** SyncOptions as callers give them: any subset, the rate limits included. */
export type SyncSettings = Partial<Omit<SyncOptions, "chainId" | "rateLimit">> & { readonly rateLimit?: Partial<SyncRateLimitOptions> };

export const SYNC_DEFAULTS: Omit<SyncOptions, "chainId"> = {
  maxBlocksPerResponse: 64,
  maxResponseBytes: 8 * 1024 * 1024,
  requestTimeoutMs: 30_000,
  maxInboundStreams: 8,
  rateLimit: SYNC_RATE_LIMIT_DEFAULTS,
};

/** The error frame code of a request refused by the per-peer limits; the client throws RATE_LIMITED. */
export const SYNC_RATE_LIMITED = "RATE_LIMITED";

export interface SyncDeps {
  readonly libp2p: Pick<Libp2p, "handle" | "unhandle" | "dialProtocol">;
  readonly store: SyncStore;
  readonly isAllowed: AllowList;
  readonly logger: Logger;
  /** Injected faults: a peer blocked either way is unreachable (client) and refused (server). */
  readonly faults?: FaultLayer;
  /** Requests and answers counted as sync-request / sync-blocks messages; null or absent: not counted. */
  readonly metrics?: Metrics | null;
  /** The rate limiter's clock in milliseconds (default Date.now); tests move their own. */
  readonly now?: () => number;
  /** A peer sent an undecodable or over-size request: for penalising the sender (the host strikes it). */
  onBadRequest?(peer: PeerId, reason: string): void;
}

export class SyncProtocol {
  readonly protocol: string;
  private readonly opts: SyncOptions;
  private readonly log: Logger;
  private stopping = new AbortController();
  private started = false;
  /** Per-peer budget of the server; its `refused` counts the requests it turned away. */
  readonly limiter: SyncRateLimiter;
  /** Requests refused as undecodable or over-size (they only grow). */
  refusedRequests = 0;

  constructor(options: SyncSettings & { readonly chainId: string }, private readonly deps: SyncDeps) {
    this.opts = { ...SYNC_DEFAULTS, ...options, rateLimit: { ...SYNC_RATE_LIMIT_DEFAULTS, ...options.rateLimit } };
    this.protocol = syncProtocol(options.chainId);
    this.log = deps.logger.child({ module: "p2p", component: "sync" });
    this.limiter = new SyncRateLimiter(this.opts.rateLimit, deps.now ?? Date.now, this.opts.maxBlocksPerResponse);
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.stopping = new AbortController();
    await this.deps.libp2p.handle(this.protocol, this.onStream, {
      maxInboundStreams: this.opts.maxInboundStreams,
      maxOutboundStreams: this.opts.maxInboundStreams,
    });
    this.started = true;
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    this.stopping.abort(new P2PError("NOT_STARTED", "sync stopped"));
    await this.deps.libp2p.unhandle(this.protocol);
  }

  // ---- client ---------------------------------------------------------------------------------

  /** The peer's head (height, hash, timestamp): to choose whom to sync from. */
  async status(peer: PeerId | string, signal?: AbortSignal): Promise<ChainHead> {
    return this.exchange(peer, { type: "status" }, signal, async (read) => {
      const frame = await read();
      if (frame.type !== "status") throw badResponse(`expected a status frame, got ${frame.type}`);
      return frame.head;
    });
  }

  /**
   * Up to `count` sealed blocks from `fromHeight` on, in height order; fewer (possibly none)
   * when the peer has fewer or hit its caps: ask again from the next height. Throws P2PError:
   * BAD_RESPONSE (garbage, wrong heights, over a cap), PEER_ERROR, ABORTED, UNREACHABLE,
   * STREAM_FAILED. Seals are NOT verified here.
   */
  async fetchBlocks(peer: PeerId | string, fromHeight: number, count: number, signal?: AbortSignal): Promise<SyncedBlock[]> {
    if (!Number.isSafeInteger(fromHeight) || fromHeight < 1) throw new P2PError("BAD_REQUEST", `fromHeight must be ≥ 1, got ${fromHeight}`);
    if (!Number.isSafeInteger(count) || count < 1) throw new P2PError("BAD_REQUEST", `count must be ≥ 1, got ${count}`);
    // The request carries the caller's count as is: the server applies its own cap.
    const limit = Math.min(count, this.opts.maxBlocksPerResponse);
    return this.exchange(peer, { type: "blocks", fromHeight, count }, signal, async (read) => {
      const out: SyncedBlock[] = [];
      let bytes = 0;
      for (;;) {
        const frame = await read();
        if (frame.type === "end") return out;
        if (frame.type !== "block") throw badResponse(`expected a block or end frame, got ${frame.type}`);
        if (out.length >= limit) throw badResponse(`more than the ${limit} blocks asked for`);
        bytes += frame.block.length + frame.seal.length;
        if (out.length > 0 && bytes > this.opts.maxResponseBytes) throw badResponse(`response exceeds ${this.opts.maxResponseBytes} bytes`);
        out.push(this.decodeSynced(frame, fromHeight + out.length));
      }
    });
  }

  private decodeSynced(frame: { block: Uint8Array; seal: Uint8Array }, height: number): SyncedBlock {
    let block: Block;
    let seal: Seal;
    try {
      block = decodeBlock(frame.block);
      seal = decodeSeal(frame.seal);
    } catch (err) {
      throw badResponse(`undecodable block or seal at height ${height}: ${(err as Error).message}`, err);
    }
    const h = block.header;
    if (h.chainId !== this.opts.chainId) throw badResponse(`block at height ${height} is for chain ${JSON.stringify(h.chainId)}`);
    if (h.height !== height) throw badResponse(`expected block ${height}, got ${h.height}`);
    if (seal.height !== height || !bytesEqual(seal.blockHash, block.hash)) throw badResponse(`seal at height ${height} is not for the block it came with`);
    return { block, seal };
  }

  private async exchange<T>(
    peer: PeerId | string,
    request: SyncRequest,
    callerSignal: AbortSignal | undefined,
    receive: (read: () => Promise<SyncFrame>) => Promise<T>,
  ): Promise<T> {
    if (!this.started) throw new P2PError("NOT_STARTED", "sync is not running");
    const peerId = parsePeer(peer);
    if (this.isCut(peerId)) {
      throw new P2PError("UNREACHABLE", `${peerId.toString()} is blocked by an injected fault`, { peer: peerId.toString(), cause: "fault" });
    }
    const link = linkAbort([this.stopping.signal, callerSignal], this.opts.requestTimeoutMs);
    const signal = link.signal;
    let stream: Stream;
    try {
      stream = await this.deps.libp2p.dialProtocol(peerId, this.protocol, { signal });
    } catch (err) {
      link.done();
      if (signal.aborted) throw aborted(signal, err);
      throw new P2PError("UNREACHABLE", `cannot open ${this.protocol} to ${peerId.toString()}: ${(err as Error).message}`, {
        peer: peerId.toString(),
        cause: (err as Error).name,
      });
    }
    try {
      const lp = lpStream(stream, { maxDataLength: MAX_SYNC_FRAME_BYTES });
      await lp.write(encodeSyncRequest(request), { signal });
      this.deps.metrics?.messageSent("sync-request");
      await stream.closeWrite({ signal });
      const read = async (): Promise<SyncFrame> => {
        let frame: SyncFrame;
        try {
          frame = decodeSyncFrame(ownedBytes((await lp.read({ signal })).subarray()));
        } catch (err) {
          if (err instanceof TriadError) throw badResponse(`bad frame: ${err.message}`, err);
          throw err;
        }
        if (frame.type === "error") {
          // Not a fault of the peer: it is busy serving us; the caller waits and asks again.
          if (frame.code === SYNC_RATE_LIMITED) throw new P2PError("RATE_LIMITED", `peer is rate limiting us: ${frame.message}`, { peer: peerId.toString() });
          throw new P2PError("PEER_ERROR", `peer refused: ${frame.code}: ${frame.message}`, { code: frame.code });
        }
        return frame;
      };
      const result = await receive(read);
      this.deps.metrics?.messageReceived("sync-blocks");
      // The answer is complete; closing is a courtesy, and a slow close must not fail the call.
      stream.close({ signal: AbortSignal.timeout(1_000) }).catch((err: unknown) => stream.abort(err as Error));
      return result;
    } catch (err) {
      stream.abort(err instanceof Error ? err : new Error(String(err)));
      const failure = this.classify(err, signal, peerId);
      if (failure.code === "BAD_RESPONSE") this.deps.metrics?.messageRejected("sync-blocks", "malformed");
      throw failure;
    } finally {
      link.done();
    }
  }

  private classify(err: unknown, signal: AbortSignal, peerId: PeerId): P2PError {
    if (err instanceof P2PError) return err;
    if (signal.aborted) return aborted(signal, err);
    const e = err as Error;
    // Frame over maxDataLength, or the peer ended the stream before its end frame.
    if (e.name === "InvalidDataLengthError" || e.name === "InvalidDataLengthLengthError" || e.name === "UnexpectedEOFError") {
      return badResponse(`${e.name}: ${e.message}`, e);
    }
    return new P2PError("STREAM_FAILED", `sync with ${peerId.toString()} failed: ${e.name}: ${e.message}`, { peer: peerId.toString(), cause: e.name });
  }

  /** Blocked either way by an injected fault (counted): the request or its answer would be lost. */
  private isCut(peerId: PeerId): boolean {
    const faults = this.deps.faults;
    if (faults?.active !== true) return false;
    const id = tryValidatorIdFromPeerId(peerId);
    if (id === null || !faults.isCut(id)) return false;
    faults.countBlocked(id);
    return true;
  }

  // ---- server ---------------------------------------------------------------------------------

  // libp2p does not await this handler's promise: it must never reject.
  private readonly onStream = ({ stream, connection }: IncomingStreamData): void => {
    this.serve(stream, connection).catch((err: unknown) => {
      this.log.error({ err }, "sync handler failed");
      stream.abort(err instanceof Error ? err : new Error(String(err)));
    });
  };

  private async serve(stream: Stream, connection: Connection): Promise<void> {
    // The gater already checked; this is the same rule applied to the authenticated peer, in
    // case the allow-list shrank after the connection opened.
    if (!isPeerAllowed(this.deps.isAllowed, connection.remotePeer) || this.isCut(connection.remotePeer)) {
      this.deps.metrics?.messageRejected("sync-request", "not-allowed");
      stream.abort(new Error("peer not allowed"));
      return;
    }
    const link = linkAbort([this.stopping.signal], this.opts.requestTimeoutMs);
    const signal = link.signal;
    const lp = lpStream(stream, { maxDataLength: MAX_SYNC_REQUEST_BYTES });
    let grant: SyncGrant | null = null;
    const served = { blocks: 0, charged: 0 };
    // Idempotent (the grant's release is).
    const releaseGrant = (): void => {
      if (grant?.ok === true) grant.release(served.charged - served.blocks);
    };
    try {
      let request: SyncRequest | null = null;
      try {
        request = decodeSyncRequest(ownedBytes((await lp.read({ signal })).subarray()));
      } catch (err) {
        const name = (err as Error).name;
        if (name.startsWith("InvalidDataLength") || name.startsWith("InvalidMessageLength")) {
          // A request is a few bytes: a longer one is refused on its length prefix, unread.
          this.deps.metrics?.messageRejected("sync-request", "oversize");
          this.badRequest(connection, `oversize: sync request: ${(err as Error).message}`);
          throw err;
        }
        if (!(err instanceof TriadError)) throw err; // stream trouble, not a bad request
      }
      if (request === null) {
        this.deps.metrics?.messageRejected("sync-request", "malformed");
        this.badRequest(connection, "malformed: undecodable sync request");
      }
      // Charged before the store is read: a malformed request costs its sender as much as a status.
      served.charged = request === null ? 0 : this.blocksFor(request);
      grant = this.limiter.acquire(connection.remotePeer.toString(), served.charged);
      if (!grant.ok) {
        this.deps.metrics?.messageRejected("sync-request", "rate-limited");
        this.log.debug({ peer: connection.remotePeer.toString(), reason: grant.reason }, "sync request rate limited");
      } else if (request !== null) this.deps.metrics?.messageReceived("sync-request");
      const frames = !grant.ok ? rateLimited(grant.retryAfterMs) : request === null ? badRequest("undecodable request") : this.answer(request, served);
      // A few frames per write: one noise and yamux frame for several blocks, not one each.
      let pending: Uint8Array[] = [];
      let pendingBytes = 0;
      for await (const frame of frames) {
        const bytes = encodeSyncFrame(frame);
        pending.push(bytes);
        pendingBytes += bytes.length;
        if (pendingBytes >= WRITE_BATCH_BYTES) {
          await lp.writeV(pending, { signal });
          pending = [];
          pendingBytes = 0;
        }
      }
      if (pending.length > 0) await lp.writeV(pending, { signal });
      // The work is done: free the peer's slot before waiting on the close handshake, so a
      // client that asks again as soon as it read the end frame is not refused as busy.
      releaseGrant();
      await stream.close({ signal });
      if (request !== null && grant.ok) this.deps.metrics?.messageSent("sync-blocks");
    } catch (err) {
      this.log.debug({ err, peer: connection.remotePeer.toString() }, "sync request aborted");
      stream.abort(err instanceof Error ? err : new Error(String(err)));
    } finally {
      releaseGrant();
      link.done();
    }
  }

  private badRequest(connection: Connection, reason: string): void {
    this.refusedRequests++;
    try {
      this.deps.onBadRequest?.(connection.remotePeer, reason);
    } catch (err) {
      this.log.error({ err }, "onBadRequest threw");
    }
  }

  /** Blocks a request will be served, known before reading the store: what the limiter charges. */
  private blocksFor(request: SyncRequest): number {
    if (request.type === "status" || request.fromHeight < 1 || request.count < 1) return 0;
    const available = this.deps.store.head().height - request.fromHeight + 1;
    return Math.max(0, Math.min(request.count, this.opts.maxBlocksPerResponse, available));
  }

  private async *answer(request: SyncRequest, served: { blocks: number; charged: number }): AsyncGenerator<SyncFrame> {
    const { store } = this.deps;
    if (request.type === "status") {
      yield { type: "status", head: store.head() };
      return;
    }
    if (request.fromHeight < 1 || request.count < 1) {
      yield* badRequest("need fromHeight >= 1 and count >= 1");
      return;
    }
    const headHeight = store.head().height;
    // Never more than the limiter charged for (the head may have grown since).
    const max = served.charged;
    let sent = 0;
    let bytes = 0;
    let raw: readonly StoredBlockBytes[] | null = null;
    if (store.getBlockBytes !== undefined && request.fromHeight <= headHeight) {
      try {
        raw = await store.getBlockBytes(request.fromHeight, Math.min(max, headHeight - request.fromHeight + 1));
      } catch (err) {
        this.log.error({ err, from: request.fromHeight }, "sync: reading the block store failed");
        yield { type: "error", code: "INTERNAL", message: "block store read failed" };
        return;
      }
    }
    for (let height = request.fromHeight; height <= headHeight && sent < max; height++) {
      let frame: SyncFrame;
      try {
        if (raw !== null) {
          const stored = raw[height - request.fromHeight];
          if (stored === undefined) break;
          frame = { type: "block", block: stored.block, seal: stored.seal };
        } else {
          const stored = await store.getBlock(height);
          if (stored === undefined) break;
          frame = { type: "block", block: stored.block.bytes, seal: encodeSeal(stored.seal) };
        }
      } catch (err) {
        this.log.error({ err, height }, "sync: reading the block store failed");
        // What was sent is still good: end the range there; fail only if nothing was sent.
        if (sent > 0) break;
        yield { type: "error", code: "INTERNAL", message: "block store read failed" };
        return;
      }
      const size = frame.block.length + frame.seal.length;
      if (sent > 0 && bytes + size > this.opts.maxResponseBytes) break;
      yield frame;
      sent++;
      served.blocks = sent;
      bytes += size;
    }
    yield { type: "end", headHeight };
  }
}

/** Encoded frames gathered into one write. */
const WRITE_BATCH_BYTES = 64 * 1024;

async function* rateLimited(retryAfterMs: number): AsyncGenerator<SyncFrame> {
  yield { type: "error", code: SYNC_RATE_LIMITED, message: retryAfterMs > 0 ? `retry in ${retryAfterMs} ms` : "too many requests at once" };
}

async function* badRequest(message: string): AsyncGenerator<SyncFrame> {
  yield { type: "error", code: "BAD_REQUEST", message };
}

function badResponse(message: string, cause?: unknown): P2PError {
  return new P2PError("BAD_RESPONSE", message, cause instanceof TriadError ? { cause: cause.toJSON() } : {});
}

function aborted(signal: AbortSignal, err: unknown): P2PError {
  const reason = signal.reason as Error | undefined;
  return new P2PError("ABORTED", `sync request aborted: ${reason?.message ?? (err as Error).message}`, { cause: reason?.name ?? "AbortError" });
}
