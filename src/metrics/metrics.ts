// Every metric a Triad node serves, in one prom-client Registry (libp2p's own metrics and Node's
// process metrics join the same registry). Names follow CometBFT's consensus metrics where one
// exists, with the prefix `triad_`. Node components take `Metrics | null` (Lodestar's style): a
// node started without --metrics-listen pays nothing. Every label set is closed (reasons, steps,
// message types, refusal codes) or bounded (validators: MAX_VALIDATOR_LABELS).
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { MempoolErrorCode } from "../chain/index.js";

/** Most validators that get their own label values; past it a validator is not tracked. */
export const MAX_VALIDATOR_LABELS = 1_024;

const STEPS = ["pre-prepare", "prepare", "commit"] as const;
export type ConsensusStep = (typeof STEPS)[number];

const VIEW_CHANGE_REASONS = ["timeout", "join", "bad-proposal", "entered"] as const;

/** Message types counted by the p2p layer: PBFT's five, the tx relay's, sync's, and whole gossip RPC frames. */
export const MESSAGE_TYPES = ["pre-prepare", "prepare", "commit", "view-change", "new-view", "tx", "sync-request", "sync-blocks", "gossip-rpc", "unknown"] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

/** Why a message was refused: a closed set (a peer's free text never becomes a label value). */
export const REJECT_REASONS = ["oversize", "malformed", "wrong-chain", "stale", "non-member", "bad-signature", "not-allowed", "rate-limited", "off-topic", "error", "other"] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

