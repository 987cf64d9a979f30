// The testnet supervisor's control server over a fake ControlTarget: the network's dashboard
// (network.json and the page's files), the process actions and their journal, and the refusals
// that keep a web page from driving it (non-JSON POSTs, foreign Host headers).
import { request } from "node:http";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ControlServer, MAX_PERTURBATIONS, type ControlTarget, type NetworkSnapshot } from "../../../src/testnet/control-server.js";
import type { TestnetManifest, TestnetNodeInfo } from "../../../src/testnet/manifest.js";
import type { ProcessState } from "../../../src/testnet/net-control.js";

function nodeInfo(i: number, extra: Partial<TestnetNodeInfo> = {}): TestnetNodeInfo {
  return {
    name: `validator-${i}`,
    role: "validator",
    id: String(i).repeat(64),
    nodeId: `12D3KooW${i}`,
    rpc: `http://127.0.0.1:${26657 + i}`,
    p2p: `/ip4/127.0.0.1/tcp/${26656 + i}/p2p/12D3KooW${i}`,
    pid: 1000 + i,
    home: `/tmp/net/nodes/validator-${i}`,
    key: `/tmp/net/keys/validator-${i}.json`,
    ...extra,
  };
}

class FakeTarget implements ControlTarget {
  readonly calls: string[] = [];
  readonly states = new Map<string, ProcessState>();
  readonly manifest: TestnetManifest;

  constructor() {
    this.manifest = {
      version: 1,
      chainId: "triad-fake",
      selection: "poa",
      genesis: "/tmp/net/genesis.json",
      genesisHash: "0".repeat(64),
      insecure: true,
      nodes: [
        nodeInfo(0),
        nodeInfo(1, { byzantine: ["equivocate"] }),
        nodeInfo(2, { metrics: "http://127.0.0.1:26662/metrics" } as Partial<TestnetNodeInfo>),
        nodeInfo(3, { name: "validator-3-twin", twinOf: "validator-3" }),
      ],
      accounts: [],
    };
    for (const n of this.manifest.nodes) this.states.set(n.name, "running");
  }

  names(): string[] {
    return this.manifest.nodes.map((n) => n.name);
  }
  state(name: string): ProcessState {
    return this.states.get(name)!;
  }
  kill(name: string): Promise<void> {
    this.calls.push(`kill ${name}`);
    this.states.set(name, "stopped");
    return Promise.resolve();
  }
  restart(name: string): Promise<void> {
    this.calls.push(`restart ${name}`);
    this.states.set(name, "running");
    return Promise.resolve();
  }
  pause(name: string): Promise<void> {
    this.calls.push(`pause ${name}`);
    this.states.set(name, "paused");
    return Promise.resolve();
  }
  resume(name: string): Promise<void> {
    this.calls.push(`resume ${name}`);
    this.states.set(name, "running");
    return Promise.resolve();
  }
}

/** A raw request: the path goes out as written (no `..` folding) and any Host header can be set. */
function raw(url: string, path: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, method: options.method ?? "GET", headers: options.headers ?? {} }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (d: string) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end(options.body);
  });
}

const post = (url: string, action: string, body: unknown, contentType = "application/json") =>
  fetch(`${url}/${action}`, { method: "POST", headers: { "content-type": contentType }, body: JSON.stringify(body) });

