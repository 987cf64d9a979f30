import { describe, expect, it } from "vitest";
import { toHex, Writer } from "../../../src/chain/encoding.js";
import { DecodeError, SealError, type SealErrorCode } from "../../../src/chain/errors.js";
import { sha256 } from "../../../src/chain/hash.js";
import { devKeyPair, publicKeyHex, type KeyPair } from "../../../src/chain/keys.js";
import {
  commitPayload,
  decodeSeal,
  encodeSeal,
  makeSeal,
  sealsEqual,
  verifySeal,
  type CommitSignature,
  type Seal,
} from "../../../src/chain/seal.js";
import { Signer } from "../../../src/chain/signature.js";
import {
  faultTolerance,
  isMember,
  MAX_VALIDATORS,
  quorumSize,
  sameSet,
  validatorSet,
  validatorsHash,
  type ValidatorSet,
} from "../../../src/chain/validator-set.js";

const CHAIN = "triad-test";
const HEIGHT = 42;
const VIEW = 3;
const BLOCK = sha256(new TextEncoder().encode("block-42"));

interface Validator {
  readonly id: string;
  readonly signer: Signer;
  readonly pair: KeyPair;
}

function validators(n: number, label = "v"): Validator[] {
  return Array.from({ length: n }, (_, i) => {
    const pair = devKeyPair(`${label}-${i}`);
    return { id: publicKeyHex(pair), signer: new Signer(pair.secretKey), pair };
  });
}

function commit(v: Validator, height = HEIGHT, view = VIEW, blockHash = BLOCK, chainId = CHAIN): CommitSignature {
  return { validator: v.id, signature: v.signer.signDomain("commit", chainId, commitPayload(height, view, blockHash)) };
}

function expectSealError(fn: () => unknown, code: SealErrorCode): SealError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(SealError);
  expect((caught as SealError).code).toBe(code);
  return caught as SealError;
}

describe("PBFT arithmetic", () => {
  it("f and q for n = 1..10 and 31", () => {
    const table: [number, number, number][] = [
      [0, 0, 1],
      [1, 0, 1],
      [2, 0, 2],
      [3, 0, 2],
      [4, 1, 3],
      [5, 1, 4],
      [6, 1, 4],
      [7, 2, 5],
      [8, 2, 6],
      [9, 2, 6],
      [10, 3, 7],
      [31, 10, 21],
    ];
    for (const [n, f, q] of table) {
      expect({ n, f: faultTolerance(n), q: quorumSize(n) }).toEqual({ n, f, q });
    }
  });

  it("an empty seal never verifies, not even against an empty set", () => {
    const hash = new Uint8Array(32);
    expectSealError(() => verifySeal(makeSeal(1, 0, hash, []), CHAIN, validatorSet([]), 1, hash), "NO_QUORUM");
    const v = validators(1)[0]!;
    expectSealError(() => verifySeal(makeSeal(1, 0, hash, [commit(v, 1, 0, hash)]), CHAIN, validatorSet([]), 1, hash), "NOT_A_MEMBER");
  });

  it("any two quorums overlap in at least f+1 validators, and q is the smallest such size", () => {
    for (let n = 1; n <= MAX_VALIDATORS; n++) {
      const f = faultTolerance(n);
      const q = quorumSize(n);
      expect(3 * f + 1).toBeLessThanOrEqual(n);
      expect(2 * q - n).toBeGreaterThanOrEqual(f + 1);
      expect(2 * (q - 1) - n).toBeLessThan(f + 1);
      expect(q).toBeLessThanOrEqual(n - f); // liveness: the honest validators alone form a quorum
    }
  });
});

