// The RPC server's view of a running node (src/rpc/node-api.ts), over the node's block store,
// mempool, consensus driver and p2p host. Reads go to the committed state; submissions go to
// the mempool and out through the tx relay to the validators; block and tx events come from the driver's
// appends, in height order.
import {
  isMember,
  kvKey,
  MempoolError,
  readAccount,
  type BlockStore,
  type Genesis,
  type Mempool,
  type SignedTx,
  type StoredBlock,
  type TxLocation,
  type TxRegistry,
  type ValidatorId,
  type ValidatorSet,
} from "../chain/index.js";
import type { ReplicaStatus, ValidatorSelection } from "../consensus/index.js";
import { dbftTally } from "../consensus/selection/index.js";
import type {
  AccountInfo,
  Awaitable,
  ConsensusInfo,
  DashboardInfo,
  JsonObject,
  JsonValue,
  MempoolInfo,
  NodeApi,
  NodeStatus,
  PeerInfo,
  RoundInfo,
  SubmitResult,
  TriadStatusInfo,
  TxPage,
  TxQuery,
  TxSearchResult,
  Unsubscribe,
} from "../rpc/node-api.js";
import type { ConsensusJournal } from "./consensus-journal.js";
import { DashboardView } from "./dashboard-view.js";
import type { Logger } from "./logger.js";
import { locate, txLocations, type RecentTxIndex } from "./tx-index.js";
import type { Metrics } from "../metrics/index.js";

/** What the API needs from the p2p side; null-safe so the API works before p2p is up. */
export interface NodeNetwork {
  listenAddrs(): string[];
  /** Open connections: peer id, validator id (hex key), remote address, direction, when opened (ms). */
  connections(): { peerId: string; key: ValidatorId | null; addr: string; outbound: boolean; openedAt?: number }[];
  /** Relay a tx admitted from a client to the validators; failures are counted, never thrown. */
  publishTx(tx: SignedTx): void;
}

export interface TriadNodeApiOptions {
  readonly genesis: Genesis;
  readonly moniker: string;
  readonly version: string;
  /** libp2p peer id (12D3KooW…). */
  readonly nodeId: string;
  /** Our ed25519 public key, hex. */
  readonly nodeKey: ValidatorId;
}

export interface TriadNodeApiDeps {
  readonly store: BlockStore;
  readonly mempool: Mempool;
  readonly registry: TxRegistry;
  readonly selection: ValidatorSelection;
  readonly txIndex: RecentTxIndex;
  readonly network: NodeNetwork;
  /** The replica's position, or null before the driver has started. */
  consensus(): ReplicaStatus | null;
  /** The replica's round for consensus_state (read only when asked), or null before the driver has started. */
  roundState?(): (RoundInfo & { readonly height: number; readonly view: number }) | null;
  /** True while the node is catching up: the driver's syncer finds it well behind its peers. */
  syncing(): boolean;
  /** The counters `triad_status` shows; without it the method is not enabled. */
  triad?(): Pick<TriadStatusInfo, "byzantine" | "uptimeMs" | "viewChanges" | "faultsReported" | "faultsByPeer" | "messagesRefused" | "byzantineActs" | "peersRefused" | "peerBans">;
  /** The events `triad_dashboard` shows; without it (or without `triad`) the method is not enabled. */
  readonly journal?: ConsensusJournal;
  readonly logger: Logger;
  /** Counts the mempool's refusals by code (null: metrics off). */
  readonly metrics?: Metrics | null;
}

interface SignerCounters {
  signed: number;
  missed: number;
  proposed: number;
}

const POA_VOTE_PREFIX = "poa/vote/";

export class TriadNodeApi implements NodeApi {
  readonly chainId: string;
  private readonly blockListeners = new Set<(block: StoredBlock) => void>();
  private readonly txListeners = new Set<(tx: TxLocation) => void>();
  private readonly waiters = new Map<string, Set<(loc: TxLocation) => void>>();
  private readonly signers = new Map<ValidatorId, SignerCounters>();
  private metricsSince: number | null = null;
  private metricsBlocks = 0;
  private readonly log: Logger;
  private readonly dashboardView: DashboardView | null;

