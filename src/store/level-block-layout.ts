// LevelBlockStore's on-disk layout: every key and value it writes, in the canonical codec.
//
//   key                                   value
//   00 01                                 schema version: uint
//   00 02                                 genesis: hash (32) · timestamp uint
//   00 03                                 head: height uint · hash (32) · timestamp uint
//   01 · height (u64 BE)                  block: the block's canonical bytes
//   02 · height                           seal (encodeSeal)
//   03 · height                           receipts: count uint · receipt…
//   04 · block hash (32)                  height: uint
//   05 · tx id (32)                       height uint · index uint
//   06 · utf8(state key)                  state value bytes, as committed
//   07 · height                           validator set first in force at height: count · id (32)…
//                                         · standing count · (id (32) · failures uint · lastFailure
//                                         uint · flags u8: 1 suspended, 2 signed)…
//
// Heights are fixed-width big-endian so LevelDB's byte order is numeric order. Prefixes are
// single bytes below 0x21, so a sublevel of the same database (its keys begin with "!name!")
// can never collide with these or fall inside one of their ranges.
import { decodeAll, fromHex, toHex, utf8, Writer, type Reader } from "../chain/encoding.js";
import { DecodeError } from "../chain/errors.js";
import { HASH_BYTES } from "../chain/hash.js";
import { MAX_BLOCK_TXS_LIMIT } from "../chain/block.js";
import { PUBLIC_KEY_BYTES } from "../chain/keys.js";
import { readReceipt, writeReceipt, MAX_LOG_BYTES, type Receipt } from "../chain/receipt.js";
import { MAX_VALIDATORS, validatorSet, type StandingEntry, type ValidatorSet } from "../chain/validator-set.js";

/** 2: blocks carry lastCommit, validator sets carry the proposer standing. */
export const SCHEMA_VERSION = 2;

/**
 * classic-level hands back Buffers even under the "view" encoding. Callers get plain
 * Uint8Arrays (a view, no copy): Buffer's slice shares memory where Uint8Array's copies, and
 * values compared or hashed elsewhere should not depend on which one they got.
 */
