// Caps on the consensus streams' frames by message type. Every frame used to be read up to
// ~3.3 MiB whatever it held: a prepare or a commit is about 200 bytes, only a pre-prepare or a
// view-change carries a block (bounded by the genesis block-size limit), and a new-view carries
// at most one view-change body per validator. The stream reader (p2p/frame-reader.ts) checks
// each item's length against its type's cap before reading its body.
import { MAX_CHAIN_ID_BYTES, MAX_VALIDATORS } from "../chain/index.js";
import { MAX_MESSAGE_BYTES, MESSAGE_TAGS } from "../consensus/index.js";
import type { FrameGuard } from "../p2p/index.js";

/** from (32) + signature (64): a Signed on the wire. */
const SIGNED_BYTES = 96;
/** chain id (≤ 64 + its prefix), height, view and a hash: the fields a message starts with, generously. */
const HEAD_BYTES = 1 + (MAX_CHAIN_ID_BYTES + 1) + 10 + 10 + 32;
/** A prepare or a commit: tag, head, signature. */
export const VOTE_MESSAGE_CAP = HEAD_BYTES + SIGNED_BYTES + 16;

export interface ConsensusFrameLimits {
  /** The genesis block-size limit (consensus.maxBlockBytes). */
  readonly maxBlockBytes: number;
  /** A bound on the validator count (new-views and certificates hold one entry per validator). */
  readonly validators: number;
}

/** Largest encoded message of each tag (0: not a consensus message). */
export function consensusMessageCap(tag: number, limits: ConsensusFrameLimits): number {
  const n = Math.min(MAX_VALIDATORS, Math.max(1, limits.validators));
  const certificate = 1 + 10 + 32 + 3 + n * SIGNED_BYTES;
  const viewChangeBody = HEAD_BYTES + certificate + SIGNED_BYTES;
  let cap: number;
  switch (tag) {
    case MESSAGE_TAGS["pre-prepare"]:
      cap = HEAD_BYTES + 5 + limits.maxBlockBytes + SIGNED_BYTES;
      break;
    case MESSAGE_TAGS.prepare:
    case MESSAGE_TAGS.commit:
      cap = VOTE_MESSAGE_CAP;
      break;
    case MESSAGE_TAGS["view-change"]:
      cap = viewChangeBody + 1 + 5 + limits.maxBlockBytes;
      break;
    case MESSAGE_TAGS["new-view"]:
      cap = HEAD_BYTES + 3 + n * viewChangeBody + 1 + 32 + SIGNED_BYTES;
      break;
    default:
      return 0;
  }
  return Math.min(cap, MAX_MESSAGE_BYTES);
}

/**
 * The consensus streams' guard. A frame holds at most `maxItems` messages; the sender closes a
 * batch at `batchBytes`, but always takes its first message, so a frame is at most that plus the
 * largest single message.
 */
export function consensusFrameGuard(limits: () => ConsensusFrameLimits, maxItems: number, batchBytes: number): FrameGuard {
  const largest = (l: ConsensusFrameLimits): number => Math.max(...Object.values(MESSAGE_TAGS).map((t) => consensusMessageCap(t, l)));
  return {
    get maxFrameBytes() {
      return batchBytes + largest(limits()) + maxItems * 4 + 16;
    },
    maxItems,
    wholeFrameBytes: 64 * 1024,
    // Votes are most of the traffic: their cap needs no look at the validator set.
    itemCap: (tag) => (tag === MESSAGE_TAGS.prepare || tag === MESSAGE_TAGS.commit ? VOTE_MESSAGE_CAP : consensusMessageCap(tag, limits())),
  };
}
