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
import type { ValidatorId } from "../chain/index.js";
import { encodeMessage, MAX_MESSAGE_BYTES, type ConsensusMessage } from "../consensus/index.js";
import type { PeerHead, SealedBlock, Transport } from "../driver/index.js";
import { ANY_PEER, checkConsensusData, TxRelay, type AllowList, type ConsensusCheck, type P2PHost, type TxRelayStats } from "../p2p/index.js";
import { classifyRejection, type Metrics } from "../metrics/index.js";
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

  async fetchBlocks(peers: readonly ValidatorId[], fromHeight: number, count: number): Promise<readonly SealedBlock[]> {
    const host = this.deps.host;
    if (!host.running) return [];
    const connected = new Set(host.connectedPeers());
    // Connected peers first, each group from a random start so one peer does not serve everyone.
    const order = [...rotate(peers.filter((p) => connected.has(p))), ...rotate(peers.filter((p) => !connected.has(p)))];
    let lastError: unknown = null;
    for (const peer of order) {
      if (this.stopping.signal.aborted) return [];
      const link = linkAbort([this.stopping.signal], this.fetchTimeoutMs);
      try {
        const blocks = await host.fetchBlocks(peer, fromHeight, count, link.signal);
        if (blocks.length > 0) return blocks;
      } catch (err) {
        lastError = err;
        this.log.debug({ peer, fromHeight, err: (err as Error).message }, "block fetch from a peer failed");
      } finally {
        link.done();
      }
    }
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
      this.refused++;
      const metrics = this.deps.metrics ?? null;
      if (metrics !== null) {
        const c = classifyRejection(verdict.reason);
        metrics.messageRejected(c.type, c.reason);
      }
      this.log.debug({ from, result: verdict.result, reason: verdict.reason }, "consensus stream message not accepted");
      return;
    }
    this.received++;
    this.deps.onMessage(verdict.value, from);
  }
}

function rotate<T>(list: readonly T[]): T[] {
  if (list.length < 2) return [...list];
  const start = Math.floor(Math.random() * list.length);
  return [...list.slice(start), ...list.slice(0, start)];
}
