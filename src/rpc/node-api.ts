// What the RPC server needs from a node, and nothing more: the node (src/node) implements it
// over its block store, mempool, driver and p2p host; the tests implement it in memory. The
// server never reaches past this interface, so it can be tested without a running cluster.
import type { StoredBlock, TxLocation } from "../chain/block-store.js";
import type { Genesis } from "../chain/genesis.js";
import type { SignedTx } from "../chain/tx.js";
import type { ValidatorId, ValidatorSet } from "../chain/validator-set.js";

export type Awaitable<T> = T | Promise<T>;

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** The node's view of itself and of its chain's head, read for `status`, `health` and guards. */
export interface NodeStatus {
  /** A human-readable name for this node (CometBFT's moniker). */
  readonly moniker: string;
  /** The p2p identity as the network knows it (a libp2p peer id, `12D3KooW…`). */
  readonly nodeId: string;
  /** The node's ed25519 identity public key, lower-case hex (for a validator, its validator id). */
  readonly nodeKey: string;
  /** This node's validator id when it holds a key of the current set, else null. */
  readonly validatorId: ValidatorId | null;
  /** Addresses the p2p host listens on (multiaddrs). */
  readonly listenAddrs: readonly string[];
  /** Software version, e.g. "0.1.0". */
  readonly version: string;
  /** Height of the head block (0 before the first block). */
  readonly height: number;
  /** Hash of the head block; at height 0 the genesis hash. */
  readonly hash: Uint8Array;
  /** Timestamp (ms since epoch) of the head block; at height 0 the genesis time. */
  readonly timestamp: number;
  /** State root after the head block. */
  readonly appHash: Uint8Array;
  /** The consensus view the node is in for height + 1. */
  readonly view: number;
  /** True while the node is catching up (block sync): its state is behind the network's. */
  readonly syncing: boolean;
}

export interface PeerInfo {
  readonly peerId: string;
  /** The peer's validator id when it is a validator of the current set, else null. */
  readonly validatorId: ValidatorId | null;
  readonly addrs: readonly string[];
  /** True when this node dialled the peer. */
  readonly outbound: boolean;
  readonly moniker?: string;
  /** When (ms since epoch) the oldest open connection to the peer was opened, when known. */
  readonly connectedAt?: number;
}

export interface ConsensusInfo {
  /** The height being decided (head + 1). */
  readonly height: number;
  readonly view: number;
  /** The replica's PBFT phase: "pre-prepare", "prepare", "commit", "view-change", … */
  readonly phase: string;
  /** The primary of (height, view). */
  readonly primary: ValidatorId;
  /** What consensus_state's round_state shows beyond the position; absent when the node has no replica. */
  readonly round?: RoundInfo;
}

/** One validator's prepare or commit. */
export interface RoundVoteInfo {
  readonly validator: ValidatorId;
  readonly blockHash: Uint8Array;
  readonly signature: Uint8Array;
}

/** One view's votes, aligned with RoundInfo.members (null: no vote from that member). */
export interface ViewVotesInfo {
  readonly view: number;
  readonly prepares: readonly (RoundVoteInfo | null)[];
  readonly commits: readonly (RoundVoteInfo | null)[];
}

/** PBFT's nearest equivalents of CometBFT's round state. */
export interface RoundInfo {
  /** When (ms since epoch) the replica entered the current view. */
  readonly startedAt: number;
  /** The block pre-prepared in the current view. */
  readonly proposalHash: Uint8Array | null;
  /** The block of the replica's latest commit at this height (its view-changes must carry it). */
  readonly lockedHash: Uint8Array | null;
  /** The block of the highest prepared certificate known at this height. */
  readonly validHash: Uint8Array | null;
  /** The height's validators, in set order. */
  readonly members: readonly ValidatorId[];
  /** Ascending by view, ending with the current one. */
  readonly votes: readonly ViewVotesInfo[];
}

export interface AccountInfo {
  readonly balance: bigint;
  /** The next nonce the chain will accept from this account (committed state). */
  readonly nonce: number;
  /**
   * The next nonce counting this account's contiguous txs in the mempool. Clients use it to
   * send several txs without waiting for each to be committed. Defaults to `nonce`.
   */
  readonly pendingNonce?: number;
}

