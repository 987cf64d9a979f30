// WebSocket: method calls, subscriptions to NewBlock and Tx with CometBFT's event shape,
// filtering by query, unsubscribe, and the limits on subscriptions, clients and message size.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { toHex } from "../../src/chain/encoding.js";
import { RPC_ERROR_CODES } from "../../src/rpc/errors.js";
import type { NewBlockEventValue, ResultEvent, TxEventValue } from "../../src/rpc/types.js";
import { account0, account1, transferTx } from "./fake-node.js";
import { isEvent, startRpc, WsProbe, type RpcHarness } from "./helpers.js";

describe("WebSocket", () => {
  let h: RpcHarness;
  const probes: WsProbe[] = [];
  const open = async (): Promise<WsProbe> => {
    const p = await WsProbe.open(h.address.wsUrl);
    probes.push(p);
    return p;
  };
  beforeEach(async () => {
    h = await startRpc({ maxSubscriptionsPerClient: 3, maxClients: 3, maxBodyBytes: 8192 });
  });
  afterEach(async () => {
    for (const p of probes.splice(0)) p.close();
    await h.close();
  });

  it("serves ordinary methods and batches", async () => {
    const ws = await open();
    expect((await ws.call(1, "health")).result).toEqual({});
    ws.socket.send(JSON.stringify([{ jsonrpc: "2.0", id: "a", method: "health" }, { jsonrpc: "2.0", id: "b", method: "nope" }]));
    const batch = await new Promise<unknown>((resolve) => ws.socket.once("message", (d) => resolve(JSON.parse(String(d)))));
    expect(batch).toMatchObject([{ id: "a", result: {} }, { id: "b", error: { code: RPC_ERROR_CODES.METHOD_NOT_FOUND } }]);
    ws.socket.send("{oops");
    expect((await ws.next((m) => m.error?.code === RPC_ERROR_CODES.PARSE_ERROR)).id).toBeNull();
    expect((await ws.call(2, "health")).result).toEqual({});
  });

  it("NewBlock events carry the subscribe id, the query, the block and events", async () => {
    const ws = await open();
    expect(await ws.call(7, "subscribe", { query: "tm.event='NewBlock'" })).toEqual({ jsonrpc: "2.0", id: 7, result: {} });
    h.node.appendBlock([]);
    const tx = transferTx(account0, 0);
    const second = h.node.appendBlock([tx]);
    const ev = await ws.next((m) => isEvent(m) && (m.result as ResultEvent).events["block.height"]?.[0] === "2");
    expect(ev.id).toBe(7);
    const r = ev.result as ResultEvent;
    expect(r.query).toBe("tm.event='NewBlock'");
    expect(r.data.type).toBe("tendermint/event/NewBlock");
    const value = r.data.value as NewBlockEventValue;
    expect(value.block.header.height).toBe("2");
    expect(value.block.header.last_block_id.hash).toBe(toHex(h.node.blocks[0]!.block.hash).toUpperCase());
    expect(value.block.last_commit.height).toBe("1");
    expect(value.block.data.txs).toEqual([Buffer.from(tx.bytes).toString("base64")]);
    expect(value.block_id.hash).toBe(second.block.id.toUpperCase());
    expect(value.result_finalize_block.tx_results).toHaveLength(1);
    expect(r.events["tm.event"]).toEqual(["NewBlock"]);
    expect(ws.events(7).map((m) => (m.result as ResultEvent).events["block.height"]![0])).toEqual(["1", "2"]);
  });

  it("Tx events, filtered by the query's conditions", async () => {
    const ws = await open();
    const sender = toHex(account0.publicKey);
    await ws.call("all", "subscribe", { query: "tm.event='Tx'" });
    await ws.call("mine", "subscribe", { query: `tm.event='Tx' AND tx.sender='${sender}'` });
    await ws.call("h2", "subscribe", ["tm.event = 'Tx' AND tx.height >= 2"]);
    const a = transferTx(account0, 0);
    const b = transferTx(account1, 0);
    h.node.appendBlock([a, b]);
    const c = transferTx(account0, 1);
    h.node.appendBlock([c]);
    await ws.next((m) => m.id === "h2" && isEvent(m));
    await expect.poll(() => ws.events("all").length).toBe(3);
    const hashes = (id: string): string[] => ws.events(id).map((m) => (m.result as ResultEvent).events["tx.hash"]![0]!);
    expect(hashes("all")).toEqual([a, b, c].map((t) => t.id.toUpperCase()));
    expect(hashes("mine")).toEqual([a, c].map((t) => t.id.toUpperCase()));
    expect(hashes("h2")).toEqual([c.id.toUpperCase()]);
    const ev = ws.events("all")[1]!.result as ResultEvent;
    expect(ev.data.type).toBe("tendermint/event/Tx");
    expect((ev.data.value as TxEventValue).TxResult).toEqual({
      height: "1",
      index: 1,
      tx: Buffer.from(b.bytes).toString("base64"),
      result: { code: 0, data: null, log: "", info: "", gas_wanted: "0", gas_used: "0", events: [], codespace: "" },
    });
    expect(ev.events).toMatchObject({ "tm.event": ["Tx"], "tx.height": ["1"], "tx.sender": [toHex(account1.publicKey)], "tx.kind": ["transfer"] });
  });

  it("unsubscribe and unsubscribe_all stop events", async () => {
    const ws = await open();
    await ws.call(1, "subscribe", { query: "tm.event='NewBlock'" });
    await ws.call(2, "subscribe", { query: "tm.event='Tx'" });
    expect((await ws.call(3, "unsubscribe", { query: "tm.event='NewBlock'" })).result).toEqual({});
    expect((await ws.call(4, "unsubscribe", { query: "tm.event='NewBlock'" })).error?.code).toBe(RPC_ERROR_CODES.NOT_FOUND);
    h.node.appendBlock([transferTx(account0, 0)]);
    await ws.next((m) => m.id === 2 && isEvent(m));
    expect((await ws.call(5, "unsubscribe_all")).result).toEqual({});
    h.node.appendBlock([transferTx(account0, 1)]);
    expect((await ws.call(6, "health")).result).toEqual({});
    expect(ws.events(1)).toHaveLength(0);
    expect(ws.events(2)).toHaveLength(1);
  });

  it("bad queries → -32602; a duplicate subscription → -32602", async () => {
    const ws = await open();
    for (const [i, query] of ["", "tm.event=", "tm.event='NewBlock' OR x=1", "a < 'b'", "'x'", 7, "q".repeat(600)].entries()) {
      const r = await ws.call(i, "subscribe", { query });
      expect(r.error?.code).toBe(RPC_ERROR_CODES.INVALID_PARAMS);
      expect(r.error?.data?.param).toBe("query");
    }
    await ws.call(100, "subscribe", { query: "tm.event='NewBlock'" });
    expect((await ws.call(101, "subscribe", { query: "tm.event='NewBlock'" })).error?.data?.reason).toMatch(/already subscribed/);
  });

  it("the subscription limit per client → -32007", async () => {
    const ws = await open();
    for (let i = 0; i < 3; i++) expect((await ws.call(i, "subscribe", { query: `tm.event='Tx' AND tx.height=${i + 1}` })).result).toEqual({});
    const over = await ws.call(3, "subscribe", { query: "tm.event='NewBlock'" });
    expect(over.error?.code).toBe(RPC_ERROR_CODES.TOO_MANY);
    expect(over.error?.data?.limit).toBe(3);
    // Another client has its own allowance.
    const other = await open();
    expect((await other.call(1, "subscribe", { query: "tm.event='NewBlock'" })).result).toEqual({});
  });

  it("the client limit: the next upgrade is refused with 503 and -32007; a slot frees on close", async () => {
    const clients = [await open(), await open(), await open()];
    const refused = await new Promise<{ status: number; body: string }>((resolve) => {
      const ws = new WebSocket(h.address.wsUrl);
      ws.on("unexpected-response", (_req, res) => {
        let body = "";
        res.on("data", (c: Buffer) => (body += c.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      });
      ws.on("error", () => undefined);
    });
    expect(refused.status).toBe(503);
    expect(JSON.parse(refused.body)).toMatchObject({ error: { code: RPC_ERROR_CODES.TOO_MANY, data: { limit: 3 } } });
    clients[0]!.close();
    await expect
      .poll(async () => {
        try {
          const p = await open();
          return (await p.call(1, "health")).result;
        } catch {
          return null;
        }
      })
      .toEqual({});
  });

  it("a message over maxPayload closes that connection (1009); the server keeps serving", async () => {
    const ws = await open();
    const closed = new Promise<number>((resolve) => ws.socket.once("close", (code) => resolve(code)));
    ws.socket.send(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "broadcast_tx_sync", params: { tx: "A".repeat(10_000) } }));
    expect(await closed).toBe(1009);
    const again = await open();
    expect((await again.call(1, "health")).result).toEqual({});
  });

  it("only /websocket upgrades", async () => {
    const status = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${h.address.port}/other`);
      ws.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
      ws.on("error", () => undefined);
    });
    expect(status).toBe(404);
  });

  it("closing a connection drops its subscriptions and cancels its commit waits", async () => {
    const ws = await open();
    await ws.call(1, "subscribe", { query: "tm.event='NewBlock'" });
    ws.socket.send(JSON.stringify({ jsonrpc: "2.0", id: 2, method: "broadcast_tx_commit", params: { tx: Buffer.from(transferTx(account0, 0).bytes).toString("base64") } }));
    await expect.poll(() => h.node.waiterCount).toBe(1);
    ws.close();
    await expect.poll(() => h.node.waiterCount).toBe(0);
    h.node.appendBlock([]);
  });

  it("a client with too many requests in flight is read no further until some finish", async () => {
    const ws = await open();
    const n = 50;
    for (let i = 0; i < n; i++) {
      const tx = Buffer.from(transferTx(account0, i).bytes).toString("base64");
      ws.socket.send(JSON.stringify({ jsonrpc: "2.0", id: i, method: "broadcast_tx_commit", params: { tx } }));
    }
    await expect.poll(() => h.node.waiterCount).toBe(32);
    await new Promise((r) => setTimeout(r, 100));
    expect(h.node.waiterCount).toBe(32);
    // Each block frees slots; the queued requests then run.
    h.node.appendBlock();
    await expect.poll(() => h.node.waiterCount).toBe(n - 32);
    h.node.appendBlock();
    await expect.poll(() => ws.messages.filter((m) => typeof m.id === "number" && m.result !== undefined).length).toBe(n);
  });

  it("stopping the server closes WebSocket clients with 1001", async () => {
    const ws = await open();
    const closed = new Promise<number>((resolve) => ws.socket.once("close", (code) => resolve(code)));
    await h.server.stop();
    expect(await closed).toBe(1001);
  });
});
