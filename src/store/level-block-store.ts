// The block log in LevelDB (layout: ./level-block-layout.ts). Crash safety rests on one rule:
// everything an append changes — block, seal, receipts, indexes, state, validator-set change and
// the head pointer — goes in ONE synced batch, so after a crash the disk holds a clean prefix of
// the chain and the head names its last block. Memory (state, head, validator sets) is updated
// only after that batch resolves, so it never runs ahead of the disk.
import { Level } from "level";
import type { AppendInput, AppendOptions, BlockStore, ChainHead, GenesisInit, StoredBlock, TxLocation } from "../chain/block-store.js";
import { checkAppend, checkOpen, checkValidatorsHeight, isBlockHeight, isHashHex, type StoreStatus } from "../chain/block-store-checks.js";
import { decodeBlock } from "../chain/block.js";
import { bytesEqual, fromHex, toHex } from "../chain/encoding.js";
import { assert, StoreError } from "../chain/errors.js";
import * as layout from "./level-block-layout.js";
import { decodeSeal, encodeSeal, type Seal } from "../chain/seal.js";
import { ChainState } from "../chain/state.js";
import { ValidatorHistory, type ValidatorChange } from "../chain/validator-history.js";
import type { ValidatorSet } from "../chain/validator-set.js";
import { failPoint, noteAppended } from "../fail-points.js";

export interface LevelBlockStoreOptions {
  /** Directory of the LevelDB database; created on first open. */
  readonly path: string;
}
export type LevelBlockStoreDeps = Record<never, never>;

type BinaryLevel = Level<Uint8Array, Uint8Array>;
type BatchOp = { type: "put"; key: Uint8Array; value: Uint8Array } | { type: "del"; key: Uint8Array };

interface Loaded {
  readonly head: ChainHead;
  readonly headSeal: Seal | null;
  readonly state: ChainState;
  readonly history: ValidatorHistory;
}

/** Damage found on disk: the node must not run on it. */
function corrupt(message: string, details: Record<string, unknown> = {}): StoreError {
  return new StoreError("CORRUPT", message, details);
}

/** Decode bytes read from disk; any decode failure means the disk is damaged, not the caller wrong. */
function decodeStored<T>(what: string, key: Uint8Array, bytes: Uint8Array, decode: (bytes: Uint8Array) => T): T {
  try {
    return decode(layout.plainBytes(bytes));
  } catch (err) {
    throw corrupt(`stored ${what} does not decode: ${(err as Error).message}`, { key: toHex(key), what });
  }
}

/** Most heights one getBlockBytes call reads. */
const MAX_BLOCK_BYTES_BATCH = 256;

export class LevelBlockStore implements BlockStore {
  private status: StoreStatus = "new";
  private db: BinaryLevel | null = null;
  private loaded: Loaded | null = null;
  /** Appends run one at a time, in call order: each starts when the one before it settles. */
  private appendTail: Promise<void> = Promise.resolve();

  constructor(
    private readonly options: LevelBlockStoreOptions,
    _deps: LevelBlockStoreDeps = {},
  ) {}

  async open(genesis: GenesisInit): Promise<void> {
    assert(this.status !== "open", "LevelBlockStore.open called twice");
    const db: BinaryLevel = new Level<Uint8Array, Uint8Array>(this.options.path, { keyEncoding: "view", valueEncoding: "view" });
    await db.open();
    try {
      if ((await db.get(layout.GENESIS_KEY)) === undefined) {
        // Only an empty store is new: a head without its genesis record is a damaged one (a lost
        // log record), and initializing over it would reset its head to 0 on top of its blocks.
        if ((await db.get(layout.HEAD_KEY)) !== undefined) throw corrupt("the head is stored without the genesis record", { key: "the store metadata (schema, genesis, head)" });
        await initialize(db, genesis);
      }
      this.loaded = await load(db, genesis);
    } catch (err) {
      await db.close();
      throw err;
    }
    this.db = db;
    this.appendTail = Promise.resolve();
    this.status = "open";
  }

