import { beforeEach, describe, expect, it } from "vitest";
import { pino } from "pino";
import {
  Mempool,
  MEMPOOL_DEFAULTS,
  MempoolError,
  signTx,
  toHex,
  transferKind,
  type SignedTx,
  type StoredBlock,
  type TxLocation,
} from "../../../src/chain/index.js";
import { MemoryBlockStore } from "../../../src/store/memory.js";
import { poaSelection } from "../../../src/consensus/selection/index.js";
import { TriadNodeApi } from "../../../src/node/node-api.js";
import { RecentTxIndex } from "../../../src/node/tx-index.js";
import { chainFixture, nextAppend, type ChainFixture } from "../../fixtures/chain-fixture.js";

const logger = pino({ level: "silent" });

interface Harness {
  fx: ChainFixture;
  store: MemoryBlockStore;
  mempool: Mempool;
  api: TriadNodeApi;
  published: SignedTx[];
  /** Append the fixture's next block and tell the API, as the node's onAppended does. */
  append(txs?: number): Promise<StoredBlock>;
}

async function harness(): Promise<Harness> {
  const fx = chainFixture();
  const store = new MemoryBlockStore();
  await store.open(fx.init);
  const mempool = new Mempool({ chainId: fx.chainId, ...MEMPOOL_DEFAULTS }, { registry: fx.registry, state: () => store.state() });
  const published: SignedTx[] = [];
  const txIndex = new RecentTxIndex(3);
  const api = new TriadNodeApi(
    { genesis: fx.genesis, moniker: "unit", version: "9.9.9", nodeId: "12D3KooWtest", nodeKey: fx.validatorId(0) },
    {
      store,
      mempool,
      registry: fx.registry,
      selection: poaSelection,
      txIndex,
      network: { listenAddrs: () => ["/ip4/127.0.0.1/tcp/1"], connections: () => [], publishTx: (tx) => published.push(tx) },
      consensus: () => null,
      syncing: () => false,
      logger,
    },
  );
  return {
    fx,
    store,
    mempool,
    api,
    published,
    async append(txs = 2) {
      const input = nextAppend(fx, store, { txs });
      await store.append(input);
      mempool.removeIncluded(input.block.txs);
      const stored = { block: input.block, seal: input.seal, receipts: input.receipts };
      api.blockAppended(stored);
      return stored;
    },
  };
}

function transfer(h: Harness, account: number, nonce: number, amount = 1n): SignedTx {
  const from = h.fx.accounts[account]!;
  const payload = transferKind.encode({ to: h.fx.accounts[(account + 1) % 4]!.publicKey, amount });
  return signTx({ chainId: h.fx.chainId, from: from.publicKey, nonce, kind: "transfer", payload }, from.secretKey);
}

