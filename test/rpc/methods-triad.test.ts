// Triad's own methods: accounts, key-value reads, governance reads and signer metrics.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toHex } from "../../src/chain/encoding.js";
import { RPC_ERROR_CODES } from "../../src/rpc/errors.js";
import type { ResultAccount, ResultKv } from "../../src/rpc/types.js";
import { account0, INITIAL_BALANCE, transferTx } from "./fake-node.js";
import { startRpc, type RpcHarness } from "./helpers.js";

describe("triad methods", () => {
  let h: RpcHarness;
  beforeAll(async () => {
    h = await startRpc();
    h.node.appendBlock([transferTx(account0, 0)]);
    h.node.kvStore.set("greeting", new TextEncoder().encode("hello"));
  });
  afterAll(() => h.close());

  it("triad_account: balance as a decimal string, nonce and pending nonce as numbers", async () => {
    const id = toHex(account0.publicKey);
    await h.result("broadcast_tx_sync", { tx: Buffer.from(transferTx(account0, 1).bytes).toString("base64") });
    const a = await h.result<ResultAccount>("triad_account", { id });
    expect(a).toEqual({ id, balance: INITIAL_BALANCE.toString(), nonce: 1, pending_nonce: 2, height: 1 });
    // Upper case and 0x are accepted; the answer names the canonical id.
    expect((await h.result<ResultAccount>("triad_account", [`0x${id.toUpperCase()}`])).id).toBe(id);
    const empty = await h.result<ResultAccount>("triad_account", { id: "11".repeat(32) });
    expect(empty).toMatchObject({ balance: "0", nonce: 0, pending_nonce: 0 });
  });

  it("triad_kv: base64 value, null when unset, key bounds checked", async () => {
    expect(await h.result<ResultKv>("triad_kv", { key: "greeting" })).toEqual({ key: "greeting", value: Buffer.from("hello").toString("base64"), height: 1 });
    expect((await h.result<ResultKv>("triad_kv", { key: "nothing" })).value).toBeNull();
    for (const key of ["", "k".repeat(257), 5]) {
      const r = await h.rpc("triad_kv", { key });
      expect(r.error?.code).toBe(RPC_ERROR_CODES.INVALID_PARAMS);
      expect(r.error?.data?.param).toBe("key");
    }
  });

  it("poa_getPendingVotes on a PoA chain; dbft_getCandidates refused with -32006", async () => {
    const votes = await h.result<unknown[]>("poa_getPendingVotes");
    expect(votes).toHaveLength(1);
    const r = await h.rpc("dbft_getCandidates");
    expect(r.error?.code).toBe(RPC_ERROR_CODES.METHOD_NOT_ENABLED);
    expect(r.error?.data?.reason).toMatch(/dbft/);
  });

  it("consensus_getSignerMetrics passes the node's JSON through", async () => {
    const m = await h.result<{ validators: { signed: number }[] }>("consensus_getSignerMetrics");
    expect(m.validators).toHaveLength(4);
    expect(m.validators[0]!.signed).toBe(1);
  });
});
