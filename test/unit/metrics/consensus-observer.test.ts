// The observer derives step durations, view changes, latencies and missed blocks from a scripted
// sequence of the driver's events, timed by a fake clock; the registry's text parses strictly.
import { describe, expect, it } from "vitest";
import { makeBlock, type Block, type StoredBlock, type ValidatorId } from "../../../src/chain/index.js";
import type { Action, ConsensusMessage } from "../../../src/consensus/index.js";
import { ConsensusObserver, createMetrics, MAX_VALIDATOR_LABELS, type Metrics } from "../../../src/metrics/index.js";
import { parsePrometheusText, sampleValue } from "./prom-text.js";

const A = "aa".repeat(32);
const B = "bb".repeat(32);
const C = "cc".repeat(32);
const D = "dd".repeat(32);
const E = "ee".repeat(32);
const zero = new Uint8Array(32);

function block(height: number, view: number, timestamp: number, txs = 0): Block {
  void txs;
  return makeBlock({ chainId: "t", height, view, parentHash: zero, timestamp, proposer: A, txRoot: zero, stateRoot: zero, validatorsHash: zero }, []);
}

const stored = (b: Block): StoredBlock => ({ block: b, seal: {} as StoredBlock["seal"], receipts: [] });
const msg = (type: ConsensusMessage["type"], height: number, from: ValidatorId, extra: object = {}): ConsensusMessage =>
  ({ type, chainId: "t", height, view: 0, from, ...extra }) as unknown as ConsensusMessage;
const persist = (phase: "pre-prepare" | "prepare" | "commit", height: number, view: number, message: ConsensusMessage): Action =>
  ({ type: "persist-vote", height, view, phase, message }) as Action;

class Harness {
  now = 1_000_000;
  readonly metrics: Metrics = createMetrics();
  readonly observer: ConsensusObserver;
  constructor(
    self: ValidatorId | null,
    public members: ValidatorId[] = [A, B, C, D],
  ) {
    this.observer = new ConsensusObserver({ height: 0, timestamp: this.now - 1_000 }, { metrics: this.metrics, clock: { now: () => this.now }, self, validatorsAt: () => this.members });
  }
  advance(ms: number): this {
    this.now += ms;
    return this;
  }
  act(action: Action): this {
    this.observer.onAction(action);
    return this;
  }
  /** One height decided by consensus: commit of the block, then its append. */
  decide(b: Block): this {
    this.observer.onAction({ type: "append-block", block: b, seal: {} as StoredBlock["seal"] });
    this.observer.onAppended(stored(b), "consensus");
    return this;
  }
  async text(): Promise<ReturnType<typeof parsePrometheusText>> {
    return parsePrometheusText(await this.metrics.text());
  }
}