export interface MempoolInfo {
  readonly txs: number;
  readonly bytes: number;
}

/**
 * A tx search. Every field present must match (AND). The node may answer from a bounded index
 * (e.g. the last N blocks): `total` then counts what the index holds, not the whole chain.
 */
export interface TxQuery {
  /** Sender account id, lower-case hex. */
  readonly sender?: string;
  readonly height?: number;
}

export interface TxPage {
  /** Results to skip, in `order`. */
  readonly offset: number;
  /** At most this many results (≤ 100). */
  readonly limit: number;
  /** By (height, index). */
  readonly order: "asc" | "desc";
}

export interface TxSearchResult {
  readonly txs: readonly TxLocation[];
  readonly total: number;
}

export interface SubmitResult {
  /** The tx id (hex of its hash). */
  readonly id: string;
  /**
   * added: admitted to the mempool now; known: already pooled (a resubmission);
   * committed: already in a block (then `height` says which).
   */
  readonly status: "added" | "known" | "committed";
  readonly height?: number;
}

export type Unsubscribe = () => void;

/** `triad_status`: who this node is and what it has seen since its process started. */
export interface TriadStatusInfo {
  readonly role: "primary" | "backup" | "observer";
  /** The Byzantine behaviours this node runs ([] when honest). */
  readonly byzantine: readonly string[];
  readonly phase: string;
  readonly primary: ValidatorId | null;
  readonly uptimeMs: number;
  readonly viewChanges: Readonly<Record<string, number>>;
  readonly faultsReported: Readonly<Record<string, number>>;
  readonly faultsByPeer: Readonly<Record<string, number>>;
  /** Consensus messages refused before the core (signature, membership, chain, staleness). */
  readonly messagesRefused: number;
  /** What this node's behaviours did, by "behaviour:act" ({} when honest). */
  readonly byzantineActs: Readonly<Record<string, number>>;
  /** Peers disconnected for invalid frames or messages and refused now (their cool-down runs). */
  readonly peersRefused: readonly ValidatorId[];
  /** Such disconnections since start (they only grow). */
  readonly peerBans: number;
}

/**
 * `triad_dashboard`: what the live page draws, already in its wire form (snake_case), as the
 * page reads it; see the README's Dashboard section.
 */
export interface DashboardNode {
  readonly moniker: string;
  readonly validator_id: ValidatorId | null;
  readonly peer_id: string;
  readonly chain_id: string;
  readonly selection: "poa" | "dbft";
  readonly version: string;
  readonly height: number;
  readonly view: number;
  readonly phase: string;
  readonly primary: ValidatorId | null;
  readonly role: "primary" | "backup" | "observer";
  readonly byzantine: readonly string[];
  readonly syncing: boolean;
  readonly uptime_ms: number;
  readonly peers: number;
  readonly mempool: { readonly txs: number; readonly bytes: number };
  readonly view_changes: { readonly timeout: number; readonly join: number; readonly "bad-proposal": number; readonly entered: number };
  readonly faults_reported: number;
  readonly messages_refused: number;
  readonly now_ms: number;
}

export interface DashboardValidator {
  /** Hex id (ed25519 public key). */
  readonly address: ValidatorId;
  readonly power: number;
  readonly primary: boolean;
  readonly self: boolean;
  readonly connected: boolean;
  /** The newest block of the window whose seal it signed; null when none did. */
  readonly last_sealed_height: number | null;
  /** Seals of the window it signed. */
  readonly sealed_recent: number;
  /** Blocks in the window (the last ≤ 100). */
  readonly recent_blocks: number;
  /** Faults this node reported against it since the process started. */
  readonly faults: number;
}

export interface DashboardBlock {
  readonly height: number;
  readonly hash: string;
  readonly proposer: ValidatorId;
  readonly txs: number;
  readonly view: number;
  readonly bytes: number;
  readonly timestamp_ms: number;
  /** When this process appended it; null for a block appended before it started. */
  readonly appended_ms: number | null;
  /** appended_ms - timestamp_ms; null with appended_ms. */
  readonly latency_ms: number | null;
  readonly source: "consensus" | "sync" | null;
}

