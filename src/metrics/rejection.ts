// A refused consensus message's reason (p2p's checkConsensusData verdicts, free text written
// for logs) mapped to the closed label sets of triad_p2p_messages_rejected_total: a peer's bytes
// never become a label value.
import { MESSAGE_TYPES, type MessageType, type RejectReason } from "./metrics.js";

const CONSENSUS_TYPES: readonly MessageType[] = MESSAGE_TYPES.filter((t) => t !== "tx" && t !== "sync-request" && t !== "sync-blocks" && t !== "gossip-rpc" && t !== "unknown");

export function classifyRejection(reason: string): { type: MessageType; reason: RejectReason } {
  return { type: typeIn(reason), reason: reasonOf(reason) };
}

function typeIn(reason: string): MessageType {
  // Longest names first: "pre-prepare" contains "prepare".
  for (const t of [...CONSENSUS_TYPES].sort((a, b) => b.length - a.length)) if (new RegExp(`(^|\\s)${t}(\\s|$)`).test(reason)) return t;
  return "unknown";
}

function reasonOf(reason: string): RejectReason {
  if (reason.startsWith("oversize")) return "oversize";
  if (reason.startsWith("malformed")) return "malformed";
  if (reason.startsWith("wrong chain")) return "wrong-chain";
  if (reason.startsWith("stale")) return "stale";
  if (reason.startsWith("off-topic")) return "off-topic";
  if (reason.includes("from non-member")) return "non-member";
  if (reason.startsWith("bad signature")) return "bad-signature";
  if (reason.startsWith("validator error")) return "error";
  return "other";
}