describe("validator sets", () => {
  it("are sorted, distinct and binary-searchable", () => {
    const vs = validators(10);
    const set = validatorSet([...vs.map((v) => v.id), vs[3]!.id]);
    expect(set.members).toHaveLength(10);
    expect([...set.members]).toEqual(vs.map((v) => v.id).sort());
    for (const v of vs) expect(isMember(set, v.id)).toBe(true);
    expect(isMember(set, publicKeyHex(devKeyPair("outsider")))).toBe(false);
    expect(isMember(set, "")).toBe(false);
    expect(isMember(validatorSet([]), vs[0]!.id)).toBe(false);
  });

  it("reject malformed ids, including upper case and a 0x prefix that would double-count a key", () => {
    const id = validators(1)[0]!.id;
    expect(() => validatorSet([id.toUpperCase()])).toThrow(DecodeError);
    expect(() => validatorSet([`0x${id}`, id])).toThrow(DecodeError);
    expect(() => validatorSet(["abcd"])).toThrow(DecodeError);
  });

  it("cap the size at MAX_VALIDATORS", () => {
    const ids = Array.from({ length: MAX_VALIDATORS + 1 }, (_, i) => toHex(sha256(Uint8Array.of(i >> 8, i & 0xff))));
    expect(validatorSet(ids.slice(0, MAX_VALIDATORS)).members).toHaveLength(MAX_VALIDATORS);
    expect(() => validatorSet(ids)).toThrow(RangeError);
  });

  it("validatorsHash is order-independent and changes with membership", () => {
    const vs = validators(5).map((v) => v.id);
    const a = validatorSet(vs);
    const b = validatorSet([...vs].reverse());
    expect(sameSet(a, b)).toBe(true);
    expect(validatorsHash(a)).toEqual(validatorsHash(b));
    const c = validatorSet(vs.slice(0, 4));
    expect(sameSet(a, c)).toBe(false);
    expect(validatorsHash(a)).not.toEqual(validatorsHash(c));
  });
});

