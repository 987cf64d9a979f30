// A bounded cache of signature checks. Every replica verifies the same votes: in the simulator
// all replicas share one process, and in a node the gossip validator and the consensus core see
// the same message. Keyed by a digest of everything the check depends on, so a hit can never
// vouch for a different message, key, domain or chain.
import type { SignDomain } from "./domain.js";
import { signingBytes } from "./domain.js";
import { sha256 } from "./hash.js";
import { verify } from "./signature.js";
import { fromHex, toHex } from "./encoding.js";

export class VerifyCache {
  private readonly results = new Map<string, boolean>();
  hits = 0;
  misses = 0;

  constructor(private readonly limit = 100_000) {}

  /** Same signature as `verifyDomain`, so it can stand in for it (gossip, mempool). */
  readonly verifyDomain = (domain: SignDomain, chainId: string, payload: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean => {
    const message = signingBytes(domain, chainId, payload);
    const key = toHex(sha256(message, signature, publicKey));
    const known = this.results.get(key);
    if (known !== undefined) {
      this.hits++;
      return known;
    }
    this.misses++;
    const ok = verify(signature, message, publicKey);
    if (this.results.size >= this.limit) {
      // Drop the oldest entry: insertion order is the Map's iteration order.
      const oldest = this.results.keys().next().value;
      if (oldest !== undefined) this.results.delete(oldest);
    }
    this.results.set(key, ok);
    return ok;
  };

  /** The consensus core's form: the signer as a validator id (hex). */
  verify(domain: SignDomain, chainId: string, payload: Uint8Array, signature: Uint8Array, signer: string): boolean {
    let publicKey: Uint8Array;
    try {
      publicKey = fromHex(signer, 32);
    } catch {
      return false;
    }
    return this.verifyDomain(domain, chainId, payload, signature, publicKey);
  }

}