describe("TriadNodeApi", () => {
  let h: Harness;
  beforeEach(async () => {
    h = await harness();
  });

  it("reports the head, identity and validator status", async () => {
    await h.append();
    const s = h.api.status();
    expect(s.height).toBe(1);
    expect(s.validatorId).toBe(h.fx.validatorId(0));
    expect(s.appHash).toEqual(h.store.state().root());
    expect(s.version).toBe("9.9.9");
    expect(h.api.consensusState()).toMatchObject({ height: 2, view: 0, primary: poaSelection.primary(h.store.validatorsAt(2), 2, 0) });
  });

  it("submits a tx once: added (and gossiped), then known, then committed", async () => {
    const tx = transfer(h, 0, 0);
    expect(await h.api.submitTx(tx.bytes)).toEqual({ id: tx.id, status: "added" });
    expect(h.published.map((t) => t.id)).toEqual([tx.id]);
    expect(await h.api.submitTx(tx.bytes)).toEqual({ id: tx.id, status: "known" });
    expect(h.published).toHaveLength(1);
    // Another tx for the same (sender, nonce) is refused by the mempool, with its code.
    const rival = transfer(h, 0, 0, 2n);
    expect(() => h.api.submitTx(rival.bytes)).toThrow(expect.objectContaining({ code: "NONCE_TAKEN" }));
    expect(() => h.api.submitTx(rival.bytes)).toThrow(MempoolError);
    // A tx already in a block reads as committed, with its height.
    const block = await h.append();
    const included = block.block.txs[0]!;
    expect(await h.api.submitTx(included.bytes)).toEqual({ id: included.id, status: "committed", height: 1 });
  });

  it("reads the store only for a tx whose nonce the account has passed", async () => {
    const reads: string[] = [];
    const getTx = h.store.getTx.bind(h.store);
    h.store.getTx = async (id) => {
      reads.push(id);
      return getTx(id);
    };
    // The hot path answers without IO: a plain value, no store read.
    const fresh = transfer(h, 2, 0);
    expect(h.api.submitTx(fresh.bytes)).toEqual({ id: fresh.id, status: "added" });
    expect(h.api.submitTx(fresh.bytes)).toEqual({ id: fresh.id, status: "known" });
    expect(reads).toEqual([]);
    // Account 2 is now past nonce 0: a different tx with that nonce is not in any block.
    await h.append();
    await h.append();
    expect(h.api.account(toHex(h.fx.accounts[2]!.publicKey)).nonce).toBeGreaterThan(0);
    const rival = transfer(h, 2, 0, 7n);
    await expect(h.api.submitTx(rival.bytes)).rejects.toMatchObject({ code: "STALE_NONCE" });
    expect(reads).toEqual([rival.id]);
  });

  it("counts pooled txs in the pending nonce", async () => {
    const id = toHex(h.fx.accounts[1]!.publicKey);
    expect(h.api.account(id)).toEqual({ balance: 1_000_000_000n, nonce: 0, pendingNonce: 0 });
    await h.api.submitTx(transfer(h, 1, 0).bytes);
    await h.api.submitTx(transfer(h, 1, 1).bytes);
    await h.api.submitTx(transfer(h, 1, 3).bytes); // a gap: not counted
    expect(h.api.account(id).pendingNonce).toBe(2);
  });

  it("waitForTx resolves on the append that includes the tx, and rejects on abort", async () => {
    const block = nextAppend(h.fx, h.store, { txs: 1 });
    const id = block.block.txs[0]!.id;
    const waiting = h.api.waitForTx(id, new AbortController().signal);
    const events: string[] = [];
    h.api.onNewBlock((b) => events.push(`block ${b.block.header.height}`));
    h.api.onTx((t: TxLocation) => events.push(`tx ${t.tx.id}`));
    await h.store.append(block);
    h.api.blockAppended({ block: block.block, seal: block.seal, receipts: block.receipts });
    expect((await waiting).height).toBe(1);
    expect(events).toEqual(["block 1", `tx ${id}`]);
    // Already in a block: resolves from the store.
    expect((await h.api.waitForTx(id, new AbortController().signal)).height).toBe(1);

    const controller = new AbortController();
    const never = h.api.waitForTx("00".repeat(32), controller.signal);
    controller.abort(new Error("gone"));
    await expect(never).rejects.toThrow("gone");
  });

  it("searches txs by sender in the recent index and by height anywhere", async () => {
    for (let i = 0; i < 5; i++) await h.append(2);
    const sender = toHex(h.fx.accounts[2]!.publicKey);
    const recent = await h.api.searchTxs({ sender }, { offset: 0, limit: 100, order: "asc" });
    expect(recent.txs.every((l) => l.tx.sender === sender && l.height >= 3)).toBe(true);
    expect(recent.total).toBe(recent.txs.length);
    const old = await h.api.searchTxs({ height: 1 }, { offset: 0, limit: 1, order: "desc" });
    expect(old.total).toBe(2);
    expect(old.txs).toHaveLength(1);
    expect(old.txs[0]!.index).toBe(1);
  });

  it("counts seal participation and proposals per validator", async () => {
    await h.append();
    await h.append();
    const m = h.api.signerMetrics() as { blocks: number; validators: Record<string, { signed: number; missed: number; proposed: number }> };
    expect(m.blocks).toBe(2);
    const rows = Object.values(m.validators);
    expect(rows).toHaveLength(4);
    expect(rows.reduce((n, r) => n + r.signed, 0)).toBe(6); // q = 3 of 4, two blocks
    expect(rows.reduce((n, r) => n + r.proposed, 0)).toBe(2);
  });

  it("answers the governance reads of its own selection only", () => {
    expect(h.api.dbftCandidates()).toBeNull();
    expect(h.api.poaPendingVotes()).toMatchObject({ needed: 3, pending: [] });
  });
});
