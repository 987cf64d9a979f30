import { describe, expect, it } from "vitest";
import { compareBytes, toHex, utf8 } from "../../../src/chain/encoding.js";
import { sha256 } from "../../../src/chain/hash.js";
import { merkleLeaf, merkleNode, merkleRoot } from "../../../src/chain/merkle.js";
import { StateTree, STATE_TREE_BUCKETS, type StateWrites } from "../../../src/chain/state-tree.js";
import {
  accountKey,
  ChainState,
  decodeAccount,
  EMPTY_ACCOUNT,
  encodeAccount,
  kvKey,
  readAccount,
  StateOverlay,
} from "../../../src/chain/state.js";
import { Prng } from "../../fixtures/prng.js";

const h = (label: string): Uint8Array => sha256(utf8(label));

describe("merkleRoot", () => {
  const [a, b, c, d, e] = ["a", "b", "c", "d", "e"].map(h) as [Uint8Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array];
  const L = merkleLeaf;
  const N = merkleNode;

  it("leaf and node hashes are prefixed with 0 and 1", () => {
    expect(L(a)).toEqual(sha256(Uint8Array.of(0), a));
    expect(N(a, b)).toEqual(sha256(Uint8Array.of(1), a, b));
  });

  it("0 leaves: sha256 of nothing", () => {
    expect(toHex(merkleRoot([]))).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  });

  it("1 leaf: the leaf hash (never the raw leaf)", () => {
    expect(merkleRoot([a])).toEqual(L(a));
    expect(merkleRoot([a])).not.toEqual(a);
  });

  it("2 leaves: one node", () => {
    expect(merkleRoot([a, b])).toEqual(N(L(a), L(b)));
  });

  it("3 leaves: the odd leaf is promoted, not paired with itself", () => {
    expect(merkleRoot([a, b, c])).toEqual(N(N(L(a), L(b)), L(c)));
    expect(merkleRoot([a, b, c])).not.toEqual(merkleRoot([a, b, c, c]));
  });

  it("4 leaves: a full tree", () => {
    expect(merkleRoot([a, b, c, d])).toEqual(N(N(L(a), L(b)), N(L(c), L(d))));
  });

  it("5 leaves: the fifth is promoted twice", () => {
    expect(merkleRoot([a, b, c, d, e])).toEqual(N(N(N(L(a), L(b)), N(L(c), L(d))), L(e)));
  });

  it("matches the RFC 6962 recursive definition for 1..40 leaves", () => {
    const rfc = (leaves: Uint8Array[]): Uint8Array => {
      if (leaves.length === 1) return L(leaves[0]!);
      let k = 1;
      while (k * 2 < leaves.length) k *= 2;
      return N(rfc(leaves.slice(0, k)), rfc(leaves.slice(k)));
    };
    const leaves = Array.from({ length: 40 }, (_, i) => h(`leaf-${i}`));
    for (let n = 1; n <= 40; n++) expect(toHex(merkleRoot(leaves.slice(0, n)))).toBe(toHex(rfc(leaves.slice(0, n))));
  });

  it("returns bytes the caller owns (mutating a root does not change later roots)", () => {
    const r0 = merkleRoot([]);
    r0.fill(0);
    expect(toHex(merkleRoot([]))).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  });

  it("depends on order and on every leaf, and does not mutate its input", () => {
    const leaves = [a, b, c, d, e];
    const copy = leaves.map((x) => Uint8Array.from(x));
    const root = merkleRoot(leaves);
    expect(leaves).toEqual(copy);
    expect(merkleRoot([b, a, c, d, e])).not.toEqual(root);
    expect(merkleRoot([a, b, c, d, h("x")])).not.toEqual(root);
    // An inner node cannot pose as a leaf.
    expect(merkleRoot([N(L(a), L(b))])).not.toEqual(merkleRoot([a, b]));
  });
});