  constructor(
    private readonly options: TriadNodeApiOptions,
    private readonly deps: TriadNodeApiDeps,
  ) {
    this.chainId = options.genesis.chainId;
    this.log = deps.logger.child({ module: "node-api" });
    const journal = deps.journal;
    this.dashboardView =
      journal === undefined || deps.triad === undefined
        ? null
        : new DashboardView(
            { chainId: this.chainId, selection: deps.selection.name, self: options.nodeKey },
            {
              store: deps.store,
              journal,
              source: this,
              connectedKeys: () => deps.network.connections().flatMap((c) => (c.key === null ? [] : [c.key])),
            },
          );
  }

  /** The node calls this for every appended block (consensus or sync), in height order. */
  blockAppended(stored: StoredBlock): void {
    this.countSigners(stored);
    this.dashboardView?.blockAppended(stored);
    this.deps.txIndex.add(stored);
    const locations = txLocations(stored);
    for (const listener of this.blockListeners) this.fenced(() => listener(stored));
    for (const loc of locations) {
      for (const listener of this.txListeners) this.fenced(() => listener(loc));
      const waiting = this.waiters.get(loc.tx.id);
      if (waiting !== undefined) {
        this.waiters.delete(loc.tx.id);
        for (const resolve of waiting) resolve(loc);
      }
    }
  }

  genesis(): Genesis {
    return this.options.genesis;
  }

  status(): NodeStatus {
    const { store } = this.deps;
    const head = store.head();
    const consensus = this.deps.consensus();
    const current = store.validatorsAt(head.height + 1);
    return {
      moniker: this.options.moniker,
      nodeId: this.options.nodeId,
      nodeKey: this.options.nodeKey,
      validatorId: isMember(current, this.options.nodeKey) ? this.options.nodeKey : null,
      listenAddrs: this.deps.network.listenAddrs(),
      version: this.options.version,
      height: head.height,
      hash: head.hash,
      timestamp: head.timestamp,
      appHash: store.state().root(),
      view: consensus?.view ?? 0,
      syncing: this.deps.syncing(),
    };
  }

  syncing(): boolean {
    return this.deps.syncing();
  }

  peers(): PeerInfo[] {
    const current = this.deps.store.validatorsAt(this.deps.store.head().height + 1);
    const byPeer = new Map<string, { peerId: string; validatorId: ValidatorId | null; addrs: string[]; outbound: boolean; connectedAt?: number }>();
    for (const c of this.deps.network.connections()) {
      const known = byPeer.get(c.peerId);
      if (known !== undefined) {
        if (!known.addrs.includes(c.addr)) known.addrs.push(c.addr);
        if (c.openedAt !== undefined && (known.connectedAt === undefined || c.openedAt < known.connectedAt)) known.connectedAt = c.openedAt;
        continue;
      }
      const peer = { peerId: c.peerId, validatorId: c.key !== null && isMember(current, c.key) ? c.key : null, addrs: [c.addr], outbound: c.outbound };
      byPeer.set(c.peerId, c.openedAt === undefined ? peer : { ...peer, connectedAt: c.openedAt });
    }
    return [...byPeer.values()];
  }

  getBlock(height: number): Promise<StoredBlock | undefined> {
    return this.deps.store.getBlock(height);
  }

  getBlockByHash(hash: string): Promise<StoredBlock | undefined> {
    return this.deps.store.getBlockByHash(hash);
  }

  getTx(id: string): Promise<TxLocation | undefined> {
    return this.deps.store.getTx(id);
  }

