// The driver's Transport over libp2p. A message goes out on the consensus gossip topic the first
// time; PBFT's repeats of the same signed message (ed25519 signatures are deterministic, so the
// bytes are identical) would be swallowed by gossipsub's seen-cache for two minutes, so a repeat
// goes over a direct stream to each connected peer instead: that is what makes retransmission
// real after a peer missed the first copy (it was down, not yet connected, or restarting).
// Block sync asks the given peers in turn, connected ones first; the peers' heads come from the
// p2p status protocol, asked of every connected peer at once.
import type { IncomingStreamData, Stream } from "@libp2p/interface";
import { lpStream } from "it-length-prefixed-stream";
import { sha256, toHex, type ValidatorId } from "../chain/index.js";
import { encodeMessage, MAX_MESSAGE_BYTES, type ConsensusMessage } from "../consensus/index.js";
import type { PeerHead, SealedBlock, Transport } from "../driver/index.js";
import { checkConsensusData, isPeerAllowed, peerIdFromValidatorId, tryValidatorIdFromPeerId, type AllowList, type ConsensusCheck, type P2PHost } from "../p2p/index.js";
import type { Logger } from "./logger.js";

export function directProtocol(chainId: string): string {
  return `/triad/${chainId}/consensus-direct/1`;
}

export interface ConsensusTransportOptions {
  readonly chainId: string;
  /** Deadline of one block fetch from one peer. */
  readonly fetchTimeoutMs?: number;
  /** Deadline of one direct send. */
  readonly directTimeoutMs?: number;
  /** Deadline of one peer's status answer (its head). */
  readonly statusTimeoutMs?: number;
  /** How many recently published message digests are remembered (to recognise a repeat). */
  readonly rememberMessages?: number;
}

export interface ConsensusTransportDeps {
  readonly host: P2PHost;
  readonly isAllowed: AllowList;
  /** The same checks as the gossip topic validator: chain, staleness, membership, signature. */
  readonly check: ConsensusCheck;
  /** A checked message that arrived over a direct stream. */
  onMessage(message: ConsensusMessage, from: ValidatorId): void;
  readonly logger: Logger;
}

const MAX_INBOUND_DIRECT_STREAMS = 64;

export class ConsensusTransport implements Transport {
  readonly protocol: string;
  private readonly published = new Map<string, true>();
  private readonly limit: number;
  private readonly fetchTimeoutMs: number;
  private readonly directTimeoutMs: number;
  private readonly statusTimeoutMs: number;
  private readonly log: Logger;
  private stopping = new AbortController();
  private handling = false;
  /** Repeats sent over direct streams, and checked messages received on them (for logs and tests). */
  sentDirect = 0;
  received = 0;

  constructor(
    options: ConsensusTransportOptions,
    private readonly deps: ConsensusTransportDeps,
  ) {
    this.protocol = directProtocol(options.chainId);
    this.limit = options.rememberMessages ?? 4096;
    this.fetchTimeoutMs = options.fetchTimeoutMs ?? 10_000;
    this.directTimeoutMs = options.directTimeoutMs ?? 5_000;
    this.statusTimeoutMs = options.statusTimeoutMs ?? 3_000;
    this.log = deps.logger.child({ module: "transport" });
  }

