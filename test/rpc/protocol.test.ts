// JSON-RPC 2.0 framing over HTTP: errors for every kind of bad request, batches and their limit,
// the body limit, URI requests, enabled methods, and that the server keeps serving after each.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { RPC_ERROR_CODES } from "../../src/rpc/errors.js";
import { startRpc, type RpcHarness, type RpcResponse } from "./helpers.js";

describe("JSON-RPC over HTTP", () => {
  let h: RpcHarness;
  beforeAll(async () => {
    h = await startRpc({ maxBodyBytes: 4096, maxBatchLength: 5 });
    h.node.appendBlock([]);
  });
  afterAll(() => h.close());
  // Every bad request below is followed by a good one: the server must keep serving.
  afterEach(async () => {
    expect(await h.result("health")).toEqual({});
  });

  it("answers a well-formed request with its id", async () => {
    const r = await h.rpc("health", undefined, "abc");
    expect(r).toEqual({ jsonrpc: "2.0", id: "abc", result: {} });
  });

  it("malformed JSON → -32700 with id null", async () => {
    const { status, json } = await h.post('{"jsonrpc":"2.0","id":1,"method":');
    expect(status).toBe(200);
    const r = json as RpcResponse;
    expect(r.id).toBeNull();
    expect(r.error?.code).toBe(RPC_ERROR_CODES.PARSE_ERROR);
    expect(r.error?.data?.reason).toEqual(expect.any(String));
  });

  it.each([
    ["a number", "42", "a request must be a JSON object"],
    ["a string", '"status"', "a request must be a JSON object"],
    ["null", "null", "a request must be a JSON object"],
    ["no jsonrpc", '{"id":1,"method":"status"}', 'jsonrpc must be "2.0"'],
    ["jsonrpc 1.0", '{"jsonrpc":"1.0","id":1,"method":"status"}', 'jsonrpc must be "2.0"'],
    ["method not a string", '{"jsonrpc":"2.0","id":1,"method":7}', "method must be a string"],
    ["params a string", '{"jsonrpc":"2.0","id":1,"method":"status","params":"x"}', "params must be an object or an array"],
    ["id an object", '{"jsonrpc":"2.0","id":{},"method":"status"}', "id must be a string, a number or null"],
  ])("not a valid request (%s) → -32600", async (_name, body, reason) => {
    const { json } = await h.post(body);
    const r = json as RpcResponse;
    expect(r.error?.code).toBe(RPC_ERROR_CODES.INVALID_REQUEST);
    expect(r.error?.data?.reason).toBe(reason);
  });

  it("keeps the id of an invalid request when the id itself is valid", async () => {
    const { json } = await h.post('{"jsonrpc":"2.0","id":9,"method":7}');
    expect((json as RpcResponse).id).toBe(9);
  });

  it("unknown method → -32601 naming it", async () => {
    const r = await h.rpc("no_such_method");
    expect(r.error?.code).toBe(RPC_ERROR_CODES.METHOD_NOT_FOUND);
    expect(r.error?.data).toEqual({ method: "no_such_method" });
  });

  it("subscribe over HTTP → -32601 saying it needs the WebSocket", async () => {
    const r = await h.rpc("subscribe", { query: "tm.event='NewBlock'" });
    expect(r.error?.code).toBe(RPC_ERROR_CODES.METHOD_NOT_FOUND);
    expect(r.error?.data?.reason).toMatch(/WebSocket/);
  });

  it.each([
    ["block", { height: "abc" }, "height"],
    ["block", { height: 1.5 }, "height"],
    ["block", { height: -1 }, "height"],
    ["block", { height: true }, "height"],
    ["block", [1, 2], "params"],
    ["tx", { hash: 123 }, "hash"],
    ["tx", { hash: "zz" }, "hash"],
    ["tx", {}, "hash"],
    ["validators", { per_page: "x" }, "per_page"],
    ["triad_account", { id: "abc" }, "id"],
    ["broadcast_tx_sync", { tx: 5 }, "tx"],
  ])("%s with bad params %j → -32602 naming %s", async (method, params, param) => {
    const r = await h.rpc(method, params);
    expect(r.error?.code).toBe(RPC_ERROR_CODES.INVALID_PARAMS);
    expect(r.error?.data?.param).toBe(param);
    expect(r.error?.data?.reason).toEqual(expect.any(String));
  });

  it("takes params by position in CometBFT's argument order", async () => {
    const r = await h.rpc("block", ["1"]);
    expect((r.result as { block: { header: { height: string } } }).block.header.height).toBe("1");
  });

  it("oversize body (declared) → 413 with -32008", async () => {
    const body = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "broadcast_tx_sync", params: { tx: "A".repeat(8000) } });
    const { status, json } = await h.post(body);
    expect(status).toBe(413);
    const r = json as RpcResponse;
    expect(r.error?.code).toBe(RPC_ERROR_CODES.BODY_TOO_LARGE);
    expect(r.error?.data?.limit).toBe(4096);
  });

  it("oversize body (chunked, no length) → 413 with -32008", async () => {
    const chunk = new TextEncoder().encode("x".repeat(1024));
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 8; i++) controller.enqueue(chunk);
        controller.close();
      },
    });
    const res = await fetch(h.address.url, { method: "POST", body: stream, duplex: "half" } as RequestInit);
    expect(res.status).toBe(413);
    expect(((await res.json()) as RpcResponse).error?.code).toBe(RPC_ERROR_CODES.BODY_TOO_LARGE);
  });

  it("a batch answers each request in an array, skipping notifications", async () => {
    const { json } = await h.post(
      JSON.stringify([
        { jsonrpc: "2.0", id: 1, method: "health" },
        { jsonrpc: "2.0", method: "health" },
        { jsonrpc: "2.0", id: 2, method: "nope" },
        { jsonrpc: "2.0", id: 3, method: "block", params: { height: "1" } },
        5,
      ]),
    );
    const rs = json as RpcResponse[];
    expect(Array.isArray(rs)).toBe(true);
    expect(rs.map((r) => r.id)).toEqual([1, 2, 3, null]);
    expect(rs[0]!.result).toEqual({});
    expect(rs[1]!.error?.code).toBe(RPC_ERROR_CODES.METHOD_NOT_FOUND);
    expect(rs[2]!.result).toBeDefined();
    expect(rs[3]!.error?.code).toBe(RPC_ERROR_CODES.INVALID_REQUEST);
  });

  it("a batch of one is still answered with an array", async () => {
    const { json } = await h.post(JSON.stringify([{ jsonrpc: "2.0", id: 1, method: "health" }]));
    expect(json).toEqual([{ jsonrpc: "2.0", id: 1, result: {} }]);
  });

  it("an empty batch → -32600", async () => {
    const { json } = await h.post("[]");
    expect((json as RpcResponse).error?.code).toBe(RPC_ERROR_CODES.INVALID_REQUEST);
  });

  it("a batch over the limit → -32600 naming the limit, nothing run", async () => {
    const batch = Array.from({ length: 6 }, (_, i) => ({ jsonrpc: "2.0", id: i, method: "health" }));
    const { json } = await h.post(JSON.stringify(batch));
    const r = json as RpcResponse;
    expect(r.error?.code).toBe(RPC_ERROR_CODES.INVALID_REQUEST);
    expect(r.error?.data).toMatchObject({ limit: 5, got: 6 });
  });

  it("a lone notification gets 204 and no body", async () => {
    const { status, text } = await h.post(JSON.stringify({ jsonrpc: "2.0", method: "health" }));
    expect(status).toBe(204);
    expect(text).toBe("");
  });

  it("serves CometBFT URI requests: GET /health, GET /block?height=1", async () => {
    const health = (await (await fetch(`${h.address.url}/health`)).json()) as RpcResponse;
    expect(health).toEqual({ jsonrpc: "2.0", id: -1, result: {} });
    const block = (await (await fetch(`${h.address.url}/block?height=1`)).json()) as RpcResponse;
    expect((block.result as { block: { header: { height: string } } }).block.header.height).toBe("1");
    const quoted = (await (await fetch(`${h.address.url}/block?height="1"`)).json()) as RpcResponse;
    expect(quoted.result).toBeDefined();
  });

  it("GET / lists the methods", async () => {
    const body = (await (await fetch(h.address.url)).json()) as { methods: string[] };
    expect(body.methods).toContain("broadcast_tx_commit");
    expect(body.methods).toContain("triad_account");
  });

  it("other verbs and paths → 405 / 404", async () => {
    expect((await fetch(h.address.url, { method: "PUT", body: "{}" })).status).toBe(405);
    expect((await fetch(`${h.address.url}/x`, { method: "POST", body: "{}" })).status).toBe(404);
  });

  it("an unexpected failure inside the node → -32603 without internals", async () => {
    const original = h.node.getBlock.bind(h.node);
    h.node.getBlock = () => Promise.reject(new Error("disk on fire at /var/lib/triad"));
    try {
      const r = await h.rpc("block", { height: 1 });
      expect(r.error?.code).toBe(RPC_ERROR_CODES.INTERNAL);
      expect(JSON.stringify(r.error)).not.toContain("/var/lib");
    } finally {
      h.node.getBlock = original;
    }
  });
});

