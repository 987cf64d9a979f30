// Tx methods: submission in every mode, idempotent resubmission, refusals as results vs
// malformed input as errors, commit waits and their timeout, batches, lookups and search.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { toHex } from "../../src/chain/encoding.js";
import { MempoolError } from "../../src/chain/errors.js";
import { RECEIPT_CODES } from "../../src/chain/receipt.js";
import { CHECK_TX_CODES } from "../../src/rpc/check-codes.js";
import { RPC_ERROR_CODES } from "../../src/rpc/errors.js";
import type {
  ResultBroadcastTx,
  ResultBroadcastTxBatch,
  ResultBroadcastTxCommit,
  ResultTx,
  ResultTxSearch,
  ResultUnconfirmedTxs,
} from "../../src/rpc/types.js";
import { account0, account1, accountKeys, transferTx } from "./fake-node.js";
import { startRpc, type RpcHarness } from "./helpers.js";

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString("base64");

describe("tx methods", () => {
  let h: RpcHarness;
  beforeEach(async () => {
    h = await startRpc({ commitTimeoutMs: 300, maxTxsPerBatch: 3 });
  });
  afterEach(() => h.close());

  it("broadcast_tx_sync admits a tx: code 0, its hash, status added", async () => {
    const tx = transferTx(account0, 0);
    const r = await h.result<ResultBroadcastTx>("broadcast_tx_sync", { tx: b64(tx.bytes) });
    expect(r).toEqual({ code: 0, data: "", log: "", codespace: "", hash: tx.id.toUpperCase(), triad: { status: "added" } });
    expect(h.node.mempoolTxs.has(tx.id)).toBe(true);
  });

  it("resubmitting is idempotent: known while pooled, committed once in a block, never a second copy", async () => {
    const tx = transferTx(account0, 0);
    await h.result("broadcast_tx_sync", { tx: b64(tx.bytes) });
    const again = await h.result<ResultBroadcastTx>("broadcast_tx_sync", { tx: b64(tx.bytes) });
    expect(again).toMatchObject({ code: 0, hash: tx.id.toUpperCase(), triad: { status: "known" } });
    expect(h.node.mempoolTxs.size).toBe(1);
    h.node.appendBlock();
    const after = await h.result<ResultBroadcastTx>("broadcast_tx_sync", { tx: b64(tx.bytes) });
    expect(after).toMatchObject({ code: 0, hash: tx.id.toUpperCase(), triad: { status: "committed", height: 1 } });
    expect(h.node.mempoolTxs.size).toBe(0);
  });

  it("a node that reports ALREADY_KNOWN as an error is still answered as known", async () => {
    const tx = transferTx(account0, 0);
    h.node.nextSubmitError = new MempoolError("ALREADY_KNOWN", "already pooled", { id: tx.id });
    const r = await h.result<ResultBroadcastTx>("broadcast_tx_sync", { tx: b64(tx.bytes) });
    expect(r).toMatchObject({ code: 0, hash: tx.id.toUpperCase(), triad: { status: "known" } });
  });

  it.each([
    ["BAD_SIGNATURE", CHECK_TX_CODES.BAD_SIGNATURE],
    ["WRONG_CHAIN", CHECK_TX_CODES.WRONG_CHAIN],
    ["STALE_NONCE", CHECK_TX_CODES.STALE_NONCE],
    ["NONCE_GAP", CHECK_TX_CODES.NONCE_GAP],
    ["NONCE_TAKEN", CHECK_TX_CODES.NONCE_TAKEN],
    ["UNKNOWN_KIND", CHECK_TX_CODES.UNKNOWN_KIND],
    ["BAD_PAYLOAD", CHECK_TX_CODES.BAD_PAYLOAD],
  ] as const)("mempool refusal %s → result code %i, log and codespace triad", async (code, expected) => {
    const tx = transferTx(account0, 0);
    h.node.nextSubmitError = new MempoolError(code, `refused: ${code}`, { id: tx.id, extra: 1n });
    const r = await h.result<ResultBroadcastTx>("broadcast_tx_sync", { tx: b64(tx.bytes) });
    expect(r).toEqual({
      code: expected,
      data: "",
      log: `refused: ${code}`,
      codespace: "triad",
      hash: tx.id.toUpperCase(),
      triad: { status: "rejected", error: code, details: { id: tx.id, extra: "1" } },
    });
  });

  it("real refusals from the chain code: a tx signed for another chain, a tampered signature", async () => {
    const other = transferTx(account0, 0, 10n, "some-other-chain");
    const wrong = await h.result<ResultBroadcastTx>("broadcast_tx_sync", { tx: b64(other.bytes) });
    expect(wrong).toMatchObject({ code: CHECK_TX_CODES.WRONG_CHAIN, codespace: "triad", hash: other.id.toUpperCase() });
    const bytes = Uint8Array.from(transferTx(account0, 0).bytes);
    bytes[bytes.length - 1]! ^= 1;
    const bad = await h.result<ResultBroadcastTx>("broadcast_tx_sync", { tx: b64(bytes) });
    expect(bad.code).toBe(CHECK_TX_CODES.BAD_SIGNATURE);
    expect(bad.log).toMatch(/signature/);
  });

  it("bytes that are not a tx are refused as BAD_PAYLOAD with the hash of what was sent", async () => {
    const junk = new Uint8Array([1, 2, 3]);
    const r = await h.result<ResultBroadcastTx>("broadcast_tx_sync", { tx: b64(junk) });
    expect(r.code).toBe(CHECK_TX_CODES.BAD_PAYLOAD);
    expect(r.codespace).toBe("triad");
    expect(r.hash).toMatch(/^[0-9A-F]{64}$/);
  });

  it.each([["not base64!"], ["AAA"], ["AA=A"], [""]])("bad base64 %j → -32602 naming tx, node untouched", async (tx) => {
    const r = await h.rpc("broadcast_tx_sync", { tx });
    expect(r.error?.code).toBe(RPC_ERROR_CODES.INVALID_PARAMS);
    expect(r.error?.data?.param).toBe("tx");
    expect(h.node.submitCalls).toBe(0);
  });

  it("a full mempool is a JSON-RPC error -32002, not a result", async () => {
    h.node.nextSubmitError = new MempoolError("MEMPOOL_FULL", "mempool holds 10000 txs", { limit: 10000 });
    const r = await h.rpc("broadcast_tx_sync", { tx: b64(transferTx(account0, 0).bytes) });
    expect(r.error?.code).toBe(RPC_ERROR_CODES.MEMPOOL_FULL);
    expect(r.error?.data).toMatchObject({ reason: "mempool holds 10000 txs", limit: 10000 });
  });

  it("while syncing, broadcasts → -32003", async () => {
    h.node.catchingUp = true;
    for (const method of ["broadcast_tx_sync", "broadcast_tx_async", "broadcast_tx_commit"]) {
      const r = await h.rpc(method, { tx: b64(transferTx(account0, 0).bytes) });
      expect(r.error?.code).toBe(RPC_ERROR_CODES.SYNCING);
    }
    expect(h.node.submitCalls).toBe(0);
  });

  it("broadcast_tx_async answers before checking, with the hash", async () => {
    const tx = transferTx(account0, 0);
    const r = await h.result<ResultBroadcastTx>("broadcast_tx_async", { tx: b64(tx.bytes) });
    // CometBFT's empty byte string, never null.
    expect(r).toEqual({ code: 0, data: "", log: "", codespace: "", hash: tx.id.toUpperCase(), triad: { status: "submitted" } });
    await expect.poll(() => h.node.mempoolTxs.has(tx.id)).toBe(true);
  });

  it("broadcast_tx_commit waits for the block and returns check_tx, tx_result and height", async () => {
    const tx = transferTx(account0, 0);
    const pending = h.result<ResultBroadcastTxCommit>("broadcast_tx_commit", { tx: b64(tx.bytes) });
    await expect.poll(() => h.node.waiterCount).toBe(1);
    h.node.appendBlock([tx], [{ code: RECEIPT_CODES.INSUFFICIENT_BALANCE, log: "balance 0 < amount 10" }]);
    const r = await pending;
    expect(r.hash).toBe(tx.id.toUpperCase());
    expect(r.height).toBe("1");
    expect(r.check_tx).toMatchObject({ code: 0, gas_wanted: "0", gas_used: "0" });
    expect(r.tx_result).toEqual({ code: 1, data: null, log: "balance 0 < amount 10", info: "", gas_wanted: "0", gas_used: "0", events: [], codespace: "triad" });
  });

  it("broadcast_tx_commit of an already committed tx answers at once", async () => {
    const tx = transferTx(account0, 0);
    h.node.appendBlock([tx]);
    const r = await h.result<ResultBroadcastTxCommit>("broadcast_tx_commit", { tx: b64(tx.bytes) });
    expect(r).toMatchObject({ height: "1", triad: { status: "committed", height: 1 }, tx_result: { code: 0 } });
  });

  it("broadcast_tx_commit of a refused tx: check_tx carries the code, height 0, no wait", async () => {
    h.node.nextSubmitError = new MempoolError("STALE_NONCE", "nonce 0 is below 3");
    const r = await h.result<ResultBroadcastTxCommit>("broadcast_tx_commit", { tx: b64(transferTx(account0, 0).bytes) });
    expect(r.check_tx).toMatchObject({ code: CHECK_TX_CODES.STALE_NONCE, log: "nonce 0 is below 3", codespace: "triad" });
    expect(r.tx_result).toEqual({});
    expect(r.height).toBe("0");
  });

  it("broadcast_tx_commit times out with -32004 and stops waiting", async () => {
    const tx = transferTx(account0, 0);
    const r = await h.rpc("broadcast_tx_commit", { tx: b64(tx.bytes) });
    expect(r.error?.code).toBe(RPC_ERROR_CODES.TIMEOUT);
    expect(r.error?.data).toMatchObject({ hash: tx.id.toUpperCase(), timeoutMs: 300 });
    expect(h.node.waiterCount).toBe(0);
  });

  it("a client that hangs up stops its broadcast_tx_commit wait", async () => {
    const long = await startRpc({ commitTimeoutMs: 60_000 });
    try {
      const controller = new AbortController();
      const body = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "broadcast_tx_commit", params: { tx: b64(transferTx(account0, 0).bytes) } });
      const req = fetch(long.address.url, { method: "POST", body, signal: controller.signal }).catch(() => null);
      await expect.poll(() => long.node.waiterCount).toBe(1);
      controller.abort();
      await req;
      await expect.poll(() => long.node.waiterCount).toBe(0);
    } finally {
      await long.close();
    }
  });

  it("broadcast_tx_commit is bounded by maxPendingCommits → -32007", async () => {
    const small = await startRpc({ maxPendingCommits: 1, commitTimeoutMs: 2000 });
    try {
      const first = small.rpc("broadcast_tx_commit", { tx: b64(transferTx(account0, 0).bytes) });
      await expect.poll(() => small.node.waiterCount).toBe(1);
      const second = await small.rpc("broadcast_tx_commit", { tx: b64(transferTx(account0, 1).bytes) });
      expect(second.error?.code).toBe(RPC_ERROR_CODES.TOO_MANY);
      small.node.appendBlock();
      expect((await first).result).toBeDefined();
    } finally {
      await small.close();
    }
  });

  it("broadcast_tx_batch submits in order and answers per tx", async () => {
    const a = transferTx(account0, 0);
    const b = transferTx(account0, 1);
    h.node.appendBlock([transferTx(accountKeys[2]!, 0)]);
    const stale = transferTx(accountKeys[2]!, 0, 11n);
    const r = await h.result<ResultBroadcastTxBatch>("broadcast_tx_batch", { txs: [b64(a.bytes), b64(b.bytes), b64(stale.bytes)] });
    expect(r.results.map((x) => [x.code, x.triad.status])).toEqual([
      [0, "added"],
      [0, "added"],
      [CHECK_TX_CODES.STALE_NONCE, "rejected"],
    ]);
    expect(r.results[1]!.hash).toBe(b.id.toUpperCase());
  });

  it("submission reads the syncing flag, never the full status, and takes plain answers as well as promises", async () => {
    h.node.plainSubmit = true;
    const [a, b] = [transferTx(account0, 0), transferTx(account0, 1)];
    h.node.appendBlock([transferTx(accountKeys[2]!, 0)]);
    const before = h.node.statusCalls;
    const r = await h.result<ResultBroadcastTxBatch>("broadcast_tx_batch", { txs: [b64(a.bytes), b64(b.bytes), b64(a.bytes)] });
    expect(r.results.map((x) => [x.code, x.triad.status, x.hash])).toEqual([
      [0, "added", a.id.toUpperCase()],
      [0, "added", b.id.toUpperCase()],
      [0, "known", a.id.toUpperCase()],
    ]);
    const sync = await h.result<ResultBroadcastTx>("broadcast_tx_sync", { tx: b64(transferTx(accountKeys[2]!, 0, 11n).bytes) });
    expect(sync).toMatchObject({ code: CHECK_TX_CODES.STALE_NONCE, triad: { status: "rejected" } });
    h.node.nextSubmitError = new MempoolError("MEMPOOL_FULL", "full");
    expect((await h.rpc("broadcast_tx_sync", { tx: b64(transferTx(account0, 2).bytes) })).error?.code).toBe(RPC_ERROR_CODES.MEMPOOL_FULL);
    const async = await h.result<ResultBroadcastTx>("broadcast_tx_async", { tx: b64(transferTx(account0, 3).bytes) });
    expect(async.triad.status).toBe("submitted");
    expect(h.node.statusCalls).toBe(before);
  });

  it("broadcast_tx_batch: a full mempool is one item's code; malformed or oversize batches are errors", async () => {
    h.node.nextSubmitError = new MempoolError("MEMPOOL_FULL", "full");
    const full = await h.result<ResultBroadcastTxBatch>("broadcast_tx_batch", { txs: [b64(transferTx(account0, 0).bytes), b64(transferTx(account0, 1).bytes)] });
    expect(full.results.map((x) => x.code)).toEqual([CHECK_TX_CODES.MEMPOOL_FULL, 0]);
    const calls = h.node.submitCalls;
    const bad = await h.rpc("broadcast_tx_batch", { txs: [b64(transferTx(account0, 2).bytes), "%%%"] });
    expect(bad.error?.code).toBe(RPC_ERROR_CODES.INVALID_PARAMS);
    expect(bad.error?.data?.param).toBe("txs[1]");
    expect(h.node.submitCalls).toBe(calls);
    const many = await h.rpc("broadcast_tx_batch", { txs: ["AA==", "AA==", "AA==", "AA=="] });
    expect(many.error?.code).toBe(RPC_ERROR_CODES.RANGE_TOO_LARGE);
    expect(many.error?.data).toMatchObject({ limit: 3, got: 4 });
    expect((await h.rpc("broadcast_tx_batch", { txs: "AA==" })).error?.code).toBe(RPC_ERROR_CODES.INVALID_PARAMS);
  });

  it("tx: by hash in hex or base64, with receipt and triad extras; unknown → -32001", async () => {
    const tx = transferTx(account0, 0, 25n);
    h.node.appendBlock([transferTx(accountKeys[2]!, 0), tx]);
    const expected = {
      hash: tx.id.toUpperCase(),
      height: "1",
      index: 1,
      tx_result: { code: 0, data: null, log: "", info: "", gas_wanted: "0", gas_used: "0", events: [], codespace: "" },
      tx: b64(tx.bytes),
      triad: { id: tx.id, sender: tx.sender, nonce: 0, kind: "transfer", chain_id: tx.chainId, payload: { to: toHex(account1.publicKey), amount: "25" } },
    };
    expect(await h.result<ResultTx>("tx", { hash: tx.id })).toEqual(expected);
    expect(await h.result<ResultTx>("tx", { hash: b64(tx.hash) })).toEqual(expected);
    expect(await h.result<ResultTx>("tx", { hash: `0x${tx.id.toUpperCase()}` })).toEqual(expected);
    const missing = await h.rpc("tx", { hash: "ab".repeat(32) });
    expect(missing.error?.code).toBe(RPC_ERROR_CODES.NOT_FOUND);
    expect((await h.rpc("tx", { hash: tx.id, prove: true })).error?.data?.param).toBe("prove");
  });

  it("tx_search by sender, height and hash, paged and ordered", async () => {
    const mine = [0, 1, 2, 3, 4].map((n) => transferTx(account0, n));
    h.node.appendBlock([mine[0]!, mine[1]!, transferTx(accountKeys[2]!, 0)]);
    h.node.appendBlock([mine[2]!, mine[3]!, mine[4]!]);
    const sender = toHex(account0.publicKey);
    const all = await h.result<ResultTxSearch>("tx_search", { query: `tx.sender='${sender}'` });
    expect(all.total_count).toBe("5");
    expect(all.txs.map((t) => t.hash)).toEqual(mine.map((t) => t.id.toUpperCase()));
    const page2 = await h.result<ResultTxSearch>("tx_search", { query: `tm.event='Tx' AND tx.sender='${sender}'`, page: "2", per_page: "2", order_by: "desc" });
    expect(page2.txs.map((t) => t.triad.nonce)).toEqual([2, 1]);
    const atHeight = await h.result<ResultTxSearch>("tx_search", { query: "tx.height=1" });
    expect(atHeight.total_count).toBe("3");
    const both = await h.result<ResultTxSearch>("tx_search", { query: `tx.height=2 AND tx.sender='${sender.toUpperCase()}'` });
    expect(both.total_count).toBe("3");
    const byHash = await h.result<ResultTxSearch>("tx_search", { query: `tx.hash='${mine[3]!.id}'` });
    expect(byHash.txs.map((t) => t.height)).toEqual(["2"]);
    const none = await h.result<ResultTxSearch>("tx_search", { query: "tx.height=7" });
    expect(none).toEqual({ txs: [], total_count: "0" });
  });

  it("tx_search refuses unsupported queries with -32602 naming query, and clamps per_page to 100", async () => {
    for (const query of ["", "tx.fee>5", "tx.height>1", "tm.event='NewBlock'", "tx.sender='xyz'", "tx.height=1 OR tx.height=2", 5]) {
      const r = await h.rpc("tx_search", { query });
      expect(r.error?.code).toBe(RPC_ERROR_CODES.INVALID_PARAMS);
      expect(r.error?.data?.param).toBe("query");
    }
    h.node.appendBlock([transferTx(account0, 0)]);
    const r = await h.result<ResultTxSearch>("tx_search", { query: "tx.height=1", per_page: 1000 });
    expect(r.total_count).toBe("1");
    const beyond = await h.rpc("tx_search", { query: "tx.height=1", page: 2 });
    expect(beyond.error?.data?.param).toBe("page");
  });

  it("unconfirmed_txs and num_unconfirmed_txs", async () => {
    const txs = [0, 1, 2].map((n) => transferTx(account0, n));
    for (const tx of txs) await h.result("broadcast_tx_sync", { tx: b64(tx.bytes) });
    const bytes = txs.reduce((n, t) => n + t.bytes.length, 0);
    const u = await h.result<ResultUnconfirmedTxs>("unconfirmed_txs", { limit: "2" });
    expect(u).toEqual({ n_txs: "2", total: "3", total_bytes: String(bytes), txs: [b64(txs[0]!.bytes), b64(txs[1]!.bytes)] });
    const n = await h.result<ResultUnconfirmedTxs>("num_unconfirmed_txs");
    expect(n).toEqual({ n_txs: "3", total: "3", total_bytes: String(bytes), txs: null });
  });
});