  async searchTxs(query: TxQuery, page: TxPage): Promise<TxSearchResult> {
    const index = this.deps.txIndex;
    if (query.height !== undefined && query.height < index.oldestHeight) {
      // Older than the index holds: one block is cheap to read whole.
      const stored = await this.deps.store.getBlock(query.height);
      const all = stored === undefined ? [] : txLocations(stored).filter((l) => query.sender === undefined || l.tx.sender === query.sender);
      if (page.order === "desc") all.reverse();
      return { txs: all.slice(page.offset, page.offset + page.limit), total: all.length };
    }
    const found = index.search(query, page);
    return { txs: await locate(this.deps.store, found.refs), total: found.total };
  }

  validatorsAt(height: number): ValidatorSet {
    return this.deps.store.validatorsAt(height);
  }

  /**
   * The mempool first: it decodes, hashes and verifies the tx once, and no store read is needed
   * on the hot path. Only a tx whose nonce the account has already passed may be one already in
   * a block, so only that refusal looks the tx up (idempotent submit answers `committed`).
   */
  submitTx(bytes: Uint8Array): Awaitable<SubmitResult> {
    let tx: SignedTx;
    try {
      tx = this.deps.mempool.add(bytes);
    } catch (err) {
      if (!(err instanceof MempoolError)) throw err;
      this.deps.metrics?.mempoolRefused(err.code);
      const id = typeof err.details.id === "string" ? err.details.id : null;
      if (err.code === "ALREADY_KNOWN" && id !== null) return { id, status: "known" };
      if (err.code === "STALE_NONCE" && id !== null) return this.committedOr(id, err);
      throw err;
    }
    this.deps.network.publishTx(tx);
    return { id: tx.id, status: "added" };
  }

  private async committedOr(id: string, refusal: MempoolError): Promise<SubmitResult> {
    const committed = await this.deps.store.getTx(id);
    if (committed !== undefined) return { id, status: "committed", height: committed.height };
    throw refusal;
  }

  waitForTx(id: string, signal: AbortSignal): Promise<TxLocation> {
    return new Promise<TxLocation>((resolve, reject) => {
      if (signal.aborted) {
        reject(signal.reason);
        return;
      }
      let set = this.waiters.get(id);
      if (set === undefined) {
        set = new Set();
        this.waiters.set(id, set);
      }
      const waiters = set;
      const done = (loc: TxLocation): void => {
        signal.removeEventListener("abort", onAbort);
        resolve(loc);
      };
      const onAbort = (): void => {
        waiters.delete(done);
        if (waiters.size === 0 && this.waiters.get(id) === waiters) this.waiters.delete(id);
        reject(signal.reason);
      };
      signal.addEventListener("abort", onAbort, { once: true });
      waiters.add(done);
      // Registered first, then the store: a block appended in between is caught either way.
      this.deps.store.getTx(id).then(
        (loc) => {
          if (loc === undefined || !waiters.has(done)) return;
          waiters.delete(done);
          if (waiters.size === 0 && this.waiters.get(id) === waiters) this.waiters.delete(id);
          done(loc);
        },
        (err: unknown) => {
          onAbort();
          reject(err);
        },
      );
    });
  }

  mempool(): MempoolInfo {
    return { txs: this.deps.mempool.size, bytes: this.deps.mempool.bytes };
  }

  pendingTxs(limit: number): SignedTx[] {
    return this.deps.mempool.pending(limit);
  }

  account(id: string): AccountInfo {
    const account = readAccount(this.deps.store.state(), id);
    // From the sender's own queue: a load client asks this per account, the pool holds 10k txs.
    return { balance: account.balance, nonce: account.nonce, pendingNonce: this.deps.mempool.pendingNonce(id, account.nonce) };
  }

  kv(key: string): Uint8Array | undefined {
    return this.deps.store.state().get(kvKey(key));
  }

