// The transaction envelope: {chainId, from, nonce, kind, payload} signed by `from` under the
// "tx" domain. The envelope is the same for every kind; what a kind's payload means, and how it
// executes, is registered in a TxRegistry (./tx-registry.ts), so selection modules add their
// governance kinds without touching this file.
import { decodeAll, Reader, toHex, Writer } from "./encoding.js";
import { TxError } from "./errors.js";
import { sha256 } from "./hash.js";
import { nobleSignDomain, PUBLIC_KEY_BYTES, SIGNATURE_BYTES } from "./keys.js";
import { verifyDomain } from "./signature.js";

export const TX_VERSION = 1;
export const MAX_TX_BYTES = 64 * 1024;
export const MAX_CHAIN_ID_BYTES = 64;
export const MAX_KIND_BYTES = 32;
export const MAX_PAYLOAD_BYTES = MAX_TX_BYTES - 256;

export interface UnsignedTx {
  readonly chainId: string;
  /** The sender's ed25519 public key (its account id). */
  readonly from: Uint8Array;
  readonly nonce: number;
  readonly kind: string;
  readonly payload: Uint8Array;
}

/** A decoded, signed tx with its canonical bytes and hash kept alongside. */
export interface SignedTx extends UnsignedTx {
  readonly signature: Uint8Array;
  readonly bytes: Uint8Array;
  readonly hash: Uint8Array;
  /** Hex of `hash`: the tx id used by the store, the mempool and the RPC. */
  readonly id: string;
  /** Hex of `from`: the sender's account id. */
  readonly sender: string;
}

function writeBody(w: Writer, tx: UnsignedTx): Writer {
  return w.u8(TX_VERSION).string(tx.chainId).fixed(tx.from, PUBLIC_KEY_BYTES).uint(tx.nonce).string(tx.kind).bytes(tx.payload);
}

/** The bytes the sender signs (under the "tx" domain and chain id). */
export function txSigningPayload(tx: UnsignedTx): Uint8Array {
  return writeBody(new Writer(tx.payload.length + 128), tx).finish();
}

function finishSigned(tx: UnsignedTx, signature: Uint8Array, bytes: Uint8Array): SignedTx {
  const hash = sha256(bytes);
  return { ...tx, signature, bytes, hash, id: toHex(hash), sender: toHex(tx.from) };
}

export function encodeSignedTx(tx: UnsignedTx, signature: Uint8Array): Uint8Array {
  return writeBody(new Writer(tx.payload.length + 192), tx).fixed(signature, SIGNATURE_BYTES).finish();
}

/** Sign with @noble/curves: the client's path (no OpenSSL needed). */
export function signTx(tx: UnsignedTx, secretKey: Uint8Array): SignedTx {
  checkUnsigned(tx);
  const signature = nobleSignDomain("tx", tx.chainId, txSigningPayload(tx), secretKey);
  return finishSigned(tx, signature, encodeSignedTx(tx, signature));
}

function checkUnsigned(tx: UnsignedTx): void {
  // The decoder caps the chain id; without this a client could sign a tx no node can decode.
  if (Buffer.byteLength(tx.chainId) > MAX_CHAIN_ID_BYTES) {
    throw new TxError("WRONG_CHAIN", `chain id must be at most ${MAX_CHAIN_ID_BYTES} bytes`);
  }
  if (tx.from.length !== PUBLIC_KEY_BYTES) throw new TxError("BAD_PAYLOAD", "from must be a 32-byte public key");
  if (!Number.isSafeInteger(tx.nonce) || tx.nonce < 0) throw new TxError("BAD_NONCE", "nonce must be a non-negative integer");
  if (Buffer.byteLength(tx.kind) === 0 || Buffer.byteLength(tx.kind) > MAX_KIND_BYTES) {
    throw new TxError("UNKNOWN_KIND", `kind must be 1..${MAX_KIND_BYTES} bytes`);
  }
  if (tx.payload.length > MAX_PAYLOAD_BYTES) {
    throw new TxError("TX_TOO_LARGE", `payload of ${tx.payload.length} bytes exceeds ${MAX_PAYLOAD_BYTES}`);
  }
}

export function readSignedTx(r: Reader): SignedTx {
  const start = r.offset;
  const version = r.u8();
  if (version !== TX_VERSION) throw new TxError("BAD_PAYLOAD", `unknown tx version ${version}`, { version });
  const chainId = r.string(MAX_CHAIN_ID_BYTES);
  const from = r.fixed(PUBLIC_KEY_BYTES);
  const nonce = r.uint();
  const kind = r.string(MAX_KIND_BYTES);
  const payload = r.bytes(MAX_PAYLOAD_BYTES);
  const signature = r.fixed(SIGNATURE_BYTES);
  const unsigned = { chainId, from, nonce, kind, payload };
  // The Reader accepts only canonical forms (minimal varints, exact lengths, strict UTF-8), so
  // the bytes read are the one encoding of this tx: hash them as they are, no re-encoding.
  return finishSigned(unsigned, signature, r.consumed(start));
}

/**
 * Decode a tx from a client or peer: structure only (size, canonical form, no trailing bytes).
 * Signature and chain id are checked by `verifyTx`, payload by the registry.
 */
export function decodeSignedTx(bytes: Uint8Array): SignedTx {
  if (bytes.length > MAX_TX_BYTES) {
    throw new TxError("TX_TOO_LARGE", `tx of ${bytes.length} bytes exceeds ${MAX_TX_BYTES}`, { size: bytes.length, limit: MAX_TX_BYTES });
  }
  return decodeAll(bytes, MAX_TX_BYTES, readSignedTx);
}

/**
 * Chain id and signature (OpenSSL path); throws a TxError naming what is wrong. A node passes
 * its shared VerifyCache as `verify`, so a tx checked by the gossip validator is not verified
 * again by the mempool.
 */
export function verifyTx(tx: SignedTx, chainId: string, verify: typeof verifyDomain = verifyDomain): void {
  if (tx.chainId !== chainId) {
    throw new TxError("WRONG_CHAIN", `tx is for chain ${JSON.stringify(tx.chainId)}, this is ${JSON.stringify(chainId)}`, {
      expected: chainId,
      actual: tx.chainId,
    });
  }
  // The signed body is the canonical bytes without the trailing signature.
  const body = tx.bytes.subarray(0, tx.bytes.length - SIGNATURE_BYTES);
  if (!verify("tx", tx.chainId, body, tx.signature, tx.from)) {
    throw new TxError("BAD_SIGNATURE", "tx signature does not verify for its sender", { sender: tx.sender });
  }
}