  /** Waits for accepted appends to land, then closes the database. */
  async close(): Promise<void> {
    if (this.status !== "open") return;
    this.status = "closed";
    await this.appendTail;
    const db = this.db!;
    this.db = null;
    this.loaded = null;
    await db.close();
  }

  /**
   * A binary sublevel of this store's database (keys and values Uint8Array), for a companion
   * store that must share the LevelDB — the vote store. Its keys begin with "!name!", outside
   * every range the block store uses. Valid while the store is open.
   */
  sublevel(name: string) {
    checkOpen(this.status);
    return this.db!.sublevel<Uint8Array, Uint8Array>(name, { keyEncoding: "view", valueEncoding: "view" });
  }

  head(): ChainHead {
    checkOpen(this.status);
    return this.loaded!.head;
  }

  headSeal(): Seal | null {
    checkOpen(this.status);
    return this.loaded!.headSeal;
  }

  state(): ChainState {
    checkOpen(this.status);
    return this.loaded!.state;
  }

  validatorsAt(height: number): ValidatorSet {
    checkOpen(this.status);
    checkValidatorsHeight(this.loaded!.head, height);
    return this.loaded!.history.at(height);
  }

  append(input: AppendInput, options: AppendOptions = {}): Promise<void> {
    try {
      checkOpen(this.status);
    } catch (err) {
      return Promise.reject(err);
    }
    // The caller may reuse its writes map while this append waits its turn.
    const snapshot: AppendInput = { ...input, receipts: [...input.receipts], writes: new Map(input.writes) };
    const run = this.appendTail.then(() => this.appendNow(snapshot, options.durable ?? true));
    this.appendTail = run.catch(() => undefined);
    return run;
  }

  /** Runs alone (see append): close() waits for it, so the database is open throughout. */
  private async appendNow(input: AppendInput, durable: boolean): Promise<void> {
    const db = this.db!;
    const loaded = this.loaded!;
    checkAppend(loaded.head, loaded.state, input);
    const { block, seal, receipts, writes } = input;
    const height = block.header.height;
    const change = loaded.history.changeAt(height + 1, input.nextValidators);
    const head: ChainHead = { height, hash: block.hash, timestamp: block.header.timestamp };
    const ops: BatchOp[] = [
      { type: "put", key: layout.blockKey(height), value: block.bytes },
      { type: "put", key: layout.sealKey(height), value: encodeSeal(seal) },
      { type: "put", key: layout.receiptsKey(height), value: layout.encodeReceipts(receipts) },
      { type: "put", key: layout.hashIndexKey(block.hash), value: layout.encodeHeight(height) },
    ];
    block.txs.forEach((tx, index) => ops.push({ type: "put", key: layout.txIndexKey(tx.hash), value: layout.encodeTxIndex({ height, index }) }));
    for (const [key, value] of writes) {
      ops.push(value === null ? { type: "del", key: layout.stateKey(key) } : { type: "put", key: layout.stateKey(key), value });
    }
    if (change !== null) ops.push({ type: "put", key: layout.validatorsKey(change.height), value: layout.encodeValidatorSet(change.set) });
    ops.push({ type: "put", key: layout.HEAD_KEY, value: layout.encodeHead(head) });
    failPoint("block.before-append", height);
    await db.batch(ops, { sync: durable });
    noteAppended(height);
    failPoint("block.after-append", height);
    loaded.state.apply(writes);
    if (change !== null) loaded.history.push(change);
    this.loaded = { ...loaded, head, headSeal: seal };
  }

  async getBlock(height: number): Promise<StoredBlock | undefined> {
    checkOpen(this.status);
    if (!isBlockHeight(height)) return undefined;
    return readBlock(this.db!, height);
  }

