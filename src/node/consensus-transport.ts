// The driver's Transport over libp2p. Consensus messages go to the connected validators over
// one long-lived stream per peer (the same batching streams as the tx relay, on their own
// protocol): a gossipsub hop costs several times the latency and about ten times the CPU of a
// stream write, and every message is wanted by every validator anyway. Each message is also
// published once on the consensus gossip topic, to which only non-validators subscribe:
// observers get it there (also through one another), validators never pay for a second copy.
// PBFT's repeats of a message go the same way as the first copy (a stream write is never
// swallowed as already seen, unlike gossip's), so retransmission reaches a peer that missed it.
// Block sync asks the given peers in turn, connected ones first; the peers' heads come from the
// p2p status protocol, asked of every connected peer at once.
import { MAX_BLOCK_BYTES_LIMIT, type ValidatorId } from "../chain/index.js";
import { encodeMessage, MAX_MESSAGE_BYTES, type ConsensusMessage } from "../consensus/index.js";
import type { PeerHead, SealedBlock, Transport } from "../driver/index.js";
import { ANY_PEER, checkConsensusData, P2PError, TxRelay, type AllowList, type ConsensusCheck, type P2PHost, type TxRelayStats } from "../p2p/index.js";
import { classifyRejection, type Metrics } from "../metrics/index.js";
import { consensusFrameGuard } from "./consensus-frame-guard.js";
import { linkAbort } from "../linked-abort.js";
import type { Logger } from "./logger.js";

export function consensusStreamProtocol(chainId: string): string {
  return `/triad/${chainId}/consensus-stream/1`;
}

/** Most messages in one stream frame, and the bytes at which the sender closes a frame. */
const STREAM_BATCH_MESSAGES = 64;
const STREAM_BATCH_BYTES = 256 * 1024;

export interface ConsensusTransportOptions {
  readonly chainId: string;
  /** Deadline of one block fetch from one peer. */
  readonly fetchTimeoutMs?: number;
  /** Deadline of one peer's status answer (its head). */
  readonly statusTimeoutMs?: number;
  /** The genesis block-size limit: caps the frames that may carry a block (pre-prepare, view-change). */
  readonly maxBlockBytes?: number;
  /**
   * When every peer asked refused a fetch as RATE_LIMITED, wait this long (doubling, with the
   * cap below) and ask again, up to rateLimitedRetries times before the fetch fails.
   */
  readonly rateLimitedBackoffMs?: number;
  readonly rateLimitedBackoffMaxMs?: number;
  readonly rateLimitedRetries?: number;
}

export interface ConsensusTransportDeps {
  readonly host: P2PHost;
  readonly isAllowed: AllowList;
  /** The same checks as the gossip topic validator: chain, staleness, membership, signature. */
  readonly check: ConsensusCheck;
  /** Who gets our messages over the streams: the validators of the set in force for our next height. */
  validators(): readonly ValidatorId[];
  /** A checked message that arrived over a consensus stream. */
  onMessage(message: ConsensusMessage, from: ValidatorId): void;
  readonly logger: Logger;
  readonly metrics?: Metrics | null;
  /** Waits between fetches every peer rate limited; resolves early when `signal` aborts. Tests move a clock instead. */
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

export class ConsensusTransport implements Transport {
  private readonly fetchTimeoutMs: number;
  private readonly statusTimeoutMs: number;
  private readonly log: Logger;
  private stopping = new AbortController();
  private streams: TxRelay | null = null;
  /** Checked messages received over the streams, and those refused (for logs and tests). */
  received = 0;
  refused = 0;

  constructor(
    private readonly options: ConsensusTransportOptions,
    private readonly deps: ConsensusTransportDeps,
  ) {
    this.fetchTimeoutMs = options.fetchTimeoutMs ?? 10_000;
    this.statusTimeoutMs = options.statusTimeoutMs ?? 3_000;
    this.log = deps.logger.child({ module: "transport" });
  }

  get protocol(): string {
    return consensusStreamProtocol(this.options.chainId);
  }

  /** The streams' counters: messages sent, dropped (a peer that cannot keep up), received. */
  get streamStats(): Readonly<TxRelayStats> | null {
    return this.streams?.stats ?? null;
  }

