// The composition root: one running Triad node. It opens the chain database (block log, state
// and this validator's own votes in one LevelDB), builds the consensus driver over it, joins the
// network with the validator key as its libp2p identity, serves JSON-RPC, and feeds the driver
// its three inputs: ticks from a timer, consensus messages from gossip, and (through the
// mempool) txs from clients and from the tx relay of the other nodes. Everything safety-relevant lives in the driver and the
// stores; this file only wires and orders start and stop.
import { mkdir } from "node:fs/promises";
import {
  genesisHash,
  genesisTimestamp,
  isMember,
  Mempool,
  MEMPOOL_DEFAULTS,
  MempoolError,
  Signer,
  toHex,
  VerifyCache,
  type ConsensusParams,
  type Genesis,
  type GenesisInit,
  type KeyPair,
  type StoredBlock,
  type ValidatorId,
} from "../chain/index.js";
import type { ConsensusMessage } from "../consensus/index.js";
import { chainRegistry, genesisStateWrites, selectionFor } from "../consensus/selection/index.js";
import { Driver } from "../driver/index.js";
import { FaultLayer, faultSeedOf, P2PHost, tryValidatorIdFromPeerId, type ConsensusCheck, type VerifyDomainFn } from "../p2p/index.js";
import { RpcServer } from "../rpc/index.js";
import { ConsensusObserver, createMetrics, MetricsServer, classifyRejection, type Metrics } from "../metrics/index.js";
import type { LevelBlockStore, LevelVoteStore } from "../store/index.js";
import { homePaths, parseHostPort, type NodeConfig } from "./config.js";
import { ByzantineNode, type NodeByzantineOptions } from "./byzantine-node.js";
import { ConsensusCounters, sortedRecord } from "./consensus-counters.js";
import { ConsensusJournal } from "./consensus-journal.js";
import { ConsensusTransport } from "./consensus-transport.js";
import type { Logger } from "./logger.js";
import { journaledFaults } from "./journaled-faults.js";
import { TriadNodeApi } from "./node-api.js";
import { removeNodeInfo, writeNodeInfo, type NodeInfo } from "./node-info.js";
import { PeerAdmission, peerKeysOf } from "./peer-admission.js";
import { RecentTxIndex } from "./tx-index.js";
import { openChainDb } from "./chain-db.js";
import { armFailPointsFromEnv, noteOpened } from "../fail-points.js";

export interface TriadNodeOptions {
  /** The node's home directory (config/, data/). */
  readonly home: string;
  readonly genesis: Genesis;
  /** The validator (or observer) key: signs votes and is the libp2p identity. */
  readonly key: KeyPair;
  readonly config: NodeConfig;
  readonly version?: string;
  /** How often the driver's syncer looks at the peers' heads, in ms (rounded to ticks). Default 2 s. */
  readonly syncCheckMs?: number;
  /** Blocks kept in the tx-by-sender index. Default 1000. */
  readonly txIndexBlocks?: number;
  /** Run these behaviours of the simulator's catalogue on this node's actions (a test network). */
  readonly byzantine?: NodeByzantineOptions;
  /** Dial and admit only these validators (a twin's copy sees its part of the network only). */
  readonly onlyPeers?: readonly ValidatorId[];
  /** Read the chain database in a child process before opening it (openChainDb's `probe`); `triad start` sets it. */
  readonly probeStore?: boolean;
}

export interface TriadNodeDeps {
  readonly logger: Logger;
  /** Aborting it stops the node. */
  readonly signal?: AbortSignal;
  readonly clock?: { now(): number };
}

/** The genesis consensus parameters with config.toml's local timing overrides (0 = keep). */
export function effectiveParams(genesis: Genesis, config: NodeConfig): ConsensusParams {
  const g = genesis.consensus;
  const c = config.consensus;
  const viewChangeTimeoutTicks = c.view_change_timeout_ticks || g.viewChangeTimeoutTicks;
  return {
    ...g,
    tickMs: c.tick_ms || g.tickMs,
    viewChangeTimeoutTicks,
    maxViewChangeTimeoutTicks: Math.max(c.max_view_change_timeout_ticks || g.maxViewChangeTimeoutTicks, viewChangeTimeoutTicks),
    emptyBlockIntervalTicks: c.empty_block_interval_ticks || g.emptyBlockIntervalTicks,
  };
}

export function genesisInit(genesis: Genesis): GenesisInit {
  const selection = selectionFor(genesis.selection.name);
  return {
    genesisHash: genesisHash(genesis),
    genesisTimestamp: genesisTimestamp(genesis),
    writes: genesisStateWrites(genesis, selection),
    validators: selection.fromGenesis(genesis),
  };
}

