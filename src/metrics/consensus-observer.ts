// Derives the consensus metrics from what the driver already reports: its actions as they run
// (onAction), the blocks it appends (onAppended), and the checked prepares and commits that
// reach this node (onSigned). The core stays pure and knows nothing of metrics; all timing
// comes from an injected clock, so a scripted action sequence with a fake clock tests it.
//
// Step durations, per (height, view) this replica entered while running:
//   pre-prepare  entering (height, view) → its own pre-prepare (primary) or prepare (backup) persisted
//   prepare      → its commit persisted (it holds a prepared certificate: a quorum of prepares)
//   commit       → the append-block action (it holds a quorum of commits)
// Missed blocks: validator v of height h's set signed h when a validly signed prepare or commit
// of h from v reached this node (or, for itself, when it persisted one) before it appended h: the
// p2p checks drop later ones as stale before they get here. Judged once h+1 is appended.
// A seal holds only a quorum of commits, so a seal is no evidence of who else signed.
import type { StoredBlock, ValidatorId } from "../chain/index.js";
import type { Action, ConsensusMessage } from "../consensus/index.js";
import { MAX_VALIDATOR_LABELS, type Metrics } from "./metrics.js";

/** Heights ahead of the head whose signers are remembered (messages further ahead are not counted). */
const SIGNED_WINDOW = 8;

export interface ConsensusObserverDeps {
  readonly metrics: Metrics;
  readonly clock: { now(): number };
  /** This replica's id (its own votes count as signed), or null for an observer node. */
  readonly self: ValidatorId | null;
  /** The members of the validator set in force at `height`. */
  validatorsAt(height: number): readonly ValidatorId[];
}

interface ValidatorRecord {
  missed: number;
  lastSigned: number | null;
}

export class ConsensusObserver {
  private readonly m: Metrics;
  /** The height in progress (head + 1) and the view this replica is in. */
  private height: number;
  private view = 0;
  /** When this replica entered (height, view); null when it did not see it happen. */
  private enteredAt: number | null = null;
  private prePrepareDoneAt: number | null = null;
  private prepareDoneAt: number | null = null;
  private proposalTimestamp: number | null = null;
  private lastBlockTimestamp: number | null = null;
  private totalTxs = 0;
  /** The first height whose whole voting this process could watch. */
  private readonly firstWatched: number;
  private readonly signed = new Map<number, Set<ValidatorId>>();
  /** How each appended height came (a synced height's votes were never watched). */
  private readonly appendedBy = new Map<number, "consensus" | "sync">();
  private readonly records = new Map<ValidatorId, ValidatorRecord>();
  private readonly faulted = new Set<ValidatorId>();

  constructor(
    head: { readonly height: number; readonly timestamp: number | null },
    private readonly deps: ConsensusObserverDeps,
  ) {
    this.m = deps.metrics;
    this.height = head.height + 1;
    this.firstWatched = head.height + 1;
    // Genesis time is no block's: the first interval would be the network's age.
    this.lastBlockTimestamp = head.height === 0 ? null : head.timestamp;
    this.m.height.set(head.height);
    this.m.view.set(0);
    this.m.validators.set(deps.validatorsAt(this.height).length);
  }

  /** A prepare or commit that passed its checks (signature included) on the way in. */
  readonly onSigned = (message: ConsensusMessage): void => {
    if (message.type !== "prepare" && message.type !== "commit") return;
    this.markSigned(message.height, message.from);
  };

  readonly onAction = (action: Action): void => {
    const now = this.deps.clock.now();
    switch (action.type) {
      case "view-changed":
        this.m.viewChanged(action.reason);
        if (action.reason === "entered" && action.height === this.height) this.enterView(action.view, now);
        return;
      case "validate-block":
        if (action.height === this.height && action.view === this.view) this.proposalTimestamp = action.block.header.timestamp;
        return;
      case "persist-vote":
        this.onOwnVote(action, now);
        return;
      case "append-block": {
        if (action.block.header.height !== this.height) return;
        if (this.prepareDoneAt !== null) this.m.stepDuration.observe({ step: "commit" }, seconds(now - this.prepareDoneAt));
        this.m.quorumCommitDelay.set(seconds(now - action.block.header.timestamp));
        return;
      }
      case "report-fault":
        this.m.faults.inc({ fault: action.fault });
        if (this.faulted.size < MAX_VALIDATOR_LABELS) this.faulted.add(action.peer);
        this.m.byzantineValidators.set(this.countFaulted(this.deps.validatorsAt(this.height)));
        return;
      default:
        return;
    }
  };

