// The proofs of a view change, checked exactly as PBFT states them: a prepared certificate is a
// quorum of prepares from distinct members for one (height, view, block); a view-change carries
// its sender's highest one; a new-view carries a quorum of view-changes and must re-propose the
// prepared block with the highest view among them. Every replica recomputes that choice, so a
// new primary that drops a prepared certificate is caught.
import { compareBytes, isMember, MAX_VALIDATORS, type ValidatorId, type ValidatorSet } from "../chain/index.js";
import type { FaultKind } from "./io.js";
import {
  MAX_VIEW,
  viewChangePayload,
  votePayload,
  type NewView,
  type PreparedCertificate,
  type ViewChange,
} from "./messages.js";
import type { SignatureCache } from "./signature-cache.js";

export interface ProofContext {
  readonly chainId: string;
  readonly height: number;
  readonly validators: ValidatorSet;
  readonly quorum: number;
  readonly signatures: SignatureCache;
}

export interface ProofFault {
  readonly fault: FaultKind;
  readonly detail: string;
}

function isUint(x: unknown, max = Number.MAX_SAFE_INTEGER): x is number {
  return typeof x === "number" && Number.isSafeInteger(x) && x >= 0 && x <= max;
}

function isHash(x: unknown): x is Uint8Array {
  return x instanceof Uint8Array && x.length === 32;
}

/**
 * A prepared certificate for some view below `beforeView`: q prepares from distinct members over
 * (height, cert.view, cert.blockHash) under the "prepare" domain. A certificate listing one
 * member twice, or a non-member, is rejected outright rather than cleaned up: no correct replica
 * builds one.
 */
export function checkCertificate(cert: PreparedCertificate, beforeView: number, ctx: ProofContext): ProofFault | null {
  if (!isUint(cert.view, MAX_VIEW) || !isHash(cert.blockHash) || !Array.isArray(cert.prepares)) {
    return { fault: "malformed", detail: "prepared certificate is not well formed" };
  }
  if (cert.view >= beforeView) {
    return { fault: "invalid-certificate", detail: `prepared certificate of view ${cert.view} is not below view ${beforeView}` };
  }
  if (cert.prepares.length > Math.min(ctx.validators.members.length, MAX_VALIDATORS)) {
    return { fault: "invalid-certificate", detail: "prepared certificate lists more prepares than there are validators" };
  }
  const seen = new Set<ValidatorId>();
  for (const p of cert.prepares) {
    if (seen.has(p.from)) return { fault: "invalid-certificate", detail: `prepared certificate lists ${p.from} twice` };
    seen.add(p.from);
    if (!isMember(ctx.validators, p.from)) return { fault: "invalid-certificate", detail: `prepared certificate lists non-member ${p.from}` };
  }
  if (seen.size < ctx.quorum) {
    return { fault: "invalid-certificate", detail: `prepared certificate has ${seen.size} prepares, quorum is ${ctx.quorum}` };
  }
  const payload = votePayload(ctx.height, cert.view, cert.blockHash);
  for (const p of cert.prepares) {
    if (!ctx.signatures.verify("prepare", payload, p.signature, p.from)) {
      return { fault: "invalid-certificate", detail: `prepare of ${p.from} in the prepared certificate does not verify` };
    }
  }
  return null;
}

/** A view-change for (ctx.height, newView ≥ 1) by a member, validly signed, with a valid certificate. */
export function checkViewChange(vc: ViewChange, ctx: ProofContext): ProofFault | null {
  if (vc.chainId !== ctx.chainId) return { fault: "wrong-chain", detail: `view-change for chain ${String(vc.chainId)}` };
  if (vc.height !== ctx.height) return { fault: "invalid-certificate", detail: `view-change for height ${vc.height}, not ${ctx.height}` };
  if (!isUint(vc.newView, MAX_VIEW) || vc.newView < 1) return { fault: "malformed", detail: "view-change asks for no valid view" };
  if (!isMember(ctx.validators, vc.from)) return { fault: "not-a-member", detail: `view-change from non-member ${vc.from}` };
  if (vc.prepared !== null) {
    const bad = checkCertificate(vc.prepared, vc.newView, ctx);
    if (bad !== null) return bad;
  }
  let payload: Uint8Array;
  try {
    payload = viewChangePayload(vc.height, vc.newView, vc.prepared);
  } catch {
    return { fault: "malformed", detail: "view-change cannot be encoded" };
  }
  if (!ctx.signatures.verify("view-change", payload, vc.signature, vc.from)) {
    return { fault: "bad-signature", detail: `view-change of ${vc.from} for view ${vc.newView} does not verify` };
  }
  return null;
}

/**
 * The certificate a new-view must re-propose: the one with the highest view. Two certificates of
 * one view for different blocks need more than f faulty replicas; should it happen anyway, every
 * replica breaks the tie the same way (smallest hash bytes), so they still agree on the choice.
 */
export function chooseCertificate(viewChanges: readonly ViewChange[]): PreparedCertificate | null {
  let best: PreparedCertificate | null = null;
  for (const vc of viewChanges) {
    const c = vc.prepared;
    if (c === null) continue;
    if (best === null || c.view > best.view || (c.view === best.view && compareBytes(c.blockHash, best.blockHash) < 0)) best = c;
  }
  return best;
}

/** The higher of two certificates (by view), for carrying the best known one into view-changes. */
export function higherCertificate(a: PreparedCertificate | null, b: PreparedCertificate | null): PreparedCertificate | null {
  if (a === null) return b;
  if (b === null) return a;
  return b.view > a.view ? b : a;
}

/**
 * A new-view's proofs: at least q view-changes for (height, view) from distinct members, each
 * valid, and a chosen hash equal to what those view-changes imply. The caller has checked the
 * sender is the primary of `view` and the new-view's own signature.
 */
export function checkNewView(nv: NewView, ctx: ProofContext): ProofFault | null {
  if (!Array.isArray(nv.viewChanges) || nv.viewChanges.length > ctx.validators.members.length) {
    return { fault: "invalid-certificate", detail: "new-view carries more view-changes than there are validators" };
  }
  const seen = new Set<ValidatorId>();
  for (const vc of nv.viewChanges) {
    if (vc.newView !== nv.view) return { fault: "invalid-certificate", detail: `new-view for view ${nv.view} carries a view-change for view ${vc.newView}` };
    if (seen.has(vc.from)) return { fault: "invalid-certificate", detail: `new-view carries two view-changes of ${vc.from}` };
    seen.add(vc.from);
    const bad = checkViewChange(vc, ctx);
    if (bad !== null) return { fault: "invalid-certificate", detail: `new-view carries an invalid view-change: ${bad.detail}` };
  }
  if (seen.size < ctx.quorum) {
    return { fault: "invalid-certificate", detail: `new-view carries ${seen.size} view-changes, quorum is ${ctx.quorum}` };
  }
  const chosen = chooseCertificate(nv.viewChanges);
  const claimed = nv.chosenBlockHash;
  if (chosen === null && claimed === null) return null;
  if (chosen === null) return { fault: "lying-new-view", detail: "new-view re-proposes a block no view-change prepared" };
  if (claimed === null) return { fault: "lying-new-view", detail: `new-view drops the block prepared in view ${chosen.view}` };
  if (!isHash(claimed) || compareBytes(claimed, chosen.blockHash) !== 0) {
    return { fault: "lying-new-view", detail: `new-view chose another block than the one prepared in view ${chosen.view}` };
  }
  return null;
}