  /** Serve the consensus streams (call after the host started). */
  async start(): Promise<void> {
    this.stopping = new AbortController();
    const host = this.deps.host;
    this.streams = new TxRelay(
      {
        chainId: this.options.chainId,
        protocol: this.protocol,
        limits: { maxItems: STREAM_BATCH_MESSAGES, maxItemBytes: MAX_MESSAGE_BYTES, maxFrameBytes: STREAM_BATCH_BYTES + MAX_MESSAGE_BYTES + STREAM_BATCH_MESSAGES * 4 + 16 },
        // Each message's length is checked against its type's cap before it is read, and a
        // frame against the largest: a peer's garbage costs it the stream after a few bytes.
        frameGuard: consensusFrameGuard(
          () => ({
            maxBlockBytes: this.options.maxBlockBytes ?? MAX_BLOCK_BYTES_LIMIT,
            // The set may grow between heights: room for a few joins.
            validators: 2 * this.deps.validators().length + 4,
          }),
          STREAM_BATCH_MESSAGES,
          STREAM_BATCH_BYTES,
        ),
        maxBatchTxs: STREAM_BATCH_MESSAGES,
        maxBatchBytes: STREAM_BATCH_BYTES,
        // A few full blocks' worth: past it a peer that stopped reading loses messages, which
        // PBFT's repeats and sync make up for.
        maxQueuedTxs: 4096,
        maxQueuedBytes: 4 * MAX_MESSAGE_BYTES,
      },
      {
        libp2p: host.libp2p,
        self: host.validatorId,
        isAllowed: this.deps.isAllowed,
        targets: () => this.deps.validators(),
        admit: (bytes, from) => this.admit(bytes, from),
        onBadFrame: (from, reason) => this.reject(from, reason),
        logger: this.deps.logger,
      },
    );
    await this.streams.start();
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.streams?.stop();
    this.streams = null;
  }

  broadcast(message: ConsensusMessage): void {
    this.emit(null, message);
  }

  send(to: ValidatorId, message: ConsensusMessage): void {
    this.emit(to, message);
  }

  /**
   * A peer that rate limits us is not a bad peer: it is asked again after a back-off, so the
   * syncer keeps its batch loop going under the server's per-peer budget.
   */
  async fetchBlocks(peers: readonly ValidatorId[], fromHeight: number, count: number): Promise<readonly SealedBlock[]> {
    const retries = this.options.rateLimitedRetries ?? 6;
    let delay = this.options.rateLimitedBackoffMs ?? 250;
    const maxDelay = this.options.rateLimitedBackoffMaxMs ?? 4_000;
    for (let attempt = 0; ; attempt++) {
      const result = await this.fetchOnce(peers, fromHeight, count);
      if (result !== "rate-limited") return result;
      if (attempt >= retries || this.stopping.signal.aborted) {
        throw new P2PError("RATE_LIMITED", `every peer rate limited the fetch from ${fromHeight} (${retries + 1} tries)`, { fromHeight });
      }
      this.log.debug({ fromHeight, delay }, "every peer rate limited the block fetch: backing off");
      await (this.deps.sleep ?? sleep)(delay, this.stopping.signal);
      delay = Math.min(maxDelay, delay * 2);
    }
  }

  /** One round over the peers; "rate-limited" when no peer served and one or more refused on their limits. */
  private async fetchOnce(peers: readonly ValidatorId[], fromHeight: number, count: number): Promise<readonly SealedBlock[] | "rate-limited"> {
    const host = this.deps.host;
    if (!host.running) return [];
    const connected = new Set(host.connectedPeers());
    // Connected peers first, each group from a random start so one peer does not serve everyone.
    const order = [...rotate(peers.filter((p) => connected.has(p))), ...rotate(peers.filter((p) => !connected.has(p)))];
    let lastError: unknown = null;
    let rateLimited = false;
    for (const peer of order) {
      if (this.stopping.signal.aborted) return [];
      const link = linkAbort([this.stopping.signal], this.fetchTimeoutMs);
      try {
        const blocks = await host.fetchBlocks(peer, fromHeight, count, link.signal);
        if (blocks.length > 0) return blocks;
      } catch (err) {
        if (err instanceof P2PError && err.code === "RATE_LIMITED") {
          rateLimited = true;
          continue;
        }
        lastError = err;
        this.log.debug({ peer, fromHeight, err: (err as Error).message }, "block fetch from a peer failed");
      } finally {
        link.done();
      }
    }
    if (rateLimited) return "rate-limited";
    if (lastError !== null && order.length > 0) throw lastError instanceof Error ? lastError : new Error(String(lastError));
    return [];
  }

