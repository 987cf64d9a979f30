// Delegated BFT, NEO style: accounts register as candidates, holders vote for up to
// validatorCount candidates, and after every epochLength-th block the top validatorCount
// candidates by vote weight become the set. A vote's weight is the voter's balance when the
// epoch ends, not when it voted, so it is recomputed from state at each boundary; every
// candidate a voter names receives that voter's whole balance (NEO 2's multi-vote rule).
//
// afterBlock is a pure fold and cannot write, so the txs keep everything the election needs in
// state, including small index records that make it enumerable without prefix scans.
import {
  assert,
  decodeAll,
  ExecutionFailure,
  fromHex,
  MAX_VALIDATORS,
  PUBLIC_KEY_BYTES,
  readAccount,
  sameMembers,
  toHex,
  validatorSet,
  Writer,
  type ExecutionContext,
  type Genesis,
  type StateOverlay,
  type StateView,
  type StateWrites,
  type TxKind,
  type ValidatorId,
  type ValidatorSet,
} from "../../chain/index.js";
import { decodeIdList, encodeIdList, readIdList, withId, withoutId, writeIdList } from "./id-list.js";
import { foldStanding, standingPrimary, type Rotation } from "./proposer-standing.js";
import type { ValidatorSelection } from "./validator-selection.js";

export interface DbftParams {
  readonly epochLength: number;
  readonly validatorCount: number;
}

/** Genesis allows 256 validators + 1024 candidates; registration may grow the pool to this. */
export const MAX_DBFT_CANDIDATES = 2048;
/**
 * Voters are indexed in 256 buckets by their id's first byte, so a new voter rewrites one small
 * record; the cap bounds both that record and the election's work (at most 65,536 voters).
 */
export const MAX_VOTERS_PER_BUCKET = 256;
const VOTER_BUCKETS = 256;

export const DBFT_PARAMS_KEY = "dbft/params";
/** The genesis validators (ascending): they keep every seat no weighted candidate fills. */
export const DBFT_STANDBY_KEY = "dbft/standby";
/** Sorted ids of every registered candidate (the election's candidate list). */
export const DBFT_CANDIDATES_KEY = "dbft/candidates";
/** Per-candidate record (registration height), for an O(1) check when a vote names it. */
export const dbftCandidateKey = (id: string): string => `dbft/candidate/${id}`;
/** A voter's current choice: a sorted list of candidate ids. */
export const dbftVoteKey = (voter: string): string => `dbft/vote/${voter}`;
/** Sorted ids of the voters whose id starts with this byte (two hex digits). */
export const dbftVoterBucketKey = (voter: string): string => `dbft/voters/${voter.slice(0, 2)}`;

export function encodeDbftParams(p: DbftParams): Uint8Array {
  return new Writer(16).uint(p.epochLength).uint(p.validatorCount).finish();
}

export function decodeDbftParams(bytes: Uint8Array): DbftParams {
  return decodeAll(bytes, 32, (r) => ({ epochLength: r.uint(), validatorCount: r.uint(MAX_VALIDATORS) }));
}

function readParams(state: StateView): DbftParams {
  const bytes = state.get(DBFT_PARAMS_KEY);
  assert(bytes !== undefined, `${DBFT_PARAMS_KEY} is missing: the genesis state lacks dbftSelection.genesisWrites`);
  return decodeDbftParams(bytes);
}

function readList(state: StateView, key: string, max: number): readonly string[] {
  const bytes = state.get(key);
  return bytes === undefined ? [] : decodeIdList(bytes, max);
}

function writeList(state: StateOverlay, key: string, ids: readonly string[]): void {
  if (ids.length === 0) state.delete(key);
  else state.set(key, encodeIdList(ids));
}

export type DbftRegisterPayload = Record<string, never>;

