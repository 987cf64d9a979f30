// Binary Merkle root over an ordered list (RFC 6962 shape): leaves and inner nodes are hashed
// with distinct prefixes so a leaf can never pose as an inner node.
import { sha256 } from "./hash.js";

const LEAF = Uint8Array.of(0);
const NODE = Uint8Array.of(1);
const EMPTY_ROOT = sha256();

export function merkleLeaf(data: Uint8Array): Uint8Array {
  return sha256(LEAF, data);
}

export function merkleNode(left: Uint8Array, right: Uint8Array): Uint8Array {
  return sha256(NODE, left, right);
}

/** Root over already-hashed leaves (e.g. tx hashes); the empty list has sha256("") as root. */
export function merkleRoot(leaves: readonly Uint8Array[]): Uint8Array {
  // A copy: callers own the returned bytes, and mutating a shared constant would change every empty root.
  if (leaves.length === 0) return EMPTY_ROOT.slice();
  let level = leaves.map(merkleLeaf);
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) {
      const left = level[i]!;
      const right = level[i + 1];
      // An odd node is promoted unchanged (RFC 6962), never paired with a copy of itself,
      // which is what made Bitcoin's tree ambiguous (CVE-2012-2459).
      next.push(right === undefined ? left : merkleNode(left, right));
    }
    level = next;
  }
  return level[0]!;
}
