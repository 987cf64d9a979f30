import { describe, expect, it } from "vitest";
import {
  BlockError,
  ChainState,
  commitPayload,
  encodeSignedTx,
  makeBlock,
  makeSeal,
  receiptCodeName,
  SealError,
  Signer,
  signTx,
  transferKind,
  txRoot,
  validatorSet,
  type Block,
  type BlockHeader,
  type KeyPair,
  type Seal,
  type SignedTx,
} from "../../../src/chain/index.js";
import {
  buildBlock,
  importSealedBlock,
  nextValidatorsAfter,
  validateBlock,
  type BuildParams,
  type ImportParams,
} from "../../../src/consensus/block-rules.js";
import { chainRegistry, genesisStateWrites, poaSelection, poaVoteKind } from "../../../src/consensus/selection/index.js";
import { accountKeys, CHAIN_ID, genesisOf, id, key, validatorKeys } from "./selection/harness.js";

const validators = validatorKeys(4);
const accounts = accountKeys(3);
const [alice, bob, carol] = accounts as [KeyPair, KeyPair, KeyPair];
const stranger = key("stranger");
const genesis = genesisOf({
  selection: { name: "poa" },
  validators: validators.map((k) => ({ id: id(k) })),
  accounts: accounts.map((k) => ({ id: id(k), balance: "1000" })),
});
const registry = chainRegistry(poaSelection);
const set = poaSelection.fromGenesis(genesis);
const PARENT = { hash: new Uint8Array(32).fill(7), timestamp: 1_767_225_600_000 };
const HEIGHT = 1;

function freshState(): ChainState {
  return ChainState.fromEntries(genesisStateWrites(genesis, poaSelection));
}

function transfer(from: KeyPair, nonce: number, amount = 1n, chainId = CHAIN_ID): SignedTx {
  return signTx({ chainId, from: from.publicKey, nonce, kind: "transfer", payload: transferKind.encode({ to: carol.publicKey, amount }) }, from.secretKey);
}

function common(state = freshState()) {
  return { chainId: CHAIN_ID, height: HEIGHT, parent: PARENT, validators: set, parentValidators: null, state, registry, maxBlockTxs: 100, maxBlockBytes: 64 * 1024 };
}

function build(candidates: readonly SignedTx[], overrides: Partial<BuildParams> = {}) {
  const base = common();
  const view = overrides.view ?? 0;
  return buildBlock({ ...base, view, timestamp: PARENT.timestamp + 500, proposer: poaSelection.primary(set, HEIGHT, view), candidates, lastCommit: null, ...overrides });
}

function validateParams(overrides: Partial<ImportParams> = {}): ImportParams {
  return { ...common(), selection: poaSelection, ...overrides };
}

/** A copy of `block` with header fields changed (the hash follows the new header). */
function withHeader(block: Block, changes: Partial<BlockHeader>, txs: readonly SignedTx[] = block.txs): Block {
  return makeBlock({ ...block.header, ...changes }, txs, block.lastCommit);
}

function blockError(fn: () => unknown): BlockError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(BlockError);
    return err as BlockError;
  }
  throw new Error("expected a BlockError");
}

function sealError(fn: () => unknown): SealError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SealError);
    return err as SealError;
  }
  throw new Error("expected a SealError");
}

const signers = new Map([...validators, stranger].map((k) => [id(k), new Signer(k.secretKey)]));

function commit(signer: KeyPair, height: number, view: number, blockHash: Uint8Array) {
  return { validator: id(signer), signature: signers.get(id(signer))!.signDomain("commit", CHAIN_ID, commitPayload(height, view, blockHash)) };
}

function sealOf(block: Block, who: readonly KeyPair[], view = block.header.view): Seal {
  return makeSeal(block.header.height, view, block.hash, who.map((k) => commit(k, block.header.height, view, block.hash)));
}