/** An independent, from-scratch computation of the state root, to check the incremental one. */
function referenceRoot(entries: ReadonlyMap<string, Uint8Array>): Uint8Array {
  const DEPTH = 12;
  const buckets = new Map<number, Uint8Array[]>();
  for (const [key, value] of entries) {
    const kh = sha256(utf8(key));
    const index = (kh[0]! << 4) | (kh[1]! >> 4);
    const k = utf8(key);
    const len = Uint8Array.of(k.length >>> 24, (k.length >>> 16) & 0xff, (k.length >>> 8) & 0xff, k.length & 0xff);
    const entry = sha256(Uint8Array.of(0x10), len, k, sha256(value));
    const list = buckets.get(index) ?? [];
    list.push(entry);
    buckets.set(index, list);
  }
  let level: Uint8Array[] = [];
  for (let i = 0; i < 1 << DEPTH; i++) {
    const list = buckets.get(i);
    level.push(list === undefined ? new Uint8Array(32) : sha256(Uint8Array.of(0x11), ...list.sort(compareBytes)));
  }
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(sha256(Uint8Array.of(0x12), level[i]!, level[i + 1]!));
    level = next;
  }
  return level[0]!;
}

function randomEntries(prng: Prng, n: number, prefix = "k"): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  for (let i = 0; i < n; i++) out.set(`${prefix}/${i}/${prng.nextU32().toString(36)}`, prng.bytes(1 + prng.int(40)));
  return out;
}

describe("StateTree", () => {
  const emptyRoot = new StateTree().root();

  it("has 4096 buckets and a fixed empty root", () => {
    expect(STATE_TREE_BUCKETS).toBe(4096);
    expect(toHex(emptyRoot)).toBe(toHex(referenceRoot(new Map())));
  });

  it("matches a from-scratch reference computation as writes accumulate", () => {
    const prng = new Prng(42);
    const tree = new StateTree();
    const model = new Map<string, Uint8Array>();
    for (let round = 0; round < 20; round++) {
      const writes = new Map<string, Uint8Array | null>();
      for (const [k, v] of randomEntries(prng, 30, `r${round}`)) writes.set(k, v);
      // Overwrite and delete some existing keys too.
      for (const k of [...model.keys()]) {
        const roll = prng.int(10);
        if (roll === 0) writes.set(k, null);
        else if (roll === 1) writes.set(k, prng.bytes(8));
      }
      writes.set(`never-existed-${round}`, null);
      tree.apply(writes);
      for (const [k, v] of writes) {
        if (v === null) model.delete(k);
        else model.set(k, v);
      }
      expect(toHex(tree.root())).toBe(toHex(referenceRoot(model)));
    }
  });

  it("root is independent of insertion order and batching (seeded shuffles)", () => {
    const prng = new Prng(1234);
    const entries = [...randomEntries(prng, 300)];
    const once = new StateTree();
    once.apply(new Map(entries));
    const expected = toHex(once.root());
    for (let trial = 0; trial < 5; trial++) {
      const shuffled = prng.shuffle(entries);
      const tree = new StateTree();
      // Random batch sizes, including single-key batches.
      let i = 0;
      while (i < shuffled.length) {
        const size = 1 + prng.int(50);
        tree.apply(new Map(shuffled.slice(i, i + size)));
        i += size;
      }
      expect(toHex(tree.root())).toBe(expected);
    }
  });

  it("rootWith(w) equals the root after apply(w), and does not change the tree", () => {
    const prng = new Prng(99);
    const tree = new StateTree();
    tree.apply(new Map(randomEntries(prng, 100)));
    for (let trial = 0; trial < 10; trial++) {
      const before = tree.root();
      const writes = new Map<string, Uint8Array | null>(randomEntries(prng, 1 + prng.int(20), `t${trial}`));
      if (trial % 2 === 0) writes.set([...randomEntries(prng, 1)].map(([k]) => k)[0]!, null);
      const predicted = tree.rootWith(writes);
      expect(tree.root()).toEqual(before);
      tree.apply(writes);
      expect(tree.root()).toEqual(predicted);
    }
    expect(tree.rootWith(new Map())).toEqual(tree.root());
  });

  it("deleting everything returns the empty root", () => {
    const prng = new Prng(5);
    const entries = randomEntries(prng, 200);
    const tree = new StateTree();
    tree.apply(entries);
    expect(tree.root()).not.toEqual(emptyRoot);
    const keys = prng.shuffle([...entries.keys()]);
    tree.apply(new Map(keys.slice(0, 120).map((k) => [k, null])));
    expect(tree.root()).not.toEqual(emptyRoot);
    tree.apply(new Map(keys.slice(120).map((k) => [k, null])));
    expect(tree.root()).toEqual(emptyRoot);
    // and the tree is fully reusable afterwards
    tree.apply(entries);
    const fresh = new StateTree();
    fresh.apply(entries);
    expect(tree.root()).toEqual(fresh.root());
  });

  it("a single value change changes the root; restoring it restores the root", () => {
    const prng = new Prng(6);
    const entries = randomEntries(prng, 50);
    const tree = new StateTree();
    tree.apply(entries);
    const root = tree.root();
    const [key, value] = [...entries][17]!;
    const changed = Uint8Array.from(value);
    changed[0]! ^= 1;
    expect(tree.rootWith(new Map([[key, changed]]))).not.toEqual(root);
    tree.apply(new Map([[key, changed]]));
    expect(tree.root()).not.toEqual(root);
    tree.apply(new Map([[key, value]]));
    expect(tree.root()).toEqual(root);
    // Writing the same value again is a no-op for the root.
    expect(tree.rootWith(new Map([[key, value]]))).toEqual(root);
    // Deleting a key that is not there is a no-op too.
    expect(tree.rootWith(new Map([["absent", null]]))).toEqual(root);
  });

  it("roots are copies: mutating one corrupts neither the tree nor the empty root", () => {
    const tree = new StateTree();
    const empty = tree.root();
    empty.fill(0xff);
    expect(new StateTree().root()).toEqual(emptyRoot);
    tree.apply(new Map([["a", Uint8Array.of(1)]]));
    const r = tree.root();
    const copy = Uint8Array.from(r);
    r.fill(0);
    expect(tree.root()).toEqual(copy);
    const whenDeleted = tree.rootWith(new Map([["a", null]]));
    expect(whenDeleted).toEqual(emptyRoot);
    whenDeleted.fill(1);
    tree.apply(new Map([["a", null]]));
    expect(tree.root()).toEqual(emptyRoot);
    expect(new StateTree().root()).toEqual(emptyRoot);
  });

  it("distinguishes keys from values and the empty value from absence", () => {
    const t1 = new StateTree();
    t1.apply(new Map([["ab", utf8("c")]]));
    const t2 = new StateTree();
    t2.apply(new Map([["a", utf8("bc")]]));
    expect(t1.root()).not.toEqual(t2.root());
    const t3 = new StateTree();
    t3.apply(new Map([["k", new Uint8Array(0)]]));
    expect(t3.root()).not.toEqual(emptyRoot);
  });
});

