// PBFT's normal case at one height: the primary's pre-prepare, every replica's prepare, a commit
// once prepared (a quorum of prepares matching the accepted pre-prepare), and append once a
// quorum of commits is in hand with the block's body.
import { bytesEqual, makeSeal, toHex, type Block, type BlockHeader, type ValidatorId } from "../chain/index.js";
import { signedPayload, type Commit, type ConsensusMessage, type PrePrepare, type Prepare } from "./messages.js";
import type { ReplicaState } from "./replica-state.js";
import { higherCertificate } from "./view-change.js";
import type { Vote } from "./vote-log.js";

/** Check a peer's signature over its message (through the replica's cache). */
export function verifyMessage(s: ReplicaState, m: ConsensusMessage): boolean {
  let payload: Uint8Array;
  try {
    payload = signedPayload(m);
  } catch {
    return false;
  }
  return s.verify(m.type, payload, m.signature, m.from);
}

/**
 * The primary of the current view asks the driver for a proposal until it has one: on entering
 * the height or view, then at most once per tick, and at once when txs arrive (txs-waiting), so
 * a block follows the first tx without waiting for a tick and, under load, the txs that came
 * while the previous block was decided go into the next one together. In view 0 it waits for
 * transactions (allowEmpty false) for emptyBlockIntervalTicks; after a view change an empty
 * block is better than another timeout. After a new-view that chose a prepared block it
 * re-proposes that block instead.
 */
export function maybeBuild(s: ReplicaState): void {
  if (s.committed || s.target !== null || s.proposal !== null || !s.isPrimary(s.view)) return;
  if (s.lastBuildTick === s.now && !s.txsWaiting) return;
  const signed = s.record.get(s.height, s.view, "pre-prepare");
  if (signed !== undefined && signed.type === "pre-prepare") {
    // Signed before a restart: the same proposal again, never a second one.
    propose(s, signed.block);
    return;
  }
  if (s.view > 0) {
    const nv = s.newView;
    if (nv === null || nv.view !== s.view) return;
    if (nv.chosen !== null) {
      const body = s.blocks.get(toHex(nv.chosen));
      if (body !== undefined) propose(s, body);
      return;
    }
  }
  s.lastBuildTick = s.now;
  s.txsWaiting = false;
  const allowEmpty = s.view > 0 || s.ticksInHeight >= s.params.emptyBlockIntervalTicks;
  s.emit({ type: "build-block", height: s.height, view: s.view, allowEmpty });
}

export function onBlockBuilt(s: ReplicaState, height: number, view: number, block: Block | null): void {
  if (block === null || height !== s.height || view !== s.view) return;
  if (s.committed || s.target !== null || s.proposal !== null || !s.isPrimary(s.view)) return;
  // After a new-view that chose a block, only that block may be proposed.
  if (s.view > 0 && (s.newView === null || s.newView.view !== s.view || s.newView.chosen !== null)) return;
  if (block.header.height !== s.height || !bytesEqual(block.header.parentHash, s.head.hash)) return;
  if (freshHeaderFault(block.header, s.view, s.self) !== null) return;
  propose(s, block);
}

/** Why a fresh proposal's header does not belong to (view, proposer), or null if it does. */
function freshHeaderFault(header: BlockHeader, view: number, proposer: ValidatorId | null): string | null {
  if (header.view !== view) return `fresh proposal for view ${view} has header view ${header.view}`;
  if (header.proposer !== proposer) return `fresh proposal for view ${view} names proposer ${header.proposer}, not its sender`;
  return null;
}

/** The primary's pre-prepare: its own proposal counts as accepted and validated. */
function propose(s: ReplicaState, block: Block): void {
  const pp = s.signPrePrepare(s.view, block);
  if (pp === null) return;
  s.rememberBlock(pp.block);
  s.validity.set(pp.block.id, true);
  s.proposal = { message: pp, block: pp.block, validated: true };
  sendPrepare(s);
}