export function plainBytes(bytes: Uint8Array): Uint8Array {
  return bytes.constructor === Uint8Array ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

const META = 0x00;
const BLOCK = 0x01;
const SEAL = 0x02;
const RECEIPTS = 0x03;
const HASH_INDEX = 0x04;
const TX_INDEX = 0x05;
const STATE = 0x06;
const VALIDATORS = 0x07;

export const SCHEMA_KEY = Uint8Array.of(META, 0x01);
export const GENESIS_KEY = Uint8Array.of(META, 0x02);
export const HEAD_KEY = Uint8Array.of(META, 0x03);

/** [gte, lt) bounds covering every key under a one-byte prefix. */
export interface KeyRange {
  readonly gte: Uint8Array;
  readonly lt: Uint8Array;
}

const prefixRange = (prefix: number): KeyRange => ({ gte: Uint8Array.of(prefix), lt: Uint8Array.of(prefix + 1) });
export const BLOCK_RANGE = prefixRange(BLOCK);
export const STATE_RANGE = prefixRange(STATE);
export const VALIDATORS_RANGE = prefixRange(VALIDATORS);

function heightKey(prefix: number, height: number): Uint8Array {
  const key = new Uint8Array(9);
  key[0] = prefix;
  const view = new DataView(key.buffer);
  view.setUint32(1, Math.floor(height / 2 ** 32));
  view.setUint32(5, height >>> 0);
  return key;
}

function prefixed(prefix: number, rest: Uint8Array): Uint8Array {
  const key = new Uint8Array(rest.length + 1);
  key[0] = prefix;
  key.set(rest, 1);
  return key;
}

export const blockKey = (height: number): Uint8Array => heightKey(BLOCK, height);
export const sealKey = (height: number): Uint8Array => heightKey(SEAL, height);
export const receiptsKey = (height: number): Uint8Array => heightKey(RECEIPTS, height);
export const validatorsKey = (height: number): Uint8Array => heightKey(VALIDATORS, height);
export const hashIndexKey = (hash: Uint8Array): Uint8Array => prefixed(HASH_INDEX, hash);
export const txIndexKey = (txHash: Uint8Array): Uint8Array => prefixed(TX_INDEX, txHash);
export const stateKey = (key: string): Uint8Array => prefixed(STATE, utf8(key));

/** The height in a height-keyed record's key (the validator-set records are read this way). */
export function heightOfKey(key: Uint8Array): number {
  if (key.length !== 9) throw new RangeError(`height key of ${key.length} bytes`);
  const view = new DataView(key.buffer, key.byteOffset, key.byteLength);
  const height = view.getUint32(1) * 2 ** 32 + view.getUint32(5);
  if (!Number.isSafeInteger(height)) throw new RangeError(`height key ${toHex(key)} out of range`);
  return height;
}

const keyDecoder = new TextDecoder("utf-8", { fatal: true });

export function stateKeyOf(key: Uint8Array): string {
  return keyDecoder.decode(key.subarray(1));
}

export interface HeadRecord {
  readonly height: number;
  readonly hash: Uint8Array;
  readonly timestamp: number;
}

export interface GenesisRecord {
  readonly hash: Uint8Array;
  readonly timestamp: number;
}

export interface TxIndexRecord {
  readonly height: number;
  readonly index: number;
}

export const encodeSchema = (version: number): Uint8Array => new Writer(4).uint(version).finish();
export const decodeSchema = (bytes: Uint8Array): number => decodeAll(bytes, 16, (r) => r.uint());

export const encodeGenesis = (g: GenesisRecord): Uint8Array => new Writer(48).fixed(g.hash, HASH_BYTES).uint(g.timestamp).finish();
export const decodeGenesis = (bytes: Uint8Array): GenesisRecord =>
  decodeAll(bytes, 64, (r) => ({ hash: r.fixed(HASH_BYTES), timestamp: r.uint() }));

export const encodeHead = (h: HeadRecord): Uint8Array => new Writer(64).uint(h.height).fixed(h.hash, HASH_BYTES).uint(h.timestamp).finish();
export const decodeHead = (bytes: Uint8Array): HeadRecord =>
  decodeAll(bytes, 64, (r) => ({ height: r.uint(), hash: r.fixed(HASH_BYTES), timestamp: r.uint() }));

export const encodeHeight = (height: number): Uint8Array => new Writer(10).uint(height).finish();
export const decodeHeight = (bytes: Uint8Array): number => decodeAll(bytes, 16, (r) => r.uint());

export const encodeTxIndex = (t: TxIndexRecord): Uint8Array => new Writer(16).uint(t.height).uint(t.index).finish();
export const decodeTxIndex = (bytes: Uint8Array): TxIndexRecord =>
  decodeAll(bytes, 32, (r) => ({ height: r.uint(), index: r.uint(MAX_BLOCK_TXS_LIMIT - 1) }));

export function encodeReceipts(receipts: readonly Receipt[]): Uint8Array {
  const w = new Writer(16 + receipts.length * 8).uint(receipts.length);
  for (const receipt of receipts) writeReceipt(w, receipt);
  return w.finish();
}

export function decodeReceipts(bytes: Uint8Array): Receipt[] {
  return decodeAll(bytes, 16 + MAX_BLOCK_TXS_LIMIT * (MAX_LOG_BYTES + 8), (r: Reader) => {
    const count = r.count(MAX_BLOCK_TXS_LIMIT);
    const receipts: Receipt[] = [];
    for (let i = 0; i < count; i++) receipts.push(readReceipt(r));
    return receipts;
  });
}

export function encodeValidatorSet(set: ValidatorSet): Uint8Array {
  const standing = set.standing ?? [];
  const w = new Writer(16 + set.members.length * PUBLIC_KEY_BYTES + standing.length * 48).uint(set.members.length);
  for (const id of set.members) w.fixed(fromHex(id, PUBLIC_KEY_BYTES), PUBLIC_KEY_BYTES);
  w.uint(standing.length);
  for (const e of standing) {
    w.fixed(fromHex(e.validator, PUBLIC_KEY_BYTES), PUBLIC_KEY_BYTES).uint(e.failures).uint(e.lastFailure).u8((e.suspended ? 1 : 0) | (e.signed ? 2 : 0));
  }
  return w.finish();
}

function readStanding(r: Reader, members: readonly string[]): StandingEntry[] {
  const count = r.count(members.length);
  const out: StandingEntry[] = [];
  for (let i = 0; i < count; i++) {
    const validator = toHex(r.fixed(PUBLIC_KEY_BYTES));
    const previous = out[out.length - 1];
    if (previous !== undefined && !(previous.validator < validator)) throw new DecodeError("NON_CANONICAL", "standing entries are not sorted and distinct", { index: i });
    if (!members.includes(validator)) throw new DecodeError("INVALID_VALUE", "a standing entry names a non-member", { index: i });
    const failures = r.uint();
    const lastFailure = r.uint();
    const flags = r.u8();
    if (flags > 3) throw new DecodeError("INVALID_VALUE", "unknown standing flags", { index: i, flags });
    out.push({ validator, failures, lastFailure, suspended: (flags & 1) !== 0, signed: (flags & 2) !== 0 });
  }
  return out;
}

export function decodeValidatorSet(bytes: Uint8Array): ValidatorSet {
  return decodeAll(bytes, 16 + MAX_VALIDATORS * (PUBLIC_KEY_BYTES + 48), (r) => {
    const count = r.count(MAX_VALIDATORS);
    const ids: string[] = [];
    for (let i = 0; i < count; i++) ids.push(toHex(r.fixed(PUBLIC_KEY_BYTES)));
    const set = validatorSet(ids);
    if (set.members.length !== ids.length || set.members.some((id, i) => id !== ids[i])) throw new DecodeError("NON_CANONICAL", "validator set is not sorted and distinct");
    const standing = readStanding(r, set.members);
    return standing.length === 0 ? set : { ...set, standing };
  });
}
