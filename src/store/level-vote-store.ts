// The durable record of this validator's own votes in LevelDB: `record` resolves only after a
// synced put, so a vote that was sent can never be forgotten by a crash.
//
// Where it lives: either its own database (`{ path }`), or a database someone else owns
// (`{ db }`), normally `levelBlockStore.sublevel("votes")` so the node keeps one LevelDB. With
// `{ db }` the owner opens and closes it; this store's open()/close() only start and end its use.
//
// Key: "v" · height (u64 BE) · view (u64 BE) · phase index (u8); value: the signed message as
// given. Fixed-width big-endian fields make LevelDB's byte order the (height, view, phase) order,
// so load() is one range scan and pruneBelow(h) one range below h's first key. The "v" prefix
// keeps these keys clear of the block store's (all below 0x21) even if handed its root database.
import { Level } from "level";
import type { VotePhase, VoteRecord, VoteStore } from "../chain/block-store.js";
import { checkOpen, type StoreStatus } from "../chain/block-store-checks.js";
import { StoreError } from "../chain/errors.js";
import { plainBytes } from "./level-block-layout.js";
import { checkVoteRecord, VOTE_PHASES, votePhaseIndex } from "../chain/vote-order.js";
import { failPoint } from "../fail-points.js";

/** The part of an abstract-level database (a Level or a sublevel, binary keys and values) this store uses. */
export interface VoteDatabase {
  put(key: Uint8Array, value: Uint8Array, options: { sync?: boolean }): Promise<void>;
  batch(operations: ({ type: "del"; key: Uint8Array } | { type: "put"; key: Uint8Array; value: Uint8Array })[], options: { sync?: boolean }): Promise<void>;
  iterator(options: { gte: Uint8Array; lt: Uint8Array }): AsyncIterable<[Uint8Array, Uint8Array]>;
  keys(options: { gte: Uint8Array; lt: Uint8Array }): AsyncIterable<Uint8Array>;
}

export type LevelVoteStoreOptions = { readonly path: string } | { readonly db: VoteDatabase };
export type LevelVoteStoreDeps = Record<never, never>;

const PREFIX = 0x76;
const KEY_BYTES = 18;
const RANGE = { gte: Uint8Array.of(PREFIX), lt: Uint8Array.of(PREFIX + 1) };

function voteKey(height: number, view: number, phase: number): Uint8Array {
  const key = new Uint8Array(KEY_BYTES);
  const dv = new DataView(key.buffer);
  key[0] = PREFIX;
  dv.setUint32(1, Math.floor(height / 2 ** 32));
  dv.setUint32(5, height >>> 0);
  dv.setUint32(9, Math.floor(view / 2 ** 32));
  dv.setUint32(13, view >>> 0);
  key[17] = phase;
  return key;
}

function decodeVote(key: Uint8Array, bytes: Uint8Array): VoteRecord {
  const phase: VotePhase | undefined = VOTE_PHASES[key[17]!];
  if (key.length !== KEY_BYTES || phase === undefined) {
    throw new StoreError("CORRUPT", "a stored vote has a malformed key", { key: Buffer.from(key).toString("hex") });
  }
  const dv = new DataView(key.buffer, key.byteOffset, key.byteLength);
  const height = dv.getUint32(1) * 2 ** 32 + dv.getUint32(5);
  const view = dv.getUint32(9) * 2 ** 32 + dv.getUint32(13);
  // record() writes only safe integers: a key above 2^53 is damage, and as a number it would be
  // rounded, and so replayed as a vote at another (height, view).
  if (!Number.isSafeInteger(height) || !Number.isSafeInteger(view)) {
    throw new StoreError("CORRUPT", "a stored vote's key holds a height or view above 2^53", { key: Buffer.from(key).toString("hex") });
  }
  return { height, view, phase, bytes: plainBytes(bytes) };
}

export class LevelVoteStore implements VoteStore {
  private status: StoreStatus = "new";
  private db: VoteDatabase | null = null;
  /** Set when this store opened the database itself and so must close it. */
  private owned: Level<Uint8Array, Uint8Array> | null = null;

  constructor(
    private readonly options: LevelVoteStoreOptions,
    _deps: LevelVoteStoreDeps = {},
  ) {}

  async open(): Promise<void> {
    if (this.status === "open") return;
    if ("db" in this.options) {
      this.db = this.options.db;
    } else {
      const owned = new Level<Uint8Array, Uint8Array>(this.options.path, { keyEncoding: "view", valueEncoding: "view" });
      await owned.open();
      this.owned = owned;
      this.db = owned;
    }
    this.status = "open";
  }

  async close(): Promise<void> {
    if (this.status !== "open") return;
    this.status = "closed";
    this.db = null;
    const owned = this.owned;
    this.owned = null;
    await owned?.close();
  }

  async record(vote: VoteRecord): Promise<void> {
    checkOpen(this.status);
    checkVoteRecord(vote);
    failPoint("vote.before-sync", vote.height);
    await this.db!.put(voteKey(vote.height, vote.view, votePhaseIndex(vote.phase)), vote.bytes, { sync: true });
    failPoint("vote.after-sync", vote.height);
  }

  async recordAll(votes: readonly VoteRecord[]): Promise<void> {
    checkOpen(this.status);
    for (const vote of votes) checkVoteRecord(vote);
    const operations = votes.map((vote) => ({ type: "put" as const, key: voteKey(vote.height, vote.view, votePhaseIndex(vote.phase)), value: vote.bytes }));
    failPoint("vote.before-sync", votes[0]?.height);
    if (operations.length > 0) await this.db!.batch(operations, { sync: true });
    failPoint("vote.after-sync", votes[0]?.height);
  }

  async load(): Promise<VoteRecord[]> {
    checkOpen(this.status);
    const votes: VoteRecord[] = [];
    for await (const [key, value] of this.db!.iterator(RANGE)) votes.push(decodeVote(key, value));
    return votes;
  }

  async pruneBelow(height: number): Promise<void> {
    checkOpen(this.status);
    if (!Number.isSafeInteger(height) || height <= 0) return;
    const db = this.db!;
    const operations: { type: "del"; key: Uint8Array }[] = [];
    for await (const key of db.keys({ gte: RANGE.gte, lt: voteKey(height, 0, 0) })) operations.push({ type: "del", key });
    failPoint("votes.before-prune", height);
    // Not synced: a prune lost in a crash only leaves votes that the next prune removes.
    if (operations.length > 0) await db.batch(operations, { sync: false });
  }
}