type State = "new" | "starting" | "running" | "stopping" | "stopped";

export class TriadNode {
  readonly validatorKey: ValidatorId;
  private state: State = "new";
  private readonly log: Logger;
  private store: LevelBlockStore | null = null;
  private votes: LevelVoteStore | null = null;
  private driver: Driver | null = null;
  private host: P2PHost | null = null;
  private transport: ConsensusTransport | null = null;
  private rpc: RpcServer | null = null;
  private metrics: Metrics | null = null;
  private metricsServer: MetricsServer | null = null;
  private observer: ConsensusObserver | null = null;
  private api: TriadNodeApi | null = null;
  private admission: PeerAdmission | null = null;
  private tick: ReturnType<typeof setInterval> | null = null;
  private stopped: Promise<void> | null = null;
  private nodeInfo: NodeInfo | null = null;
  private byzantine: ByzantineNode | null = null;
  private lastByzantineWarning = 0;

  constructor(
    private readonly options: TriadNodeOptions,
    private readonly deps: TriadNodeDeps,
  ) {
    this.validatorKey = toHex(options.key.publicKey);
    this.log = deps.logger.child({ module: "node" });
  }

  /** What node-info.json holds (after start). */
  get info(): NodeInfo {
    if (this.nodeInfo === null) throw new Error("node not started");
    return this.nodeInfo;
  }

  get running(): boolean {
    return this.state === "running";
  }

  async start(): Promise<NodeInfo> {
    if (this.state !== "new") throw new Error(`cannot start a node that is ${this.state}`);
    this.state = "starting";
    try {
      await this.boot();
    } catch (err) {
      await this.shutdown();
      this.state = "stopped";
      throw err;
    }
    this.state = "running";
    this.deps.signal?.addEventListener("abort", this.onAbort, { once: true });
    if (this.deps.signal?.aborted === true) this.onAbort();
    return this.info;
  }

  /** Stop ticking, drain the driver, close RPC, p2p and the database. Idempotent. */
  stop(): Promise<void> {
    this.stopped ??= (async () => {
      this.state = "stopping";
      this.deps.signal?.removeEventListener("abort", this.onAbort);
      let height: number | undefined;
      try {
        height = this.store?.head().height;
      } catch {
        // not open
      }
      await this.shutdown();
      this.state = "stopped";
      const t = this.transport;
      this.log.info({ height, consensusStreams: t?.streamStats, consensusRefused: t?.refused, txRelay: this.host?.txRelayStats }, "node stopped");
    })();
    return this.stopped;
  }

