// The node's libp2p host: TCP + Noise + yamux, identify, ping, gossipsub (consensus), the tx
// relay, the sync protocol, and a connection gater. Its identity is the validator key, so every connection is
// authenticated as a validator (or observer/follower) id, and the allow-list is enforced on it.
import "../polyfill.js";
import { gossipsub, type GossipsubEvents } from "@chainsafe/libp2p-gossipsub";
import { noise } from "@chainsafe/libp2p-noise";
import { yamux } from "@chainsafe/libp2p-yamux";
import { identify, type Identify } from "@libp2p/identify";
import { type Connection, type Libp2p, type PeerId, type PubSub } from "@libp2p/interface";
import { ping, type Ping } from "@libp2p/ping";
import { tcp } from "@libp2p/tcp";
import { multiaddr, type Multiaddr } from "@multiformats/multiaddr";
import { prometheusMetrics } from "@libp2p/prometheus-metrics";
import { createLibp2p } from "libp2p";
import type { Logger } from "pino";
import { keyPairFromSecret, toHex, type ChainHead, type ValidatorId } from "../chain/index.js";
import type { ConsensusMessage } from "../consensus/messages.js";
import type { Metrics } from "../metrics/index.js";
import { linkAbort } from "../linked-abort.js";
import { P2PError } from "./errors.js";
import type { FaultLayer } from "./fault-layer.js";
import { createConnectionGater, isPeerAllowed, type AllowList } from "./gater.js";
import { classifyRejection } from "../metrics/rejection.js";
import { PeerPenalties, type PenaltyOptions } from "./peer-penalties.js";
import { PendingInbound } from "./pending-inbound.js";
import { consensusTopic, GOSSIP_DECODE_LIMITS, GossipRouter, gossipsubOptions, type GossipDeps, type GossipKind } from "./gossip.js";
import { guardGossipsub, type BadRpcKind } from "./gossip-guard.js";
import { libp2pPrivateKey, parsePeer, peerIdFromValidatorId, tryValidatorIdFromPeerId } from "./identity.js";
import { REDIAL_BACKOFF_DEFAULTS, RedialBackoff, type RedialBackoffOptions, type RedialClock } from "./redial-backoff.js";
import { SyncProtocol, type SyncedBlock, type SyncSettings, type SyncStore } from "./sync-protocol.js";
import { TxRelay, type TxRelayOptions, type TxRelayStats } from "./tx-relay.js";

export interface P2PServices extends Record<string, unknown> {
  identify: Identify;
  ping: Ping;
  pubsub: PubSub<GossipsubEvents>;
}

export interface P2PHostOptions {
  readonly chainId: string;
  /** The validator's 32-byte ed25519 seed (KeyPair.secretKey): the libp2p identity. */
  readonly secretKey: Uint8Array;
  /** Listen multiaddrs, e.g. "/ip4/0.0.0.0/tcp/26656" ("/tcp/0" picks a free port). */
  readonly listen: readonly string[];
  /** Peers to dial and keep connected: multiaddrs ending in /p2p/<peer id>. Our own entry is skipped. */
  readonly peers: readonly string[];
  /**
   * Inbound connections per second per IP. libp2p's default of 5 refuses honest peers when a
   * local testnet (all on one IP) starts or restarts at once (P2P-NOTES §2).
   */
  readonly inboundConnectionThreshold?: number;
  readonly maxConnections?: number;
  /**
   * Inbound connections still in their handshake (libp2p's maxIncomingPendingConnections, default
   * 10). Past it every new inbound connection is refused before its key is known, so it must be
   * well above what idle sockets from a few addresses can hold (see maxPendingInboundPerIp).
   */
  readonly maxPendingInbound?: number;
  /** Of those, most from one IP address (checked in the gater, before the Noise handshake). */
  readonly maxPendingInboundPerIp?: number;
  /** Deadline of an inbound connection's Noise + muxer upgrade (libp2p's default 10 s). */
  readonly inboundUpgradeTimeoutMs?: number;
  /**
   * How often the configured peers that are not connected are looked at; each is dialled only
   * when its back-off (redialBackoff) allows.
   */
  readonly redialIntervalMs?: number;
  /** Back-off of the redials of one configured peer: see RedialBackoff. */
  readonly redialBackoff?: Partial<RedialBackoffOptions>;
  /** First back-off of libp2p's own reconnect queue (unused by configured peers, which this host redials). */
  readonly reconnectRetryIntervalMs?: number;
  readonly dialTimeoutMs?: number;
  /** Strikes, window and cool-down for peers that send bad frames or invalid messages. */
  readonly penalties?: Partial<PenaltyOptions>;
  readonly sync?: SyncSettings;
  readonly txRelay?: Omit<TxRelayOptions, "chainId">;
}