export const dbftRegisterKind: TxKind<DbftRegisterPayload> = {
  kind: "dbft.register",
  maxPayloadBytes: 0,
  encode: () => new Uint8Array(0),
  decode(bytes) {
    return decodeAll(bytes, this.maxPayloadBytes, () => ({}));
  },
  toJSON: () => ({}),
  apply(ctx, tx) {
    // The sender is the candidate: every account id is an ed25519 key, the one a validator signs with.
    const id = tx.sender;
    if (ctx.state.get(dbftCandidateKey(id)) !== undefined) throw new ExecutionFailure("DUPLICATE", `${id} is already a candidate`);
    const candidates = readList(ctx.state, DBFT_CANDIDATES_KEY, MAX_DBFT_CANDIDATES);
    if (candidates.length >= MAX_DBFT_CANDIDATES) {
      throw new ExecutionFailure("LIMIT_EXCEEDED", `the candidate list is at its limit of ${MAX_DBFT_CANDIDATES}`);
    }
    ctx.state.set(dbftCandidateKey(id), new Writer(8).uint(ctx.height).finish());
    writeList(ctx.state, DBFT_CANDIDATES_KEY, withId(candidates, id));
  },
};

export interface DbftVotePayload {
  /** Distinct candidate keys; empty withdraws the vote. Encoded in ascending order. */
  readonly candidates: readonly Uint8Array[];
}

export const dbftVoteKind: TxKind<DbftVotePayload> = {
  kind: "dbft.vote",
  maxPayloadBytes: 2 + MAX_VALIDATORS * PUBLIC_KEY_BYTES,
  encode(p) {
    const ids = p.candidates.map((c) => toHex(c)).sort();
    if (new Set(ids).size !== ids.length) throw new RangeError("dbft.vote candidates must be distinct");
    return writeIdList(new Writer(8 + ids.length * PUBLIC_KEY_BYTES), ids).finish();
  },
  decode(bytes) {
    // Stateless bound only: the chain's validatorCount is checked against state in apply.
    return decodeAll(bytes, this.maxPayloadBytes, (r) => ({ candidates: readIdList(r, MAX_VALIDATORS).map((id) => fromHex(id)) }));
  },
  toJSON: (p) => ({ candidates: p.candidates.map((c) => toHex(c)) }),
  apply: applyVote,
};

function applyVote(ctx: ExecutionContext, tx: { readonly sender: string }, p: DbftVotePayload): void {
  const state = ctx.state;
  const voter = tx.sender;
  const choice = p.candidates.map((c) => toHex(c));
  const bucketKey = dbftVoterBucketKey(voter);
  const bucket = readList(state, bucketKey, MAX_VOTERS_PER_BUCKET);
  const hasVoted = state.get(dbftVoteKey(voter)) !== undefined;

  if (choice.length === 0) {
    if (!hasVoted) throw new ExecutionFailure("NOT_FOUND", `${voter} has no vote to withdraw`);
    state.delete(dbftVoteKey(voter));
    writeList(state, bucketKey, withoutId(bucket, voter));
    return;
  }
  const { validatorCount } = readParams(state);
  if (choice.length > validatorCount) {
    throw new ExecutionFailure("INVALID", `a vote names at most ${validatorCount} candidates, got ${choice.length}`);
  }
  for (const c of choice) {
    if (state.get(dbftCandidateKey(c)) === undefined) throw new ExecutionFailure("NOT_FOUND", `${c} is not a registered candidate`);
  }
  // Weight is read at the epoch's end, but a voter with nothing at all would only be filling
  // the voter index for free.
  if (readAccount(state, voter).balance === 0n) throw new ExecutionFailure("INSUFFICIENT_BALANCE", `${voter} has no balance to vote with`);
  if (!hasVoted) {
    if (bucket.length >= MAX_VOTERS_PER_BUCKET) {
      throw new ExecutionFailure("LIMIT_EXCEEDED", `the voter index for prefix ${voter.slice(0, 2)} is full (${MAX_VOTERS_PER_BUCKET})`);
    }
    writeList(state, bucketKey, withId(bucket, voter));
  }
  state.set(dbftVoteKey(voter), encodeIdList(choice));
}

export interface CandidateWeight {
  readonly candidate: ValidatorId;
  /** Sum of the balances, now, of every voter naming this candidate. */
  readonly weight: bigint;
}

