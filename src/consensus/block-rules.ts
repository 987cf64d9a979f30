// What makes a block valid at a height, as pure functions the node's driver and the simulator
// share: build a proposal, validate someone else's, and import a sealed block during sync. No
// clock is read here; a caller that wants a bound on future timestamps passes `now`.
import {
  assert,
  BlockError,
  bytesEqual,
  checkStateRoot,
  checkTxEnvelope,
  checkLastCommitHash,
  checkTxRoot,
  contextOf,
  encodeHeader,
  lastCommitBytes,
  executeTx,
  executeTxs,
  headerHash,
  makeBlock,
  MAX_BLOCK_BYTES_LIMIT,
  MAX_BLOCK_TXS_LIMIT,
  SealError,
  StateOverlay,
  toHex,
  txRoot,
  validatorsHash,
  verifySeal,
  type Block,
  type BlockContext,
  type CommitVerifier,
  type HeaderFields,
  type Receipt,
  type Seal,
  type SignedTx,
  type StateView,
  type StateWrites,
  type TxRegistry,
  type ValidatorId,
  type ValidatorSet,
} from "../chain/index.js";
import type { ValidatorSelection } from "./selection/validator-selection.js";

/** A state that can also tell the root it would have after some writes (ChainState does). */
export type RootedState = StateView & { rootWith(writes: StateWrites): Uint8Array };

export interface ParentInfo {
  readonly hash: Uint8Array;
  readonly timestamp: number;
}

interface ChainParams {
  readonly chainId: string;
  readonly height: number;
  readonly parent: ParentInfo;
  /** The set that validates `height`. */
  readonly validators: ValidatorSet;
  /** The set that validated `height - 1`, which the block's lastCommit is checked against (unused at height 1). */
  readonly parentValidators: ValidatorSet | null;
  /** Checks a commit signature of the lastCommit; defaults to a plain verify (the node passes its cache). */
  readonly verifyCommit?: CommitVerifier;
  /** The committed state after the parent block. */
  readonly state: RootedState;
  readonly registry: TxRegistry;
  readonly maxBlockTxs: number;
  readonly maxBlockBytes: number;
  /** Tx ids whose signatures were already verified (the mempool's): not verified again. */
  readonly verified?: { has(id: string): boolean };
}

export interface BuildParams extends ChainParams {
  readonly view: number;
  /** The proposer's clock in ms; raised to the parent's timestamp so time never runs backwards. */
  readonly timestamp: number;
  readonly proposer: ValidatorId;
  /** Txs in the order to try them (the mempool's reap); any that cannot go in are skipped. */
  readonly candidates: readonly SignedTx[];
  /** The proposer's own stored seal of the parent (null at height 1): the block's lastCommit. */
  readonly lastCommit: Seal | null;
}

export interface BuiltBlock {
  readonly block: Block;
  readonly receipts: readonly Receipt[];
  readonly writes: StateWrites;
}

export interface ValidateParams extends ChainParams {
  /** Names the expected proposer: selection.primary(validators, height, header.view). */
  readonly selection: Pick<ValidatorSelection, "primary">;
  /** Optional clock bound: a timestamp beyond now + maxFutureMs is BAD_TIMESTAMP. */
  readonly now?: number;
  readonly maxFutureMs?: number;
}

export interface ImportParams extends ValidateParams {
  /** Also folds the block into the next set. */
  readonly selection: Pick<ValidatorSelection, "primary" | "afterBlock">;
}

export interface ValidatedBlock {
  readonly receipts: readonly Receipt[];
  readonly writes: StateWrites;
}

export interface ImportedBlock extends ValidatedBlock {
  /** The set that validates height + 1. */
  readonly nextValidators: ValidatorSet;
}

function varintLength(value: number): number {
  let n = 1;
  for (let v = value; v >= 0x80; v = Math.floor(v / 0x80)) n++;
  return n;
}

function limits(params: ChainParams): { txs: number; bytes: number } {
  // The genesis schema already caps both; the hard limits still hold if a caller passes more.
  return { txs: Math.min(params.maxBlockTxs, MAX_BLOCK_TXS_LIMIT), bytes: Math.min(params.maxBlockBytes, MAX_BLOCK_BYTES_LIMIT) };
}

/**
 * Propose a block: execute `candidates` in order, leaving out every tx that would make the block
 * invalid at its position (bad signature, wrong nonce, unknown kind, repeated id) or that would
 * break the limits. A tx that fails by its kind's rules still goes in, with a failure receipt.
 */