type HostDefaults = Required<
  Pick<
    P2PHostOptions,
    "inboundConnectionThreshold" | "maxConnections" | "maxPendingInbound" | "maxPendingInboundPerIp" | "inboundUpgradeTimeoutMs" | "redialIntervalMs" | "reconnectRetryIntervalMs" | "dialTimeoutMs"
  >
>;

export const P2P_HOST_DEFAULTS: HostDefaults = {
  inboundConnectionThreshold: 50,
  maxConnections: 300,
  // A handshake takes milliseconds on a LAN and well under a second across the world: 3 s frees
  // an idle socket's slot quickly. With 32 per IP, four addresses cannot fill the 128 slots.
  maxPendingInbound: 128,
  maxPendingInboundPerIp: 32,
  inboundUpgradeTimeoutMs: 3_000,
  redialIntervalMs: 250,
  reconnectRetryIntervalMs: 1_000,
  dialTimeoutMs: 5_000,
};

/** The gossip router's callbacks (the host owns the pubsub), plus admission, the tx relay and sync. */
export interface P2PHostDeps extends Omit<GossipDeps, "pubsub"> {
  /** Where relayTx sends: the validators of the set in force for the next block (we are skipped). */
  relayTargets(): readonly ValidatorId[];
  /** A tx a peer relayed to us, as canonical bytes not yet decoded or verified (the mempool's job). */
  onTx(tx: Uint8Array, from: ValidatorId): void;
  /** Admission: current validator set ∪ configured observers ∪ known followers. */
  readonly isAllowed: AllowList;
  /** What the sync server answers from. */
  readonly store: SyncStore;
  /** Aborting it stops the host. */
  readonly signal?: AbortSignal;
  /** Injected network faults (a node started with --unsafe); the host stops its timers on stop. */
  readonly faults?: FaultLayer;
  /** libp2p's own metrics (libp2p_*) go into this registry; null or absent: none are kept. */
  readonly metrics?: Metrics | null;
  /** The clock of the sync server's per-peer rate limits (default Date.now): tests move their own. */
  readonly syncClock?: () => number;
  /** Time, chance and the redial timer (default: Date.now, Math.random, setInterval): tests simulate them. */
  readonly redialClock?: RedialScheduler;
}

/** RedialClock plus a repeating timer; `every` returns its cancel. */
export interface RedialScheduler extends RedialClock {
  every(ms: number, fn: () => void): () => void;
}

const realScheduler: RedialScheduler = {
  now: () => Date.now(),
  random: () => Math.random(),
  every: (ms, fn) => {
    const timer = setInterval(fn, ms);
    timer.unref();
    return () => clearInterval(timer);
  },
};

/** Peer-store tag of configured peers: weight against pruning (not KEEP_ALIVE, whose reconnect loop we replace). */
const CONFIGURED_TAG = "triad-configured";

interface ConfiguredPeer {
  readonly id: PeerId;
  readonly addrs: Multiaddr[];
}

