// TriadClient end to end against the server: reads, local signing with the node's chain id and
// the account's pending nonce, every broadcast mode, typed errors, and WebSocket subscriptions.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { builtinRegistry } from "../../src/chain/builtin-kinds.js";
import { toHex } from "../../src/chain/encoding.js";
import { verifyTx } from "../../src/chain/tx.js";
import { TriadClient, TriadRpcError } from "../../src/rpc/client.js";
import { CHECK_TX_CODES } from "../../src/rpc/check-codes.js";
import { RPC_ERROR_CODES } from "../../src/rpc/errors.js";
import type { ResultEvent } from "../../src/rpc/types.js";
import { account0, account1, CHAIN_ID, INITIAL_BALANCE, transferTx } from "./fake-node.js";
import { startRpc, type RpcHarness } from "./helpers.js";

describe("TriadClient", () => {
  let h: RpcHarness;
  let client: TriadClient;
  beforeEach(async () => {
    h = await startRpc({ commitTimeoutMs: 5000 });
    client = new TriadClient({ url: h.address.url });
  });
  afterEach(async () => {
    await client.close();
    await h.close();
  });

  it("reads status, blocks, txs and accounts", async () => {
    const tx = transferTx(account0, 0);
    h.node.appendBlock([tx]);
    expect((await client.status()).node_info.network).toBe(CHAIN_ID);
    expect(await client.chainId()).toBe(CHAIN_ID);
    expect((await client.block(1)).block.data.txs).toHaveLength(1);
    expect((await client.block()).block.header.height).toBe("1");
    expect((await client.tx(tx.id)).height).toBe("1");
    expect((await client.txSearch(`tx.sender='${tx.sender}'`)).total_count).toBe("1");
    const a = await client.account(toHex(account0.publicKey));
    expect(a).toMatchObject({ balance: INITIAL_BALANCE.toString(), nonce: 1 });
    expect((await client.validators()).total).toBe("4");
    expect(await client.kv("nope")).toBeNull();
  });

  it("transfer: signs for the node's chain with the account's pending nonce; the node verifies it", async () => {
    h.node.appendBlock([transferTx(account0, 0)]);
    const first = await client.transfer({ key: account0, to: toHex(account1.publicKey), amount: 5n });
    expect(first.nonce).toBe(1);
    expect(first.chainId).toBe(CHAIN_ID);
    expect(() => verifyTx(first, CHAIN_ID)).not.toThrow();
    expect(builtinRegistry().toJSON(first)).toEqual({ to: toHex(account1.publicKey), amount: "5" });
    expect((await client.broadcast(first)).triad.status).toBe("added");
    // The pooled tx counts: the next one gets nonce 2 without waiting for a block.
    const second = await client.transfer({ key: account0.secretKey, to: account1.publicKey, amount: "7" });
    expect(second.nonce).toBe(2);
    const explicit = await client.transfer({ key: account0, to: toHex(account1.publicKey), amount: 1, nonce: 9 });
    expect(explicit.nonce).toBe(9);
  });

  it("kvPut, kvDelete and raw build txs of their kinds", async () => {
    const put = await client.kvPut({ key: account0, kvKey: "color", value: "blue" });
    expect(put.kind).toBe("kv.put");
    expect(builtinRegistry().toJSON(put)).toEqual({ key: "color", value: Buffer.from("blue").toString("base64") });
    const del = await client.kvDelete({ key: account0, kvKey: "color", nonce: 1 });
    expect(builtinRegistry().toJSON(del)).toEqual({ key: "color" });
    const raw = await client.raw("custom.kind", new Uint8Array([1, 2, 3]), { key: account0, nonce: 4 });
    expect(raw.kind).toBe("custom.kind");
    expect([...raw.payload]).toEqual([1, 2, 3]);
  });

  it("broadcast in every mode, a batch, and refusals as codes", async () => {
    const a = await client.transfer({ key: account0, to: account1.publicKey, amount: 1n, nonce: 0 });
    expect((await client.broadcast(a, "async")).hash).toBe(a.id.toUpperCase());
    await expect.poll(() => h.node.mempoolTxs.has(a.id)).toBe(true);
    expect((await client.broadcast(a.bytes, "sync")).triad.status).toBe("known");
    const b = await client.transfer({ key: account0, to: account1.publicKey, amount: 1n, nonce: 1 });
    const pending = client.broadcast(b, "commit");
    await expect.poll(() => h.node.waiterCount).toBe(1);
    h.node.appendBlock();
    const committed = await pending;
    expect(committed.height).toBe("1");
    expect(committed.tx_result).toMatchObject({ code: 0 });
    const stale = await client.broadcast(transferTx(account0, 0, 3n));
    expect(stale.code).toBe(CHECK_TX_CODES.STALE_NONCE);
    const batch = await client.broadcastBatch([transferTx(account0, 2), transferTx(account0, 3)]);
    expect(batch.results.map((r) => r.code)).toEqual([0, 0]);
  });

  it("JSON-RPC errors become TriadRpcError with the code and data", async () => {
    const err = await client.block(99).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TriadRpcError);
    expect((err as TriadRpcError).code).toBe(RPC_ERROR_CODES.NOT_FOUND);
    expect((err as TriadRpcError).method).toBe("block");
    const bad = await client.call("tx", { hash: "x" }).catch((e: unknown) => e);
    expect((bad as TriadRpcError).code).toBe(RPC_ERROR_CODES.INVALID_PARAMS);
    expect((bad as TriadRpcError).data).toMatchObject({ param: "hash" });
  });

  it("subscribes over WebSocket and unsubscribes", async () => {
    const events: ResultEvent[] = [];
    const sub = await client.subscribe("tm.event='NewBlock'", (e) => events.push(e));
    expect(h.server.stats().subscriptions).toBe(1);
    h.node.appendBlock([]);
    await expect.poll(() => events.length).toBe(1);
    expect(events[0]!.data.type).toBe("tendermint/event/NewBlock");
    await sub.close();
    expect(h.server.stats().subscriptions).toBe(0);
    const err = await client.subscribe("bad query", () => undefined).catch((e: unknown) => e);
    expect((err as TriadRpcError).code).toBe(RPC_ERROR_CODES.INVALID_PARAMS);
  });

  it("tells a subscriber when the connection drops", async () => {
    let closed: Error | null = null;
    await client.subscribe("tm.event='Tx'", () => undefined, (e) => (closed = e));
    await h.server.stop();
    await expect.poll(() => closed?.message).toMatch(/1001/);
  });
});

