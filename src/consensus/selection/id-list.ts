// A sorted list of distinct 32-byte ids (validators, candidates, voters): the one record shape
// the selection modules keep in state. Strictly ascending on the wire, so each list has exactly
// one encoding and two nodes that hold the same members hash the same state root.
import { compareBytes, decodeAll, DecodeError, fromHex, PUBLIC_KEY_BYTES, toHex, Writer, type Reader } from "../../chain/index.js";

export function writeIdList(w: Writer, ids: readonly string[]): Writer {
  w.uint(ids.length);
  for (const id of ids) w.fixed(fromHex(id, PUBLIC_KEY_BYTES), PUBLIC_KEY_BYTES);
  return w;
}

/** Reads `count` ids, each strictly above the one before (rejects duplicates and disorder). */
export function readIdList(r: Reader, max: number): string[] {
  const count = r.count(max);
  const out: string[] = [];
  let previous: Uint8Array | undefined;
  for (let i = 0; i < count; i++) {
    const id = r.fixed(PUBLIC_KEY_BYTES);
    if (previous !== undefined && compareBytes(previous, id) >= 0) {
      throw new DecodeError("NON_CANONICAL", "ids must be distinct and in ascending order", { index: i });
    }
    previous = id;
    out.push(toHex(id));
  }
  return out;
}

export function encodeIdList(ids: readonly string[]): Uint8Array {
  return writeIdList(new Writer(8 + ids.length * PUBLIC_KEY_BYTES), ids).finish();
}

export function decodeIdList(bytes: Uint8Array, max: number): string[] {
  return decodeAll(bytes, 10 + max * PUBLIC_KEY_BYTES, (r) => readIdList(r, max));
}

// Lower-case hex of equal-length ids sorts exactly as the bytes do, so string order is the
// canonical order here.
function search(ids: readonly string[], id: string): { found: boolean; index: number } {
  let lo = 0;
  let hi = ids.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ids[mid]! < id) lo = mid + 1;
    else hi = mid;
  }
  return { found: ids[lo] === id, index: lo };
}

export function includesId(ids: readonly string[], id: string): boolean {
  return search(ids, id).found;
}

/** A new sorted list with `id` added (the same list when it is already there). */
export function withId(ids: readonly string[], id: string): readonly string[] {
  const { found, index } = search(ids, id);
  return found ? ids : [...ids.slice(0, index), id, ...ids.slice(index)];
}

/** A new sorted list without `id` (the same list when it is not there). */
export function withoutId(ids: readonly string[], id: string): readonly string[] {
  const { found, index } = search(ids, id);
  return found ? [...ids.slice(0, index), ...ids.slice(index + 1)] : ids;
}
