// A bounded, in-memory index of the txs in the most recent blocks, for `tx_search` by sender.
// The block store indexes txs by id only; a full sender index would grow with the chain, so
// the node keeps the last `maxBlocks` blocks (and at most `maxTxs` txs) and says so (`total`
// counts what it holds). It holds only each tx's sender: a page of results is read back from
// the store, so the index never keeps tx bodies, receipts or block buffers alive (under load,
// 1000 blocks of full TxLocations held hundreds of MB). A search by height alone needs no
// index: the block itself is read from the store.
import { type BlockStore, type StoredBlock, type TxLocation } from "../chain/index.js";
import type { TxPage, TxQuery } from "../rpc/node-api.js";

export const TX_INDEX_DEFAULT_BLOCKS = 1000;
export const TX_INDEX_DEFAULT_TXS = 200_000;

export function txLocations(stored: StoredBlock): TxLocation[] {
  const { block, receipts } = stored;
  return block.txs.map((tx, index) => ({ tx, height: block.header.height, index, blockHash: block.hash, receipt: receipts[index]! }));
}

/** Where a matching tx is: the block height and its index in the block. */
export interface TxRef {
  readonly height: number;
  readonly index: number;
}

export interface TxRefPage {
  readonly refs: readonly TxRef[];
  readonly total: number;
}

export class RecentTxIndex {
  /** The senders of each indexed block's txs, in block order; oldest block first, no gaps. */
  private readonly blocks: string[][] = [];
  private firstHeight = 1;
  private txs = 0;
  /**
   * One copy of each sender string the index holds, with how many indexed txs name it: a busy
   * account sends many of the 200,000 txs, and a 64-character string per tx was about 18 MB.
   */
  private readonly interned = new Map<string, { readonly sender: string; refs: number }>();

  constructor(
    private readonly maxBlocks: number = TX_INDEX_DEFAULT_BLOCKS,
    private readonly maxTxs: number = TX_INDEX_DEFAULT_TXS,
  ) {
    if (!Number.isSafeInteger(maxBlocks) || maxBlocks < 1) throw new RangeError("tx index maxBlocks must be a positive integer");
    if (!Number.isSafeInteger(maxTxs) || maxTxs < 1) throw new RangeError("tx index maxTxs must be a positive integer");
  }

  /** Fill from the store's last blocks (at startup), newest first until a bound is reached. */
  async load(store: Pick<BlockStore, "head" | "getBlock">): Promise<void> {
    const head = store.head().height;
    const loaded: string[][] = [];
    let txs = 0;
    for (let h = head; h >= 1 && loaded.length < this.maxBlocks; h--) {
      const stored = await store.getBlock(h);
      const senders = stored === undefined ? [] : stored.block.txs.map((tx) => tx.sender);
      if (loaded.length > 0 && txs + senders.length > this.maxTxs) break;
      for (let i = 0; i < senders.length; i++) senders[i] = this.intern(senders[i]!);
      loaded.push(senders);
      txs += senders.length;
    }
    loaded.reverse();
    for (const dropped of this.blocks) this.release(dropped);
    this.blocks.length = 0;
    this.blocks.push(...loaded);
    this.txs = txs;
    this.firstHeight = head - loaded.length + 1;
  }

  /** Called for each appended block, in height order. */
  add(stored: StoredBlock): void {
    const height = stored.block.header.height;
    const next = this.firstHeight + this.blocks.length;
    if (height < next) return;
    if (height > next) {
      // A gap cannot happen (appends are in order), but never index out of order.
      for (const dropped of this.blocks) this.release(dropped);
      this.blocks.length = 0;
      this.txs = 0;
      this.firstHeight = height;
    }
    const senders = stored.block.txs.map((tx) => this.intern(tx.sender));
    this.blocks.push(senders);
    this.txs += senders.length;
    // The newest block always stays, even alone over maxTxs (a block holds at most 10,000).
    while (this.blocks.length > 1 && (this.blocks.length > this.maxBlocks || this.txs > this.maxTxs)) {
      const dropped = this.blocks.shift()!;
      this.release(dropped);
      this.txs -= dropped.length;
      this.firstHeight++;
    }
  }

  private intern(sender: string): string {
    const entry = this.interned.get(sender);
    if (entry !== undefined) {
      entry.refs++;
      return entry.sender;
    }
    this.interned.set(sender, { sender, refs: 1 });
    return sender;
  }

  private release(senders: readonly string[]): void {
    for (const sender of senders) {
      const entry = this.interned.get(sender);
      if (entry !== undefined && --entry.refs === 0) this.interned.delete(sender);
    }
  }

  search(query: TxQuery, page: TxPage): TxRefPage {
    const matches: TxRef[] = [];
    const { sender, height } = query;
    const from = height ?? this.firstHeight;
    const to = height ?? this.firstHeight + this.blocks.length - 1;
    for (let h = from; h <= to; h++) {
      const list = this.blocks[h - this.firstHeight];
      if (list === undefined) continue;
      for (let index = 0; index < list.length; index++) if (sender === undefined || list[index] === sender) matches.push({ height: h, index });
    }
    if (page.order === "desc") matches.reverse();
    return { refs: matches.slice(page.offset, page.offset + page.limit), total: matches.length };
  }

  /** Oldest indexed height, for logs. */
  get oldestHeight(): number {
    return this.firstHeight;
  }

  /** Distinct senders among the indexed txs. */
  get senders(): number {
    return this.interned.size;
  }

  /** Txs indexed now (at most maxTxs, unless the newest block alone holds more). */
  get size(): number {
    return this.txs;
  }
}

/** Read a page of refs back from the store, each block once. */
export async function locate(store: Pick<BlockStore, "getBlock">, refs: readonly TxRef[]): Promise<TxLocation[]> {
  const blocks = new Map<number, StoredBlock | undefined>();
  const out: TxLocation[] = [];
  for (const ref of refs) {
    if (!blocks.has(ref.height)) blocks.set(ref.height, await store.getBlock(ref.height));
    const stored = blocks.get(ref.height);
    const tx = stored?.block.txs[ref.index];
    if (stored === undefined || tx === undefined) continue;
    out.push({ tx, height: ref.height, index: ref.index, blockHash: stored.block.hash, receipt: stored.receipts[ref.index]! });
  }
  return out;
}
