// What a validator durably records of its own votes: each signed message, and with a commit the
// prepared certificate that made it send it (the q prepares) and the prepared block's body. A
// replica that restarts after committing in a view must still be able to leave that view: its
// view-changes have to carry that certificate, and the prepares it holds in memory are gone, and
// may never come again (the primary gone, a Byzantine replica withholding its prepare). So the
// certificate goes into the same record, and so the same synced write, as the commit.
//
// Encoding (canonical, one encoding per value; decoders reject trailing bytes):
//   a vote without a certificate:  encodeMessage(message)            (first byte: a message tag 1..5)
//   a commit with its certificate: 0x10 · bytes(encodeMessage(commit)) · certificate · bool
//                                  [· bytes(block)]
// Records written before certificates were persisted are plain messages and load as before.
import { bytesEqual, decodeAll, decodeBlock, DecodeError, MAX_BLOCK_BYTES_LIMIT, Writer, type Block } from "../chain/index.js";
import {
  decodeMessage,
  encodeMessage,
  MAX_MESSAGE_BYTES,
  readCertificate,
  writeCertificate,
  type ConsensusMessage,
  type PreparedCertificate,
} from "./messages.js";

/** The certificate behind one of our commits, with the prepared block when we hold it. */
export interface PreparedRecord {
  readonly certificate: PreparedCertificate;
  readonly block: Block | null;
}

export interface DecodedVoteRecord {
  readonly message: ConsensusMessage;
  readonly prepared: PreparedRecord | null;
}

/** A certificate at height h restored from our own record: what ReplicaResume carries. */
export interface OwnCertificate extends PreparedRecord {
  readonly height: number;
}

const RECORD_WITH_CERTIFICATE = 0x10;
/** A commit, a certificate of at most MAX_VALIDATORS prepares, and a block. */
export const MAX_VOTE_RECORD_BYTES = 2 * MAX_MESSAGE_BYTES + 64 * 1024;

/** Why `prepared` cannot ride with `message`, or null: only a commit's own certificate can. */
function mismatch(message: ConsensusMessage, prepared: PreparedRecord): string | null {
  if (message.type !== "commit") return `a ${message.type} carries no certificate`;
  if (prepared.certificate.view !== message.view || !bytesEqual(prepared.certificate.blockHash, message.blockHash)) {
    return "the certificate is not the commit's (view and block must match)";
  }
  if (prepared.block !== null && !bytesEqual(prepared.block.hash, message.blockHash)) return "the block is not the certified one";
  return null;
}

export function encodeVoteRecord(message: ConsensusMessage, prepared: PreparedRecord | null): Uint8Array {
  if (prepared === null) return encodeMessage(message);
  const bad = mismatch(message, prepared);
  if (bad !== null) throw new RangeError(bad);
  const body = encodeMessage(message);
  const w = new Writer(body.length + 512 + (prepared.block?.bytes.length ?? 0)).u8(RECORD_WITH_CERTIFICATE).bytes(body);
  writeCertificate(w, prepared.certificate).bool(prepared.block !== null);
  if (prepared.block !== null) w.bytes(prepared.block.bytes);
  return w.finish();
}

export function decodeVoteRecord(bytes: Uint8Array): DecodedVoteRecord {
  if (bytes.length === 0 || bytes[0] !== RECORD_WITH_CERTIFICATE) return { message: decodeMessage(bytes), prepared: null };
  return decodeAll(bytes, MAX_VOTE_RECORD_BYTES, (r) => {
    r.u8();
    const message = decodeMessage(r.bytes(MAX_MESSAGE_BYTES));
    const certificate = readCertificate(r);
    // The tagged form exists only to carry a certificate: without one the plain form is canonical.
    if (certificate === null) throw new DecodeError("NON_CANONICAL", "a vote record without a certificate is a plain message", {});
    const block = r.bool() ? decodeBlock(r.bytes(MAX_BLOCK_BYTES_LIMIT)) : null;
    const prepared = { certificate, block };
    const bad = mismatch(message, prepared);
    if (bad !== null) throw new DecodeError("INVALID_VALUE", bad, {});
    return { message, prepared };
  });
}

/** Our recorded votes, oldest first, as a Replica resumes from them. */
export function decodeVoteRecords(records: readonly { readonly bytes: Uint8Array }[]): {
  ownVotes: ConsensusMessage[];
  ownCertificates: OwnCertificate[];
} {
  const ownVotes: ConsensusMessage[] = [];
  const ownCertificates: OwnCertificate[] = [];
  for (const record of records) {
    const { message, prepared } = decodeVoteRecord(record.bytes);
    ownVotes.push(message);
    if (prepared !== null) ownCertificates.push({ height: message.height, ...prepared });
  }
  return { ownVotes, ownCertificates };
}
