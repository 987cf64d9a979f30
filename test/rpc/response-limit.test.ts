// maxResponseBytes bounds what one request body can make the node build: a single answer over it
// is replaced by -32009, a batch's answers are bounded together (the rest of the batch is not
// run), and triad_blocks ends its range early instead of failing, so a checker still pages on.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RPC_ERROR_CODES } from "../../src/rpc/errors.js";
import type { ResultTriadBlocks } from "../../src/rpc/types.js";
import { account0, transferTx } from "./fake-node.js";
import { startRpc, type RpcHarness, type RpcResponse } from "./helpers.js";

const LIMIT = 16 * 1024;

describe("maxResponseBytes", () => {
  let h: RpcHarness;
  let blockBytes: number;
  beforeAll(async () => {
    h = await startRpc({ maxResponseBytes: LIMIT });
    // Block 1: 40 txs, a few KiB of JSON; blocks 2..30 empty.
    h.node.appendBlock(Array.from({ length: 40 }, (_, i) => transferTx(account0, i)));
    for (let i = 0; i < 29; i++) h.node.appendBlock([]);
    blockBytes = (await h.rpc("block", { height: 1 }).then((r) => JSON.stringify(r))).length;
  });
  afterAll(() => h.close());

  it("answers a batch within the limit in full", async () => {
    const batch = [1, 2, 3].map((height, i) => ({ jsonrpc: "2.0", id: i, method: "block", params: { height } }));
    const { json, text } = await h.post(JSON.stringify(batch));
    expect(Buffer.byteLength(text)).toBeLessThan(LIMIT);
    expect((json as RpcResponse[]).map((r) => r.error)).toEqual([undefined, undefined, undefined]);
  });

  it("a batch whose answers pass the limit: the one that passes it and every later request get -32009, unrun", async () => {
    expect(blockBytes).toBeGreaterThan(LIMIT / 8);
    const n = Math.ceil(LIMIT / blockBytes) + 3;
    const batch = [
      ...Array.from({ length: n }, (_, i) => ({ jsonrpc: "2.0", id: i, method: "block", params: { height: 1 } })),
      // A notification past the limit still gets no answer; a broadcast past it is not run.
      { jsonrpc: "2.0", method: "health" },
      { jsonrpc: "2.0", id: "tx", method: "broadcast_tx_sync", params: { tx: Buffer.from(transferTx(account0, 40).bytes).toString("base64") } },
    ];
    const before = h.node.mempoolTxs.size;
    const { json, text } = await h.post(JSON.stringify(batch));
    const answers = json as RpcResponse[];
    expect(answers.map((r) => r.id)).toEqual([...Array.from({ length: n }, (_, i) => i), "tx"]);
    const ok = answers.filter((r) => r.error === undefined).length;
    expect(ok).toBeGreaterThan(0);
    expect(ok).toBe(Math.floor((LIMIT - 2) / (blockBytes + 1)));
    for (const r of answers.slice(ok)) {
      expect(r.error?.code).toBe(RPC_ERROR_CODES.RESPONSE_TOO_LARGE);
      expect(r.error?.data?.limit).toBe(LIMIT);
    }
    expect(answers[ok]!.error?.data?.got).toBeGreaterThan(0);
    expect(answers.at(-1)!.error?.data?.reason).toMatch(/not run/);
    expect(h.node.mempoolTxs.size).toBe(before);
    // The whole answer stays near the limit: the refusals are a few hundred bytes each.
    expect(Buffer.byteLength(text)).toBeLessThan(LIMIT + (n + 1) * 400);
  });

  it("a single answer over the limit is replaced by -32009 with its id; the node keeps serving", async () => {
    const tiny = await startRpc({ maxResponseBytes: 1024 }, h.node);
    try {
      const r = await tiny.rpc("block", { height: 1 }, "big");
      expect(r.id).toBe("big");
      expect(r.error?.code).toBe(RPC_ERROR_CODES.RESPONSE_TOO_LARGE);
      expect(r.error?.data?.limit).toBe(1024);
      expect(Math.abs(Number(r.error?.data?.got) - blockBytes)).toBeLessThan(16);
      // The URI form is bounded the same way.
      const uri = (await (await fetch(`${tiny.address.url}/block?height=1`)).json()) as RpcResponse;
      expect(uri.error?.code).toBe(RPC_ERROR_CODES.RESPONSE_TOO_LARGE);
      expect(await tiny.result("health")).toEqual({});
    } finally {
      await tiny.close();
    }
  });

  it("triad_blocks ends its range early at half the limit, and paging on from its end reads every block", async () => {
    const tiny = await startRpc({ maxResponseBytes: 8 * 1024 }, h.node);
    try {
      const first = await tiny.result<ResultTriadBlocks>("triad_blocks", { min_height: 1, max_height: 30 });
      expect(first.blocks.length).toBeGreaterThan(0);
      expect(first.blocks.length).toBeLessThan(30);
      const heights: number[] = [];
      let next = 1;
      while (next <= 30) {
        const page = await tiny.result<ResultTriadBlocks>("triad_blocks", { min_height: next, max_height: 30 });
        expect(page.blocks.length).toBeGreaterThan(0);
        for (const b of page.blocks) heights.push(b.height);
        next = page.blocks.at(-1)!.height + 1;
      }
      expect(heights).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    } finally {
      await tiny.close();
    }
  });
});
