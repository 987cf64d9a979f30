// triad_dashboard at the RPC edge: the cursor is checked (a non-negative safe integer, by name
// or by position, absent = 0), the node's answer goes out as is, and a node without the method
// answers -32006.
import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RPC_ERROR_CODES } from "../../src/rpc/errors.js";
import type { DashboardInfo } from "../../src/rpc/node-api.js";
import { FakeNode } from "./fake-node.js";
import { startRpc, type RpcHarness } from "./helpers.js";

const ID = "ab".repeat(32);

class DashboardNode extends FakeNode {
  readonly asked: number[] = [];
  dashboard(since: number): DashboardInfo {
    this.asked.push(since);
    return {
      node: {
        moniker: "fake",
        validator_id: ID,
        peer_id: "12D3KooWfake",
        chain_id: "triad-rpc-test",
        selection: "poa",
        version: "0.1.0",
        height: 3,
        view: 0,
        phase: "prepare",
        primary: ID,
        role: "primary",
        byzantine: [],
        syncing: false,
        uptime_ms: 10,
        peers: 3,
        mempool: { txs: 0, bytes: 0 },
        view_changes: { timeout: 0, join: 0, "bad-proposal": 0, entered: 0 },
        faults_reported: 0,
        messages_refused: 0,
        now_ms: 1,
      },
      validators: [{ address: ID, power: 1, primary: true, self: true, connected: true, last_sealed_height: 3, sealed_recent: 3, recent_blocks: 3, faults: 0 }],
      blocks: [
        { height: 3, hash: "cd".repeat(32), proposer: ID, txs: 2, view: 0, bytes: 400, timestamp_ms: 1000, appended_ms: 1100, latency_ms: 100, source: "consensus" },
      ],
      events: since < 7 ? [{ seq: 7, at_ms: 5, kind: "view-change", height: 3, view: 1, reason: "timeout" }] : [],
      next_since: 7,
    };
  }
}

describe("triad_dashboard", () => {
  let h: RpcHarness;
  let plain: RpcHarness;
  let node: DashboardNode;
  beforeAll(async () => {
    node = new DashboardNode();
    h = await startRpc({}, node);
    plain = await startRpc();
  });
  afterAll(async () => {
    await h.close();
    await plain.close();
  });

  it("answers the contract's shape; since defaults to 0 and is taken by name, by position and as a decimal string", async () => {
    const d = await h.result<Record<string, unknown>>("triad_dashboard");
    expect(Object.keys(d).sort()).toEqual(["blocks", "events", "next_since", "node", "validators"]);
    expect(d.next_since).toBe(7);
    expect((d.events as unknown[]).length).toBe(1);
    await h.result("triad_dashboard", { since: 7 });
    await h.result("triad_dashboard", [5]);
    await h.result("triad_dashboard", { since: "9" });
    expect(node.asked).toEqual([0, 7, 5, 9]);
  });

  it("is served over GET too (the page may poll it as a URI)", async () => {
    const res = await fetch(`${h.address.url}/triad_dashboard?since=7`);
    const json = (await res.json()) as { result: { events: unknown[] } };
    expect(json.result.events).toEqual([]);
  });

  it.each([[-1], [1.5], ["abc"], [true], [[1]], [{}], [2 ** 53], ["-3"]])("refuses since = %j with invalid params naming it", async (since) => {
    const before = node.asked.length;
    const r = await h.rpc("triad_dashboard", { since });
    expect(r.error?.code).toBe(RPC_ERROR_CODES.INVALID_PARAMS);
    expect(r.error?.data?.param).toBe("since");
    expect(node.asked.length).toBe(before);
  });

  it("serves the page with its CSP, and a path that climbs out of /dashboard is a 404, not another route", async () => {
    const page = await fetch(`${h.address.url}/dashboard/`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect(await page.text()).toMatch(/<html/i);
    // fetch would fold the `..` away; a raw request sends it as written.
    for (const path of ["/dashboard/../package.json", "/dashboard/../status", "/dashboard/./index.html"]) {
      const status = await new Promise<number>((resolve, reject) => {
        const req = request({ host: "127.0.0.1", port: h.address.port, path }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on("error", reject);
        req.end();
      });
      expect(status, path).toBe(404);
    }
  });

  it("is not enabled on a node without it", async () => {
    const r = await plain.rpc("triad_dashboard");
    expect(r.error?.code).toBe(RPC_ERROR_CODES.METHOD_NOT_ENABLED);
    expect((await plain.rpc("triad_dashboard", { since: -1 })).error?.code).toBe(RPC_ERROR_CODES.INVALID_PARAMS);
  });
});