/** A pre-prepare for the current (height, view); the caller has checked height, view and membership. */
export function onPrePrepare(s: ReplicaState, m: PrePrepare): void {
  if (m.from !== s.primaryOf(m.view)) {
    s.report(m.from, "wrong-primary", `pre-prepare for (${m.height}, ${m.view}) from a backup`);
    return;
  }
  const accepted = s.proposal;
  if (accepted !== null) {
    if (bytesEqual(accepted.block.hash, m.block.hash)) return;
    if (verifyMessage(s, m)) s.report(m.from, "equivocation", `two pre-prepares for (${m.height}, ${m.view})`);
    return;
  }
  if (!verifyMessage(s, m)) {
    s.report(m.from, "bad-signature", `pre-prepare for (${m.height}, ${m.view}) does not verify`);
    return;
  }
  const block = m.block;
  const header = block.header;
  if (header.chainId !== s.chainId || header.height !== s.height || !bytesEqual(header.parentHash, s.head.hash)) {
    s.report(m.from, "invalid-block", `pre-prepared block does not extend head ${s.head.height}`);
    s.refusedProposalView = m.view;
    return;
  }
  let reproposal = false;
  if (m.view > 0) {
    const nv = s.newView;
    // Without the new-view (only after a restart) there is no telling what the view must
    // re-propose; the primary repeats its new-view and pre-prepare.
    if (nv === null || nv.view !== m.view) return;
    if (nv.chosen !== null && !bytesEqual(nv.chosen, block.hash)) {
      s.report(m.from, "invalid-block", `pre-prepare does not re-propose the block the new-view for view ${m.view} chose`);
      s.refusedProposalView = m.view;
      return;
    }
    reproposal = nv.chosen !== null;
  }
  // A re-proposal keeps the header of the view that prepared it (its hash is the chosen one);
  // a fresh proposal must name this view and its sender, or a block decided in view v could
  // claim another view's proposer and be refused by every node that syncs it.
  const bad = reproposal ? null : freshHeaderFault(header, m.view, m.from);
  if (bad !== null) {
    s.report(m.from, "invalid-block", bad);
    s.refusedProposalView = m.view;
    return;
  }
  s.rememberBlock(block);
  const known = s.validity.get(block.id);
  s.proposal = { message: m, block, validated: known ?? null };
  if (s.isValidator) {
    if (known === undefined) s.emit({ type: "validate-block", height: s.height, view: s.view, block });
    else if (known) sendPrepare(s);
  }
  bodyKnown(s, block.id);
}

export function onBlockValidated(s: ReplicaState, height: number, blockHash: Uint8Array, valid: boolean, reason: string | undefined): void {
  if (height !== s.height) return;
  const hex = toHex(blockHash);
  s.validity.set(hex, valid);
  const p = s.proposal;
  if (p === null || p.validated !== null || p.block.id !== hex) return;
  p.validated = valid;
  if (!valid) {
    // No prepare: the view-change timer will replace this primary.
    s.report(p.message.from, "invalid-block", `block ${hex} at height ${height} is invalid${reason === undefined ? "" : `: ${reason}`}`);
    s.refusedProposalView = p.message.view;
    return;
  }
  if (!s.committed && s.target === null) sendPrepare(s);
}

function sendPrepare(s: ReplicaState): void {
  const p = s.proposal;
  if (p === null) return;
  const own = s.signPrepare(s.view, p.block.hash);
  if (own !== null) s.votes.add(own);
  checkPrepared(s);
}

/**
 * Record a peer's prepare or commit once per validator key. A repeat (however it was relayed) is
 * dropped before any signature work; a different second vote is checked, then reported.
 */
function acceptVote(s: ReplicaState, m: Vote): boolean {
  const existing = s.votes.get(m.type, m.view, m.from);
  if (existing !== undefined) {
    if (bytesEqual(existing.blockHash, m.blockHash)) return false;
    if (verifyMessage(s, m)) s.report(m.from, "equivocation", `two ${m.type}s for (${m.height}, ${m.view})`);
    return false;
  }
  if (!verifyMessage(s, m)) {
    s.report(m.from, "bad-signature", `${m.type} for (${m.height}, ${m.view}) does not verify`);
    return false;
  }
  s.votes.add(m);
  return true;
}