export class P2PHost {
  readonly peerId: PeerId;
  readonly validatorId: ValidatorId;
  private readonly opts: P2PHostOptions & HostDefaults;
  private readonly log: Logger;
  private readonly configured = new Map<string, ConfiguredPeer>();
  private readonly dialing = new Set<string>();
  private readonly stopping = new AbortController();
  private node: Libp2p<P2PServices> | null = null;
  private gossip: GossipRouter | null = null;
  private sync: SyncProtocol | null = null;
  private relay: TxRelay | null = null;
  private cancelTimer: (() => void) | null = null;
  private readonly scheduler: RedialScheduler;
  private readonly backoff: RedialBackoff;
  /** Dials the redial loop started (for tests and logs). */
  redialAttempts = 0;

  /** Redials not yet settled (for tests). */
  get redialsInFlight(): number {
    return this.dialing.size;
  }
  private state: "new" | "starting" | "running" | "stopped" = "new";
  private booting: Promise<void> | null = null;
  // A partitioned peer (blocked both ways by the fault layer) is refused like one not allowed:
  // the gater denies it and enforceAllowList closes its connections. So is a peer in its
  // penalty cool-down.
  private readonly allowed: AllowList = (id) => this.deps.isAllowed(id) && !(this.faults?.isPartitioned(id) ?? false) && !this.penalties.isRefused(id);
  readonly faults: FaultLayer | null;
  /** The per-IP cap on inbound handshakes in progress (its refused counter is for diagnostics). */
  readonly pendingInbound: PendingInbound;
  /** Misbehaving peers' strikes and cool-downs (see penalise). */
  readonly penalties: PeerPenalties;

  constructor(
    options: P2PHostOptions,
    private readonly deps: P2PHostDeps,
  ) {
    this.opts = { ...P2P_HOST_DEFAULTS, ...options };
    this.validatorId = toHex(keyPairFromSecret(options.secretKey).publicKey);
    this.peerId = peerIdFromValidatorId(this.validatorId);
    this.log = deps.logger.child({ module: "p2p" });
    for (const addr of options.peers) this.configure(addr);
    this.faults = deps.faults ?? null;
    this.pendingInbound = new PendingInbound(this.opts.maxPendingInboundPerIp, this.opts.inboundUpgradeTimeoutMs);
    this.penalties = new PeerPenalties(options.penalties);
    this.faults?.onChange(() => this.onFaultsChanged());
    this.scheduler = deps.redialClock ?? realScheduler;
    this.backoff = new RedialBackoff({ ...REDIAL_BACKOFF_DEFAULTS, ...options.redialBackoff }, this.scheduler);
  }

  /** Start listening, dial the configured peers, join the topics and serve sync. Once only. */
  async start(): Promise<void> {
    if (this.state !== "new") throw new P2PError("NOT_STARTED", `cannot start a host that is ${this.state}`);
    this.state = "starting";
    this.booting = this.boot();
    try {
      await this.booting;
    } catch (err) {
      // Leave nothing listening or dialling behind a failed start.
      this.state = "stopped";
      this.stopping.abort();
      try {
        await this.node?.stop();
      } catch {
        // the start error is the one worth reporting
      }
      throw err;
    }
    this.state = "running";
    this.cancelTimer = this.scheduler.every(this.opts.redialIntervalMs, () => this.redial());
    this.redial();
    this.deps.signal?.addEventListener("abort", this.onAbort, { once: true });
    if (this.deps.signal?.aborted === true) this.onAbort();
    this.log.info({ validator: this.validatorId, addrs: this.multiaddrs(), peers: this.configured.size }, "p2p host started");
  }

