// Everything one replica knows about the height it is deciding, and the one way it signs: every
// signature goes through the signing record, is persisted, and only then broadcast. The protocol
// steps (normal-case.ts, view-change-protocol.ts) read and change this state; replica.ts feeds
// them inputs.
import {
  bytesEqual,
  faultTolerance,
  isMember,
  quorumSize,
  toHex,
  type Block,
  type SignDomain,
  type ValidatorId,
  type ValidatorSet,
  type VotePhase,
} from "../chain/index.js";
import { FutureBuffer } from "./future-buffer.js";
import type { Action, FaultKind } from "./io.js";
import {
  newViewPayload,
  viewChangePayload,
  voteDomain,
  votePayload,
  type Commit,
  type ConsensusMessage,
  type NewView,
  type PrePrepare,
  type Prepare,
  type PreparedCertificate,
  type ViewChange,
} from "./messages.js";
import type { ReplicaConfig, ReplicaCrypto } from "./replica-config.js";
import { SignatureCache } from "./signature-cache.js";
import { SigningRecord, votedHash } from "./signing-record.js";
import { ViewTimer, viewTimeoutTicks } from "./timeouts.js";
import type { ProofContext } from "./view-change.js";
import { ViewChangeLog } from "./view-change-log.js";
import { VoteLog } from "./vote-log.js";
import type { PreparedRecord } from "./vote-record.js";

/** Heights after the current one whose messages are buffered (further ones only trigger sync). */
export const FUTURE_HEIGHTS = 4;
/** Views after the current one whose pre-prepares and prepares are buffered. */
export const FUTURE_VIEWS = 64;
/** Commits of views this far behind the current one still count toward a seal. */
export const PAST_VIEWS = 64;
/**
 * Per sender: 64 messages and 8 MiB (two of the largest pre-prepares, MAX_MESSAGE_BYTES each,
 * with room to spare). Overall: 4096 messages and 8 MiB × members, under a 256 MiB ceiling (so
 * up to 32 members every sender gets its full share whatever the others send).
 */
export const FUTURE_BUFFER_LIMITS = {
  maxMessages: 4096,
  maxPerSender: 64,
  maxBytesPerSender: 8 * 1024 * 1024,
  maxBytes: 256 * 1024 * 1024,
} as const;
/** Block bodies kept per height: a long run of failed views must not pile up proposals. */
export const MAX_BLOCKS_PER_HEIGHT = 16;

export interface Head {
  readonly height: number;
  readonly hash: Uint8Array;
  readonly timestamp: number;
}

/** The pre-prepare accepted in the current view (the first valid one from its primary wins). */
export interface Proposal {
  readonly message: PrePrepare;
  readonly block: Block;
  /** null while validate-block is under way. */
  validated: boolean | null;
}

/** The new-view through which the current view was entered, and the block it obliges. */
export interface AcceptedNewView {
  readonly view: number;
  readonly chosen: Uint8Array | null;
}

export class ReplicaState {
  readonly chainId: string;
  readonly self: ValidatorId | null;
  readonly params: ReplicaConfig["params"];
  readonly signatures: SignatureCache;
  readonly record: SigningRecord;
  readonly buffer = new FutureBuffer(FUTURE_BUFFER_LIMITS);
  /** The actions of the step under way, in the order the driver must run them. */
  actions: Action[] = [];

  // ---- where the chain is ---------------------------------------------------------------------
  head!: Head;
  validators!: ValidatorSet;
  height = 0;
  n = 0;
  f = 0;
  q = 0;
  /** A member of this height's set with a key: may sign. Otherwise an observer. */
  isValidator = false;

  // ---- this height's instance -----------------------------------------------------------------
  view = 0;
  /** The view our latest view-change asked for while its new-view has not arrived; else null. */
  target: number | null = null;
  /** append-block was emitted: nothing more to do at this height until block-appended. */
  committed = false;
  votes = new VoteLog();
  viewChanges = new ViewChangeLog();
  proposal: Proposal | null = null;
  newView: AcceptedNewView | null = null;
  /** Block bodies seen at this height (proposals, view-change attachments), by hash hex. */
  blocks = new Map<string, Block>();
  /** validate-block answers at this height, by hash hex: a re-proposed block is not re-executed. */
  validity = new Map<string, boolean>();
  /** The highest prepared certificate known at this height: what our view-changes carry. */
  certificate: PreparedCertificate | null = null;
  /** The view in which this replica became prepared (and sent its commit), or -1. */
  preparedView = -1;
  /** Our view-changes must carry a certificate at least this high: we sent a commit in that view. */
  certificateFloor = -1;
  /** Our latest signed message per phase at this height, repeated while undecided. */
  ownLatest = new Map<VotePhase, ConsensusMessage>();
  timer: ViewTimer;