describe("verifySeal", () => {
  for (const n of [4, 5, 6, 7, 10]) {
    describe(`n = ${n}`, () => {
      const vs = validators(n);
      const set: ValidatorSet = validatorSet(vs.map((v) => v.id));
      const q = quorumSize(n);
      const outsider = validators(1, "outsider")[0]!;
      const seal = (commits: CommitSignature[], height = HEIGHT, view = VIEW, blockHash = BLOCK): Seal =>
        makeSeal(height, view, blockHash, commits);

      it(`exactly q = ${q} signatures pass`, () => {
        expect(() => verifySeal(seal(vs.slice(0, q).map((v) => commit(v))), CHAIN, set, HEIGHT, BLOCK)).not.toThrow();
        // any q-subset works, e.g. the last q
        expect(() => verifySeal(seal(vs.slice(n - q).map((v) => commit(v))), CHAIN, set, HEIGHT, BLOCK)).not.toThrow();
        // and all n
        expect(() => verifySeal(seal(vs.map((v) => commit(v))), CHAIN, set, HEIGHT, BLOCK)).not.toThrow();
      });

      it(`q - 1 = ${q - 1} signatures fail NO_QUORUM`, () => {
        const e = expectSealError(() => verifySeal(seal(vs.slice(0, q - 1).map((v) => commit(v))), CHAIN, set, HEIGHT, BLOCK), "NO_QUORUM");
        expect(e.details).toMatchObject({ signers: q - 1, quorum: q });
        expectSealError(() => verifySeal(seal([]), CHAIN, set, HEIGHT, BLOCK), "NO_QUORUM");
      });

      it("q - 1 distinct signers plus one duplicate fail DUPLICATE_SIGNER", () => {
        const commits = vs.slice(0, q - 1).map((v) => commit(v));
        commits.push(commit(vs[0]!));
        expectSealError(() => verifySeal(seal(commits), CHAIN, set, HEIGHT, BLOCK), "DUPLICATE_SIGNER");
        // A duplicate is refused even when the distinct signers alone reach quorum.
        const plenty = vs.slice(0, q).map((v) => commit(v));
        plenty.push(commit(vs[q - 1]!));
        expectSealError(() => verifySeal(seal(plenty), CHAIN, set, HEIGHT, BLOCK), "DUPLICATE_SIGNER");
        // A duplicate with a different (bogus) signature is still a duplicate.
        const forged = vs.slice(0, q - 1).map((v) => commit(v));
        forged.push({ validator: vs[0]!.id, signature: new Uint8Array(64) });
        expectSealError(() => verifySeal(seal(forged), CHAIN, set, HEIGHT, BLOCK), "DUPLICATE_SIGNER");
      });

      it("a non-member fails NOT_A_MEMBER, even with a valid signature and a quorum besides", () => {
        const commits = vs.slice(0, q).map((v) => commit(v));
        commits.push(commit(outsider));
        const e = expectSealError(() => verifySeal(seal(commits), CHAIN, set, HEIGHT, BLOCK), "NOT_A_MEMBER");
        expect(e.details.validator).toBe(outsider.id);
        const short = vs.slice(0, q - 1).map((v) => commit(v));
        short.push(commit(outsider));
        expectSealError(() => verifySeal(seal(short), CHAIN, set, HEIGHT, BLOCK), "NOT_A_MEMBER");
      });

      it("a bad signature fails BAD_SIGNATURE", () => {
        const commits = vs.slice(0, q).map((v) => commit(v));
        const sig = Uint8Array.from(commits[1]!.signature);
        sig[10]! ^= 0x40;
        commits[1] = { validator: commits[1]!.validator, signature: sig };
        const e = expectSealError(() => verifySeal(seal(commits), CHAIN, set, HEIGHT, BLOCK), "BAD_SIGNATURE");
        expect(e.details.validator).toBe(commits[1]!.validator);
        // a signature by another member's key in someone's slot
        const swapped = vs.slice(0, q).map((v) => commit(v));
        swapped[0] = { validator: swapped[0]!.validator, signature: swapped[1]!.signature };
        expectSealError(() => verifySeal(seal(swapped), CHAIN, set, HEIGHT, BLOCK), "BAD_SIGNATURE");
      });

      it("signatures over another height, view, block hash, chain id or domain fail BAD_SIGNATURE", () => {
        const otherHash = sha256(BLOCK);
        const variants: ((v: Validator) => CommitSignature)[] = [
          (v) => commit(v, HEIGHT + 1),
          (v) => commit(v, HEIGHT, VIEW + 1),
          (v) => commit(v, HEIGHT, VIEW, otherHash),
          (v) => commit(v, HEIGHT, VIEW, BLOCK, "triad-other"),
          (v) => ({ validator: v.id, signature: v.signer.signDomain("prepare", CHAIN, commitPayload(HEIGHT, VIEW, BLOCK)) }),
        ];
        for (const variant of variants) {
          const commits = vs.slice(0, q).map((v, i) => (i === q - 1 ? variant(v) : commit(v)));
          expectSealError(() => verifySeal(seal(commits), CHAIN, set, HEIGHT, BLOCK), "BAD_SIGNATURE");
        }
        // A whole seal verified against another chain id fails.
        expectSealError(() => verifySeal(seal(vs.slice(0, q).map((v) => commit(v))), "triad-other", set, HEIGHT, BLOCK), "BAD_SIGNATURE");
        // A whole seal whose view was relabelled fails.
        const relabelled = { ...seal(vs.slice(0, q).map((v) => commit(v))), view: VIEW + 1 };
        expectSealError(() => verifySeal(relabelled, CHAIN, set, HEIGHT, BLOCK), "BAD_SIGNATURE");
      });

      it("a seal for another height or block fails WRONG_BLOCK", () => {
        const good = vs.slice(0, q).map((v) => commit(v));
        expectSealError(() => verifySeal(seal(good), CHAIN, set, HEIGHT + 1, BLOCK), "WRONG_BLOCK");
        expectSealError(() => verifySeal(seal(good), CHAIN, set, HEIGHT, sha256(BLOCK)), "WRONG_BLOCK");
        // honestly signed for another block, presented for this one
        const other = vs.slice(0, q).map((v) => commit(v, HEIGHT + 1, VIEW, sha256(BLOCK)));
        expectSealError(() => verifySeal(seal(other, HEIGHT + 1, VIEW, sha256(BLOCK)), CHAIN, set, HEIGHT, BLOCK), "WRONG_BLOCK");
      });

      it("encode/decode round trips and stays verifiable", () => {
        const s = seal(vs.slice(0, q).map((v) => commit(v)));
        const bytes = encodeSeal(s);
        const decoded = decodeSeal(bytes);
        expect(sealsEqual(decoded, s)).toBe(true);
        expect(decoded).toEqual(s);
        expect(encodeSeal(decoded)).toEqual(bytes);
        expect(() => verifySeal(decoded, CHAIN, set, HEIGHT, BLOCK)).not.toThrow();
      });
    });
  }
});