describe("ControlServer", () => {
  let target: FakeTarget;
  let server: ControlServer;
  let url: string;
  let clock: number;
  beforeEach(async () => {
    target = new FakeTarget();
    clock = 1_000;
    server = new ControlServer(target, { now: () => clock });
    url = await server.start();
  });
  afterEach(async () => {
    await server.stop();
  });

  it("serves network.json: every node with its state, ws and metrics URLs, Byzantine behaviours and twin", async () => {
    const res = await fetch(`${url}/dashboard/network.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json");
    const net = (await res.json()) as NetworkSnapshot;
    expect(net).toEqual({
      chain_id: "triad-fake",
      selection: "poa",
      now_ms: 1_000,
      nodes: target.manifest.nodes.map((n, i) => ({
        name: n.name,
        role: "validator",
        id: String(i).repeat(64),
        rpc: `http://127.0.0.1:${26657 + i}`,
        ws: `ws://127.0.0.1:${26657 + i}/websocket`,
        metrics: i === 2 ? "http://127.0.0.1:26662/metrics" : null,
        byzantine: i === 1 ? ["equivocate"] : [],
        twin_of: i === 3 ? "validator-3" : null,
        state: "running",
      })),
      perturbations: [],
    });
  });

  it("carries out the process actions, and network.json shows the new states and the actions with their time", async () => {
    expect((await post(url, "kill", { node: "validator-1" })).status).toBe(200);
    clock = 2_000;
    expect((await post(url, "pause", { node: "validator-2" })).status).toBe(200);
    clock = 3_000;
    const restart = await post(url, "restart", { node: "validator-1" });
    expect(await restart.json()).toEqual({ node: "validator-1", action: "restart", state: "running" });
    expect(target.calls).toEqual(["kill validator-1", "pause validator-2", "restart validator-1"]);
    const net = (await (await fetch(`${url}/dashboard/network.json`)).json()) as NetworkSnapshot;
    expect(net.nodes.map((n) => n.state)).toEqual(["running", "running", "paused", "running"]);
    expect(net.perturbations).toEqual([
      { seq: 1, at_ms: 1_000, action: "kill", node: "validator-1" },
      { seq: 2, at_ms: 2_000, action: "pause", node: "validator-2" },
      { seq: 3, at_ms: 3_000, action: "restart", node: "validator-1" },
    ]);
    const status = await post(url, "status", {});
    expect(await status.json()).toEqual({ nodes: { "validator-0": "running", "validator-1": "running", "validator-2": "paused", "validator-3-twin": "running" } });
  });

  it("keeps the last 500 perturbations", async () => {
    for (let i = 0; i < MAX_PERTURBATIONS + 3; i++) expect((await post(url, "resume", { node: "validator-0" })).status).toBe(200);
    const net = server.network();
    expect(net.perturbations).toHaveLength(MAX_PERTURBATIONS);
    expect(net.perturbations[0]!.seq).toBe(4);
    expect(net.perturbations.at(-1)!.seq).toBe(MAX_PERTURBATIONS + 3);
  });

  it("refuses a POST whose content type is not JSON (415), and does nothing", async () => {
    for (const type of ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"]) {
      const res = await post(url, "kill", { node: "validator-0" }, type);
      expect(res.status, type).toBe(415);
    }
    const none = await raw(url, "/kill", { method: "POST", body: JSON.stringify({ node: "validator-0" }) });
    expect(none.status).toBe(415);
    expect(target.calls).toEqual([]);
    expect(server.network().perturbations).toEqual([]);
    expect((await post(url, "kill", { node: "validator-0" }, "application/json; charset=utf-8")).status).toBe(200);
  });

  it("refuses a Host that is not the loopback (a DNS-rebinding page), for reads and actions alike", async () => {
    const read = await raw(url, "/dashboard/network.json", { headers: { host: "evil.example:80" } });
    expect(read.status).toBe(403);
    const act = await raw(url, "/kill", { method: "POST", headers: { host: "evil.example", "content-type": "application/json" }, body: '{"node":"validator-0"}' });
    expect(act.status).toBe(403);
    expect(target.calls).toEqual([]);
    const port = new URL(url).port;
    expect((await raw(url, "/dashboard/network.json", { headers: { host: `localhost:${port}` } })).status).toBe(200);
  });

  it("serves the dashboard's page and files, and nothing outside them", async () => {
    const page = await fetch(`${url}/dashboard/`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    expect(page.headers.get("content-security-policy")).toContain("default-src 'self'");
    expect((await raw(url, "/dashboard/../package.json")).status).toBe(404);
    expect((await raw(url, "/dashboard/%2e%2e/package.json")).status).toBe(404);
    expect((await fetch(`${url}/dashboard`, { redirect: "manual" })).status).toBe(308);
  });

  it("answers other GETs 405, unknown actions and nodes 404, a body that is not JSON 400", async () => {
    expect((await fetch(`${url}/status`)).status).toBe(405);
    expect((await fetch(`${url}/package.json`)).status).toBe(404);
    expect((await post(url, "explode", { node: "validator-0" })).status).toBe(404);
    expect((await post(url, "kill", { node: "validator-9" })).status).toBe(404);
    const bad = await fetch(`${url}/kill`, { method: "POST", headers: { "content-type": "application/json" }, body: "{not json" });
    expect(bad.status).toBe(400);
    expect(target.calls).toEqual([]);
  });
});