export type DashboardEvent =
  | { readonly seq: number; readonly at_ms: number; readonly kind: "view-change"; readonly height: number; readonly view: number; readonly reason: string }
  | { readonly seq: number; readonly at_ms: number; readonly kind: "fault"; readonly peer: string; readonly fault: string; readonly detail: string }
  | { readonly seq: number; readonly at_ms: number; readonly kind: "perturbation"; readonly action: string; readonly peer: string | null; readonly detail: string };

export interface DashboardInfo {
  readonly node: DashboardNode;
  readonly validators: readonly DashboardValidator[];
  /** Newest last, at most 50. */
  readonly blocks: readonly DashboardBlock[];
  /** seq > since, oldest first, at most 200. */
  readonly events: readonly DashboardEvent[];
  readonly next_since: number;
}

export interface NodeApi {
  readonly chainId: string;
  genesis(): Genesis;
  status(): Awaitable<NodeStatus>;
  /** NodeStatus.syncing alone, read cheaply: the tx submit path asks it on every call. */
  syncing(): boolean;
  peers(): Awaitable<readonly PeerInfo[]>;

  getBlock(height: number): Promise<StoredBlock | undefined>;
  /** `hash` is lower-case hex. */
  getBlockByHash(hash: string): Promise<StoredBlock | undefined>;
  /** `id` is lower-case hex. */
  getTx(id: string): Promise<TxLocation | undefined>;
  searchTxs(query: TxQuery, page: TxPage): Promise<TxSearchResult>;
  /** The set that validates block `height`; defined for 1 ≤ height ≤ head + 1 (the server checks). */
  validatorsAt(height: number): Awaitable<ValidatorSet>;

  /**
   * Admit a tx to the mempool. Idempotent: a tx already pooled is `known`, one already in a
   * block is `committed`; neither is added twice. Throws MempoolError when the tx is refused
   * (MEMPOOL_FULL when there is no room). A plain value when no IO was needed (the common
   * case), so a batch of submissions does not pay a promise per tx.
   */
  submitTx(bytes: Uint8Array): Awaitable<SubmitResult>;
  /**
   * Resolves when the tx is in an appended block, at once if it already is (no gap between the
   * check and the wait); rejects when `signal` aborts (client gone, timeout, server stopping).
   */
  waitForTx(id: string, signal: AbortSignal): Promise<TxLocation>;
  mempool(): Awaitable<MempoolInfo>;
  /** Up to `limit` pooled txs, oldest first. */
  pendingTxs(limit: number): Awaitable<readonly SignedTx[]>;

  /** `id` is lower-case hex; an account never written reads as balance 0, nonce 0. */
  account(id: string): Awaitable<AccountInfo>;
  kv(key: string): Awaitable<Uint8Array | undefined>;
  /** PoA governance: votes not yet passed. null when the chain does not use PoA selection. */
  poaPendingVotes(): Awaitable<JsonValue | null>;
  /** DBFT: registered candidates and their votes. null when the chain does not use DBFT. */
  dbftCandidates(): Awaitable<JsonValue | null>;
  consensusState(): Awaitable<ConsensusInfo>;
  /** Per-validator signing counters (seal participation, …), JSON-ready. */
  signerMetrics(): Awaitable<JsonValue>;
  /** `triad_status`; optional (a node without it answers METHOD_NOT_ENABLED). */
  triadStatus?(): Awaitable<TriadStatusInfo>;
  /** `triad_dashboard`: events after the cursor `since`; optional (METHOD_NOT_ENABLED without it). */
  dashboard?(since: number): Awaitable<DashboardInfo>;
  /** A JSON view of a tx's payload (the registry's `toJSON`); optional. */
  describeTx?(tx: SignedTx): JsonObject;

  /** Called after each block is appended, in height order. */
  onNewBlock(listener: (block: StoredBlock) => void): Unsubscribe;
  /** Called for each tx of an appended block, in order, after the block's onNewBlock. */
  onTx(listener: (tx: TxLocation) => void): Unsubscribe;
}