  // ---- clocks ---------------------------------------------------------------------------------
  /** Ticks since this replica started. */
  now = 0;
  ticksInHeight = 0;
  lastBuildTick = -1;
  /** Txs arrived since the last build-block: the primary may build again within the same tick. */
  txsWaiting = false;
  lastRebroadcastTick = 0;
  lastSyncTick = Number.NEGATIVE_INFINITY;
  /** Members seen (with valid signatures) at heights above ours, and the highest such height. */
  ahead = new Map<ValidatorId, number>();
  newViewsEntered = 0;
  /** The view whose primary's proposal this replica refused as invalid (-1: none), for the view change's reason. */
  refusedProposalView = -1;

  constructor(
    readonly config: ReplicaConfig,
    private readonly crypto: ReplicaCrypto,
    ownVotes: readonly ConsensusMessage[],
  ) {
    this.chainId = config.chainId;
    this.self = config.self;
    this.params = config.params;
    this.signatures = new SignatureCache(crypto);
    this.record = new SigningRecord(ownVotes);
    this.timer = new ViewTimer(viewTimeoutTicks(this.params, 0));
  }

  /** Start deciding height head.height + 1 in view 0 with `validators`. */
  enterHeight(head: Head, validators: ValidatorSet): void {
    this.head = head;
    this.height = head.height + 1;
    this.validators = validators;
    this.n = validators.members.length;
    this.f = faultTolerance(this.n);
    this.q = quorumSize(this.n);
    this.isValidator = this.self !== null && isMember(validators, this.self);
    this.buffer.setMembers(this.n);
    this.view = 0;
    this.target = null;
    this.committed = false;
    this.votes = new VoteLog();
    this.viewChanges = new ViewChangeLog();
    this.proposal = null;
    this.newView = null;
    this.blocks = new Map();
    this.validity = new Map();
    this.certificate = null;
    this.preparedView = -1;
    this.certificateFloor = -1;
    this.refusedProposalView = -1;
    this.ownLatest = new Map();
    this.timer.reset(viewTimeoutTicks(this.params, 0));
    this.ticksInHeight = 0;
    this.lastBuildTick = -1;
    this.lastRebroadcastTick = this.now;
    this.record.pruneBelow(this.height);
    this.buffer.drop((m) => m.height < this.height);
    for (const [peer, h] of this.ahead) if (h <= this.height) this.ahead.delete(peer);
  }

  /**
   * Keep a block body of this height. Past the cap the oldest bodies go, except those still
   * needed: the current proposal, the block our prepared certificate names, the new-view's choice.
   */
  rememberBlock(block: Block): void {
    this.blocks.delete(block.id);
    this.blocks.set(block.id, block);
    if (this.blocks.size <= MAX_BLOCKS_PER_HEIGHT) return;
    const keep = new Set<string>([block.id]);
    if (this.proposal !== null) keep.add(this.proposal.block.id);
    if (this.certificate !== null) keep.add(toHex(this.certificate.blockHash));
    if (this.newView !== null && this.newView.chosen !== null) keep.add(toHex(this.newView.chosen));
    for (const id of this.blocks.keys()) {
      if (this.blocks.size <= MAX_BLOCKS_PER_HEIGHT) break;
      if (!keep.has(id)) this.blocks.delete(id);
    }
  }

  get proofContext(): ProofContext {
    return { chainId: this.chainId, height: this.height, validators: this.validators, quorum: this.q, signatures: this.signatures };
  }

  /** The primary of (height, view) by this height's set (a later height's set is not known yet). */
  primaryOf(view: number, height = this.height): ValidatorId {
    return this.config.selection.primary(this.validators, height, view);
  }