  private async boot(): Promise<void> {
    const { genesis, key, config } = this.options;
    const paths = homePaths(this.options.home);
    const chainId = genesis.chainId;
    const logger = this.deps.logger;
    const clock = this.deps.clock ?? { now: () => Date.now() };
    // Crash tests only: an unknown name stops the start here (a typo must not crash nowhere).
    const failPoints = armFailPointsFromEnv();
    if (failPoints.length > 0) this.log.warn({ failPoints }, "fail points armed: this node kills itself on purpose (crash tests)");
    await mkdir(paths.data, { recursive: true, mode: 0o700 });
    // A file left by a killed process must not pass for this one's.
    await removeNodeInfo(paths.data);

    // Off unless asked for: then every component below gets the same Metrics, else null.
    const metrics = config.metrics.listen === "" ? null : createMetrics();
    metrics?.collectProcessMetrics();
    this.metrics = metrics;

    const selection = selectionFor(genesis.selection.name);
    const registry = chainRegistry(selection);
    const params = effectiveParams(genesis, config);

    // Refuses a damaged database with a StoreDamageError that names the damage and the remedy.
    const { store, votes, check: storeCheck } = await openChainDb({ path: paths.chainDb, home: this.options.home, chainId, genesis: genesisInit(genesis), probe: this.options.probeStore === true });
    this.store = store;
    this.votes = votes;
    noteOpened(store.head().height);
    this.log.debug({ ...storeCheck, height: store.head().height }, "chain database checked");
    if (storeCheck.probe.startsWith("not run")) this.log.warn({ probe: storeCheck.probe }, "the chain database was not probed in a child process; opened it in process");

    // One cache for the consensus messages (gossip validator, direct streams, the core) and the
    // seals sync imports: each signature is verified once per node. Txs do not go through it:
    // the mempool admits a tx id once and a pooled tx is never verified again (block validation
    // skips it), so caching tx checks would only cost a hash each and evict consensus entries.
    const cache = new VerifyCache();
    const verify: VerifyDomainFn = cache.verifyDomain;
    const mempool = new Mempool(
      { chainId, ...MEMPOOL_DEFAULTS, maxTxs: config.mempool.max_txs, maxBytes: config.mempool.max_bytes },
      {
        registry,
        state: () => store.state(),
        onAdded: (poolSize) => this.driver?.txAdded(poolSize),
        // Validators often hold no balance; their governance votes must pass a flood of free keys.
        exempt: (sender) => store.validatorsAt(store.head().height + 1).members.includes(sender),
      },
    );
    const txIndex = new RecentTxIndex(this.options.txIndexBlocks);
    await txIndex.load(store);

    const signer = new Signer(key.secretKey);

    const only = this.options.onlyPeers === undefined ? null : new Set(this.options.onlyPeers);
    // With --only-peers, the configured peers outside the list are neither dialled nor admitted.
    const peers = only === null ? config.p2p.peers : config.p2p.peers.filter((addr) => peerKeysOf([addr]).every((k) => only.has(k)));
    const admission = new PeerAdmission(store, [...config.p2p.observers, ...peerKeysOf(peers)], genesis.selection.name === "dbft", only);
    this.admission = admission;
    const isStale = (m: ConsensusMessage): boolean => m.height < store.head().height + 1;
    const isValidator = (id: ValidatorId): boolean => isMember(store.validatorsAt(store.head().height + 1), id);
    const check: ConsensusCheck = { chainId, isStale, isValidator, verify };
    // Both ways in (consensus streams, gossip) call this only after a message passed its checks, signature included.
    const submitMessage = (message: ConsensusMessage): void => {
      if (metrics !== null) {
        metrics.messageReceived(message.type);
        this.observer?.onSigned(message);
      }
      this.driver?.submit({ type: "message", message });
    };
    let gossipRejected = 0;

    // Injected network faults exist only on an --unsafe node (test networks).
    const faults = config.rpc.unsafe
      ? new FaultLayer({ seed: config.p2p.fault_seed ?? faultSeedOf(this.validatorKey), onError: (err) => this.log.error({ err }, "delayed delivery failed") })
      : undefined;
    if (faults !== undefined) this.log.warn("--unsafe: the unsafe_net_* RPC methods can inject network faults into this node");
    const host = new P2PHost(
      { chainId, secretKey: key.secretKey, listen: [config.p2p.listen], peers },
      {
        logger,
        faults,
        isAllowed: admission.isAllowed,
        isValidator,
        isStale,
        verify,
        onConsensusMessage: submitMessage,
        // Gossip the validator refused outright (bad signature, not a member, …); stale repeats are ignored, not counted.
        onInvalid: (event) => {
          if (event.result === "reject") gossipRejected++;
          if (metrics !== null) {
            const c = classifyRejection(event.reason);
            metrics.messageRejected(c.type, c.reason);
          }
        },
        // Our clients' txs go to the validators of the next block's set (observers propose nothing).
        relayTargets: () => store.validatorsAt(store.head().height + 1).members,
        // Decoded, hashed and verified once, here; a peer's tx is never relayed again (its origin
        // sent it to every validator).
        onTx: (bytes, from) => {
          metrics?.messageReceived("tx");
          try {
            mempool.add(bytes);
          } catch (err) {
            if (!(err instanceof MempoolError)) throw err;
            metrics?.mempoolRefused(err.code);
            if (err.code !== "ALREADY_KNOWN") this.log.debug({ from, code: err.code, id: err.details.id }, "relayed tx refused");
          }
        },
        store,
        metrics,
      },
    );
    this.host = host;
    const nextValidators = (): readonly ValidatorId[] => store.validatorsAt(store.head().height + 1).members;
    const transport = new ConsensusTransport(
      { chainId, maxBlockBytes: genesis.consensus.maxBlockBytes },
      { host, isAllowed: admission.isAllowed, check, validators: nextValidators, onMessage: submitMessage, logger, metrics },
    );
    this.transport = transport;

    const counters = new ConsensusCounters(clock.now());
    // The dashboard's timeline and block timing (triad_dashboard).
    const journal = new ConsensusJournal(clock);
    const observer =
      metrics === null
        ? null
        : new ConsensusObserver(store.head(), { metrics, clock, self: this.validatorKey, validatorsAt: (height) => store.validatorsAt(height).members });
    this.observer = observer;
    const byzantine =
      this.options.byzantine === undefined
        ? null
        : new ByzantineNode(this.options.byzantine, {
            chainId,
            self: this.validatorKey,
            genesisValidators: selection.fromGenesis(genesis).members,
            store,
            selection,
            sign: (domain, signChainId, payload) => signer.signDomain(domain, signChainId, payload),
            signRaw: (message) => signer.sign(message),
            verify: (domain, payload, signature, signerId) => cache.verify(domain, chainId, payload, signature, signerId),
            transport,
            viewChangeTimeoutMs: params.viewChangeTimeoutTicks * params.tickMs,
          });
    this.byzantine = byzantine;
    if (byzantine !== null) this.warnByzantine("start");

    const headCheckTicks = Math.max(1, Math.round((this.options.syncCheckMs ?? 2_000) / params.tickMs));
    const driver = new Driver(
      { chainId, self: this.validatorKey, params, headCheckTicks },
      {
        store,
        votes,
        mempool,
        selection,
        registry,
        crypto: {
          sign: (domain, payload) => signer.signDomain(domain, chainId, payload),
          verify: (domain, payload, signature, signerId) => cache.verify(domain, chainId, payload, signature, signerId),
        },
        transport,
        clock,
        ...(byzantine === null ? {} : { filter: byzantine.filter }),
        events: {
          onAppended: (stored, source) => {
            journal.onAppended(stored, source);
            this.onAppended(stored, source);
          },
          onAction: (action) => {
            counters.onAction(action);
            journal.onAction(action);
            observer?.onAction(action);
          },
        },
        logger: logger.child({ module: "consensus" }),
      },
    );
    // Before the host: gossip handed to a driver that has not loaded its votes would throw.
    await driver.start();
    this.driver = driver;

    const api = new TriadNodeApi(
      { genesis, moniker: config.node.moniker, version: this.options.version ?? "0.0.0", nodeId: host.peerId.toString(), nodeKey: this.validatorKey },
      {
        store,
        mempool,
        registry,
        selection,
        txIndex,
        network: {
          listenAddrs: () => host.multiaddrs(),
          connections: () =>
            host.running
              ? host.libp2p.getConnections().map((c) => ({
                  peerId: c.remotePeer.toString(),
                  key: tryValidatorIdFromPeerId(c.remotePeer),
                  addr: c.remoteAddr.toString(),
                  outbound: c.direction === "outbound",
                  openedAt: c.timeline.open,
                }))
              : [],
          publishTx: (tx) => {
            metrics?.messageSent("tx");
            host.relayTx(tx.bytes);
          },
        },
        consensus: () => (this.driver === null ? null : this.driver.status()),
        roundState: () => (this.driver === null ? null : this.driver.roundState()),
        syncing: () => driver.catchingUp,
        triad: () => {
          if (this.byzantine !== null) this.warnByzantine("status");
          return {
            byzantine: this.byzantine?.behaviours ?? [],
            uptimeMs: clock.now() - counters.startedAt,
            viewChanges: { ...counters.viewChanges },
            faultsReported: sortedRecord(counters.faultsReported),
            faultsByPeer: sortedRecord(counters.faultsByPeer),
            messagesRefused: transport.refused + gossipRejected,
            byzantineActs: this.byzantine?.acted() ?? {},
            peersRefused: host.penalties.refused().sort(),
            peerBans: host.penalties.bans,
          };
        },
        journal,
        logger,
        metrics,
      },
    );
    this.api = api;
    if (metrics !== null) {
      metrics.observeMempool(() => ({ txs: mempool.size, bytes: mempool.bytes }));
      metrics.observePeers(() => (host.running ? host.connectedPeers().length : 0));
      metrics.observeSync(() => ({ syncing: driver.catchingUp || driver.syncing, best: Math.max(driver.bestKnownHeight, store.head().height) }));
    }

    await host.start();
    await transport.start();
    this.followConsensusGossip();

    let rpcUrl: string | null = null;
    if (config.rpc.listen !== "") {
      const { host: rpcHost, port } = parseHostPort(config.rpc.listen);
      const rpc = new RpcServer(
        {
          host: rpcHost,
          port,
          maxBodyBytes: config.rpc.max_body_bytes,
          maxBatchLength: config.rpc.max_batch_length,
          maxResponseBytes: config.rpc.max_response_bytes,
          maxSubscriptionsPerClient: config.rpc.max_subscriptions_per_client,
          maxClients: config.rpc.max_clients,
          maxConnectionsPerIp: config.rpc.max_connections_per_ip,
          headersTimeoutMs: config.rpc.headers_timeout_ms,
          requestTimeoutMs: config.rpc.request_timeout_ms,
          maxWsBufferedBytes: config.rpc.max_ws_buffered_bytes,
          corsAllowedOrigins: config.rpc.cors_allowed_origins,
          allowedHosts: config.rpc.allowed_hosts,
        },
        { api, logger, unsafe: faults === undefined ? undefined : journaledFaults(faults, journal) },
      );
      this.rpc = rpc;
      const bound = await rpc.start();
      const local = bound.host === "0.0.0.0" || bound.host === "::" ? "127.0.0.1" : bound.host.includes(":") ? `[${bound.host}]` : bound.host;
      rpcUrl = `http://${local}:${bound.port}`;
    }

    let metricsUrl: string | null = null;
    if (metrics !== null) {
      const { host: metricsHost, port } = parseHostPort(config.metrics.listen, "metrics.listen");
      const server = new MetricsServer({ host: metricsHost, port }, { metrics, logger: this.log });
      this.metricsServer = server;
      metricsUrl = await server.start();
    }

    this.tick = setInterval(() => driver.submit({ type: "tick" }), params.tickMs);

    const head = store.head();
    this.nodeInfo = {
      pid: process.pid,
      nodeId: host.peerId.toString(),
      validatorId: isMember(store.validatorsAt(head.height + 1), this.validatorKey) ? this.validatorKey : null,
      rpc: rpcUrl,
      metrics: metricsUrl,
      p2p: host.multiaddrs(),
    };
    await writeNodeInfo(paths.data, this.nodeInfo);
    this.log.info(
      { ...this.nodeInfo, chainId, moniker: config.node.moniker, height: head.height, tickMs: params.tickMs, selection: selection.name },
      "node started",
    );
  }

