// consensus_state's round_state: CometBFT's RoundStateSimple (v0.38) with PBFT's nearest
// equivalents. A view is a round; prepares stand where prevotes do and commits where
// precommits do; the proposal is the block pre-prepared in the current view; "locked" is the
// block of this replica's own latest commit at the height (PBFT's view-changes must carry its
// prepared certificate), "valid" the block of the highest prepared certificate it knows.
import type { ValidatorSet } from "../chain/validator-set.js";
import { rfc3339, upperHex } from "./format.js";
import type { ConsensusInfo, RoundVoteInfo, ViewVotesInfo } from "./node-api.js";
import type { ResultConsensusState, RoundVotesJson } from "./types.js";

/** CometBFT's zero time as Vote.String prints it (CanonicalTime); Triad's votes carry no timestamp. */
const ZERO_VOTE_TIME = "0001-01-01T00:00:00.000000000Z";
/** CometBFT's zero time as its JSON prints it. */
const ZERO_TIME = "0001-01-01T00:00:00Z";

/** cmtbytes.Fingerprint: the first 6 bytes, zero-padded, upper-case hex. */
function fingerprint(bytes: Uint8Array): string {
  const six = new Uint8Array(6);
  six.set(bytes.subarray(0, 6));
  return upperHex(six);
}

/** Vote.String(): `Vote{index:ADDR height/round/type(Name) BLOCK SIG EXT @ time}`; absent votes are "nil-Vote". */
function voteString(v: RoundVoteInfo | null, index: number, height: number, view: number, type: 1 | 2): string {
  if (v === null) return "nil-Vote";
  const name = type === 1 ? "Prevote" : "Precommit";
  const round = String(view).padStart(2, "0");
  return `Vote{${index}:${fingerprint(Buffer.from(v.validator, "hex"))} ${height}/${round}/${type}(${name}) ${fingerprint(v.blockHash)} ${fingerprint(v.signature)} ${fingerprint(new Uint8Array(0))} @ ${ZERO_VOTE_TIME}}`;
}

/** VoteSet.BitArrayString(): `BA{n:x_x} voted/total = fraction`; every Triad vote weighs 1. */
function bitArrayString(votes: readonly (RoundVoteInfo | null)[]): string {
  const bits = votes.map((v) => (v === null ? "_" : "x")).join("");
  const voted = votes.filter((v) => v !== null).length;
  const total = votes.length;
  const fraction = total === 0 ? 0 : voted / total;
  return `BA{${total}:${bits}} ${voted}/${total} = ${fraction.toFixed(2)}`;
}

function roundVotesJson(height: number, v: ViewVotesInfo): RoundVotesJson {
  return {
    round: v.view,
    prevotes: v.prepares.map((p, i) => voteString(p, i, height, v.view, 1)),
    prevotes_bit_array: bitArrayString(v.prepares),
    precommits: v.commits.map((c, i) => voteString(c, i, height, v.view, 2)),
    precommits_bit_array: bitArrayString(v.commits),
  };
}

const hashOrEmpty = (hash: Uint8Array | null): string => (hash === null ? "" : upperHex(hash));

/**
 * `set` is the set deciding `c.height`. Without a replica (the node has not started consensus)
 * the round's fields print as CometBFT prints them before its first round: zero time, empty
 * hashes, no votes.
 */
export function consensusStateJson(c: ConsensusInfo, set: ValidatorSet): ResultConsensusState {
  const r = c.round;
  return {
    round_state: {
      "height/round/step": `${c.height}/${c.view}/${c.phase}`,
      height: String(c.height),
      round: c.view,
      step: c.phase,
      start_time: r === undefined ? ZERO_TIME : rfc3339(r.startedAt),
      proposal_block_hash: hashOrEmpty(r?.proposalHash ?? null),
      locked_block_hash: hashOrEmpty(r?.lockedHash ?? null),
      valid_block_hash: hashOrEmpty(r?.validHash ?? null),
      height_vote_set: r === undefined ? [] : r.votes.map((v) => roundVotesJson(c.height, v)),
      proposer: { address: c.primary.toUpperCase(), index: set.members.indexOf(c.primary) },
    },
    triad: { height: c.height, view: c.view, phase: c.phase, primary: c.primary },
  };
}