describe("buildBlock", () => {
  it("builds a block that validates to the same receipts and writes", () => {
    const txs = [transfer(alice, 0), transfer(alice, 1), transfer(bob, 0, 5000n)];
    const built = build(txs);
    expect(built.block.txs.map((t) => t.id)).toEqual(txs.map((t) => t.id));
    // An overdrawn transfer still goes in: it fails by its kind's rules, not the block's.
    expect(built.receipts.map((r) => receiptCodeName(r.code))).toEqual(["OK", "OK", "INSUFFICIENT_BALANCE"]);
    const h = built.block.header;
    expect(h.proposer).toBe(poaSelection.primary(set, HEIGHT, 0));
    expect(h.height).toBe(HEIGHT);
    const validated = validateBlock(built.block, validateParams());
    expect(validated.receipts).toEqual(built.receipts);
    expect([...validated.writes]).toEqual([...built.writes]);
    const state = freshState();
    state.apply(validated.writes);
    expect(state.root()).toEqual(h.stateRoot);
  });

  it("skips txs that would make the block invalid, keeping the rest", () => {
    const good0 = transfer(alice, 0);
    const gap = transfer(alice, 5);
    const otherChain = transfer(bob, 0, 1n, "other-chain");
    const badSig = { ...transfer(bob, 0), signature: new Uint8Array(64).fill(1) };
    const unknown = signTx({ chainId: CHAIN_ID, from: bob.publicKey, nonce: 0, kind: "nope", payload: new Uint8Array(0) }, bob.secretKey);
    const good1 = transfer(bob, 0);
    const built = build([good0, gap, otherChain, badSig, unknown, good0, good1]);
    expect(built.block.txs.map((t) => t.id)).toEqual([good0.id, good1.id]);
    validateBlock(built.block, validateParams());
  });

  it("respects maxBlockTxs and maxBlockBytes", () => {
    const txs = Array.from({ length: 10 }, (_, i) => transfer(alice, i));
    expect(build(txs, { maxBlockTxs: 3 }).block.txs).toHaveLength(3);
    const empty = build([]).block.bytes.length;
    const maxBlockBytes = empty + 2 * txs[0]!.bytes.length + 1;
    const limited = build(txs, { maxBlockBytes });
    expect(limited.block.txs).toHaveLength(2);
    expect(limited.block.bytes.length).toBeLessThanOrEqual(maxBlockBytes);
    validateBlock(limited.block, validateParams({ maxBlockBytes }));
  });

  it("never goes back in time from the parent", () => {
    expect(build([], { timestamp: PARENT.timestamp - 10_000 }).block.header.timestamp).toBe(PARENT.timestamp);
    expect(build([], { timestamp: PARENT.timestamp + 42 }).block.header.timestamp).toBe(PARENT.timestamp + 42);
  });

  it("uses the mempool's verified set instead of re-verifying", () => {
    const badSig = { ...transfer(alice, 0), signature: new Uint8Array(64).fill(1) };
    // Claimed verified: the builder trusts it (the mempool checked it on admission).
    expect(build([badSig], { verified: new Set([badSig.id]) }).block.txs).toHaveLength(1);
    expect(build([badSig]).block.txs).toHaveLength(0);
  });
});

