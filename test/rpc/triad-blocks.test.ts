// triad_blocks: a range of blocks in one call, ascending, with each block's own seal, for
// `triad check` and other chain checkers.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toHex } from "../../src/chain/encoding.js";
import { validatorsHash } from "../../src/chain/validator-set.js";
import { TriadClient } from "../../src/rpc/client.js";
import { RPC_ERROR_CODES } from "../../src/rpc/errors.js";
import type { ResultTriadBlocks } from "../../src/rpc/types.js";
import { account0, transferTx } from "./fake-node.js";
import { startRpc, type RpcHarness } from "./helpers.js";

describe("triad_blocks", () => {
  let h: RpcHarness;
  beforeAll(async () => {
    h = await startRpc();
    h.node.appendBlock([]);
    h.node.appendBlock([transferTx(account0, 0), transferTx(account0, 1)]);
    for (let i = 0; i < 148; i++) h.node.appendBlock([]);
  });
  afterAll(() => h.close());

  it("answers ascending blocks with header facts, tx ids and the stored seal", async () => {
    const r = await h.result<ResultTriadBlocks>("triad_blocks", [1, 3]);
    expect(r.last_height).toBe(150);
    expect(r.blocks.map((b) => b.height)).toEqual([1, 2, 3]);
    const stored = h.node.blocks[1]!;
    const b = r.blocks[1]!;
    expect(b).toEqual({
      height: 2,
      hash: stored.block.id,
      parent_hash: h.node.blocks[0]!.block.id,
      app_hash: toHex(stored.block.header.stateRoot),
      validators_hash: toHex(validatorsHash(h.node.set)),
      view: 0,
      proposer: stored.block.header.proposer,
      tx_ids: stored.block.txs.map((t) => t.id),
      seal: {
        view: 0,
        signatures: stored.seal.commits.map((c) => ({ validator: c.validator, signature: Buffer.from(c.signature).toString("base64") })),
      },
    });
    expect(b.tx_ids).toHaveLength(2);
  });

  it("caps a call at 100 blocks and clips to the head; defaults to 1..head", async () => {
    const wide = await h.result<ResultTriadBlocks>("triad_blocks", { min_height: 20, max_height: 1000 });
    expect(wide.blocks).toHaveLength(100);
    expect(wide.blocks[0]!.height).toBe(20);
    expect(wide.blocks[99]!.height).toBe(119);
    const all = await h.result<ResultTriadBlocks>("triad_blocks", {});
    expect(all.blocks.map((b) => b.height)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    const tail = await h.result<ResultTriadBlocks>("triad_blocks", { min_height: "140" });
    expect(tail.blocks.map((b) => b.height)).toEqual(Array.from({ length: 11 }, (_, i) => 140 + i));
    const beyond = await h.result<ResultTriadBlocks>("triad_blocks", [151, 160]);
    expect(beyond).toEqual({ last_height: 150, blocks: [] });
  });

  it("refuses bad heights as blockchain does", async () => {
    const reversed = await h.rpc("triad_blocks", { min_height: 10, max_height: 5 });
    expect(reversed.error?.code).toBe(RPC_ERROR_CODES.INVALID_PARAMS);
    expect(reversed.error?.data?.param).toBe("min_height");
    const negative = await h.rpc("triad_blocks", [-1, 5]);
    expect(negative.error?.code).toBe(RPC_ERROR_CODES.INVALID_PARAMS);
    const text = await h.rpc("triad_blocks", ["one", 5]);
    expect(text.error?.code).toBe(RPC_ERROR_CODES.INVALID_PARAMS);
  });

  it("TriadClient.blocks pages through the chain", async () => {
    const client = new TriadClient({ url: h.address.url });
    const first = await client.blocks(1);
    const second = await client.blocks(101);
    expect(first.blocks).toHaveLength(100);
    expect(second.blocks.map((b) => b.height)).toEqual(Array.from({ length: 50 }, (_, i) => 101 + i));
    expect(second.blocks[0]!.parent_hash).toBe(first.blocks[99]!.hash);
  });
});
