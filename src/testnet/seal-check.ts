// The seal part of `triad check`: the validator set in force at a height (fetched once per
// validators_hash and checked against it), and each node's stored seal verified against it. A
// range's distinct signatures are checked ahead on libuv's thread pool; a validator's commit
// signature is deterministic, so the same signature held by several nodes is one check.
import { fromHex, makeSeal, toHex, validatorSet, validatorsHash, verifySeal, type ValidatorSet } from "../chain/index.js";
import { commitPayload } from "../chain/seal.js";
import { verifyDomain, verifyDomainAsync } from "../chain/signature.js";
import type { TriadBlockJson } from "../rpc/types.js";
import type { ChainSource } from "./chain-source.js";

/** The validator sets by validators_hash, each fetched once and checked against its hash. */
export class SetCache {
  private readonly sets = new Map<string, ValidatorSet>();
  private readonly pending = new Map<string, Promise<ValidatorSet>>();

  async get(hash: string, height: number, source: ChainSource): Promise<ValidatorSet> {
    const known = this.sets.get(hash);
    if (known !== undefined) return known;
    let p = this.pending.get(hash);
    if (p === undefined) {
      p = (async () => {
        const set = validatorSet(await source.validators(height));
        const actual = toHex(validatorsHash(set));
        if (actual !== hash) throw new Error(`its validator set at height ${height} hashes to ${actual}, the block says ${hash}`);
        this.sets.set(hash, set);
        return set;
      })();
      this.pending.set(hash, p);
      // A failed fetch is retried by the next node that needs the set (from its own RPC).
      p.catch(() => undefined).finally(() => this.pending.delete(hash));
    }
    return p;
  }
}

const signatureKey = (b: TriadBlockJson, validator: string, signatureBase64: string): string => `${b.height}:${b.hash}:${b.seal.view}:${validator}:${signatureBase64}`;
const HEX_KEY = /^[0-9a-f]{64}$/;
/** Signature checks in flight at once on the thread pool. */
const VERIFY_BATCH = 256;

/**
 * Every distinct seal signature of a range, checked on the thread pool (all cores) before the
 * heights are walked; the walk then finds the answers in `verified`. A signature held by several
 * nodes is one check. Whether a signer belongs to the set is still decided by verifySeal.
 */
export async function preVerify(chainId: string, ranges: Iterable<readonly TriadBlockJson[]>, verified: Map<string, boolean>): Promise<void> {
  const jobs: (() => Promise<void>)[] = [];
  for (const blocks of ranges) {
    for (const b of blocks) {
      if (!HEX_KEY.test(b.hash)) continue;
      let payload: Uint8Array | null = null;
      for (const sig of b.seal.signatures) {
        const key = signatureKey(b, sig.validator, sig.signature);
        if (verified.has(key) || !HEX_KEY.test(sig.validator)) continue;
        verified.set(key, false);
        payload ??= commitPayload(b.height, b.seal.view, fromHex(b.hash, 32));
        const p = payload;
        jobs.push(async () => {
          verified.set(key, await verifyDomainAsync("commit", chainId, p, new Uint8Array(Buffer.from(sig.signature, "base64")), fromHex(sig.validator, 32)));
        });
      }
    }
  }
  for (let i = 0; i < jobs.length; i += VERIFY_BATCH) await Promise.all(jobs.slice(i, i + VERIFY_BATCH).map((j) => j()));
}

function plainVerify(chainId: string, payload: Uint8Array, signature: Uint8Array, validator: string): boolean {
  return verifyDomain("commit", chainId, payload, signature, fromHex(validator, 32));
}

/**
 * Throws unless `b`'s seal holds valid commits from a quorum of `set` for this very block (as
 * verifySeal decides); returns the number of signers. `verified` holds checks already done.
 */
export function verifyBlockSeal(chainId: string, set: ValidatorSet, b: TriadBlockJson, verified: Map<string, boolean>): number {
  const base64Of = new Map<Uint8Array, string>();
  const commits = b.seal.signatures.map((s) => {
    const signature = new Uint8Array(Buffer.from(s.signature, "base64"));
    base64Of.set(signature, s.signature);
    return { validator: s.validator, signature };
  });
  const seal = makeSeal(b.height, b.seal.view, fromHex(b.hash, 32), commits);
  verifySeal(seal, chainId, set, b.height, seal.blockHash, (payload, signature, validator) => {
    const key = signatureKey(b, validator, base64Of.get(signature) ?? Buffer.from(signature).toString("base64"));
    let ok = verified.get(key);
    if (ok === undefined) {
      ok = plainVerify(chainId, payload, signature, validator);
      verified.set(key, ok);
    }
    return ok;
  });
  return commits.length;
}
