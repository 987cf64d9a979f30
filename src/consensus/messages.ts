// PBFT's messages, their signed payloads and their wire codec. Each kind signs under its own
// domain (chain/domain.ts) so no signature can be replayed as another kind: a prepare can never
// count as a commit, and nothing signed on one chain verifies on another.
import {
  commitPayload,
  decodeAll,
  decodeBlock,
  fromHex,
  HASH_BYTES,
  MAX_BLOCK_BYTES_LIMIT,
  MAX_CHAIN_ID_BYTES,
  MAX_VALIDATORS,
  PUBLIC_KEY_BYTES,
  SIGNATURE_BYTES,
  toHex,
  Writer,
  type Block,
  type Reader,
  type SignDomain,
  type ValidatorId,
} from "../chain/index.js";
import { DecodeError } from "../chain/index.js";

/** A validator's signature over a message's payload, with the signer's id. */
export interface Signed {
  readonly from: ValidatorId;
  readonly signature: Uint8Array;
}

/** The primary proposes `block` for (height, view). Signed payload: (height, view, blockHash). */
export interface PrePrepare extends Signed {
  readonly type: "pre-prepare";
  readonly chainId: string;
  readonly height: number;
  readonly view: number;
  readonly block: Block;
}

/** A replica accepted the pre-prepare of `blockHash` in (height, view). */
export interface Prepare extends Signed {
  readonly type: "prepare";
  readonly chainId: string;
  readonly height: number;
  readonly view: number;
  readonly blockHash: Uint8Array;
}

/** A replica is prepared on `blockHash` in (height, view). Its signature is a seal signature. */
export interface Commit extends Signed {
  readonly type: "commit";
  readonly chainId: string;
  readonly height: number;
  readonly view: number;
  readonly blockHash: Uint8Array;
}

/** The proof that `blockHash` was prepared in `view`: a quorum of prepares from distinct members. */
export interface PreparedCertificate {
  readonly view: number;
  readonly blockHash: Uint8Array;
  readonly prepares: readonly Signed[];
}

/**
 * A replica asks to move to `newView` at `height`, carrying its highest prepared certificate.
 * Signed payload: (height, newView, prepared certificate). `preparedBlock`, when present, is
 * the prepared block's body riding along unsigned (checked against the certificate's hash) so
 * the new primary can re-propose it without fetching.
 */
export interface ViewChange extends Signed {
  readonly type: "view-change";
  readonly chainId: string;
  readonly height: number;
  readonly newView: number;
  readonly prepared: PreparedCertificate | null;
  readonly preparedBlock: Block | null;
}

/**
 * The new primary announces `view` with a quorum of view-changes (bodies stripped) and the block
 * hash it must re-propose (the prepared block with the highest view), or null if none was
 * prepared. Replicas recompute that choice from the proofs and reject a new-view that lies.
 * The pre-prepare for `view` follows as an ordinary PrePrepare.
 */
export interface NewView extends Signed {
  readonly type: "new-view";
  readonly chainId: string;
  readonly height: number;
  readonly view: number;
  readonly viewChanges: readonly ViewChange[];
  readonly chosenBlockHash: Uint8Array | null;
}

export type ConsensusMessage = PrePrepare | Prepare | Commit | ViewChange | NewView;
export type ConsensusMessageType = ConsensusMessage["type"];

export const MESSAGE_TAGS: Readonly<Record<ConsensusMessageType, number>> = {
  "pre-prepare": 1,
  prepare: 2,
  commit: 3,
  "view-change": 4,
  "new-view": 5,
};

/** A view number above this is a Byzantine view-change spam, never an honest one. */
export const MAX_VIEW = 1_000_000;
/** Cap on an encoded consensus message (a pre-prepare carries a block). */
export const MAX_MESSAGE_BYTES = MAX_BLOCK_BYTES_LIMIT + 64 * 1024;

// ---- signed payloads --------------------------------------------------------------------------

export function voteDomain(type: ConsensusMessageType): SignDomain {
  return type;
}

/**
 * (height, view, blockHash): what pre-prepares, prepares and commits sign, each under its own
 * domain. It is the seal's commit payload, so commit signatures collect directly into a seal.
 */
export const votePayload = commitPayload;

/** A prepared certificate or null, as view-changes sign and carry it (also used by vote-record.ts). */
export function writeCertificate(w: Writer, cert: PreparedCertificate | null): Writer {
  if (cert === null) return w.bool(false);
  w.bool(true).uint(cert.view).fixed(cert.blockHash, HASH_BYTES).uint(cert.prepares.length);
  for (const p of cert.prepares) writeSigned(w, p);
  return w;
}

export function viewChangePayload(height: number, newView: number, prepared: PreparedCertificate | null): Uint8Array {
  return writeCertificate(new Writer(256).uint(height).uint(newView), prepared).finish();
}

export function newViewPayload(height: number, view: number, viewChanges: readonly ViewChange[], chosen: Uint8Array | null): Uint8Array {
  const w = new Writer(1024).uint(height).uint(view).uint(viewChanges.length);
  for (const vc of viewChanges) writeViewChangeBody(w, vc);
  w.bool(chosen !== null);
  if (chosen !== null) w.fixed(chosen, HASH_BYTES);
  return w.finish();
}

