// One PBFT replica as a pure state machine: `step(input) → actions` (DESIGN §1). This file feeds
// inputs to the protocol steps: it checks what every message must satisfy (chain, membership,
// height, view bounds), keeps messages for a little ahead in the future buffer and replays them
// when the replica gets there, drives the timers, repeats our own messages, and asks for sync
// when members are already at later heights.
import { bytesEqual, isMember, type ValidatorId, type VotePhase } from "../chain/index.js";
import type { Action, Input } from "./io.js";
import { malformation } from "./message-shape.js";
import { MAX_VIEW, messageView, type ConsensusMessage } from "./messages.js";
import { maybeBuild, onBlockBuilt, onBlockValidated, onCommit, onPrePrepare, onPrepare, verifyMessage } from "./normal-case.js";
import type { OwnCertificate, ReplicaConfig, ReplicaCrypto, ReplicaResume } from "./replica-config.js";
import { FUTURE_HEIGHTS, FUTURE_VIEWS, PAST_VIEWS, ReplicaState } from "./replica-state.js";
import { rebroadcastIntervalTicks, viewTimeoutTicks } from "./timeouts.js";
import { checkCertificate, higherCertificate } from "./view-change.js";
import { onNewView, onViewChange, onViewTimeout } from "./view-change-protocol.js";

export type ReplicaPhase = "idle" | "pre-prepared" | "prepared" | "committed" | "view-change";

export interface ReplicaStatus {
  readonly height: number;
  readonly view: number;
  readonly phase: ReplicaPhase;
  /** The primary of (height, view). */
  readonly primary: ValidatorId;
  readonly isPrimary: boolean;
  /** New views this replica has entered so far (completed view changes, all heights). */
  readonly viewChanges: number;
  readonly bufferedMessages: number;
}

/** One validator's vote of a view, as the RPC's vote set shows it. */
export interface RoundVote {
  readonly validator: ValidatorId;
  readonly blockHash: Uint8Array;
  readonly signature: Uint8Array;
}

/** The prepares and commits of one view, in the order of the height's members (null: none yet). */
export interface ViewVoteSet {
  readonly view: number;
  readonly prepares: readonly (RoundVote | null)[];
  readonly commits: readonly (RoundVote | null)[];
}

/**
 * What CometBFT's consensus_state shows of a round, in PBFT's terms: a read of the state that
 * the protocol never uses, so it is built only when asked.
 */
export interface ReplicaRoundState {
  readonly height: number;
  readonly view: number;
  /** The block pre-prepared in the current view, or null. */
  readonly proposalHash: Uint8Array | null;
  /** The block of this replica's latest commit at this height (what its view-changes must carry), or null. */
  readonly lockedHash: Uint8Array | null;
  /** The block of the highest prepared certificate known at this height, or null. */
  readonly validHash: Uint8Array | null;
  readonly members: readonly ValidatorId[];
  /** Per view up to the current one, ascending: the latest ROUND_STATE_VIEWS views at most. */
  readonly votes: readonly ViewVoteSet[];
}

/** Views listed by roundState(): a long run of failed views must not make the answer grow. */
export const ROUND_STATE_VIEWS = 16;

/** Phases in the order our own latest messages are repeated: a new-view before its pre-prepare. */
const REPEAT_ORDER: readonly VotePhase[] = ["new-view", "pre-prepare", "prepare", "commit", "view-change"];

export class Replica {
  private readonly s: ReplicaState;
  /** Our recorded votes are repeated once after a restart: peers may never have received them. */
  private repeatAfterRestart: boolean;
  /** The tick at which a member was first seen ahead of this height, or null. */
  private aheadSince: number | null = null;

  constructor(config: ReplicaConfig, crypto: ReplicaCrypto, resume: ReplicaResume) {
    this.s = new ReplicaState(config, crypto, resume.ownVotes);
    this.s.enterHeight(resume.head, resume.validators);
    this.repeatAfterRestart = this.restore(resume.ownCertificates ?? []);
  }

