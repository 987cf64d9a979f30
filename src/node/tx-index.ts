// A bounded, in-memory index of the txs in the most recent blocks, for `tx_search` by sender.
// The block store indexes txs by id only; a full sender index would grow with the chain, so
// the node keeps the last `maxBlocks` blocks' txs and says so (`total` counts what it holds).
// A search by height alone needs no index: the block itself is read from the store.
import { type BlockStore, type StoredBlock, type TxLocation } from "../chain/index.js";
import type { TxPage, TxQuery, TxSearchResult } from "../rpc/node-api.js";

export const TX_INDEX_DEFAULT_BLOCKS = 1000;

export function txLocations(stored: StoredBlock): TxLocation[] {
  const { block, receipts } = stored;
  return block.txs.map((tx, index) => ({ tx, height: block.header.height, index, blockHash: block.hash, receipt: receipts[index]! }));
}

export class RecentTxIndex {
  /** One entry per indexed block, oldest first (heights ascending, no gaps). */
  private readonly blocks: TxLocation[][] = [];
  private firstHeight = 1;

  constructor(private readonly maxBlocks: number = TX_INDEX_DEFAULT_BLOCKS) {
    if (!Number.isSafeInteger(maxBlocks) || maxBlocks < 1) throw new RangeError("tx index maxBlocks must be a positive integer");
  }

  /** Fill from the store's last `maxBlocks` blocks (at startup). */
  async load(store: Pick<BlockStore, "head" | "getBlock">): Promise<void> {
    const head = store.head().height;
    this.blocks.length = 0;
    this.firstHeight = Math.max(1, head - this.maxBlocks + 1);
    for (let h = this.firstHeight; h <= head; h++) {
      const stored = await store.getBlock(h);
      this.blocks.push(stored === undefined ? [] : txLocations(stored));
    }
  }

  /** Called for each appended block, in height order. */
  add(stored: StoredBlock): void {
    const height = stored.block.header.height;
    const next = this.firstHeight + this.blocks.length;
    if (height < next) return;
    if (height > next) {
      // A gap cannot happen (appends are in order), but never index out of order.
      this.blocks.length = 0;
      this.firstHeight = height;
    }
    this.blocks.push(txLocations(stored));
    while (this.blocks.length > this.maxBlocks) {
      this.blocks.shift();
      this.firstHeight++;
    }
  }

  search(query: TxQuery, page: TxPage): TxSearchResult {
    const matches: TxLocation[] = [];
    const { sender, height } = query;
    const from = height ?? this.firstHeight;
    const to = height ?? this.firstHeight + this.blocks.length - 1;
    for (let h = from; h <= to; h++) {
      const list = this.blocks[h - this.firstHeight];
      if (list === undefined) continue;
      for (const loc of list) if (sender === undefined || loc.tx.sender === sender) matches.push(loc);
    }
    if (page.order === "desc") matches.reverse();
    return { txs: matches.slice(page.offset, page.offset + page.limit), total: matches.length };
  }

  /** Oldest indexed height, for logs. */
  get oldestHeight(): number {
    return this.firstHeight;
  }
}