export function buildBlock(params: BuildParams): BuiltBlock {
  const timestamp = Math.max(params.timestamp, params.parent.timestamp);
  const ctx: BlockContext = { chainId: params.chainId, height: params.height, timestamp, proposer: params.proposer };
  const limit = limits(params);
  const vHash = validatorsHash(params.validators);
  const draft = (root: Uint8Array, stateRoot: Uint8Array): HeaderFields => ({
    chainId: params.chainId,
    height: params.height,
    view: params.view,
    parentHash: params.parent.hash,
    timestamp,
    proposer: params.proposer,
    txRoot: root,
    stateRoot,
    validatorsHash: vHash,
  });
  // Every header field but the roots is known now, and the roots are fixed-width: so the
  // block's encoded size is exact as txs are added.
  const headerBytes = encodeHeader({ ...draft(vHash, vHash), lastCommitHash: vHash }).length + lastCommitBytes(params.lastCommit);
  const overlay = new StateOverlay(params.state);
  const txs: SignedTx[] = [];
  const receipts: Receipt[] = [];
  const seen = new Set<string>();
  const options = params.verified === undefined ? {} : { verified: params.verified };
  let bodyBytes = 0;
  for (const tx of params.candidates) {
    if (txs.length >= limit.txs) break;
    if (seen.has(tx.id)) continue;
    if (headerBytes + varintLength(txs.length + 1) + bodyBytes + tx.bytes.length > limit.bytes) continue;
    let payload: unknown;
    try {
      payload = checkTxEnvelope(tx, txs.length, ctx, overlay, params.registry, options);
    } catch (err) {
      if (err instanceof BlockError) continue;
      throw err;
    }
    seen.add(tx.id);
    receipts.push(executeTx(ctx, overlay, tx, payload, params.registry));
    txs.push(tx);
    bodyBytes += tx.bytes.length;
  }
  const writes = overlay.writes;
  const block = makeBlock(draft(txRoot(txs), params.state.rootWith(writes)), txs, params.lastCommit);
  assert(block.bytes.length <= limit.bytes, `built block of ${block.bytes.length} bytes exceeds ${limit.bytes}`);
  return { block, receipts, writes };
}

/**
 * Check a proposed block against its parent, the validator set and the state; throws BlockError
 * naming the first rule it breaks, cheapest rules first, execution last.
 */
export function validateBlock(block: Block, params: ValidateParams): ValidatedBlock {
  const h = block.header;
  // Blocks come from makeBlock/decodeBlock, which derive the hash; a mismatch is a caller's bug,
  // and a seal checked against a wrong hash would vouch for another block.
  assert(bytesEqual(block.hash, headerHash(h)), `block ${block.id} carries a hash that is not its header's`);
  if (h.chainId !== params.chainId) {
    throw new BlockError("WRONG_CHAIN", `block is for chain ${JSON.stringify(h.chainId)}, this is ${JSON.stringify(params.chainId)}`, {
      expected: params.chainId,
      actual: h.chainId,
    });
  }
  if (h.height !== params.height) {
    throw new BlockError("BAD_HEIGHT", `block height ${h.height}, expected ${params.height}`, { expected: params.height, actual: h.height });
  }
  if (!bytesEqual(h.parentHash, params.parent.hash)) {
    throw new BlockError("PARENT_MISMATCH", `block ${h.height} does not extend the head block`, {
      expected: toHex(params.parent.hash),
      actual: toHex(h.parentHash),
    });
  }
  if (h.timestamp < params.parent.timestamp) {
    throw new BlockError("BAD_TIMESTAMP", `timestamp ${h.timestamp} is before the parent's ${params.parent.timestamp}`, {
      parent: params.parent.timestamp,
      actual: h.timestamp,
    });
  }
  if (params.now !== undefined && params.maxFutureMs !== undefined && h.timestamp > params.now + params.maxFutureMs) {
    throw new BlockError("BAD_TIMESTAMP", `timestamp ${h.timestamp} is more than ${params.maxFutureMs} ms ahead of ${params.now}`, {
      now: params.now,
      maxFutureMs: params.maxFutureMs,
      actual: h.timestamp,
    });
  }
  const expectedProposer = params.selection.primary(params.validators, h.height, h.view);
  if (h.proposer !== expectedProposer) {
    throw new BlockError("BAD_PROPOSER", `proposer of (${h.height}, ${h.view}) must be ${expectedProposer}`, {
      expected: expectedProposer,
      actual: h.proposer,
      view: h.view,
    });
  }
  const vHash = validatorsHash(params.validators);
  if (!bytesEqual(h.validatorsHash, vHash)) {
    throw new BlockError("VALIDATORS_HASH_MISMATCH", "validatorsHash does not match the set in force", {
      expected: toHex(vHash),
      actual: toHex(h.validatorsHash),
    });
  }
  checkLastCommit(block, params);
  const limit = limits(params);
  if (block.txs.length > limit.txs || block.bytes.length > limit.bytes) {
    throw new BlockError("BLOCK_TOO_LARGE", `block has ${block.txs.length} txs in ${block.bytes.length} bytes, limits ${limit.txs} and ${limit.bytes}`, {
      txs: block.txs.length,
      bytes: block.bytes.length,
      maxTxs: limit.txs,
      maxBytes: limit.bytes,
    });
  }
  checkTxRoot(block);
  const options = params.verified === undefined ? {} : { verified: params.verified };
  const { receipts, writes } = executeTxs(contextOf(h), block.txs, params.state, params.registry, options);
  checkStateRoot(h.stateRoot, params.state.rootWith(writes));
  return { receipts, writes };
}

