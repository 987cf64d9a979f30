// Proof of authority: the genesis validators govern themselves. A current validator votes to add
// or remove one key; once more than half of the current set has voted for the same change, the
// vote that crosses the line rewrites the member list in state, and afterBlock hands that list
// to consensus for the next height. Governance sees its own record sequentially inside a block
// (a member removed by tx 3 cannot vote in tx 4); consensus sees the set change only at the
// block boundary.
import {
  assert,
  decodeAll,
  DecodeError,
  ExecutionFailure,
  fromHex,
  MAX_VALIDATORS,
  MIN_VALIDATORS,
  PUBLIC_KEY_BYTES,
  sameMembers,
  toHex,
  validatorSet,
  Writer,
  type ExecutionContext,
  type Genesis,
  type StateOverlay,
  type StateView,
  type TxKind,
  type ValidatorSet,
} from "../../chain/index.js";
import { decodeIdList, encodeIdList, includesId, withId, withoutId } from "./id-list.js";
import { foldStanding, standingPrimary, type Rotation } from "./proposer-standing.js";
import type { ValidatorSelection } from "./validator-selection.js";

export type PoaAction = "add" | "remove";

export interface PoaVotePayload {
  readonly action: PoaAction;
  /** The key to add or remove. */
  readonly validator: Uint8Array;
}

/**
 * How many open votes (cast on proposals that have not passed yet) one validator may hold. Bounds
 * the state a validator can fill with proposals that never pass, and the work of clearing a
 * removed validator's votes.
 */
export const MAX_OPEN_VOTES_PER_VOTER = 32;

export const POA_VALIDATORS_KEY = "poa/validators";
export const poaVoteKey = (action: PoaAction, validator: string, voter: string): string => `poa/vote/${action}/${validator}/${voter}`;
/** Index of one voter's open votes, so they can be counted and cleared without prefix scans. */
export const poaBallotKey = (voter: string): string => `poa/ballot/${voter}`;

const ACTIONS: readonly PoaAction[] = ["add", "remove"];

export const poaVoteKind: TxKind<PoaVotePayload> = {
  kind: "poa.vote",
  maxPayloadBytes: 1 + PUBLIC_KEY_BYTES,
  encode: (p) => new Writer(1 + PUBLIC_KEY_BYTES).u8(ACTIONS.indexOf(p.action)).fixed(p.validator, PUBLIC_KEY_BYTES).finish(),
  decode(bytes) {
    return decodeAll(bytes, this.maxPayloadBytes, (r) => {
      const code = r.u8();
      const action = ACTIONS[code];
      if (action === undefined) throw new DecodeError("INVALID_VALUE", `unknown poa.vote action ${code}`, { action: code });
      return { action, validator: r.fixed(PUBLIC_KEY_BYTES) };
    });
  },
  toJSON: (p) => ({ action: p.action, validator: toHex(p.validator) }),
  apply: applyVote,
};

export function readPoaMembers(state: StateView): readonly string[] | undefined {
  const bytes = state.get(POA_VALIDATORS_KEY);
  return bytes === undefined ? undefined : decodeIdList(bytes, MAX_VALIDATORS);
}

/** One proposal as a ballot entry; "add/…" sorts before "remove/…", as their codes do. */
interface BallotEntry {
  readonly action: PoaAction;
  readonly validator: string;
}

const entryName = (e: BallotEntry): string => `${e.action}/${e.validator}`;

export function encodeBallot(entries: readonly BallotEntry[]): Uint8Array {
  const sorted = [...entries].sort((a, b) => (entryName(a) < entryName(b) ? -1 : 1));
  const w = new Writer(4 + sorted.length * (1 + PUBLIC_KEY_BYTES)).uint(sorted.length);
  for (const e of sorted) w.u8(ACTIONS.indexOf(e.action)).fixed(fromHex(e.validator, PUBLIC_KEY_BYTES), PUBLIC_KEY_BYTES);
  return w.finish();
}

export function decodeBallot(bytes: Uint8Array): BallotEntry[] {
  return decodeAll(bytes, 4 + MAX_OPEN_VOTES_PER_VOTER * (1 + PUBLIC_KEY_BYTES), (r) => {
    const count = r.count(MAX_OPEN_VOTES_PER_VOTER);
    const out: BallotEntry[] = [];
    for (let i = 0; i < count; i++) {
      const action = ACTIONS[r.u8()];
      if (action === undefined) throw new DecodeError("INVALID_VALUE", "unknown ballot action", { index: i });
      const entry = { action, validator: toHex(r.fixed(PUBLIC_KEY_BYTES)) };
      const previous = out[out.length - 1];
      if (previous !== undefined && entryName(previous) >= entryName(entry)) {
        throw new DecodeError("NON_CANONICAL", "ballot entries must be distinct and in ascending order", { index: i });
      }
      out.push(entry);
    }
    return out;
  });
}

