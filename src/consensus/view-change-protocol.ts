// PBFT's view change at one height: a replica whose timer expires (or that sees f+1 members ask
// for higher views) sends a view-change carrying its highest prepared certificate; the primary of
// the new view collects a quorum of them and sends a new-view that re-proposes the prepared block
// with the highest view, or a fresh block if none was prepared; replicas check that choice.
import { bytesEqual, toHex, type Block } from "../chain/index.js";
import type { ViewChangeReason } from "./io.js";
import { MAX_VIEW, newViewPayload, type NewView, type PreparedCertificate, type ViewChange } from "./messages.js";
import { bodyKnown, maybeBuild } from "./normal-case.js";
import { PAST_VIEWS, type ReplicaState } from "./replica-state.js";
import { viewTimeoutTicks } from "./timeouts.js";
import { checkNewView, checkViewChange, chooseCertificate, higherCertificate } from "./view-change.js";

/** The timer of the current view (or of the new-view we wait for) expired: ask for the next view. */
export function onViewTimeout(s: ReplicaState): void {
  if (!s.isValidator || s.committed) return;
  const reason = s.target === null && s.refusedProposalView === s.view ? "bad-proposal" : "timeout";
  startViewChange(s, (s.target ?? s.view) + 1, reason);
}

/**
 * Send a view-change for `target`. From here on this replica takes no part in views below
 * `target` (it will not accept their prepares, commits to sign, or new-views): its view-change
 * told the new primary its prepared certificate, and voting later in an old view would make
 * that statement false.
 */
export function startViewChange(s: ReplicaState, target: number, reason: ViewChangeReason): boolean {
  if (!s.isValidator || s.committed || target > MAX_VIEW || target <= (s.target ?? s.view)) return false;
  if (!certificateCoversCommit(s)) {
    // We sent a commit in certificateFloor but lost its prepared certificate in a restart: a
    // view-change without it could let a new-view drop a block that may be decided. Wait until
    // the prepares come again (peers repeat them) or another view-change carries a certificate.
    return false;
  }
  const certificate = s.certificate;
  const body = certificate === null ? null : s.blocks.get(toHex(certificate.blockHash)) ?? null;
  const vc = s.signViewChange(target, certificate, body);
  if (vc === null) return false;
  s.target = target;
  s.timer.reset(viewTimeoutTicks(s.params, target));
  s.emit({ type: "view-changed", height: s.height, view: target, reason });
  s.viewChanges.put(stripped(vc));
  maybeSendNewView(s, target);
  return true;
}

function stripped(vc: ViewChange): ViewChange {
  return vc.preparedBlock === null ? vc : { ...vc, preparedBlock: null };
}

function certificateCoversCommit(s: ReplicaState): boolean {
  if (s.certificateFloor < 0 || (s.certificate?.view ?? -1) >= s.certificateFloor) return true;
  // Rebuild it from the prepares of that view, if they have arrived again.
  const commit = s.record.get(s.height, s.certificateFloor, "commit");
  if (commit === undefined || commit.type !== "commit") return false;
  const hex = toHex(commit.blockHash);
  if (s.votes.count("prepare", s.certificateFloor, hex) < s.q) return false;
  const prepares = s.votes.signers("prepare", s.certificateFloor, hex).slice(0, s.q);
  s.certificate = higherCertificate(s.certificate, { view: s.certificateFloor, blockHash: commit.blockHash, prepares });
  return true;
}

/** A valid certificate, from anyone, is proof its block was prepared: carry the highest one on. */
function adoptCertificate(s: ReplicaState, certificate: PreparedCertificate | null): void {
  s.certificate = higherCertificate(s.certificate, certificate);
}

/** The prepared block's body riding along a view-change, checked against its certificate. */
function learnBody(s: ReplicaState, certificate: PreparedCertificate | null, block: Block | null): void {
  if (certificate === null || block === null || s.blocks.has(block.id)) return;
  if (!bytesEqual(block.hash, certificate.blockHash)) return;
  if (block.header.height !== s.height || !bytesEqual(block.header.parentHash, s.head.hash)) return;
  s.rememberBlock(block);
  bodyKnown(s, block.id);
}