  /**
   * The stored bytes of blocks fromHeight.. (at most `count`, stopping at the first missing
   * height) in one read, not decoded: what sync serves, since the receiver checks them all.
   */
  async getBlockBytes(fromHeight: number, count: number): Promise<{ block: Uint8Array; seal: Uint8Array }[]> {
    checkOpen(this.status);
    if (!isBlockHeight(fromHeight) || !Number.isSafeInteger(count) || count < 1) return [];
    const n = Math.min(count, MAX_BLOCK_BYTES_BATCH);
    const keys: Uint8Array[] = [];
    for (let h = fromHeight; h < fromHeight + n; h++) keys.push(layout.blockKey(h), layout.sealKey(h));
    const values = await this.db!.getMany(keys);
    const out: { block: Uint8Array; seal: Uint8Array }[] = [];
    for (let i = 0; i < n; i++) {
      const block = values[2 * i];
      const seal = values[2 * i + 1];
      if (block === undefined || seal === undefined) break;
      out.push({ block, seal });
    }
    return out;
  }

  async getBlockByHash(hash: string): Promise<StoredBlock | undefined> {
    checkOpen(this.status);
    if (!isHashHex(hash)) return undefined;
    const db = this.db!;
    const key = layout.hashIndexKey(fromHex(hash));
    const bytes = await db.get(key);
    if (bytes === undefined) return undefined;
    const height = decodeStored("hash index", key, bytes, layout.decodeHeight);
    const stored = await readBlock(db, height);
    if (stored === undefined || stored.block.id !== hash) throw corrupt(`hash index for ${hash} names height ${height}, which holds another block`, { hash, height });
    return stored;
  }

  async getTx(id: string): Promise<TxLocation | undefined> {
    checkOpen(this.status);
    if (!isHashHex(id)) return undefined;
    const db = this.db!;
    const key = layout.txIndexKey(fromHex(id));
    const bytes = await db.get(key);
    if (bytes === undefined) return undefined;
    const { height, index } = decodeStored("tx index", key, bytes, layout.decodeTxIndex);
    const stored = await readBlock(db, height);
    const tx = stored?.block.txs[index];
    if (stored === undefined || tx === undefined || tx.id !== id) throw corrupt(`tx index for ${id} names (${height}, ${index}), which holds no such tx`, { id, height, index });
    return { tx, height, index, blockHash: stored.block.hash, receipt: stored.receipts[index]! };
  }
}

/** First open: genesis meta, genesis state and the genesis validator set, in one synced batch. */
async function initialize(db: BinaryLevel, genesis: GenesisInit): Promise<void> {
  const ops: BatchOp[] = [
    { type: "put", key: layout.SCHEMA_KEY, value: layout.encodeSchema(layout.SCHEMA_VERSION) },
    { type: "put", key: layout.GENESIS_KEY, value: layout.encodeGenesis({ hash: genesis.genesisHash, timestamp: genesis.genesisTimestamp }) },
    { type: "put", key: layout.validatorsKey(1), value: layout.encodeValidatorSet(genesis.validators) },
    { type: "put", key: layout.HEAD_KEY, value: layout.encodeHead({ height: 0, hash: genesis.genesisHash, timestamp: genesis.genesisTimestamp }) },
  ];
  for (const [key, value] of genesis.writes) if (value !== null) ops.push({ type: "put", key: layout.stateKey(key), value });
  await db.batch(ops, { sync: true });
}

