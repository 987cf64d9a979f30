// The codec only ever produces well-formed messages, but the core also takes messages straight
// from the simulator's Byzantine filters and from tests: anything not shaped like a message is
// reported as malformed, never allowed to throw deeper in the core.
import type { Block } from "../chain/index.js";
import { MESSAGE_TAGS, type ConsensusMessage, type PreparedCertificate } from "./messages.js";

function isUint(x: unknown): boolean {
  return typeof x === "number" && Number.isSafeInteger(x) && x >= 0;
}

function isHash(x: unknown): boolean {
  return x instanceof Uint8Array && x.length === 32;
}

function isSigned(x: { from?: unknown; signature?: unknown }): boolean {
  return typeof x.from === "string" && x.signature instanceof Uint8Array;
}

function isBlock(b: Block | null | undefined): boolean {
  if (typeof b !== "object" || b === null) return false;
  const h = b.header;
  return (
    isHash(b.hash) &&
    typeof b.id === "string" &&
    b.bytes instanceof Uint8Array &&
    typeof h === "object" &&
    h !== null &&
    typeof h.chainId === "string" &&
    isUint(h.height) &&
    isHash(h.parentHash)
  );
}

function isCertificate(c: PreparedCertificate | null | undefined): boolean {
  if (c === null) return true;
  if (typeof c !== "object") return false;
  return isUint(c.view) && isHash(c.blockHash) && Array.isArray(c.prepares) && c.prepares.every((p) => typeof p === "object" && p !== null && isSigned(p));
}

/** Why `m` is not a well-formed consensus message, or null if it is one. */
export function malformation(m: ConsensusMessage): string | null {
  if (typeof m !== "object" || m === null) return "not an object";
  if (!Object.hasOwn(MESSAGE_TAGS, m.type)) return "unknown message type";
  if (typeof m.chainId !== "string" || !isUint(m.height) || !isSigned(m)) return "missing chain id, height or signature";
  switch (m.type) {
    case "pre-prepare":
      return isUint(m.view) && isBlock(m.block) ? null : "pre-prepare without a view or block";
    case "prepare":
    case "commit":
      return isUint(m.view) && isHash(m.blockHash) ? null : `${m.type} without a view or block hash`;
    case "view-change":
      if (!isUint(m.newView) || !isCertificate(m.prepared)) return "view-change without a view or certificate";
      return m.preparedBlock === null || isBlock(m.preparedBlock) ? null : "view-change with a broken block";
    case "new-view":
      if (!isUint(m.view) || !Array.isArray(m.viewChanges)) return "new-view without a view or view-changes";
      if (!(m.chosenBlockHash === null || isHash(m.chosenBlockHash))) return "new-view with a broken chosen hash";
      for (const vc of m.viewChanges) {
        if (typeof vc !== "object" || vc === null || vc.type !== "view-change" || malformation(vc) !== null) return "new-view with a broken view-change";
      }
      return null;
  }
}