describe("ConsensusObserver", () => {
  it("times the three steps of a backup and the quorum delays from the header timestamp", async () => {
    const h = new Harness(B);
    // Height 1 was under way before the observer started: its steps are not timed.
    const first = block(1, 0, h.now - 1_000);
    h.act(persist("prepare", 1, 0, msg("prepare", 1, B))).advance(10).decide(first);
    expect(sampleValue(await h.text(), "triad_consensus_step_duration_seconds_count", { step: "pre-prepare" })).toBe(0);
    // Height 2 starts at that append; the proposal is stamped 10 ms after it.
    const proposal = block(2, 0, h.now + 10);
    h.advance(40).act({ type: "validate-block", height: 2, view: 0, block: proposal });
    h.advance(10).act(persist("prepare", 2, 0, msg("prepare", 2, B))); // pre-prepare step: 50 ms
    h.advance(100).act(persist("commit", 2, 0, msg("commit", 2, B))); // prepare step: 100 ms; quorum prepare 140 ms after the timestamp
    h.advance(200).decide(proposal); // commit step: 200 ms; quorum commit 340 ms after it
    const t = await h.text();
    expect(sampleValue(t, "triad_consensus_step_duration_seconds_sum", { step: "pre-prepare" })).toBeCloseTo(0.05);
    expect(sampleValue(t, "triad_consensus_step_duration_seconds_sum", { step: "prepare" })).toBeCloseTo(0.1);
    expect(sampleValue(t, "triad_consensus_step_duration_seconds_sum", { step: "commit" })).toBeCloseTo(0.2);
    expect(sampleValue(t, "triad_consensus_step_duration_seconds_count", { step: "commit" })).toBe(1);
    expect(sampleValue(t, "triad_consensus_quorum_prepare_delay")).toBeCloseTo(0.14);
    expect(sampleValue(t, "triad_consensus_quorum_commit_delay")).toBeCloseTo(0.34);
    expect(sampleValue(t, "triad_consensus_commit_latency_seconds_sum")).toBeCloseTo(1.01 + 0.34);
    expect(sampleValue(t, "triad_consensus_commit_latency_seconds_count")).toBe(2);
    // Block 1 (construction - 1 s) → block 2 (construction + 20 ms); genesis time → block 1 is no interval.
    expect(sampleValue(t, "triad_consensus_block_interval_seconds_sum")).toBeCloseTo(1.02);
    expect(sampleValue(t, "triad_consensus_block_interval_seconds_count")).toBe(1);
    expect(sampleValue(t, "triad_consensus_height")).toBe(2);
    expect(sampleValue(t, "triad_consensus_block_size_bytes")).toBe(proposal.bytes.length);
    expect(sampleValue(t, "triad_consensus_validators")).toBe(4);
  });

  it("starts the pre-prepare step of a primary at its own pre-prepare, and restarts the clock in a new view", async () => {
    const h = new Harness(A);
    h.advance(500).act({ type: "view-changed", height: 1, view: 1, reason: "timeout" });
    h.advance(300).act({ type: "view-changed", height: 1, view: 1, reason: "entered" });
    const proposal = block(1, 1, h.now);
    // A late vote of view 0 does not count in view 1.
    h.advance(5).act(persist("prepare", 1, 0, msg("prepare", 1, A)));
    h.advance(20).act(persist("pre-prepare", 1, 1, msg("pre-prepare", 1, A, { block: proposal })));
    h.act(persist("prepare", 1, 1, msg("prepare", 1, A)));
    const t = await h.text();
    expect(sampleValue(t, "triad_consensus_step_duration_seconds_count", { step: "pre-prepare" })).toBe(1);
    expect(sampleValue(t, "triad_consensus_step_duration_seconds_sum", { step: "pre-prepare" })).toBeCloseTo(0.025);
    expect(sampleValue(t, "triad_consensus_view_changes_total", { reason: "timeout" })).toBe(1);
    expect(sampleValue(t, "triad_consensus_view_changes_total", { reason: "entered" })).toBe(1);
    expect(sampleValue(t, "triad_consensus_view_changes_total", { reason: "join" })).toBe(0);
    expect(sampleValue(t, "triad_consensus_view_changes_total", { reason: "bad-proposal" })).toBe(0);
    expect(sampleValue(t, "triad_consensus_view")).toBe(1);
    h.advance(100).decide(proposal);
    expect(sampleValue(await h.text(), "triad_consensus_view")).toBe(0);
  });

  it("counts a validator as having signed h only for a prepare or commit of h seen before h+1 was appended", async () => {
    const h = new Harness(A);
    // Height 1: B prepares, C commits, D sends only a view-change; A (us) commits.
    h.observer.onSigned(msg("prepare", 1, B));
    h.observer.onSigned(msg("commit", 1, C));
    h.observer.onSigned(msg("view-change", 1, D));
    h.act(persist("commit", 1, 0, msg("commit", 1, A)));
    h.advance(100).decide(block(1, 0, h.now));
    // Not evaluated yet: votes for 1 could still count until 2 is appended.
    expect(sampleValue(await h.text(), "triad_consensus_validator_missed_blocks", { validator: D })).toBeUndefined();
    // Height 2: only B and C; a commit of height 1 from D after 1's append still counts for 1
    // (2 is not appended yet), one from A after 2's append is too late.
    h.observer.onSigned(msg("commit", 1, E));
    h.observer.onSigned(msg("commit", 2, B));
    h.observer.onSigned(msg("prepare", 2, C));
    h.advance(100).decide(block(2, 0, h.now));
    h.observer.onSigned(msg("commit", 1, D));
    let t = await h.text();
    expect(sampleValue(t, "triad_consensus_validator_missed_blocks", { validator: D })).toBe(1);
    expect(sampleValue(t, "triad_consensus_validator_missed_blocks", { validator: A })).toBe(0);
    expect(sampleValue(t, "triad_consensus_validator_last_signed_height", { validator: B })).toBe(1);
    expect(sampleValue(t, "triad_consensus_validator_last_signed_height", { validator: D })).toBeUndefined();
    expect(sampleValue(t, "triad_consensus_missing_validators")).toBe(1);
    // Height 3 appended: height 2 is judged; A (us) did not vote for 2, D did not either.
    h.advance(100).decide(block(3, 0, h.now));
    t = await h.text();
    expect(sampleValue(t, "triad_consensus_validator_missed_blocks", { validator: D })).toBe(2);
    expect(sampleValue(t, "triad_consensus_validator_missed_blocks", { validator: A })).toBe(1);
    expect(sampleValue(t, "triad_consensus_validator_last_signed_height", { validator: C })).toBe(2);
    expect(sampleValue(t, "triad_consensus_missing_validators")).toBe(2);
    // D leaves the set and E joins: D's series go, E's appear.
    h.members = [A, B, C, E];
    h.observer.onSigned(msg("commit", 4, E));
    h.advance(100).decide(block(4, 0, h.now));
    h.advance(100).decide(block(5, 0, h.now));
    t = await h.text();
    expect(sampleValue(t, "triad_consensus_validator_missed_blocks", { validator: D })).toBeUndefined();
    expect(sampleValue(t, "triad_consensus_validator_last_signed_height", { validator: E })).toBe(4);
  });

  it("judges no height it did not watch (imported by sync)", async () => {
    const h = new Harness(A);
    const b1 = block(1, 0, h.now);
    h.observer.onAppended(stored(b1), "sync");
    h.observer.onAppended(stored(block(2, 0, h.now)), "sync");
    const t = await h.text();
    expect(sampleValue(t, "triad_consensus_missing_validators")).toBe(0);
    expect(sampleValue(t, "triad_consensus_validator_missed_blocks", { validator: B })).toBeUndefined();
    expect(sampleValue(t, "triad_blocksync_imported_blocks_total")).toBe(2);
    expect(sampleValue(t, "triad_consensus_commit_latency_seconds_count")).toBe(0);
  });

  it("keeps at most MAX_VALIDATOR_LABELS validators", async () => {
    const many = Array.from({ length: MAX_VALIDATOR_LABELS + 10 }, (_, i) => i.toString(16).padStart(64, "0"));
    const h = new Harness(null, many);
    h.decide(block(1, 0, h.now));
    h.decide(block(2, 0, h.now));
    const t = await h.text();
    expect(t.get("triad_consensus_validator_missed_blocks")!.samples.length).toBe(MAX_VALIDATOR_LABELS);
  });

  it("counts faults by kind and faulted members of the current set", async () => {
    const h = new Harness(A);
    h.act({ type: "report-fault", peer: B, fault: "equivocation", detail: "x" });
    h.act({ type: "report-fault", peer: B, fault: "bad-signature", detail: "x" });
    h.act({ type: "report-fault", peer: E, fault: "not-a-member", detail: "x" });
    const t = await h.text();
    expect(sampleValue(t, "triad_consensus_faults_total", { fault: "equivocation" })).toBe(1);
    expect(sampleValue(t, "triad_consensus_byzantine_validators")).toBe(1);
  });
});

