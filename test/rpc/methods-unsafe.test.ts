import { afterEach, describe, expect, it } from "vitest";
import { FaultLayer } from "../../src/p2p/fault-layer.js";
import { RpcServer } from "../../src/rpc/server.js";
import { FakeNode } from "./fake-node.js";
import { silentLogger, type RpcResponse } from "./helpers.js";

const A = "a".repeat(64);
const servers: RpcServer[] = [];

async function start(unsafe: FaultLayer | undefined): Promise<(method: string, params?: unknown) => Promise<RpcResponse>> {
  const server = new RpcServer({ port: 0, wsPingIntervalMs: 0 }, { api: new FakeNode(), logger: silentLogger, ...(unsafe === undefined ? {} : { unsafe }) });
  servers.push(server);
  const { url } = await server.start();
  return async (method, params) => {
    const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }) });
    return (await res.json()) as RpcResponse;
  };
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

describe("unsafe_net_* methods", () => {
  it("do not exist without --unsafe", async () => {
    const rpc = await start(undefined);
    expect((await rpc("unsafe_net_faults")).error?.code).toBe(-32601);
    expect((await rpc("unsafe_net_set_fault", { peers: ["*"], direction: "both", block: true })).error?.code).toBe(-32601);
  });

  it("set, list with counters, and clear faults", async () => {
    const layer = new FaultLayer({ seed: 1 });
    const rpc = await start(layer);
    const set = await rpc("unsafe_net_set_fault", { peers: [A.toUpperCase()], direction: "both", drop: 0.5, delay_ms: 10, delay_max_ms: 20 });
    expect(set.result).toEqual({ faults: [{ peer: A, direction: "both", drop: 0.5, delay_ms: 10, delay_max_ms: 20, duplicate: 0, block: false }] });
    await rpc("unsafe_net_set_fault", { peers: ["*"], direction: "out", block: true });
    layer.decide(A, "out");
    const all = (await rpc("unsafe_net_faults")).result as { faults: unknown[]; counters: Record<string, { blocked: number }> };
    expect(all.faults).toHaveLength(2);
    expect(all.counters[A]).toMatchObject({ dropped: expect.any(Number) as number, delayed: expect.any(Number) as number });
    expect((await rpc("unsafe_net_clear", { peers: ["*"] })).result).toEqual({ faults: [expect.objectContaining({ peer: A })] });
    expect((await rpc("unsafe_net_clear")).result).toEqual({ faults: [] });
    expect(layer.active).toBe(false);
  });

  it("refuse bad params with a typed error naming the parameter", async () => {
    const rpc = await start(new FaultLayer({ seed: 1 }));
    const bad = async (params: unknown): Promise<Record<string, unknown> | undefined> => {
      const r = await rpc("unsafe_net_set_fault", params);
      expect(r.error?.code).toBe(-32602);
      return r.error?.data;
    };
    expect(await bad({ peers: [A], direction: "both", drop: 2 })).toMatchObject({ param: "drop" });
    expect(await bad({ peers: ["12D3KooWxyz"], direction: "both", block: true })).toMatchObject({ param: "peers" });
    expect(await bad({ peers: [A], direction: "sideways", block: true })).toMatchObject({ param: "direction" });
    expect(await bad({ peers: [A], direction: "in" })).toMatchObject({ param: "params" });
    expect(await bad({ peers: [A], direction: "in", delay_ms: 50, delay_max_ms: 10 })).toMatchObject({ param: "delay_max_ms" });
    expect(await bad({ peers: [A], direction: "in", delay_ms: 1.5 })).toMatchObject({ param: "delay_ms" });
    expect(await bad({ direction: "in", block: true })).toMatchObject({ param: "peers" });
  });
});