/** Sub-second consensus steps on a LAN up to multi-second view-change timeouts. */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export class Metrics {
  readonly registry = new Registry();

  readonly height = new Gauge({ name: "triad_consensus_height", help: "Height of the last block appended to this node's chain (CometBFT consensus_height)", registers: [this.registry] });
  readonly view = new Gauge({ name: "triad_consensus_view", help: "PBFT view this replica is in at the current height (CometBFT consensus_rounds)", registers: [this.registry] });
  readonly viewChanges = new Counter({
    name: "triad_consensus_view_changes_total",
    help: "View changes by reason: timeout (own timer expired), join (f+1 asked for a higher view), bad-proposal (refused the primary's block), entered (a new-view took this replica into the view)",
    labelNames: ["reason"] as const,
    registers: [this.registry],
  });
  readonly stepDuration = new Histogram({
    name: "triad_consensus_step_duration_seconds",
    help: "Time spent in each PBFT step of a (height, view): pre-prepare from entering it to this replica's own pre-prepare (primary) or prepare (backup); prepare from there to its commit (prepared certificate); commit from there to the append (CometBFT consensus_step_duration_seconds)",
    labelNames: ["step"] as const,
    buckets: DURATION_BUCKETS,
    registers: [this.registry],
  });
  readonly quorumPrepareDelay = new Gauge({
    name: "triad_consensus_quorum_prepare_delay",
    help: "Seconds from the proposal's header timestamp to this replica holding a quorum of prepares, last block (CometBFT consensus_quorum_prevote_delay)",
    registers: [this.registry],
  });
  readonly quorumCommitDelay = new Gauge({
    name: "triad_consensus_quorum_commit_delay",
    help: "Seconds from the proposal's header timestamp to this replica holding a quorum of commits, last block (CometBFT consensus_full_prevote_delay's nearest)",
    registers: [this.registry],
  });
  readonly commitLatency = new Histogram({
    name: "triad_consensus_commit_latency_seconds",
    help: "Seconds from a block's header timestamp (the proposer's clock) to its append on this node, blocks decided by consensus",
    buckets: DURATION_BUCKETS,
    registers: [this.registry],
  });
  readonly numTxs = new Gauge({ name: "triad_consensus_num_txs", help: "Txs in the last appended block (CometBFT consensus_num_txs)", registers: [this.registry] });
  readonly totalTxs = new Gauge({ name: "triad_consensus_total_txs", help: "Txs in the blocks this process appended since it started (CometBFT consensus_total_txs)", registers: [this.registry] });
  readonly blockSize = new Gauge({ name: "triad_consensus_block_size_bytes", help: "Encoded size of the last appended block (CometBFT consensus_block_size_bytes)", registers: [this.registry] });
  readonly blockInterval = new Histogram({
    name: "triad_consensus_block_interval_seconds",
    help: "Seconds between the header timestamps of consecutive blocks (CometBFT consensus_block_interval_seconds)",
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
    registers: [this.registry],
  });
  readonly validators = new Gauge({ name: "triad_consensus_validators", help: "Validators in the set of the next height (CometBFT consensus_validators)", registers: [this.registry] });
  readonly validatorMissedBlocks = new Gauge({
    name: "triad_consensus_validator_missed_blocks",
    help: "Heights h this node saw appended, with the validator in h's set, for which no validly signed prepare or commit of h from it reached this node before it appended h (later ones are stale and dropped unread; a seal holds only a quorum of commits, so it is no evidence of absence); counted since this process started (CometBFT consensus_validator_missed_blocks)",
    labelNames: ["validator"] as const,
    registers: [this.registry],
  });
  readonly validatorLastSignedHeight = new Gauge({
    name: "triad_consensus_validator_last_signed_height",
    help: "Last height for which a validly signed prepare or commit from the validator reached this node in time (see triad_consensus_validator_missed_blocks) (CometBFT consensus_validator_last_signed_height)",
    labelNames: ["validator"] as const,
    registers: [this.registry],
  });
  readonly missingValidators = new Gauge({
    name: "triad_consensus_missing_validators",
    help: "Validators of the last evaluated height that missed it (see triad_consensus_validator_missed_blocks) (CometBFT consensus_missing_validators)",
    registers: [this.registry],
  });
  readonly byzantineValidators = new Gauge({
    name: "triad_consensus_byzantine_validators",
    help: "Validators of the current set this node reported a fault for since it started (CometBFT consensus_byzantine_validators)",
    registers: [this.registry],
  });
  readonly faults = new Counter({ name: "triad_consensus_faults_total", help: "Faults this replica reported about its peers, by kind", labelNames: ["fault"] as const, registers: [this.registry] });

  readonly mempoolRejected = new Counter({
    name: "triad_mempool_rejected_txs_total",
    help: "Txs the mempool refused, by code (from clients over RPC and from peers' relay)",
    labelNames: ["code"] as const,
    registers: [this.registry],
  });

  readonly messagesReceived = new Counter({ name: "triad_p2p_messages_received_total", help: "Messages accepted from peers, by type", labelNames: ["type"] as const, registers: [this.registry] });
  readonly messagesSent = new Counter({ name: "triad_p2p_messages_sent_total", help: "Messages handed to the network, by type (a broadcast counts once)", labelNames: ["type"] as const, registers: [this.registry] });
  readonly messagesRejected = new Counter({
    name: "triad_p2p_messages_rejected_total",
    help: "Messages from peers refused or ignored, by type and reason",
    labelNames: ["type", "reason"] as const,
    registers: [this.registry],
  });

  readonly blocksyncSyncing = new Gauge({ name: "triad_blocksync_syncing", help: "1 while this node is catching up by block sync, else 0 (CometBFT blocksync_syncing)", registers: [this.registry] });
  readonly blocksyncLatestHeight = new Gauge({
    name: "triad_blocksync_latest_block_height",
    help: "Best head height the peers reported at the syncer's last look (CometBFT blocksync_latest_block_height)",
    registers: [this.registry],
  });
  readonly blocksyncImported = new Counter({ name: "triad_blocksync_imported_blocks_total", help: "Blocks appended from block sync rather than decided by consensus here", registers: [this.registry] });

  private readonly sources: { mempool: (() => { txs: number; bytes: number }) | null; peers: (() => number) | null; sync: (() => { syncing: boolean; best: number }) | null } = {
    mempool: null,
    peers: null,
    sync: null,
  };

  constructor() {
    // Read at scrape time from the live objects, so they are never stale and cost nothing between scrapes.
    const sources = this.sources;
    new Gauge({
      name: "triad_mempool_size",
      help: "Txs waiting in the mempool (CometBFT mempool_size)",
      registers: [this.registry],
      collect() {
        if (sources.mempool !== null) this.set(sources.mempool().txs);
      },
    });
    new Gauge({
      name: "triad_mempool_size_bytes",
      help: "Bytes of the txs waiting in the mempool (CometBFT mempool_size_bytes)",
      registers: [this.registry],
      collect() {
        if (sources.mempool !== null) this.set(sources.mempool().bytes);
      },
    });
    new Gauge({
      name: "triad_p2p_peers",
      help: "Connected peers (CometBFT p2p_peers)",
      registers: [this.registry],
      collect() {
        if (sources.peers !== null) this.set(sources.peers());
      },
    });
    const syncing = this.blocksyncSyncing;
    const latest = this.blocksyncLatestHeight;
    this.collectSync = (): void => {
      if (sources.sync === null) return;
      const s = sources.sync();
      syncing.set(s.syncing ? 1 : 0);
      latest.set(s.best);
    };
    for (const r of VIEW_CHANGE_REASONS) this.viewChanges.inc({ reason: r }, 0);
    for (const s of STEPS) this.stepDuration.zero({ step: s });
  }

  private readonly collectSync: () => void;

  /** Live readings taken at each scrape. */
  observeMempool(read: () => { txs: number; bytes: number }): void {
    this.sources.mempool = read;
  }

  observePeers(read: () => number): void {
    this.sources.peers = read;
  }

  observeSync(read: () => { syncing: boolean; best: number }): void {
    this.sources.sync = read;
  }

  /** Add Node's process metrics (prom-client's defaults, standard unprefixed names). */
  collectProcessMetrics(): void {
    collectDefaultMetrics({ register: this.registry });
  }

  /** The Prometheus text of every metric. */
  async text(): Promise<string> {
    this.collectSync();
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  viewChanged(reason: (typeof VIEW_CHANGE_REASONS)[number]): void {
    this.viewChanges.inc({ reason });
  }

  messageReceived(type: MessageType): void {
    this.messagesReceived.inc({ type });
  }

  messageSent(type: MessageType, count = 1): void {
    this.messagesSent.inc({ type }, count);
  }

  messageRejected(type: MessageType, reason: RejectReason): void {
    this.messagesRejected.inc({ type, reason });
  }

  mempoolRefused(code: string): void {
    this.mempoolRejected.inc({ code: MEMPOOL_CODES.has(code) ? code : "OTHER" });
  }
}

/** The mempool's refusal codes (a closed label set; the Record keeps it in step with the type). */
const MEMPOOL_CODE_SET: Readonly<Record<MempoolErrorCode, true>> = {
  MEMPOOL_FULL: true,
  UNFUNDED_QUOTA: true,
  ALREADY_KNOWN: true,
  NONCE_TAKEN: true,
  STALE_NONCE: true,
  NONCE_GAP: true,
  UNKNOWN_KIND: true,
  BAD_PAYLOAD: true,
  BAD_SIGNATURE: true,
  WRONG_CHAIN: true,
  TX_TOO_LARGE: true,
  BAD_NONCE: true,
};
const MEMPOOL_CODES: ReadonlySet<string> = new Set(Object.keys(MEMPOOL_CODE_SET));

export function createMetrics(): Metrics {
  return new Metrics();
}
