// The state root: a fixed-depth Merkle tree over 2^12 buckets. A key lands in the bucket named by
// the first 12 bits of sha256(key); a bucket's digest hashes its entries sorted by key; the
// root is a binary Merkle tree over bucket digests. Appending a block rehashes only the buckets
// it touched and their 12-node paths, so the cost follows the block, not the state size.
import { compareBytes, utf8 } from "./encoding.js";
import { sha256 } from "./hash.js";

const DEPTH = 12;
const BUCKETS = 1 << DEPTH;
const ENTRY = Uint8Array.of(0x10);
const BUCKET = Uint8Array.of(0x11);
const INNER = Uint8Array.of(0x12);
const EMPTY = new Uint8Array(32);

/** Digest of an empty subtree at each level (level 0 = bucket). */
const EMPTY_AT: Uint8Array[] = [EMPTY];
for (let level = 1; level <= DEPTH; level++) EMPTY_AT.push(sha256(INNER, EMPTY_AT[level - 1]!, EMPTY_AT[level - 1]!));

function bucketOf(key: string): number {
  const h = sha256(utf8(key));
  return (h[0]! << 4) | (h[1]! >> 4);
}

function entryHash(key: string, value: Uint8Array): Uint8Array {
  const k = utf8(key);
  const len = new Uint8Array(4);
  new DataView(len.buffer).setUint32(0, k.length);
  return sha256(ENTRY, len, k, sha256(value));
}

export type StateWrites = ReadonlyMap<string, Uint8Array | null>;

/** The new bucket contents and node digests a set of writes produces. */
interface Dirty {
  readonly buckets: Map<number, Map<string, Uint8Array>>;
  readonly nodes: Map<number, Uint8Array>[];
}

export class StateTree {
  /** bucket → (key → entry hash) */
  private readonly buckets = new Map<number, Map<string, Uint8Array>>();
  /** levels[0] = bucket digests … levels[DEPTH] = [root]; missing entries are EMPTY_AT[level]. */
  private readonly levels: Map<number, Uint8Array>[] = Array.from({ length: DEPTH + 1 }, () => new Map());

  /** The last rootWith computation; valid only until the tree changes (apply clears it). */
  private lastDirty: { writes: StateWrites; dirty: Dirty } | null = null;

  root(): Uint8Array {
    // A copy: the stored digests (and the shared EMPTY_AT sentinels) must not be mutable from outside.
    return (this.levels[DEPTH]!.get(0) ?? EMPTY_AT[DEPTH]!).slice();
  }

  /** The root the tree would have after `writes`, without changing it. */
  rootWith(writes: StateWrites): Uint8Array {
    if (writes.size === 0) return this.root();
    // Validation computes a block's root, then the store checks it again on its own copy of
    // the writes before applying them: one computation serves all three.
    const memo = this.lastDirty;
    const overlay = memo !== null && sameWrites(memo.writes, writes) ? memo.dirty : this.computeDirty(writes);
    // An append checks the root of its writes and then applies the very same map: keep the
    // work so `apply` does not hash every touched bucket and path a second time.
    this.lastDirty = { writes, dirty: overlay };
    const root = overlay.nodes[DEPTH]!.get(0);
    return root === undefined ? this.root() : root.slice();
  }

  apply(writes: StateWrites): void {
    if (writes.size === 0) return;
    const memo = this.lastDirty;
    this.lastDirty = null;
    const { buckets, nodes } = memo !== null && sameWrites(memo.writes, writes) ? memo.dirty : this.computeDirty(writes);
    for (const [index, entries] of buckets) {
      if (entries.size === 0) this.buckets.delete(index);
      else this.buckets.set(index, entries);
    }
    for (let level = 0; level <= DEPTH; level++) {
      for (const [index, digest] of nodes[level]!) {
        if (digest === EMPTY_AT[level]) this.levels[level]!.delete(index);
        else this.levels[level]!.set(index, digest);
      }
    }
  }

  private computeDirty(writes: StateWrites): Dirty {
    const buckets = new Map<number, Map<string, Uint8Array>>();
    for (const [key, value] of writes) {
      const index = bucketOf(key);
      let entries = buckets.get(index);
      if (entries === undefined) {
        entries = new Map(this.buckets.get(index));
        buckets.set(index, entries);
      }
      if (value === null) entries.delete(key);
      else entries.set(key, entryHash(key, value));
    }
    const nodes: Map<number, Uint8Array>[] = Array.from({ length: DEPTH + 1 }, () => new Map());
    for (const [index, entries] of buckets) nodes[0]!.set(index, bucketDigest(entries));
    for (let level = 1; level <= DEPTH; level++) {
      const below = nodes[level - 1]!;
      for (const childIndex of below.keys()) {
        const index = childIndex >> 1;
        if (nodes[level]!.has(index)) continue;
        const left = this.node(level - 1, index * 2, below);
        const right = this.node(level - 1, index * 2 + 1, below);
        const digest =
          left === EMPTY_AT[level - 1] && right === EMPTY_AT[level - 1] ? EMPTY_AT[level]! : sha256(INNER, left, right);
        nodes[level]!.set(index, digest);
      }
    }
    return { buckets, nodes };
  }

  private node(level: number, index: number, overlay: Map<number, Uint8Array>): Uint8Array {
    return overlay.get(index) ?? this.levels[level]!.get(index) ?? EMPTY_AT[level]!;
  }
}

/** The same writes: the same map, or a copy of it (same keys, the very same value arrays). */
function sameWrites(a: StateWrites, b: StateWrites): boolean {
  if (a === b) return true;
  if (a.size !== b.size) return false;
  for (const [key, value] of a) {
    if (b.get(key) !== value || (value === null && !b.has(key))) return false;
  }
  return true;
}

function bucketDigest(entries: Map<string, Uint8Array>): Uint8Array {
  if (entries.size === 0) return EMPTY_AT[0]!;
  const hashes = [...entries.values()].sort(compareBytes);
  return sha256(BUCKET, ...hashes);
}

export const STATE_TREE_BUCKETS = BUCKETS;
