// Frames of the block sync protocol, in the chain's canonical binary encoding. Each frame is one
// length-prefixed message on the stream; every decoder rejects trailing bytes and oversize
// input, so a peer's garbage becomes a DecodeError, never a half-parsed value.
import {
  DecodeError,
  decodeAll,
  HASH_BYTES,
  MAX_BLOCK_BYTES_LIMIT,
  MAX_VALIDATORS,
  Writer,
  type ChainHead,
} from "../chain/index.js";

/** An encoded seal is at most this (see chain/seal.ts decodeSeal). */
export const MAX_SEAL_BYTES = 64 + MAX_VALIDATORS * 100;
/** Largest response frame: one block and its seal with their length prefixes. */
export const MAX_SYNC_FRAME_BYTES = MAX_BLOCK_BYTES_LIMIT + MAX_SEAL_BYTES + 64;
/** Requests are a few varints. */
export const MAX_SYNC_REQUEST_BYTES = 64;
const MAX_ERROR_TEXT_BYTES = 256;

export type SyncRequest =
  | { readonly type: "status" }
  | { readonly type: "blocks"; readonly fromHeight: number; readonly count: number };

export type SyncFrame =
  | { readonly type: "status"; readonly head: ChainHead }
  /** Canonical block and seal bytes, decoded by the client with the chain's own decoders. */
  | { readonly type: "block"; readonly block: Uint8Array; readonly seal: Uint8Array }
  /** The range is over; `headHeight` tells the client whether the server has more. */
  | { readonly type: "end"; readonly headHeight: number }
  | { readonly type: "error"; readonly code: string; readonly message: string };

const REQUEST_TAGS = { status: 1, blocks: 2 } as const;
const FRAME_TAGS = { status: 1, block: 2, end: 3, error: 4 } as const;

export function encodeSyncRequest(req: SyncRequest): Uint8Array {
  const w = new Writer(32).u8(REQUEST_TAGS[req.type]);
  if (req.type === "blocks") w.uint(req.fromHeight).uint(req.count);
  return w.finish();
}

export function decodeSyncRequest(bytes: Uint8Array): SyncRequest {
  return decodeAll(bytes, MAX_SYNC_REQUEST_BYTES, (r) => {
    const tag = r.u8();
    if (tag === REQUEST_TAGS.status) return { type: "status" };
    if (tag === REQUEST_TAGS.blocks) return { type: "blocks", fromHeight: r.uint(), count: r.uint() };
    throw new DecodeError("INVALID_VALUE", `unknown sync request tag ${tag}`, { tag });
  });
}

export function encodeSyncFrame(frame: SyncFrame): Uint8Array {
  switch (frame.type) {
    case "status":
      return new Writer(64).u8(FRAME_TAGS.status).uint(frame.head.height).fixed(frame.head.hash, HASH_BYTES).uint(frame.head.timestamp).finish();
    case "block":
      return new Writer(frame.block.length + frame.seal.length + 16).u8(FRAME_TAGS.block).bytes(frame.block).bytes(frame.seal).finish();
    case "end":
      return new Writer(16).u8(FRAME_TAGS.end).uint(frame.headHeight).finish();
    case "error": {
      // Truncate by characters well under the byte cap so the decoder's limit always holds.
      return new Writer(128).u8(FRAME_TAGS.error).string(frame.code.slice(0, 32)).string(frame.message.slice(0, 60)).finish();
    }
  }
}

export function decodeSyncFrame(bytes: Uint8Array): SyncFrame {
  return decodeAll(bytes, MAX_SYNC_FRAME_BYTES, (r): SyncFrame => {
    const tag = r.u8();
    switch (tag) {
      case FRAME_TAGS.status:
        return { type: "status", head: { height: r.uint(), hash: r.fixed(HASH_BYTES), timestamp: r.uint() } };
      case FRAME_TAGS.block:
        return { type: "block", block: r.bytes(MAX_BLOCK_BYTES_LIMIT), seal: r.bytes(MAX_SEAL_BYTES) };
      case FRAME_TAGS.end:
        return { type: "end", headHeight: r.uint() };
      case FRAME_TAGS.error:
        return { type: "error", code: r.string(MAX_ERROR_TEXT_BYTES), message: r.string(MAX_ERROR_TEXT_BYTES) };
      default:
        throw new DecodeError("INVALID_VALUE", `unknown sync frame tag ${tag}`, { tag });
    }
  });
}
