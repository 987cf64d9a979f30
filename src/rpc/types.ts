// The JSON shapes of RPC results, shared by the server's formatters and the typed client so
// the two cannot drift. CometBFT's conventions hold: int64 values are decimal strings, hashes
// upper-case hex, byte strings base64, times RFC 3339. Triad's additions sit under `triad`.
// Triad's own methods (triad_*, poa_*, dbft_*, consensus_*) use JSON numbers for heights and
// nonces (all safe integers) and decimal strings only for u64 balances.
import type { JsonValue } from "./node-api.js";

export interface PartSetHeaderJson {
  readonly total: number;
  readonly hash: string;
}

export interface BlockIdJson {
  readonly hash: string;
  readonly parts: PartSetHeaderJson;
}

export interface HeaderJson {
  readonly version: { readonly block: string; readonly app: string };
  readonly chain_id: string;
  readonly height: string;
  readonly time: string;
  readonly last_block_id: BlockIdJson;
  readonly last_commit_hash: string;
  readonly data_hash: string;
  readonly validators_hash: string;
  readonly next_validators_hash: string;
  readonly consensus_hash: string;
  readonly app_hash: string;
  readonly last_results_hash: string;
  readonly evidence_hash: string;
  readonly proposer_address: string;
  readonly triad: { readonly view: number; readonly proposer: string; readonly parent_hash: string };
}

export interface CommitSigJson {
  /** 2 = signed for the block (CometBFT's BlockIDFlagCommit), 1 = absent. */
  readonly block_id_flag: 1 | 2;
  readonly validator_address: string;
  readonly timestamp: string;
  readonly signature: string | null;
}

export interface CommitJson {
  readonly height: string;
  /** PBFT's view of the decision. */
  readonly round: number;
  readonly block_id: BlockIdJson;
  readonly signatures: readonly CommitSigJson[];
}

export interface BlockJson {
  readonly header: HeaderJson;
  readonly data: { readonly txs: readonly string[] };
  readonly evidence: { readonly evidence: readonly never[] };
  readonly last_commit: CommitJson;
}

export interface ResultBlock {
  readonly block_id: BlockIdJson;
  readonly block: BlockJson;
}

export interface ResultCommit {
  readonly signed_header: { readonly header: HeaderJson; readonly commit: CommitJson };
  readonly canonical: boolean;
}

export interface BlockMetaJson {
  readonly block_id: BlockIdJson;
  readonly block_size: string;
  readonly header: HeaderJson;
  readonly num_txs: string;
}

export interface ResultBlockchain {
  readonly last_height: string;
  readonly block_metas: readonly BlockMetaJson[];
}

/** One block of `triad_blocks`: what a chain checker needs, hashes in lower-case hex. */
export interface TriadBlockJson {
  readonly height: number;
  readonly hash: string;
  readonly parent_hash: string;
  /** The state root after the block (the header's stateRoot). */
  readonly app_hash: string;
  /** The hash of the set that validates this block. */
  readonly validators_hash: string;
  readonly view: number;
  readonly proposer: string;
  readonly tx_ids: readonly string[];
  /** The seal this node stored for the block (its own quorum of commits). */
  readonly seal: { readonly view: number; readonly signatures: readonly { readonly validator: string; readonly signature: string }[] };
}

export interface ResultTriadBlocks {
  /** The node's head height when it answered. */
  readonly last_height: number;
  /** Ascending by height, at most the server's `maxBlocksRange`. */
  readonly blocks: readonly TriadBlockJson[];
}

export interface PubKeyJson {
  readonly type: "tendermint/PubKeyEd25519";
  readonly value: string;
}

export interface ValidatorJson {
  readonly address: string;
  readonly pub_key: PubKeyJson;
  readonly voting_power: string;
  readonly proposer_priority: string;
}

export interface ResultValidators {
  readonly block_height: string;
  readonly validators: readonly ValidatorJson[];
  readonly count: string;
  readonly total: string;
}

export interface EventJson {
  readonly type: string;
  readonly attributes: readonly { readonly key: string; readonly value: string; readonly index: boolean }[];
}