/** A prepare of the current view (observers skip prepares: they never commit). */
export function onPrepare(s: ReplicaState, m: Prepare): void {
  if (!acceptVote(s, m)) return;
  const p = s.proposal;
  if (p !== null && bytesEqual(p.block.hash, m.blockHash)) checkPrepared(s);
}

/**
 * A commit of any recent view. Only the current view's commits are ever signed here, but a quorum
 * of commits is a seal whatever view it came from, so older and newer ones still decide.
 */
export function onCommit(s: ReplicaState, m: Commit): void {
  if (acceptVote(s, m)) checkDecided(s, m.view, toHex(m.blockHash));
  resendPrepareFor(s, m);
}

/**
 * A peer repeating its commit of (height, view) may have lost the prepares behind it in a
 * restart, and its view-changes must carry that certificate: until it has it again it cannot ask
 * for a new view. Once we have left that view we no longer repeat our prepare of it, so if we
 * prepared the same block there, send the peer our prepare again (found by the simulator).
 */
function resendPrepareFor(s: ReplicaState, m: Commit): void {
  if (m.from === s.self || (m.view === s.view && s.target === null)) return;
  const own = s.record.get(s.height, m.view, "prepare");
  if (own === undefined || own.type !== "prepare" || !bytesEqual(own.blockHash, m.blockHash)) return;
  s.emit({ type: "send", to: m.from, message: own });
}

/** Prepared: the accepted, validated pre-prepare plus q prepares for it (ours among them). */
function checkPrepared(s: ReplicaState): void {
  if (!s.isValidator || s.committed || s.target !== null || s.preparedView === s.view) return;
  const p = s.proposal;
  if (p === null || p.validated !== true) return;
  const own = s.record.get(s.height, s.view, "prepare");
  if (own === undefined || own.type !== "prepare" || !bytesEqual(own.blockHash, p.block.hash)) return;
  const hex = p.block.id;
  if (s.votes.count("prepare", s.view, hex) < s.q) return;
  const certificate = { view: s.view, blockHash: p.block.hash, prepares: s.votes.signers("prepare", s.view, hex).slice(0, s.q) };
  s.certificate = higherCertificate(s.certificate, certificate);
  s.preparedView = s.view;
  const commit = s.signCommit(s.view, p.block.hash, { certificate, block: p.block });
  if (commit === null) return;
  // From now on our view-changes must carry a certificate of this view or higher.
  s.certificateFloor = Math.max(s.certificateFloor, s.view);
  s.votes.add(commit);
  checkDecided(s, s.view, hex);
}

/** A body arrived: a quorum of commits may have been waiting for it. */
export function bodyKnown(s: ReplicaState, hex: string): void {
  for (const view of s.votes.quorumViews("commit", hex, s.q)) checkDecided(s, view, hex);
}

/** q commits for (height, view, hash) and the body: append it with its seal, then wait. */
function checkDecided(s: ReplicaState, view: number, hex: string): void {
  if (s.committed || s.votes.count("commit", view, hex) < s.q) return;
  const commits = s.votes.signers("commit", view, hex);
  const block = s.blocks.get(hex) ?? bufferedBody(s, hex);
  if (block === undefined) {
    // Decided without us seeing the proposal: fetch the sealed block from those who decided it.
    s.requestSync(commits.map((c) => c.from), s.height);
    return;
  }
  const seal = makeSeal(s.height, view, block.hash, commits.map((c) => ({ validator: c.from, signature: c.signature })));
  s.committed = true;
  s.emit({ type: "append-block", block, seal });
}

/** A pre-prepare of a later view may already hold the body (the seal vouches for the hash). */
function bufferedBody(s: ReplicaState, hex: string): Block | undefined {
  const m = s.buffer.find((x) => x.type === "pre-prepare" && x.height === s.height && x.block.id === hex);
  return m?.type === "pre-prepare" ? m.block : undefined;
}