  step(input: Input): Action[] {
    const s = this.s;
    s.actions = [];
    if (this.repeatAfterRestart) {
      this.repeatAfterRestart = false;
      this.repeatOwn(true);
    }
    const height = s.height;
    const view = s.view;
    switch (input.type) {
      case "tick":
        this.onTick();
        break;
      case "message":
        this.onMessage(input.message);
        break;
      case "txs-waiting":
        s.txsWaiting = true;
        break;
      case "block-built":
        onBlockBuilt(s, input.height, input.view, input.block);
        break;
      case "block-validated":
        onBlockValidated(s, input.height, input.blockHash, input.valid, input.reason);
        break;
      case "block-appended":
        if (input.height >= s.height) {
          s.enterHeight({ height: input.height, hash: input.blockHash, timestamp: input.timestamp }, input.nextValidators);
          this.aheadSince = null;
        }
        break;
    }
    this.replay(height, view);
    maybeBuild(s);
    return s.actions;
  }

  status(): ReplicaStatus {
    const s = this.s;
    let phase: ReplicaPhase = "idle";
    if (s.committed) phase = "committed";
    else if (s.target !== null) phase = "view-change";
    else if (s.preparedView === s.view) phase = "prepared";
    else if (s.proposal !== null && s.proposal.validated !== false) phase = "pre-prepared";
    return {
      height: s.height,
      view: s.view,
      phase,
      primary: s.primaryOf(s.view),
      isPrimary: s.isPrimary(s.view),
      viewChanges: s.newViewsEntered,
      bufferedMessages: s.buffer.size,
    };
  }

  roundState(): ReplicaRoundState {
    const s = this.s;
    const members = s.validators.members;
    // Like CometBFT's rounds 0..round, every view up to the current one, but only the latest few.
    const views: number[] = [];
    for (let v = Math.max(0, s.view - ROUND_STATE_VIEWS + 1); v <= s.view; v++) views.push(v);
    const aligned = (kind: "prepare" | "commit", view: number): (RoundVote | null)[] => {
      const byValidator = s.votes.votesIn(kind, view);
      return members.map((id) => {
        const v = byValidator.get(id);
        return v === undefined ? null : { validator: id, blockHash: v.blockHash, signature: v.signature };
      });
    };
    const proposal = s.proposal !== null && s.proposal.message.view === s.view ? s.proposal.block.hash : null;
    const ownCommit = s.ownLatest.get("commit");
    return {
      height: s.height,
      view: s.view,
      proposalHash: proposal,
      lockedHash: ownCommit !== undefined && ownCommit.type === "commit" ? ownCommit.blockHash : null,
      validHash: s.certificate?.blockHash ?? null,
      members,
      votes: views.map((view) => ({ view, prepares: aligned("prepare", view), commits: aligned("commit", view) })),
    };
  }

  // ---- inputs -----------------------------------------------------------------------------------

  private onTick(): void {
    const s = this.s;
    s.now++;
    if (s.committed) return;
    s.ticksInHeight++;
    // PBFT §4.5.2: while waiting for the new-view of its target, a replica runs that timer only
    // once a quorum asks for the target or a later view. Otherwise replicas whose (capped)
    // timeouts expire in step can stay one view apart for ever (found by the simulator).
    const armed = s.target === null || s.viewChanges.countAtLeast(s.target) >= s.q;
    if (s.isValidator && armed && s.timer.tick()) onViewTimeout(s);
    const interval = rebroadcastIntervalTicks(s.params);
    // Let the commits in flight arrive before concluding we fell behind.
    // f+1 members ahead include a correct one: sync soon. One member ahead may be the only
    // correct one that got there (the others of its quorum crashed and lost the commits of that
    // height, which nobody repeats once past it): sync from it too, after a base timeout. Sync
    // verifies every seal, so a Byzantine member ahead costs a request, never safety.
    const wait = s.ahead.size >= s.f + 1 ? interval : s.params.viewChangeTimeoutTicks;
    if (this.aheadSince !== null && s.now - this.aheadSince >= wait && s.ahead.size >= 1) {
      s.requestSync([...s.ahead.keys()], null);
    }
    if (s.now - s.lastRebroadcastTick >= interval) {
      s.lastRebroadcastTick = s.now;
      this.repeatOwn(false);
    }
  }