  /** Serve the direct protocol (call after the host started). */
  async start(): Promise<void> {
    this.stopping = new AbortController();
    await this.deps.host.libp2p.handle(this.protocol, this.onStream, { maxInboundStreams: MAX_INBOUND_DIRECT_STREAMS, maxOutboundStreams: MAX_INBOUND_DIRECT_STREAMS });
    this.handling = true;
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    if (!this.handling) return;
    this.handling = false;
    await this.deps.host.libp2p.unhandle(this.protocol).catch(() => undefined);
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
      try {
        const signal = AbortSignal.any([this.stopping.signal, AbortSignal.timeout(this.fetchTimeoutMs)]);
        const blocks = await host.fetchBlocks(peer, fromHeight, count, signal);
        if (blocks.length > 0) return blocks;
      } catch (err) {
        lastError = err;
        this.log.debug({ peer, fromHeight, err: (err as Error).message }, "block fetch from a peer failed");
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
        const signal = AbortSignal.any([this.stopping.signal, AbortSignal.timeout(this.statusTimeoutMs)]);
        return { peer, height: (await host.status(peer, signal)).height };
      }),
    );
    return answers.flatMap((a) => (a.status === "fulfilled" ? [a.value] : []));
  }

  private emit(to: ValidatorId | null, message: ConsensusMessage): void {
    const host = this.deps.host;
    if (!host.running) return;
    let bytes: Uint8Array;
    try {
      bytes = encodeMessage(message);
    } catch (err) {
      this.log.error({ err, type: message.type }, "cannot encode our own consensus message");
      return;
    }
    const digest = toHex(sha256(bytes));
    if (!this.published.has(digest)) {
      this.remember(digest);
      host.publishConsensus(message).catch((err: unknown) => this.log.debug({ err: (err as Error).message, type: message.type }, "publish failed"));
      return;
    }
    // A repeat: gossip would drop it as already seen, so hand it to each peer directly.
    const targets = to === null ? host.connectedPeers() : [to];
    for (const peer of targets) this.sendDirect(peer, bytes);
    this.log.trace({ type: message.type, height: message.height, peers: targets.length }, "repeat sent directly");
  }

  private remember(digest: string): void {
    if (this.published.size >= this.limit) {
      const oldest = this.published.keys().next().value;
      if (oldest !== undefined) this.published.delete(oldest);
    }
    this.published.set(digest, true);
  }

  private sendDirect(peer: ValidatorId, bytes: Uint8Array): void {
    const host = this.deps.host;
    const signal = AbortSignal.any([this.stopping.signal, AbortSignal.timeout(this.directTimeoutMs)]);
    let stream: Stream | null = null;
    void (async () => {
      const peerId = peerIdFromValidatorId(peer);
      if (host.libp2p.getConnections(peerId).length === 0) return; // only over a live connection
      stream = await host.libp2p.dialProtocol(peerId, this.protocol, { signal });
      const lp = lpStream(stream, { maxDataLength: MAX_MESSAGE_BYTES });
      await lp.write(bytes, { signal });
      await stream.close({ signal });
      this.sentDirect++;
    })().catch((err: unknown) => {
      stream?.abort(err instanceof Error ? err : new Error(String(err)));
      this.log.debug({ peer, err: (err as Error).message }, "direct send failed");
    });
  }

  // libp2p does not await a handler: it must never reject.
  private readonly onStream = ({ stream, connection }: IncomingStreamData): void => {
    const from = tryValidatorIdFromPeerId(connection.remotePeer);
    if (from === null || !isPeerAllowed(this.deps.isAllowed, connection.remotePeer)) {
      stream.abort(new Error("peer not allowed"));
      return;
    }
    const signal = AbortSignal.any([this.stopping.signal, AbortSignal.timeout(this.directTimeoutMs)]);
    void (async () => {
      const lp = lpStream(stream, { maxDataLength: MAX_MESSAGE_BYTES });
      // One copy at the edge: decoded hashes must not alias the received frame.
      const data = new Uint8Array((await lp.read({ signal })).subarray());
      await stream.close({ signal }).catch(() => undefined);
      const verdict = checkConsensusData(data, this.deps.check);
      if (verdict.result !== "accept") {
        this.log.debug({ from, result: verdict.result, reason: verdict.reason }, "direct consensus message not accepted");
        return;
      }
      this.received++;
      this.deps.onMessage(verdict.value, from);
    })().catch((err: unknown) => {
      stream.abort(err instanceof Error ? err : new Error(String(err)));
      this.log.debug({ from, err: (err as Error).message }, "direct stream failed");
    });
  };
}

function rotate<T>(list: readonly T[]): T[] {
  if (list.length < 2) return [...list];
  const start = Math.floor(Math.random() * list.length);
  return [...list.slice(start), ...list.slice(0, start)];
}