  async peerHeads(): Promise<readonly PeerHead[]> {
    const host = this.deps.host;
    if (!host.running || this.stopping.signal.aborted) return [];
    const answers = await Promise.allSettled(
      host.connectedPeers().map(async (peer) => {
        const link = linkAbort([this.stopping.signal], this.statusTimeoutMs);
        try {
          return { peer, height: (await host.status(peer, link.signal)).height };
        } finally {
          link.done();
        }
      }),
    );
    return answers.flatMap((a) => (a.status === "fulfilled" ? [a.value] : []));
  }

  private emit(to: ValidatorId | null, message: ConsensusMessage): void {
    const host = this.deps.host;
    const streams = this.streams;
    if (!host.running || streams === null) return;
    this.deps.metrics?.messageSent(message.type);
    let bytes: Uint8Array;
    try {
      bytes = encodeMessage(message);
    } catch (err) {
      this.log.error({ err, type: message.type }, "cannot encode our own consensus message");
      return;
    }
    const faults = host.faults;
    if (faults?.active === true) {
      // Per message and peer: each copy meets its own link's fault.
      for (const peer of to !== null ? [to] : this.deps.validators()) {
        if (peer !== host.validatorId) faults.route(peer, "out", () => void streams.relayTo([peer], bytes));
      }
      // Gossip cannot be faulted per receiver; an isolated node publishes nothing.
      if (to !== null || faults.fault(ANY_PEER, "out")?.block === true) return;
    } else if (to !== null) {
      streams.relayTo([to], bytes);
      return;
    } else streams.relay(bytes);
    // Gossip for the observers. A repeat of the same bytes is dropped by gossipsub's seen-cache
    // (its message id is the content hash), so observers get each message once.
    host.publishConsensusBytes(bytes).catch((err: unknown) => this.log.debug({ err: (err as Error).message, type: message.type }, "publish failed"));
  }

  /** A message from a peer's stream: the gossip validator's checks, then the driver. */
  private admit(bytes: Uint8Array, from: ValidatorId): void {
    const faults = this.deps.host.faults;
    if (faults?.active === true) faults.route(from, "in", () => this.admitChecked(bytes, from));
    else this.admitChecked(bytes, from);
  }

  private admitChecked(bytes: Uint8Array, from: ValidatorId): void {
    const verdict = checkConsensusData(bytes, this.deps.check);
    if (verdict.result !== "accept") {
      // Ignored (stale) is counted but no offence: an honest peer's late repeat.
      if (verdict.result === "reject") this.reject(from, verdict.reason);
      else this.count(verdict.reason);
      return;
    }
    this.received++;
    this.deps.onMessage(verdict.value, from);
  }

  /**
   * A refused frame (its stream is already reset) or a rejected message: counted, and a strike
   * against the sender; past the host's strike limit it is disconnected for a cool-down.
   */
  private reject(from: ValidatorId, reason: string): void {
    this.count(reason);
    // Membership is judged against our next height's set: a validator that joined while we lag
    // is a "non-member" to us without fault of its own, so that is no strike.
    const refused = classifyRejection(reason).reason !== "non-member" && this.deps.host.penalise(from, reason);
    this.log.debug({ from, reason, refused }, "consensus stream message rejected");
  }

  private count(reason: string): void {
    this.refused++;
    const metrics = this.deps.metrics ?? null;
    if (metrics !== null) {
      const c = classifyRejection(reason);
      metrics.messageRejected(c.type, c.reason);
    }
  }
}

async function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return;
  await new Promise<void>((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

function rotate<T>(list: readonly T[]): T[] {
  if (list.length < 2) return [...list];
  const start = Math.floor(Math.random() * list.length);
  return [...list.slice(start), ...list.slice(0, start)];
}