  /**
   * Loud on purpose: a Byzantine node must never pass for an honest one in its logs. At start,
   * and again when asked for its status, at most once a minute (scenarios poll status often).
   */
  private warnByzantine(when: "start" | "status"): void {
    const b = this.byzantine;
    if (b === null) return;
    const now = Date.now();
    if (when === "status" && now - this.lastByzantineWarning < 60_000) return;
    this.lastByzantineWarning = now;
    this.log.warn(
      { byzantine: b.behaviours, acted: b.acted(), byzantinePeers: this.options.byzantine?.peers, seed: this.options.byzantine?.seed, when },
      `BYZANTINE: this node misbehaves on purpose (${b.behaviours.join("+")}); never run it on a network you care about`,
    );
  }

  private onAppended(stored: StoredBlock, source: "consensus" | "sync"): void {
    const h = stored.block.header;
    this.log.info({ height: h.height, hash: stored.block.id, view: h.view, txs: stored.block.txs.length, source }, "block appended");
    this.observer?.onAppended(stored, source);
    this.api?.blockAppended(stored);
    this.followConsensusGossip();
    if (this.admission?.refresh() === true) {
      this.log.info({ allowed: this.admission.size }, "peer allow-list changed");
      this.host?.enforceAllowList().catch((err: unknown) => this.log.warn({ err }, "enforcing the allow-list failed"));
    }
  }

