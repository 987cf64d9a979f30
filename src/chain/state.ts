// World state: a flat map from namespaced string keys to canonical bytes, committed under the
// StateTree root. Accounts live under "acct/<id>", the key-value store under "kv/<key>", and
// selection modules keep their governance records under their own prefixes.
import { decodeAll, Writer } from "./encoding.js";
import { StateTree, type StateWrites } from "./state-tree.js";

export type { StateWrites } from "./state-tree.js";

export interface StateView {
  get(key: string): Uint8Array | undefined;
}

export interface Account {
  readonly balance: bigint;
  readonly nonce: number;
}

export const EMPTY_ACCOUNT: Account = { balance: 0n, nonce: 0 };

export const accountKey = (id: string): string => `acct/${id}`;
export const kvKey = (key: string): string => `kv/${key}`;

export function encodeAccount(account: Account): Uint8Array {
  return new Writer(16).u64(account.balance).uint(account.nonce).finish();
}

export function decodeAccount(bytes: Uint8Array): Account {
  return decodeAll(bytes, 32, (r) => ({ balance: r.u64(), nonce: r.uint() }));
}

export function readAccount(view: StateView, id: string): Account {
  const bytes = view.get(accountKey(id));
  return bytes === undefined ? EMPTY_ACCOUNT : decodeAccount(bytes);
}

/** The committed state: values plus the Merkle tree over them. */
export class ChainState implements StateView {
  private readonly values = new Map<string, Uint8Array>();
  private readonly tree = new StateTree();

  static fromEntries(entries: Iterable<readonly [string, Uint8Array]>): ChainState {
    const state = new ChainState();
    const writes = new Map<string, Uint8Array | null>();
    for (const [k, v] of entries) writes.set(k, v);
    state.apply(writes);
    return state;
  }

  get(key: string): Uint8Array | undefined {
    return this.values.get(key);
  }

  get size(): number {
    return this.values.size;
  }

  root(): Uint8Array {
    return this.tree.root();
  }

  rootWith(writes: StateWrites): Uint8Array {
    return this.tree.rootWith(writes);
  }

  apply(writes: StateWrites): void {
    for (const [k, v] of writes) {
      if (v === null) this.values.delete(k);
      else this.values.set(k, v);
    }
    this.tree.apply(writes);
  }

  /** Keys with a prefix, in sorted order (for governance reads and RPC listings). */
  keysWithPrefix(prefix: string): string[] {
    const out: string[] = [];
    for (const k of this.values.keys()) if (k.startsWith(prefix)) out.push(k);
    return out.sort();
  }

  entries(): IterableIterator<[string, Uint8Array]> {
    return this.values.entries();
  }
}

/** Uncommitted writes layered over a view: what a block's execution sees and produces. */
export class StateOverlay implements StateView {
  readonly writes = new Map<string, Uint8Array | null>();

  constructor(private readonly base: StateView) {}

  get(key: string): Uint8Array | undefined {
    const w = this.writes.get(key);
    if (w === null) return undefined;
    return w ?? this.base.get(key);
  }

  set(key: string, value: Uint8Array): void {
    this.writes.set(key, value);
  }

  delete(key: string): void {
    this.writes.set(key, null);
  }

  /** Fold a nested overlay's writes into this one (a tx that succeeded). */
  merge(child: StateOverlay): void {
    for (const [k, v] of child.writes) this.writes.set(k, v);
  }
}
