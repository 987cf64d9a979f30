// A block's lastCommit (a seal of its parent, which the block hash commits to) is what the
// proposer standing reads as "who signed": validateBlock must refuse one that is missing, forged,
// for another height or block, or signed by others than the parent's validators.
import { describe, expect, it } from "vitest";
import { BlockError, commitPayload, headerHash, makeSeal, Signer, toHex, type Block, type Seal } from "../../../src/chain/index.js";
import { buildBlock, validateBlock } from "../../../src/consensus/block-rules.js";
import { poaSelection } from "../../../src/consensus/selection/index.js";
import { CHAIN_ID, genesisOf, id, key, TestChain, validatorKeys } from "./selection/harness.js";

const validators = validatorKeys(4);
const genesis = genesisOf({ selection: { name: "poa" }, validators: validators.map((k) => ({ id: id(k) })), accounts: [] });

function chainAt(height: number): TestChain {
  const chain = new TestChain(genesis, poaSelection);
  chain.advanceTo(height);
  return chain;
}

function params(chain: TestChain) {
  const height = chain.height + 1;
  return {
    chainId: CHAIN_ID,
    height,
    parent: chain.parent,
    validators: chain.set,
    parentValidators: chain.history.get(height - 1) ?? null,
    state: chain.state,
    registry: chain.registry,
    maxBlockTxs: 100,
    maxBlockBytes: 64 * 1024,
    selection: poaSelection,
  };
}

function propose(chain: TestChain, lastCommit: Seal | null): Block {
  const p = params(chain);
  return buildBlock({ ...p, view: 0, timestamp: chain.parent.timestamp + 1000, proposer: poaSelection.primary(chain.set, p.height, 0), candidates: [], lastCommit }).block;
}

function refusal(fn: () => unknown): BlockError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(BlockError);
    return err as BlockError;
  }
  throw new Error("expected a BlockError");
}

const sign = (secretKey: Uint8Array, height: number, view: number, hash: Uint8Array): Uint8Array =>
  new Signer(secretKey).signDomain("commit", CHAIN_ID, commitPayload(height, view, hash));

describe("validateBlock: lastCommit", () => {
  it("accepts the proposer's seal of the parent, and nothing at height 1", () => {
    const chain = chainAt(3);
    expect(() => validateBlock(propose(chain, chain.headSeal), params(chain))).not.toThrow();
    const fresh = new TestChain(genesis, poaSelection);
    expect(() => validateBlock(propose(fresh, null), params(fresh))).not.toThrow();
  });

  it("refuses a block above height 1 without one, and block 1 with one", () => {
    const chain = chainAt(3);
    expect(refusal(() => validateBlock(propose(chain, null), params(chain))).code).toBe("LAST_COMMIT_MISMATCH");
    const fresh = new TestChain(genesis, poaSelection);
    expect(refusal(() => validateBlock(propose(fresh, chain.headSeal), params(fresh))).code).toBe("LAST_COMMIT_MISMATCH");
  });

  it("refuses a forged signature, a seal short of a quorum, and a signer outside the parent's set", () => {
    const chain = chainAt(3);
    const seal = chain.headSeal!;
    const forged = makeSeal(seal.height, seal.view, seal.blockHash, seal.commits.map((c, i) => (i === 0 ? { ...c, signature: new Uint8Array(64).fill(9) } : c)));
    const short = makeSeal(seal.height, seal.view, seal.blockHash, seal.commits.slice(0, 2));
    const outsider = key("outsider");
    const stranger = makeSeal(seal.height, seal.view, seal.blockHash, [
      ...seal.commits.slice(0, 2),
      { validator: id(outsider), signature: sign(outsider.secretKey, seal.height, seal.view, seal.blockHash) },
    ]);
    for (const bad of [forged, short, stranger]) {
      const e = refusal(() => validateBlock(propose(chain, bad), params(chain)));
      expect(e.code).toBe("LAST_COMMIT_MISMATCH");
    }
  });

  it("refuses a valid seal of another height or another block", () => {
    const chain = new TestChain(genesis, poaSelection);
    chain.advanceTo(2);
    const older = chain.headSeal!;
    chain.advanceTo(3);
    // A real seal, of height 2: the wrong height for block 4.
    expect(refusal(() => validateBlock(propose(chain, older), params(chain))).details).toMatchObject({ reason: "WRONG_BLOCK" });
    // Signed for height 3 but over another hash.
    const other = new Uint8Array(32).fill(5);
    const elsewhere = makeSeal(3, 0, other, validators.slice(0, 3).map((k) => ({ validator: id(k), signature: sign(k.secretKey, 3, 0, other) })));
    expect(refusal(() => validateBlock(propose(chain, elsewhere), params(chain))).details).toMatchObject({ reason: "WRONG_BLOCK" });
  });

  it("a header whose lastCommitHash does not commit to the lastCommit is refused", () => {
    const chain = chainAt(3);
    const good = propose(chain, chain.headSeal);
    // makeBlock and decodeBlock never make such a block; a hand-made one is refused all the same.
    const header = { ...good.header, lastCommitHash: new Uint8Array(32) };
    const hash = headerHash(header);
    const lying: Block = { ...good, header, hash, id: toHex(hash) };
    expect(refusal(() => validateBlock(lying, params(chain))).code).toBe("LAST_COMMIT_MISMATCH");
  });

  it("checks signatures through the verifier it is given (the node's cache)", () => {
    const chain = chainAt(3);
    const seen: string[] = [];
    const verifyCommit = (_payload: Uint8Array, _signature: Uint8Array, validator: string): boolean => {
      seen.push(validator);
      return true;
    };
    const seal = chain.headSeal!;
    const forged = makeSeal(seal.height, seal.view, seal.blockHash, seal.commits.map((c) => ({ ...c, signature: new Uint8Array(64) })));
    // The verifier vouches for them: its word is what counts.
    expect(() => validateBlock(propose(chain, forged), { ...params(chain), verifyCommit })).not.toThrow();
    expect(seen.sort()).toEqual(seal.commits.map((c) => c.validator).sort());
  });
});