  /**
   * A validator gets its peers' consensus messages over the consensus streams; only a node
   * outside the set takes the gossip copy (ConsensusTransport). Checked again after every
   * block, as PoA votes and DBFT epochs move nodes in and out of the set.
   */
  private followConsensusGossip(): void {
    const store = this.store;
    if (store === null || this.host === null) return;
    this.host.setConsensusGossip(!isMember(store.validatorsAt(store.head().height + 1), this.validatorKey));
  }

  /** Undo whatever boot() got to, in reverse order; never throws. */
  private async shutdown(): Promise<void> {
    const step = async (what: string, run: () => Promise<void> | void): Promise<void> => {
      try {
        await run();
      } catch (err) {
        this.log.warn({ err, what }, "error while stopping");
      }
    };
    if (this.tick !== null) clearInterval(this.tick);
    this.tick = null;
    this.byzantine?.stop();
    await step("rpc", () => this.rpc?.stop());
    await step("metrics", () => this.metricsServer?.stop());
    // The transport first: it aborts a block fetch in flight, which the driver's stop awaits.
    await step("transport", () => this.transport?.stop());
    await step("driver", () => this.driver?.stop());
    await step("p2p", () => this.host?.stop());
    await step("vote store", () => this.votes?.close());
    await step("block store", () => this.store?.close());
    await step("node-info", () => removeNodeInfo(homePaths(this.options.home).data));
  }

  private readonly onAbort = (): void => {
    this.stop().catch((err: unknown) => this.log.error({ err }, "node stop failed"));
  };
}