  readonly onAppended = (stored: StoredBlock, source: "consensus" | "sync"): void => {
    const now = this.deps.clock.now();
    const h = stored.block.header;
    this.m.height.set(h.height);
    this.m.numTxs.set(stored.block.txs.length);
    this.totalTxs += stored.block.txs.length;
    this.m.totalTxs.set(this.totalTxs);
    this.m.blockSize.set(stored.block.bytes.length);
    if (this.lastBlockTimestamp !== null) this.m.blockInterval.observe(seconds(h.timestamp - this.lastBlockTimestamp));
    this.lastBlockTimestamp = h.timestamp;
    if (source === "consensus") this.m.commitLatency.observe(seconds(now - h.timestamp));
    else this.m.blocksyncImported.inc();

    this.appendedBy.set(h.height, source);
    this.evaluate(h.height - 1);
    this.appendedBy.delete(h.height - 1);

    this.height = h.height + 1;
    for (const height of this.signed.keys()) if (height < h.height) this.signed.delete(height);
    const next = this.deps.validatorsAt(this.height);
    this.m.validators.set(next.length);
    this.m.byzantineValidators.set(this.countFaulted(next));
    this.enterView(0, now);
  };

  private enterView(view: number, now: number): void {
    this.view = view;
    this.enteredAt = now;
    this.prePrepareDoneAt = null;
    this.prepareDoneAt = null;
    this.proposalTimestamp = null;
    this.m.view.set(view);
  }

  private onOwnVote(action: Extract<Action, { type: "persist-vote" }>, now: number): void {
    if (action.phase === "prepare" || action.phase === "commit") {
      if (this.deps.self !== null) this.markSigned(action.height, this.deps.self);
    }
    if (action.height !== this.height || action.view !== this.view) return;
    const message = action.message;
    if (action.phase === "pre-prepare" && message.type === "pre-prepare") this.proposalTimestamp = message.block.header.timestamp;
    if ((action.phase === "pre-prepare" || action.phase === "prepare") && this.prePrepareDoneAt === null) {
      this.prePrepareDoneAt = now;
      if (this.enteredAt !== null) this.m.stepDuration.observe({ step: "pre-prepare" }, seconds(now - this.enteredAt));
    } else if (action.phase === "commit" && this.prepareDoneAt === null) {
      this.prepareDoneAt = now;
      if (this.prePrepareDoneAt !== null) this.m.stepDuration.observe({ step: "prepare" }, seconds(now - this.prePrepareDoneAt));
      if (this.proposalTimestamp !== null) this.m.quorumPrepareDelay.set(seconds(now - this.proposalTimestamp));
    }
  }

  private markSigned(height: number, from: ValidatorId): void {
    if (height < this.height - 1 || height > this.height + SIGNED_WINDOW) return;
    let set = this.signed.get(height);
    if (set === undefined) {
      set = new Set();
      this.signed.set(height, set);
    }
    if (set.size < MAX_VALIDATOR_LABELS) set.add(from);
  }

  /** Height `height` is over (its successor was appended): who of its set signed it in time? */
  private evaluate(height: number): void {
    if (height < this.firstWatched || this.appendedBy.get(height) !== "consensus") return;
    const members = this.deps.validatorsAt(height).slice(0, MAX_VALIDATOR_LABELS);
    const signers = this.signed.get(height) ?? new Set<ValidatorId>();
    const inSet = new Set(members);
    // Validators that left the set are forgotten (and their series removed): the labels stay bounded.
    for (const id of [...this.records.keys()]) {
      if (inSet.has(id)) continue;
      this.records.delete(id);
      this.m.validatorMissedBlocks.remove({ validator: id });
      this.m.validatorLastSignedHeight.remove({ validator: id });
    }
    let missing = 0;
    for (const id of members) {
      let record = this.records.get(id);
      if (record === undefined) {
        record = { missed: 0, lastSigned: null };
        this.records.set(id, record);
      }
      if (signers.has(id)) {
        record.lastSigned = height;
        this.m.validatorLastSignedHeight.set({ validator: id }, height);
      } else {
        record.missed++;
        missing++;
      }
      this.m.validatorMissedBlocks.set({ validator: id }, record.missed);
    }
    this.m.missingValidators.set(missing);
  }

  private countFaulted(members: readonly ValidatorId[]): number {
    let n = 0;
    for (const id of members) if (this.faulted.has(id)) n++;
    return n;
  }

  /** Missed blocks and last signed height per validator (for tests and status pages). */
  validatorRecords(): ReadonlyMap<ValidatorId, Readonly<ValidatorRecord>> {
    return this.records;
  }
}

function seconds(ms: number): number {
  return Math.max(0, ms) / 1000;
}