/** The payload a message's signature covers (under domain `message.type` and its chain id). */
export function signedPayload(m: ConsensusMessage): Uint8Array {
  switch (m.type) {
    case "pre-prepare":
      return votePayload(m.height, m.view, m.block.hash);
    case "prepare":
    case "commit":
      return votePayload(m.height, m.view, m.blockHash);
    case "view-change":
      return viewChangePayload(m.height, m.newView, m.prepared);
    case "new-view":
      return newViewPayload(m.height, m.view, m.viewChanges, m.chosenBlockHash);
  }
}

/** The view a message belongs to (a view-change belongs to the view it asks for). */
export function messageView(m: ConsensusMessage): number {
  return m.type === "view-change" ? m.newView : m.view;
}

// ---- wire codec ---------------------------------------------------------------------------------

function writeSigned(w: Writer, s: Signed): Writer {
  return w.fixed(fromHex(s.from, PUBLIC_KEY_BYTES), PUBLIC_KEY_BYTES).fixed(s.signature, SIGNATURE_BYTES);
}

function readSigned(r: Reader): Signed {
  return { from: toHex(r.fixed(PUBLIC_KEY_BYTES)), signature: r.fixed(SIGNATURE_BYTES) };
}

export function readCertificate(r: Reader): PreparedCertificate | null {
  if (!r.bool()) return null;
  const view = r.uint(MAX_VIEW);
  const blockHash = r.fixed(HASH_BYTES);
  const count = r.count(MAX_VALIDATORS);
  const prepares: Signed[] = [];
  for (let i = 0; i < count; i++) prepares.push(readSigned(r));
  return { view, blockHash, prepares };
}

/** A view-change without its block body: what a new-view carries. */
function writeViewChangeBody(w: Writer, vc: ViewChange): Writer {
  w.string(vc.chainId).uint(vc.height).uint(vc.newView);
  writeCertificate(w, vc.prepared);
  return writeSigned(w, vc);
}

function readViewChangeBody(r: Reader): ViewChange {
  const chainId = r.string(MAX_CHAIN_ID_BYTES);
  const height = r.uint();
  const newView = r.uint(MAX_VIEW);
  const prepared = readCertificate(r);
  const s = readSigned(r);
  return { type: "view-change", chainId, height, newView, prepared, preparedBlock: null, ...s };
}

export function encodeMessage(m: ConsensusMessage): Uint8Array {
  const w = new Writer(m.type === "pre-prepare" ? m.block.bytes.length + 256 : 512).u8(MESSAGE_TAGS[m.type]);
  switch (m.type) {
    case "pre-prepare":
      w.string(m.chainId).uint(m.height).uint(m.view).bytes(m.block.bytes);
      break;
    case "prepare":
    case "commit":
      w.string(m.chainId).uint(m.height).uint(m.view).fixed(m.blockHash, HASH_BYTES);
      break;
    case "view-change":
      writeViewChangeBody(w, m);
      w.bool(m.preparedBlock !== null);
      if (m.preparedBlock !== null) w.bytes(m.preparedBlock.bytes);
      return w.finish();
    case "new-view":
      w.string(m.chainId).uint(m.height).uint(m.view).uint(m.viewChanges.length);
      for (const vc of m.viewChanges) writeViewChangeBody(w, vc);
      w.bool(m.chosenBlockHash !== null);
      if (m.chosenBlockHash !== null) w.fixed(m.chosenBlockHash, HASH_BYTES);
      break;
  }
  return writeSigned(w, m).finish();
}

/** Structural decode of a peer's bytes; signatures and membership are checked by the replica. */
export function decodeMessage(bytes: Uint8Array): ConsensusMessage {
  return decodeAll(bytes, MAX_MESSAGE_BYTES, (r) => {
    const tag = r.u8();
    switch (tag) {
      case 1: {
        const chainId = r.string(MAX_CHAIN_ID_BYTES);
        const height = r.uint();
        const view = r.uint(MAX_VIEW);
        const block = decodeBlock(r.bytes(MAX_BLOCK_BYTES_LIMIT));
        return { type: "pre-prepare", chainId, height, view, block, ...readSigned(r) };
      }
      case 2:
      case 3: {
        const chainId = r.string(MAX_CHAIN_ID_BYTES);
        const height = r.uint();
        const view = r.uint(MAX_VIEW);
        const blockHash = r.fixed(HASH_BYTES);
        return { type: tag === 2 ? "prepare" : "commit", chainId, height, view, blockHash, ...readSigned(r) };
      }
      case 4: {
        const body = readViewChangeBody(r);
        const preparedBlock = r.bool() ? decodeBlock(r.bytes(MAX_BLOCK_BYTES_LIMIT)) : null;
        return { ...body, preparedBlock };
      }
      case 5: {
        const chainId = r.string(MAX_CHAIN_ID_BYTES);
        const height = r.uint();
        const view = r.uint(MAX_VIEW);
        const count = r.count(MAX_VALIDATORS);
        const viewChanges: ViewChange[] = [];
        for (let i = 0; i < count; i++) viewChanges.push(readViewChangeBody(r));
        const chosenBlockHash = r.bool() ? r.fixed(HASH_BYTES) : null;
        return { type: "new-view", chainId, height, view, viewChanges, chosenBlockHash, ...readSigned(r) };
      }
      default:
        throw new DecodeError("INVALID_VALUE", `unknown consensus message tag ${tag}`, { tag });
    }
  });
}