describe("seal encoding", () => {
  const vs = validators(4);
  const base = makeSeal(HEIGHT, VIEW, BLOCK, vs.map((v) => commit(v)).reverse());

  it("makeSeal sorts commits by validator id", () => {
    expect(base.commits.map((c) => c.validator)).toEqual(vs.map((v) => v.id).sort());
  });

  it("commitPayload is (height, view, blockHash) canonically encoded", () => {
    expect(commitPayload(HEIGHT, VIEW, BLOCK)).toEqual(new Writer().uint(HEIGHT).uint(VIEW).fixed(BLOCK, 32).finish());
    expect(() => commitPayload(1, 0, new Uint8Array(31))).toThrow(RangeError);
  });

  it("decode rejects trailing bytes and truncation", () => {
    const bytes = encodeSeal(base);
    expect(() => decodeSeal(Uint8Array.of(...bytes, 0))).toThrow(expect.objectContaining({ code: "TRAILING_BYTES" }));
    expect(() => decodeSeal(bytes.subarray(0, bytes.length - 1))).toThrow(expect.objectContaining({ code: "TRUNCATED" }));
  });

  it("decode rejects more commits than MAX_VALIDATORS", () => {
    const bytes = new Writer().uint(1).uint(0).fixed(BLOCK, 32).uint(MAX_VALIDATORS + 1).finish();
    expect(() => decodeSeal(bytes)).toThrow(expect.objectContaining({ code: "OVERSIZE" }));
  });

  it("encodes commits in canonical order even when the seal object is unsorted", () => {
    const unsorted: Seal = { ...base, commits: [...base.commits].reverse() };
    expect(encodeSeal(unsorted)).toEqual(encodeSeal(base));
    expect(decodeSeal(encodeSeal(unsorted))).toEqual(base);
  });

  it("decode rejects commits out of order or duplicated (one seal, one encoding)", () => {
    const w = new Writer().uint(base.height).uint(base.view).fixed(base.blockHash, 32).uint(base.commits.length);
    for (const c of [...base.commits].reverse()) w.fixed(Uint8Array.from(Buffer.from(c.validator, "hex")), 32).fixed(c.signature, 64);
    expect(() => decodeSeal(w.finish())).toThrow(expect.objectContaining({ code: "NON_CANONICAL" }));
    const duplicated: Seal = { ...base, commits: [base.commits[0]!, base.commits[0]!, base.commits[1]!] };
    expect(() => decodeSeal(encodeSeal(duplicated))).toThrow(expect.objectContaining({ code: "NON_CANONICAL" }));
  });

  it("sealsEqual compares every field", () => {
    expect(sealsEqual(base, makeSeal(HEIGHT, VIEW, BLOCK, vs.map((v) => commit(v))))).toBe(true);
    expect(sealsEqual(base, { ...base, height: HEIGHT + 1 })).toBe(false);
    expect(sealsEqual(base, { ...base, view: VIEW + 1 })).toBe(false);
    expect(sealsEqual(base, { ...base, blockHash: sha256(BLOCK) })).toBe(false);
    expect(sealsEqual(base, { ...base, commits: base.commits.slice(1) })).toBe(false);
    const tweaked = base.commits.map((c, i) => (i === 2 ? { ...c, signature: new Uint8Array(64) } : c));
    expect(sealsEqual(base, { ...base, commits: tweaked })).toBe(false);
  });
});