describe("Metrics", () => {
  it("serves strict Prometheus text with every metric of the contract, HELP and TYPE for each", async () => {
    const m = createMetrics();
    m.collectProcessMetrics();
    m.observeMempool(() => ({ txs: 3, bytes: 300 }));
    m.observePeers(() => 2);
    m.observeSync(() => ({ syncing: true, best: 42 }));
    m.mempoolRefused("NONCE_GAP");
    m.mempoolRefused("something a peer made up");
    m.messageRejected("prepare", "bad-signature");
    m.messageSent("commit");
    m.messageReceived("tx");
    const t = parsePrometheusText(await m.text());
    const names = [
      "triad_consensus_height",
      "triad_consensus_view",
      "triad_consensus_view_changes_total",
      "triad_consensus_step_duration_seconds",
      "triad_consensus_quorum_prepare_delay",
      "triad_consensus_quorum_commit_delay",
      "triad_consensus_commit_latency_seconds",
      "triad_consensus_num_txs",
      "triad_consensus_total_txs",
      "triad_consensus_block_size_bytes",
      "triad_consensus_block_interval_seconds",
      "triad_consensus_validators",
      "triad_consensus_validator_missed_blocks",
      "triad_consensus_validator_last_signed_height",
      "triad_consensus_missing_validators",
      "triad_consensus_byzantine_validators",
      "triad_consensus_faults_total",
      "triad_mempool_size",
      "triad_mempool_size_bytes",
      "triad_mempool_rejected_txs_total",
      "triad_p2p_peers",
      "triad_p2p_messages_received_total",
      "triad_p2p_messages_sent_total",
      "triad_p2p_messages_rejected_total",
      "triad_blocksync_syncing",
      "triad_blocksync_latest_block_height",
      "triad_blocksync_imported_blocks_total",
      "process_cpu_user_seconds_total",
      "nodejs_heap_size_used_bytes",
    ];
    for (const name of names) {
      const f = t.get(name);
      expect(f, name).toBeDefined();
      expect(f!.help, name).toBeTruthy();
    }
    expect(sampleValue(t, "triad_mempool_size")).toBe(3);
    expect(sampleValue(t, "triad_mempool_size_bytes")).toBe(300);
    expect(sampleValue(t, "triad_p2p_peers")).toBe(2);
    expect(sampleValue(t, "triad_blocksync_syncing")).toBe(1);
    expect(sampleValue(t, "triad_blocksync_latest_block_height")).toBe(42);
    expect(sampleValue(t, "triad_mempool_rejected_txs_total", { code: "NONCE_GAP" })).toBe(1);
    expect(sampleValue(t, "triad_mempool_rejected_txs_total", { code: "OTHER" })).toBe(1);
    expect(sampleValue(t, "triad_p2p_messages_rejected_total", { type: "prepare", reason: "bad-signature" })).toBe(1);
  });

  it("the strict reader refuses what is not Prometheus text", () => {
    expect(() => parsePrometheusText("# TYPE a gauge\na 1\n")).not.toThrow();
    expect(() => parsePrometheusText("a 1\n")).toThrow(/no TYPE/);
    expect(() => parsePrometheusText("# TYPE a gauge\na{x=1} 1\n")).toThrow(/unquoted/);
    expect(() => parsePrometheusText("# TYPE a gauge\na one\n")).toThrow(/bad value/);
    expect(() => parsePrometheusText("# TYPE a gauge\n# TYPE a gauge\n")).toThrow(/second TYPE/);
    expect(() => parsePrometheusText("# TYPE a gauge\na{x=\"\\q\"} 1\n")).toThrow(/escape/);
  });
});