describe("TriadClient over a connection the node resets", () => {
  // A raw server that resets (RST) the first connection as soon as a request arrives, as a node
  // does when a pooled keep-alive socket it closed as idle is reused, and answers on the next.
  async function resettingServer(): Promise<{ url: string; connections: () => number; close: () => Promise<void> }> {
    const { createServer } = await import("node:net");
    let seen = 0;
    const server = createServer((socket) => {
      const n = ++seen;
      socket.once("data", () => {
        if (n === 1) {
          socket.resetAndDestroy();
          return;
        }
        const body = JSON.stringify({ jsonrpc: "2.0", id: 1, result: { ok: true } });
        socket.end(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as { port: number };
    return { url: `http://127.0.0.1:${port}`, connections: () => seen, close: () => new Promise((resolve) => server.close(() => resolve())) };
  }

  it("sends a read once more on a fresh connection", async () => {
    const s = await resettingServer();
    const client = new TriadClient({ url: s.url });
    try {
      expect(await client.call("status")).toEqual({ ok: true });
      expect(s.connections()).toBe(2);
    } finally {
      await client.close();
      await s.close();
    }
  });

  it("leaves a broadcast to the caller", async () => {
    const s = await resettingServer();
    const client = new TriadClient({ url: s.url });
    try {
      await expect(client.call("broadcast_tx_sync", { tx: "" })).rejects.toThrow(TypeError);
      expect(s.connections()).toBe(1);
    } finally {
      await client.close();
      await s.close();
    }
  });
});