  isPrimary(view: number): boolean {
    return this.isValidator && this.primaryOf(view) === this.self;
  }

  emit(action: Action): void {
    this.actions.push(action);
  }

  report(peer: ValidatorId, fault: FaultKind, detail: string): void {
    this.emit({ type: "report-fault", peer, fault, detail });
  }

  /** Verify a message-level signature (through the cache). */
  verify(domain: SignDomain, payload: Uint8Array, signature: Uint8Array, signer: ValidatorId): boolean {
    return this.signatures.verify(domain, payload, signature, signer);
  }

  requestSync(peers: readonly ValidatorId[], toHeight: number | null): void {
    // At most once per base timeout: sync is slow and a burst of requests only adds load.
    if (this.now - this.lastSyncTick < this.params.viewChangeTimeoutTicks) return;
    this.lastSyncTick = this.now;
    this.emit({ type: "request-sync", fromHeight: this.height, toHeight, peers: [...peers].sort() });
  }

  // ---- signing: record → persist-vote → broadcast ------------------------------------------

  signPrePrepare(view: number, block: Block): PrePrepare | null {
    return this.publish("pre-prepare", view, block.hash, (signature, from) => ({
      type: "pre-prepare", chainId: this.chainId, height: this.height, view, block, from, signature,
    }), votePayload(this.height, view, block.hash));
  }

  signPrepare(view: number, blockHash: Uint8Array): Prepare | null {
    return this.publish("prepare", view, blockHash, (signature, from) => ({
      type: "prepare", chainId: this.chainId, height: this.height, view, blockHash, from, signature,
    }), votePayload(this.height, view, blockHash));
  }

  /** A commit is persisted together with the certificate that prepared it. */
  signCommit(view: number, blockHash: Uint8Array, prepared: PreparedRecord): Commit | null {
    return this.publish("commit", view, blockHash, (signature, from) => ({
      type: "commit", chainId: this.chainId, height: this.height, view, blockHash, from, signature,
    }), votePayload(this.height, view, blockHash), prepared);
  }

  signViewChange(newView: number, prepared: PreparedCertificate | null, preparedBlock: Block | null): ViewChange | null {
    return this.publish("view-change", newView, null, (signature, from) => ({
      type: "view-change", chainId: this.chainId, height: this.height, newView, prepared, preparedBlock, from, signature,
    }), viewChangePayload(this.height, newView, prepared));
  }

  signNewView(view: number, viewChanges: readonly ViewChange[], chosen: Uint8Array | null): NewView | null {
    return this.publish("new-view", view, null, (signature, from) => ({
      type: "new-view", chainId: this.chainId, height: this.height, view, viewChanges, chosenBlockHash: chosen, from, signature,
    }), newViewPayload(this.height, view, viewChanges, chosen));
  }

  /**
   * The only path to a signature. What we already signed for (height, view, phase) is sent again
   * instead of signing anew (it is durable already); a different value is refused, as is a vote
   * in a view our own view-change abandoned.
   */
  private publish<M extends ConsensusMessage>(
    phase: VotePhase,
    view: number,
    hash: Uint8Array | null,
    make: (signature: Uint8Array, from: ValidatorId) => M,
    payload: Uint8Array,
    prepared?: PreparedRecord,
  ): M | null {
    if (!this.isValidator || this.self === null) return null;
    const existing = this.record.get(this.height, view, phase);
    if (existing !== undefined) {
      const previous = votedHash(existing);
      if (previous !== null && (hash === null || !bytesEqual(previous, hash))) return null;
      this.emit({ type: "broadcast", message: existing });
      this.ownLatest.set(phase, existing);
      return existing as M;
    }
    if (this.record.refusal(this.height, view, phase, hash) !== undefined) return null;
    const message = make(this.crypto.sign(voteDomain(phase), payload), this.self);
    this.record.add(message);
    this.emit({ type: "persist-vote", height: this.height, view, phase, message, ...(prepared === undefined ? {} : { prepared }) });
    this.emit({ type: "broadcast", message });
    this.ownLatest.set(phase, message);
    // Just sent: the next repetition of our messages can wait a full interval.
    this.lastRebroadcastTick = this.now;
    return message;
  }
}
