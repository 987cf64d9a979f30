// `--byzantine 0:equivocate,3:silent` and `2:twins+replay`: which validators misbehave and how.
// Shared by `triad sim` and `triad testnet`, so both read the same spec the same way.
import { faultTolerance, TriadError } from "../chain/index.js";

export const BEHAVIOURS = [
  "silent",
  "equivocate",
  "conflicting-votes",
  "forge",
  "invalid-block",
  "replay",
  "prepare-as-commit",
  "viewchange-spam",
  "lying-newview",
  "slow-primary",
  "twins",
  "wrong-header-view",
  "adversarial-newview",
  "split-brain",
  "withhold",
  "bad-sync-server",
  "huge-view",
  "lone-decider",
  "sometimes-silent",
] as const;

export type BehaviourName = (typeof BEHAVIOURS)[number];

/** One line per behaviour, for `--help`. */
export const BEHAVIOUR_HELP: Readonly<Record<BehaviourName, string>> = {
  silent: "sends nothing (crashed, but keeps receiving)",
  equivocate: "as primary, pre-prepares two valid blocks for one height, one to each side of the run's shared split",
  "conflicting-votes": "sends prepares/commits for another block hash (an equivocator's other block) to one side of the shared split",
  forge: "sends messages claiming to be from other validators, and copies their signatures onto other payloads",
  "invalid-block": "as primary, proposes blocks with a bad parent, a bad tx or a wrong state root",
  replay: "re-sends old-height, old-view and other-chain-id messages",
  "prepare-as-commit": "re-labels its prepares as commits (and commits as prepares) keeping the signature",
  "viewchange-spam": "sends premature and huge-view view-changes",
  "lying-newview": "as new primary, drops prepared certificates and lies about the chosen block",
  "slow-primary": "delays its proposals to just under the view-change timeout",
  twins: "runs two copies of its key, each seen by a different part of the network",
  "wrong-header-view": "as primary of (h, v), proposes a block whose header says view v+1 and names that view's primary",
  "adversarial-newview": "as new primary, picks the legal quorum of view-changes that hides the highest prepared certificate",
  "split-brain": "equivocates as primary and votes as backup along one split of the honest replicas shared by all Byzantine nodes",
  withhold: "sends its prepares and commits only to a minority (f or fewer) of the honest replicas",
  "bad-sync-server": "answers block sync with blocks of other heights, truncated ranges, nothing, or a seal of one repeated signer",
  "huge-view": "sends validly signed view-changes for views far ahead (view + 1000, MAX_VIEW) that reach the core",
  "sometimes-silent": "as primary, sends no proposal on about half of its turns (a stall each) and proposes honestly on the rest",
  "lone-decider": "commits only to a few honest replicas that the adversarial network then silences, so they decide alone; as a later primary, claims nothing was prepared",
};

export type SpecErrorCode = "INVALID_SPEC";
/** A `--byzantine` or `--faults` value that cannot be run; the message says why. */
export class SimSpecError extends TriadError<SpecErrorCode> {}

export interface ByzantineValidator {
  readonly index: number;
  /** Distinct, in the order given. */
  readonly behaviours: readonly BehaviourName[];
}

/** Sorted by index; each index at most once. */
export type ByzantineSpec = readonly ByzantineValidator[];

export interface ByzantineSpecOptions {
  readonly validators: number;
  /** Allow more than f Byzantine validators (the invariants are then expected to fail). */
  readonly allowOverF?: boolean;
}

function isBehaviour(name: string): name is BehaviourName {
  return (BEHAVIOURS as readonly string[]).includes(name);
}

export function parseByzantineSpec(text: string, options: ByzantineSpecOptions): ByzantineSpec {
  const trimmed = text.trim();
  if (trimmed === "" || trimmed === "none") return [];
  const out = new Map<number, BehaviourName[]>();
  for (const raw of trimmed.split(",")) {
    const item = raw.trim();
    const m = /^(\d+):([a-z+-]+)$/.exec(item);
    if (m === null) throw new SimSpecError("INVALID_SPEC", `byzantine spec ${JSON.stringify(item)} is not <validator index>:<behaviour>[+<behaviour>…]`);
    const index = Number(m[1]);
    if (!Number.isSafeInteger(index) || index >= options.validators) {
      throw new SimSpecError("INVALID_SPEC", `byzantine validator index ${m[1]} is out of range: there are ${options.validators} validators (0..${options.validators - 1})`);
    }
    if (out.has(index)) throw new SimSpecError("INVALID_SPEC", `byzantine validator ${index} is named twice`);
    const behaviours: BehaviourName[] = [];
    for (const name of m[2]!.split("+")) {
      if (!isBehaviour(name)) throw new SimSpecError("INVALID_SPEC", `unknown behaviour ${JSON.stringify(name)}; known: ${BEHAVIOURS.join(", ")}`);
      if (!behaviours.includes(name)) behaviours.push(name);
    }
    out.set(index, behaviours);
  }
  const f = faultTolerance(options.validators);
  if (out.size > f && options.allowOverF !== true) {
    throw new SimSpecError(
      "INVALID_SPEC",
      `${out.size} Byzantine validators exceed f = ${f} for n = ${options.validators}; pass --allow-over-f to run it anyway (safety is then not guaranteed)`,
    );
  }
  return [...out.entries()].sort((a, b) => a[0] - b[0]).map(([index, behaviours]) => ({ index, behaviours }));
}

export function formatByzantineSpec(spec: ByzantineSpec): string {
  return spec.length === 0 ? "none" : spec.map((v) => `${v.index}:${v.behaviours.join("+")}`).join(",");
}