/** CometBFT's ExecTxResult / ResponseCheckTx. */
export interface TxResultJson {
  readonly code: number;
  readonly data: string | null;
  readonly log: string;
  readonly info: string;
  readonly gas_wanted: string;
  readonly gas_used: string;
  readonly events: readonly EventJson[];
  readonly codespace: string;
}

export interface TxTriadJson {
  readonly id: string;
  readonly sender: string;
  readonly nonce: number;
  readonly kind: string;
  readonly chain_id: string;
  readonly payload?: JsonValue;
}

export interface ResultTx {
  readonly hash: string;
  readonly height: string;
  readonly index: number;
  readonly tx_result: TxResultJson;
  readonly tx: string;
  readonly triad: TxTriadJson;
}

export interface ResultTxSearch {
  readonly txs: readonly ResultTx[];
  readonly total_count: string;
}

/** submitted: async mode, not checked yet; rejected: refused (see `code`). */
export type SubmitStatus = "submitted" | "added" | "known" | "committed" | "rejected";

export interface BroadcastTriadJson {
  readonly status: SubmitStatus;
  /** The MempoolError code when rejected. */
  readonly error?: string;
  readonly details?: Readonly<Record<string, unknown>>;
  /** Set when the tx is already in a block. */
  readonly height?: number;
}

/** broadcast_tx_sync / _async (CometBFT's ResultBroadcastTx). */
export interface ResultBroadcastTx {
  readonly code: number;
  /** Always "" (CometBFT's empty byte string). */
  readonly data: string;
  readonly log: string;
  readonly codespace: string;
  readonly hash: string;
  readonly triad: BroadcastTriadJson;
}

export interface ResultBroadcastTxCommit {
  readonly check_tx: TxResultJson;
  readonly tx_result: TxResultJson | Record<string, never>;
  readonly hash: string;
  readonly height: string;
  readonly triad: BroadcastTriadJson;
}

export interface ResultBroadcastTxBatch {
  readonly results: readonly ResultBroadcastTx[];
}

export interface NodeInfoJson {
  readonly protocol_version: { readonly p2p: string; readonly block: string; readonly app: string };
  readonly id: string;
  readonly listen_addr: string;
  readonly network: string;
  readonly version: string;
  readonly channels: string;
  readonly moniker: string;
  readonly other: { readonly tx_index: string; readonly rpc_address: string; readonly peer_id: string; readonly triad_version: string };
}

/** flowrate.Status (CometBFT's libs/flowrate): int64s and durations (ns) as decimal strings. */
export interface FlowStatusJson {
  readonly Start: string;
  readonly Bytes: string;
  readonly Samples: string;
  readonly InstRate: string;
  readonly CurRate: string;
  readonly AvgRate: string;
  readonly PeakRate: string;
  readonly BytesRem: string;
  readonly Duration: string;
  readonly Idle: string;
  readonly TimeRem: string;
  readonly Progress: number;
  readonly Active: boolean;
}

/** p2p.ConnectionStatus; Duration in nanoseconds. */
export interface ConnectionStatusJson {
  readonly Duration: string;
  readonly SendMonitor: FlowStatusJson;
  readonly RecvMonitor: FlowStatusJson;
  readonly Channels: readonly { readonly ID: number; readonly SendQueueCapacity: string; readonly SendQueueSize: string; readonly Priority: string; readonly RecentlySent: string }[];
}

export interface ResultStatus {
  readonly node_info: NodeInfoJson;
  readonly sync_info: {
    readonly latest_block_hash: string;
    readonly latest_app_hash: string;
    readonly latest_block_height: string;
    readonly latest_block_time: string;
    readonly earliest_block_hash: string;
    readonly earliest_app_hash: string;
    readonly earliest_block_height: string;
    readonly earliest_block_time: string;
    readonly catching_up: boolean;
  };
  readonly validator_info: { readonly address: string; readonly pub_key: PubKeyJson; readonly voting_power: string };
  readonly triad: {
    readonly view: number;
    readonly node_id: string;
    readonly validator_id: string | null;
    readonly genesis_hash: string;
    readonly selection: string;
    /** Triad's software version (node_info.version is the CometBFT RPC version). */
    readonly version: string;
  };
}