/** Load what memory holds, checking the pieces agree: the head's block exists and its stateRoot is the state's root. */
async function load(db: BinaryLevel, genesis: GenesisInit): Promise<Loaded> {
  const [schemaBytes, genesisBytes, headBytes] = await db.getMany([layout.SCHEMA_KEY, layout.GENESIS_KEY, layout.HEAD_KEY]);
  if (schemaBytes === undefined || genesisBytes === undefined || headBytes === undefined) throw corrupt("store metadata is missing", { key: "the store metadata (schema, genesis, head)" });
  const schema = decodeStored("schema version", layout.SCHEMA_KEY, schemaBytes, layout.decodeSchema);
  if (schema !== layout.SCHEMA_VERSION) throw corrupt(`unsupported store schema ${schema}`, { key: "the schema version", expected: layout.SCHEMA_VERSION, actual: schema });
  const stored = decodeStored("genesis", layout.GENESIS_KEY, genesisBytes, layout.decodeGenesis);
  if (!bytesEqual(stored.hash, genesis.genesisHash)) {
    throw new StoreError("GENESIS_MISMATCH", "the store holds a chain with another genesis", {
      key: "the genesis record",
      expected: toHex(stored.hash),
      actual: toHex(genesis.genesisHash),
    });
  }
  const head = decodeStored("head", layout.HEAD_KEY, headBytes, layout.decodeHead);

  const entries: [string, Uint8Array][] = [];
  for await (const [key, value] of db.iterator(layout.STATE_RANGE)) entries.push([decodeStored("state key", key, key, layout.stateKeyOf), layout.plainBytes(value)]);
  const state = ChainState.fromEntries(entries);

  const changes: ValidatorChange[] = [];
  for await (const [key, value] of db.iterator(layout.VALIDATORS_RANGE)) {
    changes.push({ height: decodeStored("validator-set key", key, key, layout.heightOfKey), set: decodeStored("validator set", key, value, layout.decodeValidatorSet) });
  }
  if (changes[0]?.height !== 1) throw corrupt("the genesis validator set is missing", { key: "the validator set of height 1" });
  if (changes[changes.length - 1]!.height > head.height + 1) throw corrupt("a validator set is recorded above the head", { key: "the validator sets", head: head.height });

  let headSeal: Seal | null = null;
  if (head.height === 0) {
    if (!bytesEqual(head.hash, stored.hash)) throw corrupt("head at height 0 is not the genesis", { key: "the head" });
  } else {
    const block = await readBlock(db, head.height);
    if (block === undefined) throw corrupt(`head names block ${head.height}, which is missing`, { height: head.height });
    if (!bytesEqual(block.block.hash, head.hash)) throw corrupt(`head hash does not match block ${head.height}`, { height: head.height });
    if (!bytesEqual(block.block.header.stateRoot, state.root())) {
      throw corrupt(`stored state does not match the stateRoot of block ${head.height}`, {
        key: `the state (block ${head.height}'s stateRoot)`,
        expected: toHex(block.block.header.stateRoot),
        actual: toHex(state.root()),
      });
    }
    headSeal = block.seal;
  }
  return { head: { height: head.height, hash: head.hash, timestamp: head.timestamp }, headSeal, state, history: ValidatorHistory.fromChanges(changes) };
}

async function readBlock(db: BinaryLevel, height: number): Promise<StoredBlock | undefined> {
  const keys = [layout.blockKey(height), layout.sealKey(height), layout.receiptsKey(height)] as const;
  const [blockBytes, sealBytes, receiptBytes] = await db.getMany([...keys]);
  if (blockBytes === undefined) {
    if (sealBytes !== undefined || receiptBytes !== undefined) throw corrupt(`block ${height} is missing but its seal or receipts are stored`, { height });
    return undefined;
  }
  if (sealBytes === undefined || receiptBytes === undefined) throw corrupt(`block ${height} is stored without its seal or receipts`, { height });
  const block = decodeStored("block", keys[0], blockBytes, decodeBlock);
  const seal = decodeStored("seal", keys[1], sealBytes, decodeSeal);
  const receipts = decodeStored("receipts", keys[2], receiptBytes, layout.decodeReceipts);
  if (block.header.height !== height || seal.height !== height || !bytesEqual(seal.blockHash, block.hash) || receipts.length !== block.txs.length) {
    throw corrupt(`the records stored at height ${height} do not belong together`, { height });
  }
  return { block, seal, receipts };
}