/** Every registered candidate with its vote weight in `state`, best first (ties by key). */
export function dbftTally(state: StateView): CandidateWeight[] {
  const weights = new Map<string, bigint>();
  for (let b = 0; b < VOTER_BUCKETS; b++) {
    const prefix = b.toString(16).padStart(2, "0");
    for (const voter of readList(state, dbftVoterBucketKey(prefix), MAX_VOTERS_PER_BUCKET)) {
      const balance = readAccount(state, voter).balance;
      if (balance === 0n) continue;
      for (const c of readList(state, dbftVoteKey(voter), MAX_VALIDATORS)) weights.set(c, (weights.get(c) ?? 0n) + balance);
    }
  }
  const ranked = readList(state, DBFT_CANDIDATES_KEY, MAX_DBFT_CANDIDATES).map((candidate) => ({
    candidate,
    weight: weights.get(candidate) ?? 0n,
  }));
  return ranked.sort((a, b) => (a.weight !== b.weight ? (a.weight > b.weight ? -1 : 1) : a.candidate < b.candidate ? -1 : 1));
}

/**
 * The set an epoch boundary in `state` elects (the rules are written out in the README, "DBFT
 * election rules"). Registering is free, so weight is the only thing that earns a seat: the
 * candidates with weight > 0 take seats best first (ties by key ascending), up to
 * validatorCount; the seats left stay with the standby (genesis) validators in ascending key
 * order, skipping those already elected. A zero-weight registrant never gets a seat. The set has
 * validatorCount members, or fewer when the weighted candidates and the standby together are
 * fewer (never an unvoted candidate to make up the number); it is never empty, as the standby
 * list is not.
 */
export function dbftElect(state: StateView): ValidatorSet {
  const { validatorCount } = readParams(state);
  const elected: string[] = [];
  for (const r of dbftTally(state)) {
    // Sorted by weight: the first zero ends the weighted candidates.
    if (r.weight === 0n || elected.length >= validatorCount) break;
    elected.push(r.candidate);
  }
  const seated = new Set(elected);
  for (const id of readList(state, DBFT_STANDBY_KEY, MAX_VALIDATORS)) {
    if (elected.length >= validatorCount) break;
    if (!seated.has(id)) elected.push(id);
  }
  return validatorSet(elected);
}

/** The speaker (height - view) mod n over the members that may be primary. */
const dbftRotation: Rotation = (candidates, height, view) => {
  const n = candidates.length;
  assert(n > 0, "speaker of an empty validator set");
  // Reduce first, then shift into [0, n): view may exceed height, and JS % keeps the sign.
  return candidates[(((height % n) - (view % n)) % n + n) % n]!;
};

function genesisSet(genesis: Genesis): ValidatorSet {
  assert(genesis.selection.name === "dbft", `dbftSelection given a ${genesis.selection.name} genesis`);
  return validatorSet(genesis.validators.map((v) => v.id));
}

export const dbftSelection: ValidatorSelection = {
  name: "dbft",

  fromGenesis: genesisSet,

  genesisWrites(genesis: Genesis): StateWrites {
    const standby = genesisSet(genesis);
    const selection = genesis.selection;
    assert(selection.name === "dbft", "checked by genesisSet");
    // Not validatorSet(): the pool may hold more than MAX_VALIDATORS. The schema checked the keys.
    const candidates = [...new Set([...standby.members, ...(genesis.candidates ?? []).map((c) => c.id)])].sort();
    const writes = new Map<string, Uint8Array | null>([
      [DBFT_PARAMS_KEY, encodeDbftParams({ epochLength: selection.epochLength, validatorCount: selection.validatorCount })],
      [DBFT_STANDBY_KEY, encodeIdList(standby.members)],
      [DBFT_CANDIDATES_KEY, encodeIdList(candidates)],
    ]);
    for (const id of candidates) writes.set(dbftCandidateKey(id), new Writer(1).uint(0).finish());
    return writes;
  },

  registerTxKinds(registry) {
    registry.register(dbftRegisterKind).register(dbftVoteKind);
  },

  afterBlock(set, block, state) {
    const { epochLength } = readParams(state);
    const elected = block.header.height % epochLength !== 0 ? set : dbftElect(state);
    // Members who stay keep their standing; foldStanding drops the entries of those who leave.
    return foldStanding(set, block, sameMembers(set, elected) ? set : elected, dbftRotation);
  },

  primary(set, height, view) {
    return standingPrimary(set, height, view, dbftRotation);
  },
};