export interface PeerJson {
  readonly node_info: NodeInfoJson;
  readonly is_outbound: boolean;
  readonly connection_status: ConnectionStatusJson;
  readonly remote_ip: string;
  readonly triad: { readonly peer_id: string; readonly validator_id: string | null; readonly addrs: readonly string[] };
}

export interface ResultNetInfo {
  readonly listening: boolean;
  readonly listeners: readonly string[];
  readonly n_peers: string;
  readonly peers: readonly PeerJson[];
}

export interface ResultUnconfirmedTxs {
  readonly n_txs: string;
  readonly total: string;
  readonly total_bytes: string;
  readonly txs: readonly string[] | null;
}

export interface GenesisValidatorJson {
  readonly address: string;
  readonly pub_key: PubKeyJson;
  readonly power: string;
  readonly name: string;
}

export interface ResultGenesis {
  readonly genesis: {
    readonly genesis_time: string;
    readonly chain_id: string;
    readonly initial_height: string;
    readonly consensus_params: {
      readonly block: { readonly max_bytes: string; readonly max_gas: string };
      readonly evidence: { readonly max_age_num_blocks: string; readonly max_age_duration: string; readonly max_bytes: string };
      readonly validator: { readonly pub_key_types: readonly string[] };
      readonly version: { readonly app: string };
      readonly abci: { readonly vote_extensions_enable_height: string };
    };
    readonly validators: readonly GenesisValidatorJson[];
    readonly app_hash: string;
    readonly app_state: JsonValue;
  };
  /** The Triad genesis document as given, and its hash. */
  readonly triad: { readonly genesis: JsonValue; readonly genesis_hash: string };
}

/** One round of CometBFT's height_vote_set: a view's prepares (prevotes) and commits (precommits). */
export interface RoundVotesJson {
  readonly round: number;
  /** Per validator in set order: a Vote.String() or "nil-Vote". */
  readonly prevotes: readonly string[];
  readonly prevotes_bit_array: string;
  readonly precommits: readonly string[];
  readonly precommits_bit_array: string;
}

export interface ResultConsensusState {
  readonly round_state: {
    readonly "height/round/step": string;
    readonly height: string;
    readonly round: number;
    readonly step: string;
    /** When this node entered the current view. */
    readonly start_time: string;
    readonly proposal_block_hash: string;
    readonly locked_block_hash: string;
    readonly valid_block_hash: string;
    readonly height_vote_set: readonly RoundVotesJson[];
    readonly proposer: { readonly address: string; readonly index: number };
  };
  readonly triad: { readonly height: number; readonly view: number; readonly phase: string; readonly primary: string };
}

export interface ResultAccount {
  readonly id: string;
  readonly balance: string;
  readonly nonce: number;
  readonly pending_nonce: number;
  /** The head height the answer was read at. */
  readonly height: number;
}

export interface ResultKv {
  readonly key: string;
  /** base64, or null when the key is not set. */
  readonly value: string | null;
  readonly height: number;
}

export interface NewBlockEventValue {
  readonly block: BlockJson;
  readonly block_id: BlockIdJson;
  readonly result_finalize_block: {
    readonly events: readonly EventJson[];
    readonly tx_results: readonly TxResultJson[];
    readonly validator_updates: readonly never[];
    readonly app_hash: string;
  };
}

export interface TxEventValue {
  readonly TxResult: { readonly height: string; readonly index: number; readonly tx: string; readonly result: TxResultJson };
}

export type EventData =
  | { readonly type: "tendermint/event/NewBlock"; readonly value: NewBlockEventValue }
  | { readonly type: "tendermint/event/Tx"; readonly value: TxEventValue };

/** An event pushed to a WebSocket subscriber (CometBFT's ResultEvent). */
export interface ResultEvent {
  readonly query: string;
  readonly data: EventData;
  readonly events: Readonly<Record<string, readonly string[]>>;
}
