// What a replica is built from: static configuration, its two crypto capabilities, and where it
// resumes (the store's head and its own durably recorded votes).
import type { ConsensusParams, SignDomain, ValidatorId, ValidatorSet } from "../chain/index.js";
import type { ConsensusMessage } from "./messages.js";
import type { OwnCertificate } from "./vote-record.js";

export type { OwnCertificate } from "./vote-record.js";
import type { ValidatorSelection } from "./selection/validator-selection.js";

export interface ReplicaConfig {
  readonly chainId: string;
  /** This replica's validator id, or null for an observer (follows, never signs). */
  readonly self: ValidatorId | null;
  readonly params: Pick<ConsensusParams, "viewChangeTimeoutTicks" | "maxViewChangeTimeoutTicks" | "emptyBlockIntervalTicks">;
  /** Only `primary` is used: PBFT never asks which module this is. */
  readonly selection: Pick<ValidatorSelection, "primary">;
}

export interface ReplicaCrypto {
  /** Sign `payload` under (domain, chainId) with this replica's key. Unused by observers. */
  sign(domain: SignDomain, payload: Uint8Array): Uint8Array;
  /** Verify a signature under (domain, chainId) by `signer`. May be backed by a cache. */
  verify(domain: SignDomain, payload: Uint8Array, signature: Uint8Array, signer: ValidatorId): boolean;
}

export interface ReplicaResume {
  /** The store's head: the replica works on height head.height + 1. */
  readonly head: { readonly height: number; readonly hash: Uint8Array; readonly timestamp: number };
  /** The set that validates height head.height + 1. */
  readonly validators: ValidatorSet;
  /** This replica's own recorded votes (from the VoteStore), oldest first. */
  readonly ownVotes: readonly ConsensusMessage[];
  /** The prepared certificates recorded with our commits (absent in records older than them). */
  readonly ownCertificates?: readonly OwnCertificate[];
}