  /** What every message must satisfy before a protocol step sees it. Bad input never throws. */
  private onMessage(m: ConsensusMessage): void {
    const s = this.s;
    const broken = malformation(m);
    if (broken !== null) {
      const peer = typeof m === "object" && m !== null && typeof m.from === "string" ? m.from : "unknown";
      s.report(peer, "malformed", broken);
      return;
    }
    if (m.chainId !== s.chainId) {
      s.report(m.from, "wrong-chain", `message for chain ${m.chainId}`);
      return;
    }
    const view = messageView(m);
    if (view > MAX_VIEW) {
      s.report(m.from, "view-too-far", `${m.type} for view ${view} (at most ${MAX_VIEW})`);
      return;
    }
    if (m.height < s.height) return;
    if (m.height > s.height) {
      this.onLaterHeight(m);
      return;
    }
    if (!isMember(s.validators, m.from)) {
      s.report(m.from, "not-a-member", `${m.type} from a non-member at height ${m.height}`);
      return;
    }
    if (s.committed) return;
    switch (m.type) {
      case "pre-prepare":
      case "prepare": {
        if (m.type === "prepare" && !s.isValidator) return;
        if (s.target === null && m.view === s.view) {
          if (m.type === "pre-prepare") onPrePrepare(s, m);
          else onPrepare(s, m);
        } else if (m.view > s.view && (s.target === null || m.view >= s.target)) {
          this.onLaterView(m);
        }
        return;
      }
      case "commit":
        if (m.view < s.view - PAST_VIEWS) return;
        if (m.view > (s.target ?? s.view) + FUTURE_VIEWS) {
          s.report(m.from, "view-too-far", `commit for view ${m.view} while at view ${s.view}`);
          return;
        }
        onCommit(s, m);
        return;
      case "view-change":
        onViewChange(s, m);
        return;
      case "new-view":
        onNewView(s, m);
        return;
    }
  }

  /** A pre-prepare or prepare of a view we have not entered yet (its new-view may be on the way). */
  private onLaterView(m: ConsensusMessage): void {
    const s = this.s;
    if (messageView(m) > s.view + FUTURE_VIEWS) {
      s.report(m.from, "view-too-far", `${m.type} for view ${messageView(m)} while at view ${s.view}`);
      return;
    }
    // Only the primary of that view may fill the buffer with blocks.
    if (m.type === "pre-prepare" && m.from !== s.primaryOf(m.view)) {
      s.report(m.from, "wrong-primary", `pre-prepare for (${m.height}, ${m.view}) from a backup`);
      return;
    }
    if (s.buffer.has(m)) return;
    if (!verifyMessage(s, m)) {
      s.report(m.from, "bad-signature", `${m.type} for (${m.height}, ${messageView(m)}) does not verify`);
      return;
    }
    s.buffer.add(m);
  }

  /**
   * A message for a later height: kept if within FUTURE_HEIGHTS, and counted as evidence we fell
   * behind. Membership is judged by the current set (a later set is unknown until we get there).
   */
  private onLaterHeight(m: ConsensusMessage): void {
    const s = this.s;
    if (!isMember(s.validators, m.from)) return;
    // A pre-prepare is kept only from the primary it claims to come from, computed with the
    // current set: the set of a later height is unknown until we get there. Should it differ, the
    // real primary's pre-prepare is dropped here and arrives again (the primary repeats it).
    const fromPrimary = m.type !== "pre-prepare" || m.from === s.primaryOf(m.view, m.height);
    const keep = m.height <= s.height + FUTURE_HEIGHTS && fromPrimary;
    const seen = s.ahead.get(m.from) ?? 0;
    if (keep ? s.buffer.has(m) : seen >= m.height) return;
    if (!verifyMessage(s, m)) {
      s.report(m.from, "bad-signature", `${m.type} for (${m.height}, ${messageView(m)}) does not verify`);
      return;
    }
    if (keep) s.buffer.add(m);
    if (m.height > seen) s.ahead.set(m.from, m.height);
    if (this.aheadSince === null && s.ahead.size >= 1) this.aheadSince = s.now;
  }