describe("enabledMethods", () => {
  it("refuses a known method that is not enabled with -32006, unknown ones still -32601", async () => {
    const h = await startRpc({ enabledMethods: ["health", "status"] });
    try {
      expect((await h.rpc("health")).result).toEqual({});
      const off = await h.rpc("broadcast_tx_sync", { tx: "AA==" });
      expect(off.error?.code).toBe(RPC_ERROR_CODES.METHOD_NOT_ENABLED);
      expect(off.error?.data?.method).toBe("broadcast_tx_sync");
      expect((await h.rpc("nope")).error?.code).toBe(RPC_ERROR_CODES.METHOD_NOT_FOUND);
      const list = (await (await fetch(h.address.url)).json()) as { methods: string[] };
      expect(list.methods).toEqual(["health", "status"]);
    } finally {
      await h.close();
    }
  });
});

describe("lifecycle", () => {
  it("binds port 0 to a real port, stops, and detaches from the node's events", async () => {
    const h = await startRpc();
    expect(h.address.port).toBeGreaterThan(0);
    expect(h.address.url).toBe(`http://127.0.0.1:${h.address.port}`);
    expect(h.node.listenerCount).toBe(2);
    await h.close();
    expect(h.node.listenerCount).toBe(0);
    await expect(fetch(h.address.url)).rejects.toThrow();
    await h.close(); // idempotent
  });

  it("rejects invalid limits at construction", async () => {
    await expect(startRpc({ maxBatchLength: 0 })).rejects.toThrow(/maxBatchLength/);
  });
});
