// The commit certificate (a block's seal): a quorum of validators' commit signatures over
// (chainId, height, view, blockHash) under the "commit" domain. Every stored block carries the
// seal that decided it, so anyone holding the validator set can verify any block offline.
import { bytesEqual, compareBytes, decodeAll, fromHex, Reader, toHex, Writer } from "./encoding.js";
import { DecodeError, SealError } from "./errors.js";
import { HASH_BYTES } from "./hash.js";
import { PUBLIC_KEY_BYTES, SIGNATURE_BYTES } from "./keys.js";
import { verifyDomain } from "./signature.js";
import { isMember, MAX_VALIDATORS, quorumSize, type ValidatorId, type ValidatorSet } from "./validator-set.js";

export interface CommitSignature {
  readonly validator: ValidatorId;
  readonly signature: Uint8Array;
}

export interface Seal {
  readonly height: number;
  readonly view: number;
  readonly blockHash: Uint8Array;
  /** Sorted by validator id. */
  readonly commits: readonly CommitSignature[];
}

/** What a validator signs when it commits: also the bytes a seal's signatures cover. */
export function commitPayload(height: number, view: number, blockHash: Uint8Array): Uint8Array {
  return new Writer(48).uint(height).uint(view).fixed(blockHash, HASH_BYTES).finish();
}

const byValidator = (a: CommitSignature, b: CommitSignature): number =>
  a.validator < b.validator ? -1 : a.validator > b.validator ? 1 : 0;

export function writeSeal(w: Writer, seal: Seal): Writer {
  w.uint(seal.height).uint(seal.view).fixed(seal.blockHash, HASH_BYTES).uint(seal.commits.length);
  // Always in canonical order (readSeal insists on it), even for a seal not built by makeSeal.
  for (const c of [...seal.commits].sort(byValidator)) w.fixed(fromHex(c.validator, PUBLIC_KEY_BYTES), PUBLIC_KEY_BYTES).fixed(c.signature, SIGNATURE_BYTES);
  return w;
}

export function readSeal(r: Reader): Seal {
  const height = r.uint();
  const view = r.uint();
  const blockHash = r.fixed(HASH_BYTES);
  const count = r.count(MAX_VALIDATORS);
  const commits: CommitSignature[] = [];
  for (let i = 0; i < count; i++) {
    const validator = toHex(r.fixed(PUBLIC_KEY_BYTES));
    // One seal, one encoding: commits strictly ascending by validator (as makeSeal sorts them).
    const previous = commits[commits.length - 1];
    if (previous !== undefined && !(previous.validator < validator)) {
      throw new DecodeError("NON_CANONICAL", "seal commits are not strictly ascending by validator", { index: i });
    }
    commits.push({ validator, signature: r.fixed(SIGNATURE_BYTES) });
  }
  return { height, view, blockHash, commits };
}

export function encodeSeal(seal: Seal): Uint8Array {
  return writeSeal(new Writer(64 + seal.commits.length * 96), seal).finish();
}

export function decodeSeal(bytes: Uint8Array): Seal {
  return decodeAll(bytes, 64 + MAX_VALIDATORS * 100, readSeal);
}

/** Build a seal from commit signatures (any order; sorted here so the encoding is canonical). */
export function makeSeal(height: number, view: number, blockHash: Uint8Array, commits: Iterable<CommitSignature>): Seal {
  const sorted = [...commits].sort(byValidator);
  return { height, view, blockHash, commits: sorted };
}

/** Checks one commit signature; the node passes its cached verifier so a vote already checked costs nothing. */
export type CommitVerifier = (payload: Uint8Array, signature: Uint8Array, validator: ValidatorId) => boolean;

const plainCommitVerifier =
  (chainId: string): CommitVerifier =>
  (payload, signature, validator) =>
    verifyDomain("commit", chainId, payload, signature, fromHex(validator));

/**
 * Throws a SealError unless the seal is for `blockHash` at `height` and holds valid commit
 * signatures from a quorum of *distinct members* of `set`. Duplicates and non-members are
 * rejected outright rather than skipped: a seal carrying them was not made by an honest node.
 * `verifyCommit` may go through a cache (the node passes its VerifyCache, through the core's verifier).
 */
export function verifySeal(
  seal: Seal,
  chainId: string,
  set: ValidatorSet,
  height: number,
  blockHash: Uint8Array,
  verifyCommit: CommitVerifier = plainCommitVerifier(chainId),
): void {
  if (seal.height !== height || !bytesEqual(seal.blockHash, blockHash)) {
    throw new SealError("WRONG_BLOCK", "seal is for another block", {
      expected: { height, blockHash: toHex(blockHash) },
      actual: { height: seal.height, blockHash: toHex(seal.blockHash) },
    });
  }
  const seen = new Set<ValidatorId>();
  for (const c of seal.commits) {
    if (seen.has(c.validator)) throw new SealError("DUPLICATE_SIGNER", `validator ${c.validator} signed the seal twice`, { validator: c.validator });
    seen.add(c.validator);
    if (!isMember(set, c.validator)) throw new SealError("NOT_A_MEMBER", `seal signer ${c.validator} is not a validator at height ${height}`, { validator: c.validator });
  }
  const q = quorumSize(set.members.length);
  if (seen.size < q) throw new SealError("NO_QUORUM", `seal has ${seen.size} signers, quorum is ${q}`, { signers: seen.size, quorum: q });
  const payload = commitPayload(seal.height, seal.view, seal.blockHash);
  for (const c of seal.commits) {
    if (!verifyCommit(payload, c.signature, c.validator)) {
      throw new SealError("BAD_SIGNATURE", `commit signature of ${c.validator} does not verify`, { validator: c.validator });
    }
  }
}

export function sealsEqual(a: Seal, b: Seal): boolean {
  return (
    a.height === b.height &&
    a.view === b.view &&
    bytesEqual(a.blockHash, b.blockHash) &&
    a.commits.length === b.commits.length &&
    a.commits.every((c, i) => c.validator === b.commits[i]!.validator && compareBytes(c.signature, b.commits[i]!.signature) === 0)
  );
}