/** A view-change for the current height; the caller has checked chain, height and membership. */
export function onViewChange(s: ReplicaState, m: ViewChange): void {
  if (m.newView <= s.view) return;
  const existing = s.viewChanges.get(m.from);
  if (existing !== undefined && existing.newView > m.newView) return;
  if (existing !== undefined && existing.newView === m.newView) {
    if (bytesEqual(existing.signature, m.signature)) {
      learnBody(s, existing.prepared, m.preparedBlock);
      return;
    }
    if (checkViewChange(m, s.proofContext) === null) s.report(m.from, "equivocation", `two view-changes for (${m.height}, ${m.newView})`);
    return;
  }
  const bad = checkViewChange(m, s.proofContext);
  if (bad !== null) {
    s.report(m.from, bad.fault, bad.detail);
    return;
  }
  s.viewChanges.put(stripped(m));
  adoptCertificate(s, m.prepared);
  learnBody(s, m.prepared, m.preparedBlock);
  if (!s.isValidator || s.committed) return;
  const join = s.viewChanges.joinView(s.target ?? s.view, s.f, s.self);
  if (join !== null) startViewChange(s, join, "join");
  maybeSendNewView(s, m.newView);
}

function byCertificateThenId(a: ViewChange, b: ViewChange): number {
  const va = a.prepared?.view ?? -1;
  const vb = b.prepared?.view ?? -1;
  if (va !== vb) return vb - va;
  return a.from < b.from ? -1 : a.from > b.from ? 1 : 0;
}

/**
 * The primary of `view`, waiting for it, with a quorum of view-changes for it: send the new-view.
 * It carries exactly q view-changes (bounded size), those with the highest certificates first.
 */
function maybeSendNewView(s: ReplicaState, view: number): void {
  if (!s.isValidator || s.committed || s.target !== view || !s.isPrimary(view)) return;
  const candidates = s.viewChanges.forView(view);
  if (candidates.length < s.q) return;
  const proofs = [...candidates].sort(byCertificateThenId).slice(0, s.q);
  proofs.sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : 0));
  const chosen = chooseCertificate(proofs);
  const nv = s.signNewView(view, proofs, chosen === null ? null : chosen.blockHash);
  if (nv === null) return;
  enterView(s, view, nv.chosenBlockHash);
  maybeBuild(s);
}

/** Enter `view` through its new-view: fresh timer, no proposal yet, the choice to enforce. */
function enterView(s: ReplicaState, view: number, chosen: Uint8Array | null): void {
  s.newView = { view, chosen };
  if (view === s.view) return; // the restored view after a restart: only the new-view was missing
  s.view = view;
  s.target = null;
  s.proposal = null;
  s.lastBuildTick = -1;
  s.timer.reset(viewTimeoutTicks(s.params, view));
  s.votes.pruneViewsBelow(view - PAST_VIEWS);
  s.newViewsEntered++;
  s.emit({ type: "view-changed", height: s.height, view, reason: "entered" });
}

/** A new-view for the current height; the caller has checked chain, height and membership. */
export function onNewView(s: ReplicaState, m: NewView): void {
  const view = m.view;
  if (view < 1) {
    s.report(m.from, "malformed", "new-view for view 0");
    return;
  }
  if (view < s.view || (view === s.view && s.newView !== null && s.newView.view === view)) return;
  // Our view-change for `target` abandoned every view below it.
  if (s.target !== null && view < s.target) return;
  if (m.from !== s.primaryOf(view)) {
    s.report(m.from, "wrong-primary", `new-view for (${m.height}, ${view}) from a backup`);
    return;
  }
  let payload: Uint8Array;
  try {
    payload = newViewPayload(m.height, view, m.viewChanges, m.chosenBlockHash);
  } catch {
    s.report(m.from, "malformed", "new-view cannot be encoded");
    return;
  }
  if (!s.verify("new-view", payload, m.signature, m.from)) {
    s.report(m.from, "bad-signature", `new-view for (${m.height}, ${view}) does not verify`);
    return;
  }
  const bad = checkNewView(m, s.proofContext);
  if (bad !== null) {
    s.report(m.from, bad.fault, bad.detail);
    return;
  }
  for (const vc of m.viewChanges) adoptCertificate(s, vc.prepared);
  enterView(s, view, m.chosenBlockHash);
}