  poaPendingVotes(): JsonValue | null {
    if (this.deps.selection.name !== "poa") return null;
    const state = this.deps.store.state();
    const members = this.deps.store.validatorsAt(this.deps.store.head().height + 1).members;
    const proposals = new Map<string, { action: string; validator: string; voters: string[] }>();
    for (const key of state.keysWithPrefix(POA_VOTE_PREFIX)) {
      const [action, validator, voter] = key.slice(POA_VOTE_PREFIX.length).split("/");
      if (action === undefined || validator === undefined || voter === undefined) continue;
      const name = `${action}/${validator}`;
      let p = proposals.get(name);
      if (p === undefined) {
        p = { action, validator, voters: [] };
        proposals.set(name, p);
      }
      p.voters.push(voter);
    }
    const needed = Math.floor(members.length / 2) + 1;
    return {
      validators: [...members],
      needed,
      pending: [...proposals.values()].map((p) => ({ action: p.action, validator: p.validator, voters: p.voters, votes: p.voters.length })),
    };
  }

  dbftCandidates(): JsonValue | null {
    if (this.deps.selection.name !== "dbft") return null;
    const current = this.deps.store.validatorsAt(this.deps.store.head().height + 1);
    return {
      validators: [...current.members],
      candidates: dbftTally(this.deps.store.state()).map((c) => ({ candidate: c.candidate, weight: c.weight.toString(), validator: isMember(current, c.candidate) })),
    };
  }

  consensusState(): ConsensusInfo {
    const s = this.deps.consensus();
    const height = this.deps.store.head().height + 1;
    if (s === null) {
      const set = this.deps.store.validatorsAt(height);
      return { height, view: 0, phase: "idle", primary: this.deps.selection.primary(set, height, 0) };
    }
    const round = this.deps.roundState?.() ?? null;
    // Both are synchronous reads of one replica, so they describe the same (height, view).
    if (round === null || round.height !== s.height || round.view !== s.view) return { height: s.height, view: s.view, phase: s.phase, primary: s.primary };
    const { height: _h, view: _v, ...rest } = round;
    return { height: s.height, view: s.view, phase: s.phase, primary: s.primary, round: rest };
  }

  triadStatus(): TriadStatusInfo {
    const counters = this.deps.triad?.();
    if (counters === undefined) throw new Error("triad_status counters not wired");
    const c = this.consensusState();
    const next = this.deps.store.validatorsAt(this.deps.store.head().height + 1);
    const role = !isMember(next, this.options.nodeKey) ? "observer" : c.primary === this.options.nodeKey ? "primary" : "backup";
    return { ...counters, role, phase: c.phase, primary: c.primary ?? null };
  }

  dashboard(since: number): Promise<DashboardInfo> {
    if (this.dashboardView === null) throw new Error("triad_dashboard journal not wired");
    return this.dashboardView.read(since);
  }

  signerMetrics(): JsonValue {
    const validators: JsonObject = {};
    for (const [id, c] of [...this.signers.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
      validators[id] = { signed: c.signed, missed: c.missed, proposed: c.proposed };
    }
    return { sinceHeight: this.metricsSince, blocks: this.metricsBlocks, validators };
  }

  describeTx(tx: SignedTx): JsonObject {
    return this.deps.registry.toJSON(tx) as JsonObject;
  }

  onNewBlock(listener: (block: StoredBlock) => void): Unsubscribe {
    this.blockListeners.add(listener);
    return () => this.blockListeners.delete(listener);
  }

  onTx(listener: (tx: TxLocation) => void): Unsubscribe {
    this.txListeners.add(listener);
    return () => this.txListeners.delete(listener);
  }

  /** Seal participation and proposals, counted over the blocks appended since start. */
  private countSigners(stored: StoredBlock): void {
    const height = stored.block.header.height;
    this.metricsSince ??= height;
    this.metricsBlocks++;
    const signed = new Set(stored.seal.commits.map((c) => c.validator));
    for (const id of this.deps.store.validatorsAt(height).members) {
      let c = this.signers.get(id);
      if (c === undefined) {
        c = { signed: 0, missed: 0, proposed: 0 };
        this.signers.set(id, c);
      }
      if (signed.has(id)) c.signed++;
      else c.missed++;
      if (stored.block.header.proposer === id) c.proposed++;
    }
  }

  private fenced(call: () => void): void {
    try {
      call();
    } catch (err) {
      this.log.error({ err }, "event listener threw");
    }
  }
}