  /** Entering a height or a view: the buffered messages that now apply are handled, oldest first. */
  private replay(height: number, view: number): void {
    const s = this.s;
    let h = height;
    let v = view;
    while (s.height !== h || s.view !== v) {
      h = s.height;
      v = s.view;
      const ready = s.buffer.take((m) => m.height === h && ((m.type !== "pre-prepare" && m.type !== "prepare") || m.view <= v));
      for (const m of ready) this.onMessage(m);
    }
  }

  /**
   * Messages can be lost: while undecided, send our latest messages of this height again (they
   * are durable already, so no persist). After a restart, everything recorded for this height.
   */
  private repeatOwn(all: boolean): void {
    const s = this.s;
    if (s.committed) return;
    if (all) {
      for (const message of s.record.at(s.height)) s.emit({ type: "broadcast", message });
      return;
    }
    for (const phase of REPEAT_ORDER) {
      const m = s.ownLatest.get(phase);
      if (m === undefined) continue;
      const view = messageView(m);
      const current =
        phase === "view-change" ? s.target === view : phase === "commit" ? view >= s.view - PAST_VIEWS : view === s.view && s.target === null;
      if (current) s.emit({ type: "broadcast", message: m });
    }
  }

  // ---- restart --------------------------------------------------------------------------------

  /**
   * The certificates recorded with our commits at this height: without them a restarted replica
   * that committed could not send a view-change (the prepares behind its commit may never come
   * again), and the view could stall for good. Our own durable record, but checked all the same
   * (q signatures, once per restart): a record that does not verify is not carried.
   */
  private restoreCertificates(certificates: readonly OwnCertificate[]): void {
    const s = this.s;
    for (const own of certificates) {
      if (own.height !== s.height || checkCertificate(own.certificate, MAX_VIEW + 1, s.proofContext) !== null) continue;
      s.certificate = higherCertificate(s.certificate, own.certificate);
      const block = own.block;
      if (block === null || !bytesEqual(block.hash, own.certificate.blockHash)) continue;
      if (block.header.height !== s.height || !bytesEqual(block.header.parentHash, s.head.hash)) continue;
      s.rememberBlock(block);
      // We prepared it, so we validated it: a re-proposal of it is not executed again.
      s.validity.set(block.id, true);
    }
  }

  /**
   * Rebuild this height's position from our recorded votes: the view we last voted in, the view
   * our last view-change asked for, the proposal we made, the commit whose certificate our next
   * view-change must carry, and the prepared certificate recorded with that commit. True if
   * there is anything to send again.
   */
  private restore(certificates: readonly OwnCertificate[]): boolean {
    const s = this.s;
    const mine = s.record.at(s.height);
    if (mine.length === 0) return false;
    let view = 0;
    let asked = -1;
    for (const m of mine) {
      if (m.type === "view-change") asked = Math.max(asked, m.newView);
      else view = Math.max(view, m.view);
    }
    s.view = view;
    if (asked > view) s.target = asked;
    for (const m of mine) {
      const latest = s.ownLatest.get(m.type);
      if (latest === undefined || messageView(latest) <= messageView(m)) s.ownLatest.set(m.type, m);
      switch (m.type) {
        case "pre-prepare":
          if (m.view === view) {
            s.rememberBlock(m.block);
            s.validity.set(m.block.id, true);
            s.proposal = { message: m, block: m.block, validated: true };
          }
          break;
        case "prepare":
          s.votes.add(m);
          break;
        case "commit":
          s.votes.add(m);
          s.certificateFloor = Math.max(s.certificateFloor, m.view);
          if (m.view === view) s.preparedView = view;
          break;
        case "view-change":
          s.viewChanges.put({ ...m, preparedBlock: null });
          s.certificate = higherCertificate(s.certificate, m.prepared);
          if (m.prepared !== null && m.preparedBlock !== null && bytesEqual(m.preparedBlock.hash, m.prepared.blockHash)) s.rememberBlock(m.preparedBlock);
          break;
        case "new-view":
          if (m.view === view) s.newView = { view, chosen: m.chosenBlockHash };
          break;
      }
    }
    this.restoreCertificates(certificates);
    s.timer.reset(viewTimeoutTicks(s.params, s.target ?? s.view));
    return true;
  }
}
