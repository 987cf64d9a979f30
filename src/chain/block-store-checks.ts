// The rules every BlockStore enforces, kept in one place so LevelBlockStore and MemoryBlockStore
// refuse exactly the same inputs with exactly the same errors. Refusals a correct caller can
// hit (a stale or forked block, a closed store) are StoreErrors; inputs only a bug produces (a
// seal for another block, receipts that do not match the txs, writes that do not produce the
// header's state root) are assertions: persisting them would corrupt the log for good.
import type { AppendInput, ChainHead } from "./block-store.js";
import { bytesEqual, toHex } from "./encoding.js";
import { assert, StoreError } from "./errors.js";
import type { ChainState } from "./state.js";

export type StoreStatus = "new" | "open" | "closed";

export function checkOpen(status: StoreStatus): void {
  if (status === "new") throw new StoreError("NOT_INITIALIZED", "the block store is not open");
  if (status === "closed") throw new StoreError("CLOSED", "the block store is closed");
}

/**
 * Throws unless `input` extends `head`. Runs before anything is written, so a refused append
 * leaves the store exactly as it was.
 */
export function checkAppend(head: ChainHead, state: ChainState, input: AppendInput): void {
  const { block, seal, receipts, writes } = input;
  const header = block.header;
  if (header.height !== head.height + 1) {
    throw new StoreError("BAD_HEIGHT", `block height ${header.height} does not follow head ${head.height}`, {
      expected: head.height + 1,
      actual: header.height,
    });
  }
  if (!bytesEqual(header.parentHash, head.hash)) {
    throw new StoreError("PARENT_MISMATCH", `block ${header.height} does not extend the head block`, {
      expected: toHex(head.hash),
      actual: toHex(header.parentHash),
    });
  }
  assert(seal.height === header.height && bytesEqual(seal.blockHash, block.hash), `seal is not for block ${header.height} (${block.id})`);
  assert(receipts.length === block.txs.length, `block ${header.height} has ${block.txs.length} txs but ${receipts.length} receipts`);
  assert(bytesEqual(state.rootWith(writes), header.stateRoot), `state writes of block ${header.height} do not produce its stateRoot`);
}

/** validatorsAt is answerable from height 1 (the genesis set) up to the next block's height. */
export function checkValidatorsHeight(head: ChainHead, height: number): void {
  if (!Number.isSafeInteger(height) || height < 1 || height > head.height + 1) {
    throw new StoreError("BAD_HEIGHT", `no validator set is known for height ${height}`, {
      expected: `1..${head.height + 1}`,
      actual: height,
    });
  }
}

/** Heights from callers (RPC, sync) that can name no stored block read as absent, not as errors. */
export function isBlockHeight(height: number): boolean {
  return Number.isSafeInteger(height) && height >= 1;
}

const HASH_HEX = /^[0-9a-f]{64}$/;

/** Block hashes and tx ids are 32-byte lower-case hex; anything else names nothing stored. */
export function isHashHex(id: string): boolean {
  return HASH_HEX.test(id);
}
