// Verification is the core's dominant cost (a view-change carries a prepared certificate of q
// prepares, a new-view carries q view-changes): the same signature reaches a replica as a
// message, again inside a certificate, and again inside a new-view. Remember what verified.
import { sha256, SIGNATURE_BYTES, toHex, type SignDomain, type ValidatorId } from "../chain/index.js";
import type { ReplicaCrypto } from "./replica-config.js";

/** Payloads longer than this are remembered by digest (view-change payloads carry certificates). */
const INLINE_PAYLOAD_BYTES = 96;
export const SIGNATURE_CACHE_ENTRIES = 16_384;

export class SignatureCache {
  private readonly verified = new Set<string>();

  constructor(
    private readonly crypto: ReplicaCrypto,
    private readonly capacity = SIGNATURE_CACHE_ENTRIES,
  ) {}

  /** Only valid signatures are remembered: a forgery is checked (and rejected) every time. */
  verify(domain: SignDomain, payload: Uint8Array, signature: Uint8Array, signer: ValidatorId): boolean {
    if (!(signature instanceof Uint8Array) || signature.length !== SIGNATURE_BYTES) return false;
    const body = payload.length <= INLINE_PAYLOAD_BYTES ? toHex(payload) : toHex(sha256(payload));
    const key = `${domain}|${signer}|${toHex(signature)}|${body}`;
    if (this.verified.has(key)) return true;
    let ok: boolean;
    try {
      ok = this.crypto.verify(domain, payload, signature, signer);
    } catch {
      ok = false;
    }
    if (!ok) return false;
    if (this.verified.size >= this.capacity) {
      const oldest = this.verified.values().next().value;
      if (oldest !== undefined) this.verified.delete(oldest);
    }
    this.verified.add(key);
    return true;
  }
}