describe("validateBlock", () => {
  const txs = [transfer(alice, 0), transfer(bob, 0)];
  const good = build(txs).block;

  it("accepts a good block", () => {
    expect(validateBlock(good, validateParams()).receipts).toHaveLength(2);
  });

  it("WRONG_CHAIN", () => {
    expect(blockError(() => validateBlock(good, validateParams({ chainId: "other-chain" }))).code).toBe("WRONG_CHAIN");
  });

  it("BAD_HEIGHT", () => {
    expect(blockError(() => validateBlock(good, validateParams({ height: 2 }))).code).toBe("BAD_HEIGHT");
  });

  it("PARENT_MISMATCH", () => {
    const err = blockError(() => validateBlock(good, validateParams({ parent: { ...PARENT, hash: new Uint8Array(32) } })));
    expect(err.code).toBe("PARENT_MISMATCH");
  });

  it("BAD_TIMESTAMP: before the parent's, or beyond an optional clock bound", () => {
    const early = withHeader(good, { timestamp: PARENT.timestamp - 1 });
    expect(blockError(() => validateBlock(early, validateParams())).code).toBe("BAD_TIMESTAMP");
    const now = PARENT.timestamp;
    expect(blockError(() => validateBlock(good, validateParams({ now, maxFutureMs: 100 }))).code).toBe("BAD_TIMESTAMP");
    validateBlock(good, validateParams({ now, maxFutureMs: 1000 }));
  });

  it("BAD_PROPOSER: not the primary of the header's view", () => {
    const wrong = withHeader(good, { proposer: poaSelection.primary(set, HEIGHT, 1) });
    const err = blockError(() => validateBlock(wrong, validateParams()));
    expect(err.code).toBe("BAD_PROPOSER");
    // The same proposer is right for view 1.
    const atView1 = withHeader(good, { view: 1, proposer: poaSelection.primary(set, HEIGHT, 1) });
    validateBlock(atView1, validateParams());
  });

  it("VALIDATORS_HASH_MISMATCH", () => {
    const wrong = withHeader(good, { validatorsHash: new Uint8Array(32) });
    expect(blockError(() => validateBlock(wrong, validateParams())).code).toBe("VALIDATORS_HASH_MISMATCH");
  });

  it("TX_ROOT_MISMATCH", () => {
    const wrong = withHeader(good, { txRoot: txRoot([txs[0]!]) });
    expect(blockError(() => validateBlock(wrong, validateParams())).code).toBe("TX_ROOT_MISMATCH");
  });

  it("BLOCK_TOO_LARGE: too many txs or too many bytes", () => {
    expect(blockError(() => validateBlock(good, validateParams({ maxBlockTxs: 1 }))).code).toBe("BLOCK_TOO_LARGE");
    expect(blockError(() => validateBlock(good, validateParams({ maxBlockBytes: good.bytes.length - 1 }))).code).toBe("BLOCK_TOO_LARGE");
  });

  it("BAD_TX: a tx no honest proposer would include", () => {
    const gap = [transfer(alice, 3)];
    const wrong = withHeader(good, { txRoot: txRoot(gap) }, gap);
    const err = blockError(() => validateBlock(wrong, validateParams()));
    expect(err.code).toBe("BAD_TX");
    expect(err.details.reason).toBe("BAD_NONCE");
    // Tampered bytes: the signature no longer covers them.
    const t = transfer(alice, 0);
    const forged = { ...t, nonce: 0, bytes: encodeSignedTx({ ...t, payload: transferKind.encode({ to: alice.publicKey, amount: 1n }) }, t.signature) };
    const forgedBlock = withHeader(good, { txRoot: txRoot([forged]) }, [forged]);
    expect(blockError(() => validateBlock(forgedBlock, validateParams())).code).toBe("BAD_TX");
  });

  it("DUPLICATE_TX", () => {
    const dup = [txs[0]!, txs[0]!];
    const wrong = withHeader(good, { txRoot: txRoot(dup) }, dup);
    expect(blockError(() => validateBlock(wrong, validateParams())).code).toBe("DUPLICATE_TX");
  });

  it("STATE_ROOT_MISMATCH", () => {
    const wrong = withHeader(good, { stateRoot: new Uint8Array(32) });
    expect(blockError(() => validateBlock(wrong, validateParams())).code).toBe("STATE_ROOT_MISMATCH");
    // Same block against a different parent state.
    const moved = freshState();
    moved.apply(new Map([["kv/x", Uint8Array.of(1)]]));
    expect(blockError(() => validateBlock(good, validateParams({ state: moved }))).code).toBe("STATE_ROOT_MISMATCH");
  });
});