  private async boot(): Promise<void> {
    const { deps, opts } = this;
    const directPeers = [...this.configured.values()].map((p) => ({ id: p.id, addrs: p.addrs }));
    const node = await createLibp2p<P2PServices>({
      start: false,
      privateKey: await libp2pPrivateKey(opts.secretKey),
      addresses: { listen: [...opts.listen] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      connectionGater: createConnectionGater(this.allowed, this.pendingInbound),
      // Node's process metrics come from the Metrics object (prom-client's standard names), not from here.
      ...(deps.metrics == null ? {} : { metrics: prometheusMetrics({ registry: deps.metrics.registry, collectDefaultMetrics: false }) }),
      connectionManager: {
        maxConnections: opts.maxConnections,
        inboundConnectionThreshold: opts.inboundConnectionThreshold,
        maxIncomingPendingConnections: opts.maxPendingInbound,
        inboundUpgradeTimeout: opts.inboundUpgradeTimeoutMs,
        reconnectRetryInterval: opts.reconnectRetryIntervalMs,
        dialTimeout: opts.dialTimeoutMs,
      },
      services: {
        identify: identify(),
        ping: ping(),
        pubsub: gossipsub(gossipsubOptions(opts.chainId, directPeers)),
      },
    });
    this.node = node;
    // Before start: no gossip stream is read unguarded.
    if (!guardGossipsub(node.services.pubsub, [consensusTopic(opts.chainId)], GOSSIP_DECODE_LIMITS, { onBadRpc: (peer, kind, reason) => this.onBadRpc(peer, kind, reason) })) {
      this.log.warn("gossipsub internals changed: bad gossip RPC frames are neither counted nor penalised");
    }
    // Tagged against pruning; dialled at start and after a drop by redial(), with back-off.
    for (const peer of this.configured.values()) await this.remember(peer);
    node.addEventListener("connection:open", this.onConnectionOpen);
    node.addEventListener("peer:connect", this.onPeerConnect);
    node.addEventListener("peer:disconnect", this.onPeerDisconnect);

    // Deps are called through arrows so a node may pass methods that rely on `this`.
    this.sync = new SyncProtocol(
      { ...opts.sync, chainId: opts.chainId },
      {
        libp2p: node,
        store: deps.store,
        isAllowed: this.allowed,
        logger: deps.logger,
        faults: deps.faults,
        metrics: deps.metrics,
        now: deps.syncClock,
        onBadRequest: (peer, reason) => this.strike(peer, reason),
      },
    );
    this.gossip = new GossipRouter(
      { chainId: opts.chainId },
      {
        pubsub: node.services.pubsub,
        logger: deps.logger,
        isValidator: (id, m) => deps.isValidator(id, m),
        isStale: (m) => deps.isStale(m),
        verify: deps.verify,
        onConsensusMessage: (m, from) => deps.onConsensusMessage(m, from),
        onInvalid: (event) => deps.onInvalid?.(event),
        onGraylisted: (peer, score) => {
          const id = tryValidatorIdFromPeerId(peer);
          if (id !== null) this.refuse(id, `gossip score ${score.toFixed(0)} below the graylist threshold`);
        },
        connectedPeers: () => node.getPeers(),
        faults: deps.faults,
      },
    );
    this.relay = new TxRelay(
      { ...opts.txRelay, chainId: opts.chainId },
      {
        libp2p: node,
        self: this.validatorId,
        isAllowed: this.allowed,
        targets: () => deps.relayTargets(),
        admit: (tx, from) => deps.onTx(tx, from),
        logger: deps.logger,
        faults: deps.faults,
        onBadFrame: (from, reason) => {
          deps.metrics?.messageRejected("tx", classifyRejection(reason).reason);
          this.penalise(from, reason);
        },
      },
    );
    await this.sync.start();
    await this.relay.start();
    await node.start();
    this.gossip.start();
  }

  /** Leave the topics, stop serving, close every connection. Idempotent. */
  async stop(): Promise<void> {
    if (this.state === "stopped") return;
    if (this.state === "starting") {
      // Let start finish (or fail) first, so nothing it creates outlives this stop.
      await this.booting?.catch(() => undefined);
      if (this.stateNow() === "stopped") return; // start failed and cleaned up
    }
    this.state = "stopped";
    this.stopping.abort(new P2PError("NOT_STARTED", "p2p host stopped"));
    this.cancelTimer?.();
    this.faults?.stop();
    this.deps.signal?.removeEventListener("abort", this.onAbort);
    this.gossip?.stop();
    await this.relay?.stop();
    const node = this.node;
    if (node !== null) {
      node.removeEventListener("connection:open", this.onConnectionOpen);
      node.removeEventListener("peer:connect", this.onPeerConnect);
      node.removeEventListener("peer:disconnect", this.onPeerDisconnect);
    }
    try {
      await this.sync?.stop();
    } finally {
      await node?.stop();
    }
    this.log.info("p2p host stopped");
  }

  /** The libp2p node, for diagnostics and tests; the node's code should use the methods below. */
  get libp2p(): Libp2p<P2PServices> {
    if (this.node === null) throw new P2PError("NOT_STARTED", "p2p host is not started");
    return this.node;
  }

  get running(): boolean {
    return this.state === "running";
  }

  /** Our dialable addresses, each ending in /p2p/<our peer id>. */
  multiaddrs(): string[] {
    return this.node?.getMultiaddrs().map((ma) => ma.toString()) ?? [];
  }

  /** Validator ids of the peers we hold an open connection to. */
  connectedPeers(): ValidatorId[] {
    return [...new Set(this.node?.getPeers().flatMap((p) => tryValidatorIdFromPeerId(p) ?? []) ?? [])];
  }

  /** Peers known to be subscribed to a topic: a publish reaches them. */
  topicPeers(kind: GossipKind): ValidatorId[] {
    return this.gossip?.topicPeers(kind) ?? [];
  }

  /** Take consensus gossip (observers) or only publish to it (validators): GossipRouter.setSubscribed. */
  setConsensusGossip(subscribed: boolean): void {
    this.gossip?.setSubscribed(subscribed);
  }

  /** Broadcast one of our consensus messages; resolves to the number of peers it was sent to. */
  async publishConsensus(message: ConsensusMessage): Promise<number> {
    return this.live().gossip.publishConsensus(message);
  }

  /** publishConsensus for bytes already encoded (the consensus transport encodes once for streams and gossip). */
  async publishConsensusBytes(bytes: Uint8Array): Promise<number> {
    return this.live().gossip.publishConsensusBytes(bytes);
  }

  /**
   * Send a tx a client submitted to us (canonical bytes, already admitted to our mempool) to each
   * connected validator; returns how many peers it was queued for. Never throws; 0 when stopped.
   */
  relayTx(tx: Uint8Array): number {
    return this.state === "running" ? (this.relay?.relay(tx) ?? 0) : 0;
  }

  /** The tx relay's counters (zeros before start). */
  get txRelayStats(): Readonly<TxRelayStats> {
    return this.relay?.stats ?? { relayed: 0, sentTxs: 0, sentBatches: 0, dropped: 0, receivedTxs: 0, receivedBatches: 0, badFrames: 0, refusedStreams: 0, receivedBytes: 0 };
  }

  /** Sealed blocks from a peer (seals NOT verified); see SyncProtocol.fetchBlocks. */
  async fetchBlocks(peer: PeerId | ValidatorId, fromHeight: number, count: number, signal?: AbortSignal): Promise<SyncedBlock[]> {
    return this.live().sync.fetchBlocks(peer, fromHeight, count, signal);
  }

  /** Sync requests our server refused under its per-peer limits, by reason. */
  get syncRefused(): Readonly<{ busy: number; rate: number; bad: number }> {
    return { ...(this.sync?.limiter.refused ?? { busy: 0, rate: 0 }), bad: this.sync?.refusedRequests ?? 0 };
  }

  /** A peer's head (height, hash, timestamp). */
  async status(peer: PeerId | ValidatorId, signal?: AbortSignal): Promise<ChainHead> {
    return this.live().sync.status(peer, signal);
  }

  /** Add a peer to keep connected (e.g. a validator that joined the set); dials it now. */
  async addPeer(addr: string): Promise<void> {
    const peer = this.configure(addr);
    if (peer === null || this.node === null) return;
    await this.remember(peer);
    this.redial();
  }

  /**
   * Close connections to peers the allow-list no longer admits. Call it after the validator set
   * (or the observer/follower list) changes: the gater only judges new connections.
   */
  async enforceAllowList(): Promise<void> {
    const node = this.node;
    if (node === null) return;
    const closing = node
      .getConnections()
      .filter((c) => !isPeerAllowed(this.allowed, c.remotePeer))
      .map(async (c) => {
        this.log.info({ peer: tryValidatorIdFromPeerId(c.remotePeer) }, "closing connection to a peer no longer allowed");
        await c.close().catch((err: unknown) => c.abort(err as Error));
      });
    await Promise.all(closing);
  }

  /**
   * A peer sent something invalid (a bad consensus frame, a refused message). Past the strike
   * limit within its window the peer is disconnected and refused for the cool-down; returns true
   * when this strike did it.
   */
  penalise(id: ValidatorId, reason: string): boolean {
    if (!this.penalties.strike(id)) return false;
    this.disconnect(id, `too many invalid frames or messages (last: ${reason})`);
    return true;
  }

  /** Disconnect a peer now and refuse it for the cool-down (a graylisted gossip peer). */
  refuse(id: ValidatorId, reason: string): void {
    if (this.penalties.isRefused(id)) return;
    this.penalties.refuse(id);
    this.disconnect(id, reason);
  }

  /** Gossip RPC frames refused by the guard, by kind (they only grow). */
  readonly gossipRpcRefused: Record<BadRpcKind, number> = { malformed: 0, oversize: 0, "off-topic": 0 };

  // Each refused RPC is a strike. An over-size frame has also killed the peer's gossip stream
  // (gossipsub reads nothing more from it while the connection lasts): the connection is closed
  // as well, so a peer that sent it by mistake reconnects with a fresh stream, and one that keeps
  // doing it runs out of strikes and is refused.
  private onBadRpc(peer: PeerId, kind: BadRpcKind, reason: string): void {
    this.gossipRpcRefused[kind]++;
    this.deps.metrics?.messageRejected("gossip-rpc", kind);
    const id = tryValidatorIdFromPeerId(peer);
    if (id === null) return;
    if (!this.penalise(id, reason) && kind === "oversize") {
      this.log.warn({ peer: id, reason }, "closing the connection of a peer whose gossip stream broke");
      this.abortConnections(id, reason);
    }
  }

  private strike(peer: PeerId, reason: string): void {
    const id = tryValidatorIdFromPeerId(peer);
    if (id !== null) this.penalise(id, reason);
  }

  private disconnect(id: ValidatorId, reason: string): void {
    this.log.warn({ peer: id, reason }, "disconnecting a misbehaving peer for its cool-down");
    this.abortConnections(id, reason);
  }

  private abortConnections(id: ValidatorId, reason: string): void {
    const node = this.node;
    if (node === null) return;
    // Abort, not close: a graceful close would wait on the streams it keeps busy.
    for (const c of node.getConnections(peerIdFromValidatorId(id))) c.abort(new P2PError("PEER_REFUSED", reason));
  }

  // A partition closes the connections now (the gater only judges new ones); a heal dials the
  // configured peers at once instead of waiting for the redial timer.
  private onFaultsChanged(): void {
    if (this.state !== "running") return;
    // Refusals seen during a partition said nothing about the peers: dial them at once again.
    this.backoff.reset();
    this.enforceAllowList()
      .catch((err: unknown) => this.log.warn({ err }, "closing partitioned connections failed"))
      .finally(() => this.redial());
  }

  // Read through a call: TypeScript keeps a narrowed `this.state` across an await.
  private stateNow(): P2PHost["state"] {
    return this.state;
  }

  private live(): { gossip: GossipRouter; sync: SyncProtocol } {
    if (this.state !== "running" || this.gossip === null || this.sync === null) throw new P2PError("NOT_STARTED", "p2p host is not running");
    return { gossip: this.gossip, sync: this.sync };
  }

  private configure(addr: string): ConfiguredPeer | null {
    let ma: Multiaddr;
    try {
      ma = multiaddr(addr);
    } catch (err) {
      throw new P2PError("BAD_PEER", `not a multiaddr: ${addr}`, { addr, cause: (err as Error).message });
    }
    const idText = ma.getPeerId();
    if (idText === null) throw new P2PError("BAD_PEER", `peer address needs /p2p/<peer id>: ${addr}`, { addr });
    const id = parsePeer(idText);
    if (tryValidatorIdFromPeerId(id) === null) throw new P2PError("BAD_PEER", `peer ${idText} is not an ed25519 key`, { addr });
    // A shared config file lists every node, us included; dialling ourselves is an error.
    if (id.equals(this.peerId)) return null;
    const key = id.toString();
    const bare = ma.decapsulateCode(P2P_CODE);
    const known = this.configured.get(key);
    if (known !== undefined) {
      if (!known.addrs.some((a) => a.equals(bare))) known.addrs.push(bare);
      return known;
    }
    const peer = { id, addrs: [bare] };
    this.configured.set(key, peer);
    return peer;
  }

  private async remember(peer: ConfiguredPeer): Promise<void> {
    await this.libp2p.peerStore.merge(peer.id, { multiaddrs: peer.addrs, tags: { [CONFIGURED_TAG]: { value: 100 } } });
  }

  /** A configured peer's redial back-off: failures in a row and the earliest next dial (scheduler ms). */
  redialState(peer: ValidatorId): { failures: number; nextAt: number } {
    return this.backoff.describe(peerIdFromValidatorId(peer).toString());
  }

  // The only dialler of configured peers (libp2p's KEEP_ALIVE reconnect redialled a peer whose
  // gater refuses us ~20 times a second, and gave up for good after ~30 s). This loop keeps
  // trying forever, each peer at the pace its back-off allows.
  private redial(): void {
    const node = this.node;
    if (node === null || this.state !== "running") return;
    for (const peer of this.configured.values()) {
      const key = peer.id.toString();
      if (this.dialing.has(key) || node.getConnections(peer.id).length > 0) continue;
      if (!isPeerAllowed(this.allowed, peer.id) || !this.backoff.due(key)) continue;
      this.dialing.add(key);
      this.redialAttempts++;
      const link = linkAbort([this.stopping.signal], this.opts.dialTimeoutMs);
      this.remember(peer)
        .then(async () => node.dial(peer.id, { signal: link.signal }))
        .catch((err: unknown) => {
          this.backoff.dialFailed(key);
          this.log.debug({ peer: tryValidatorIdFromPeerId(peer.id), err: (err as Error).message, ...this.backoff.describe(key) }, "redial failed");
        })
        .finally(() => {
          link.done();
          this.dialing.delete(key);
        });
    }
  }

  private readonly onConnectionOpen = (evt: CustomEvent<Connection>): void => {
    const conn = evt.detail;
    // Belt and braces behind the gater's Encrypted hooks: the authenticated remote key decides.
    if (!isPeerAllowed(this.allowed, conn.remotePeer)) {
      this.log.warn({ peer: conn.remotePeer.toString(), addr: conn.remoteAddr.toString() }, "closing connection from a peer not allowed");
      conn.abort(new Error("peer not allowed"));
    }
  };

  private readonly onPeerConnect = (evt: CustomEvent<PeerId>): void => {
    const key = evt.detail.toString();
    if (this.configured.has(key)) this.backoff.connected(key);
    this.log.info({ peer: tryValidatorIdFromPeerId(evt.detail) }, "peer connected");
  };

  private readonly onPeerDisconnect = (evt: CustomEvent<PeerId>): void => {
    const key = evt.detail.toString();
    if (this.configured.has(key)) this.backoff.disconnected(key);
    this.log.info({ peer: tryValidatorIdFromPeerId(evt.detail) }, "peer disconnected");
  };

  private readonly onAbort = (): void => {
    this.stop().catch((err: unknown) => this.log.error({ err }, "p2p host stop failed"));
  };
}

/** Multiaddr protocol code of /p2p/<peer id>. */
const P2P_CODE = 421;