/**
 * The lastCommit must be a valid seal of the parent (its height and hash) by the parent's
 * validators, and the header must commit to it; none at height 1. Who signed it feeds the
 * proposer standing, so a forged or missing one would let a proposer steer who is primary.
 */
function checkLastCommit(block: Block, params: ChainParams): void {
  checkLastCommitHash(block);
  const h = block.header;
  const lastCommit = block.lastCommit;
  if (h.height === 1 || lastCommit === null) {
    if (h.height === 1 && lastCommit === null) return;
    throw new BlockError("LAST_COMMIT_MISMATCH", h.height === 1 ? "block 1 carries a lastCommit" : `block ${h.height} carries no lastCommit`, {
      height: h.height,
    });
  }
  assert(params.parentValidators !== null, `no parent validator set given to check block ${h.height}'s lastCommit`);
  try {
    verifySeal(lastCommit, params.chainId, params.parentValidators, h.height - 1, h.parentHash, params.verifyCommit);
  } catch (err) {
    if (!(err instanceof SealError)) throw err;
    throw new BlockError("LAST_COMMIT_MISMATCH", `block ${h.height}'s lastCommit is not a seal of its parent: ${err.message}`, {
      height: h.height,
      reason: err.code,
    });
  }
}

/** A read view of `state` with `writes` applied on top (the state after a block). */
export function stateAfter(state: StateView, writes: StateWrites): StateView {
  return {
    get(key) {
      const w = writes.get(key);
      if (w === null) return undefined;
      return w ?? state.get(key);
    },
  };
}

/** The set that validates the height after `block`, given the state before it and its writes. */
export function nextValidatorsAfter(
  selection: Pick<ValidatorSelection, "afterBlock">,
  set: ValidatorSet,
  block: Block,
  state: StateView,
  writes: StateWrites,
): ValidatorSet {
  return selection.afterBlock(set, block, stateAfter(state, writes));
}

/** Every tx of a block whose seal verified counts as signature-checked. */
const SEALED_TXS = { has: (_id: string): boolean => true };

/**
 * Import a block fetched by sync with the seal that decided it. The seal is checked first, so a
 * forged one (non-member or repeated signers, no quorum, bad signature) is refused before any
 * execution. The header's view names the proposer; the seal's view may be higher, as a block
 * prepared in one view can be re-proposed and decided in a later one, but never lower.
 *
 * Sync accepts exactly what consensus can decide. Consensus takes a fresh proposal of view v
 * only with header.view = v and header.proposer = primary(h, v) (normal-case.ts), and a
 * re-proposal only as the block of a prepared certificate of an earlier view, which in turn was
 * a fresh proposal there or a re-proposal of an earlier one: so every decided block has
 * proposer = primary(h, header.view) and a seal view ≥ header.view. Sync cannot tell a fresh
 * block from a re-proposed one (the seal does not carry the certificate), so seal.view ≥
 * header.view is the whole rule here; a fresh proposal with a header of another view never
 * gets the q prepares it would need to be decided.
 */
export function importSealedBlock(
  block: Block,
  seal: Seal,
  params: ImportParams,
): ImportedBlock {
  verifySeal(seal, params.chainId, params.validators, params.height, block.hash, params.verifyCommit);
  if (seal.view < block.header.view) {
    throw new SealError("WRONG_BLOCK", `seal view ${seal.view} is below the block's view ${block.header.view}`, {
      reason: "VIEW_BELOW_HEADER",
      sealView: seal.view,
      headerView: block.header.view,
    });
  }
  // A quorum of the set in force (computed here from blocks imported the same way) decided this
  // block, so at least f+1 correct validators checked every tx signature in it: checking them
  // again would only cost time (they are most of a sync's work). Execution still has to
  // reproduce the header's state root.
  const { receipts, writes } = validateBlock(block, { ...params, verified: SEALED_TXS });
  return { receipts, writes, nextValidators: nextValidatorsAfter(params.selection, params.validators, block, params.state, writes) };
}