describe("importSealedBlock", () => {
  const [w0, w1, w2, w3] = validators as [KeyPair, KeyPair, KeyPair, KeyPair];
  const block = build([transfer(alice, 0)]).block;

  it("accepts a block with a proper seal and returns the next validators", () => {
    const imported = importSealedBlock(block, sealOf(block, [w0, w1, w2]), validateParams());
    expect(imported.receipts).toHaveLength(1);
    expect(imported.nextValidators).toBe(set);
    // All four signing is fine too.
    importSealedBlock(block, sealOf(block, [w0, w1, w2, w3]), validateParams());
  });

  it("returns the set a governance block changes, as nextValidatorsAfter does", () => {
    const newcomer = key("validator-9");
    const votes = [w0, w1, w2].map((v) =>
      signTx({ chainId: CHAIN_ID, from: v.publicKey, nonce: 0, kind: "poa.vote", payload: poaVoteKind.encode({ action: "add", validator: newcomer.publicKey }) }, v.secretKey),
    );
    const built = build(votes);
    const imported = importSealedBlock(built.block, sealOf(built.block, [w1, w2, w3]), validateParams());
    expect(imported.nextValidators.members).toEqual(validatorSet([...validators, newcomer].map(id)).members);
    expect(nextValidatorsAfter(poaSelection, set, built.block, freshState(), built.writes)).toEqual(imported.nextValidators);
  });

  it("regression: sync seal with non-member or duplicate signers", () => {
    // A block that would also fail validation (wrong parent): the seal must be refused first.
    const params = validateParams({ parent: { ...PARENT, hash: new Uint8Array(32).fill(9) } });

    const nonMember = sealOf(block, [w0, w1, stranger]);
    expect(sealError(() => importSealedBlock(block, nonMember, params)).code).toBe("NOT_A_MEMBER");

    // Two real signatures plus one repeated: three entries, two signers.
    const twice = commit(w0, block.header.height, 0, block.hash);
    const duplicate: Seal = { ...sealOf(block, [w0, w1]), commits: [twice, twice, commit(w1, block.header.height, 0, block.hash)] };
    expect(sealError(() => importSealedBlock(block, duplicate, params)).code).toBe("DUPLICATE_SIGNER");

    expect(sealError(() => importSealedBlock(block, sealOf(block, [w0, w1]), params)).code).toBe("NO_QUORUM");
    expect(sealError(() => importSealedBlock(block, sealOf(block, []), params)).code).toBe("NO_QUORUM");

    const forged = sealOf(block, [w0, w1, w2]);
    const badSignature: Seal = { ...forged, commits: forged.commits.map((c, i) => (i === 0 ? { ...c, signature: new Uint8Array(64).fill(3) } : c)) };
    expect(sealError(() => importSealedBlock(block, badSignature, params)).code).toBe("BAD_SIGNATURE");

    // Signatures for another chain's commit domain do not count either.
    const otherChain = makeSeal(1, 0, block.hash, [w0, w1, w2].map((k) => ({
      validator: id(k),
      signature: signers.get(id(k))!.signDomain("commit", "other-chain", commitPayload(1, 0, block.hash)),
    })));
    expect(sealError(() => importSealedBlock(block, otherChain, params)).code).toBe("BAD_SIGNATURE");

    // With a good seal the block's own fault surfaces.
    expect(blockError(() => importSealedBlock(block, sealOf(block, [w0, w1, w2]), params)).code).toBe("PARENT_MISMATCH");
  });

  it("refuses a seal for another block or height", () => {
    const other = build([transfer(bob, 0)]).block;
    expect(sealError(() => importSealedBlock(block, sealOf(other, [w0, w1, w2]), validateParams())).code).toBe("WRONG_BLOCK");
    expect(sealError(() => importSealedBlock(block, sealOf(block, [w0, w1, w2]), validateParams({ height: 2 }))).code).toBe("WRONG_BLOCK");
  });

  it("checks the proposer by the header's view; the seal's view may be higher, never lower", () => {
    const atView1 = build([transfer(alice, 0)], { view: 1 }).block;
    expect(atView1.header.proposer).toBe(poaSelection.primary(set, HEIGHT, 1));
    // Prepared in view 1, re-proposed and decided in view 3.
    importSealedBlock(atView1, sealOf(atView1, [w0, w1, w2], 3), validateParams());
    importSealedBlock(atView1, sealOf(atView1, [w0, w1, w2], 1), validateParams());
    const err = sealError(() => importSealedBlock(atView1, sealOf(atView1, [w0, w1, w2], 0), validateParams()));
    expect(err.code).toBe("WRONG_BLOCK");
    expect(err.details.reason).toBe("VIEW_BELOW_HEADER");
  });
});