function readBallot(state: StateView, voter: string): BallotEntry[] {
  const bytes = state.get(poaBallotKey(voter));
  return bytes === undefined ? [] : decodeBallot(bytes);
}

function writeBallot(state: StateOverlay, voter: string, entries: readonly BallotEntry[]): void {
  if (entries.length === 0) state.delete(poaBallotKey(voter));
  else state.set(poaBallotKey(voter), encodeBallot(entries));
}

function applyVote(ctx: ExecutionContext, tx: { readonly sender: string }, p: PoaVotePayload): void {
  const state = ctx.state;
  const members = readPoaMembers(state);
  assert(members !== undefined, `${POA_VALIDATORS_KEY} is missing: the genesis state lacks poaSelection.genesisWrites`);
  const voter = tx.sender;
  const target = toHex(p.validator);
  if (!includesId(members, voter)) throw new ExecutionFailure("UNAUTHORIZED", `${voter} is not a validator and cannot vote`);
  const isMember = includesId(members, target);
  if (p.action === "add") {
    if (isMember) throw new ExecutionFailure("INVALID", `${target} is already a validator`);
    if (members.length >= MAX_VALIDATORS) throw new ExecutionFailure("LIMIT_EXCEEDED", `the set is at its limit of ${MAX_VALIDATORS}`);
  } else {
    if (!isMember) throw new ExecutionFailure("INVALID", `${target} is not a validator`);
    if (members.length - 1 < MIN_VALIDATORS) {
      throw new ExecutionFailure("INVALID", `removing ${target} would leave ${members.length - 1} validators, below ${MIN_VALIDATORS}`);
    }
  }
  const key = poaVoteKey(p.action, target, voter);
  if (state.get(key) !== undefined) throw new ExecutionFailure("DUPLICATE", `${voter} already voted to ${p.action} ${target}`);
  const ballot = readBallot(state, voter);
  if (ballot.length >= MAX_OPEN_VOTES_PER_VOTER) {
    throw new ExecutionFailure("LIMIT_EXCEEDED", `${voter} already holds ${MAX_OPEN_VOTES_PER_VOTER} open votes`);
  }
  // The value records when the vote was cast; only its presence counts.
  state.set(key, new Writer(8).uint(ctx.height).finish());
  writeBallot(state, voter, [...ballot, { action: p.action, validator: target }]);

  // Only current members count: a vote left by a validator removed since is never tallied.
  const voters = members.filter((m) => state.get(poaVoteKey(p.action, target, m)) !== undefined);
  if (voters.length * 2 <= members.length) return;

  for (const m of voters) {
    state.delete(poaVoteKey(p.action, target, m));
    writeBallot(state, m, readBallot(state, m).filter((e) => !(e.action === p.action && e.validator === target)));
  }
  if (p.action === "remove") {
    // A removed validator's other open votes go with it, so they cannot revive if it returns.
    for (const e of readBallot(state, target)) state.delete(poaVoteKey(e.action, e.validator, target));
    state.delete(poaBallotKey(target));
  }
  const next = p.action === "add" ? withId(members, target) : withoutId(members, target);
  state.set(POA_VALIDATORS_KEY, encodeIdList(next));
}

/** Round-robin (height + view) mod n over the members that may be primary. */
const poaRotation: Rotation = (candidates, height, view) => {
  const n = candidates.length;
  assert(n > 0, "primary of an empty validator set");
  // Reduce each term first: height + view can pass 2^53 where each alone does not.
  return candidates[((height % n) + (view % n)) % n]!;
};

function genesisSet(genesis: Genesis): ValidatorSet {
  assert(genesis.selection.name === "poa", `poaSelection given a ${genesis.selection.name} genesis`);
  return validatorSet(genesis.validators.map((v) => v.id));
}

export const poaSelection: ValidatorSelection = {
  name: "poa",

  fromGenesis: genesisSet,

  genesisWrites(genesis: Genesis) {
    return new Map([[POA_VALIDATORS_KEY, encodeIdList(genesisSet(genesis).members)]]);
  },

  registerTxKinds(registry) {
    registry.register(poaVoteKind);
  },

  afterBlock(set, block, state) {
    // The votes' apply already did the bookkeeping; this only reads its result.
    const members = readPoaMembers(state);
    const next = members === undefined ? set : validatorSet(members);
    return foldStanding(set, block, sameMembers(set, next) ? set : next, poaRotation);
  },

  primary(set, height, view) {
    return standingPrimary(set, height, view, poaRotation);
  },
};