describe("ChainState and StateOverlay", () => {
  it("ChainState applies writes to values and root together", () => {
    const state = ChainState.fromEntries([
      ["a", Uint8Array.of(1)],
      ["b", Uint8Array.of(2)],
    ]);
    expect(state.size).toBe(2);
    expect(state.get("a")).toEqual(Uint8Array.of(1));
    const tree = new StateTree();
    tree.apply(new Map([["a", Uint8Array.of(1)], ["b", Uint8Array.of(2)]]));
    expect(state.root()).toEqual(tree.root());
    const writes = new Map<string, Uint8Array | null>([["a", null], ["c", Uint8Array.of(3)]]);
    const predicted = state.rootWith(writes);
    state.apply(writes);
    expect(state.root()).toEqual(predicted);
    expect(state.get("a")).toBeUndefined();
    expect(state.get("c")).toEqual(Uint8Array.of(3));
    expect(state.size).toBe(2);
    expect(new Map(state.entries())).toEqual(new Map([["b", Uint8Array.of(2)], ["c", Uint8Array.of(3)]]));
  });

  it("keysWithPrefix returns sorted matches only", () => {
    const state = ChainState.fromEntries(["kv/b", "acct/x", "kv/a", "kvx", "kv/c"].map((k) => [k, Uint8Array.of(0)] as const));
    expect(state.keysWithPrefix("kv/")).toEqual(["kv/a", "kv/b", "kv/c"]);
    expect(state.keysWithPrefix("none/")).toEqual([]);
  });

  it("overlay reads through to the base, shadows it, and delete then get is undefined", () => {
    const base = ChainState.fromEntries([
      ["a", Uint8Array.of(1)],
      ["b", Uint8Array.of(2)],
    ]);
    const overlay = new StateOverlay(base);
    expect(overlay.get("a")).toEqual(Uint8Array.of(1));
    overlay.set("a", Uint8Array.of(9));
    expect(overlay.get("a")).toEqual(Uint8Array.of(9));
    expect(base.get("a")).toEqual(Uint8Array.of(1));
    overlay.delete("b");
    expect(overlay.get("b")).toBeUndefined();
    expect(base.get("b")).toEqual(Uint8Array.of(2));
    overlay.delete("never");
    expect(overlay.get("never")).toBeUndefined();
    overlay.set("b", Uint8Array.of(3)); // set after delete
    expect(overlay.get("b")).toEqual(Uint8Array.of(3));
    expect(overlay.writes).toEqual(
      new Map<string, Uint8Array | null>([["a", Uint8Array.of(9)], ["b", Uint8Array.of(3)], ["never", null]]),
    );
  });

  it("a nested overlay sees its parent's writes and merges its own (deletes included)", () => {
    const base = ChainState.fromEntries([["a", Uint8Array.of(1)], ["b", Uint8Array.of(2)]]);
    const parent = new StateOverlay(base);
    parent.delete("a");
    const child = new StateOverlay(parent);
    expect(child.get("a")).toBeUndefined(); // parent's delete shows through
    expect(child.get("b")).toEqual(Uint8Array.of(2));
    child.set("a", Uint8Array.of(7));
    child.delete("b");
    child.set("c", Uint8Array.of(3));
    expect(parent.get("a")).toBeUndefined(); // not merged yet
    parent.merge(child);
    expect(parent.get("a")).toEqual(Uint8Array.of(7));
    expect(parent.get("b")).toBeUndefined();
    expect(parent.get("c")).toEqual(Uint8Array.of(3));
    // Applying the overlay's writes to the base yields the same view.
    const predicted = base.rootWith(parent.writes);
    base.apply(parent.writes);
    expect(base.root()).toEqual(predicted);
    expect(base.get("a")).toEqual(Uint8Array.of(7));
    expect(base.get("b")).toBeUndefined();
  });

  it("accounts encode canonically and default to empty", () => {
    const acct = { balance: (1n << 64n) - 1n, nonce: 12345 };
    expect(decodeAccount(encodeAccount(acct))).toEqual(acct);
    expect(decodeAccount(encodeAccount(EMPTY_ACCOUNT))).toEqual(EMPTY_ACCOUNT);
    expect(() => decodeAccount(Uint8Array.of(...encodeAccount(acct), 0))).toThrow();
    const state = ChainState.fromEntries([[accountKey("x"), encodeAccount({ balance: 5n, nonce: 1 })]]);
    expect(readAccount(state, "x")).toEqual({ balance: 5n, nonce: 1 });
    expect(readAccount(state, "y")).toEqual(EMPTY_ACCOUNT);
    expect(accountKey("x")).toBe("acct/x");
    expect(kvKey("k")).toBe("kv/k");
  });

  it("root order independence holds through ChainState (seeded)", () => {
    const prng = new Prng(77);
    const entries = [...randomEntries(prng, 100)];
    const roots = new Set<string>();
    for (let i = 0; i < 4; i++) roots.add(toHex(ChainState.fromEntries(prng.shuffle(entries)).root()));
    expect(roots.size).toBe(1);
  });
});

describe("StateWrites type is the Map the executor produces", () => {
  it("accepts a ReadonlyMap", () => {
    const w: StateWrites = new Map([["k", null]]);
    expect(new StateTree().rootWith(w)).toEqual(new StateTree().root());
  });
});
