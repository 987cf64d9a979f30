// The dashboard's data end to end, as `npm start` gives it: `triad testnet` (its own process,
// one process per node) ends its startup output with the network dashboard's link; the control
// server serves network.json and refuses a POST that is not JSON; a node answers triad_dashboard
// with its validator row, a rising height and an event cursor, and serves the page with its CSP.
import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TriadClient } from "../../src/rpc/client.js";
import type { DashboardInfo } from "../../src/rpc/node-api.js";
import type { NetworkSnapshot } from "../../src/testnet/control-server.js";
import { waitFor, type TestnetManifest } from "../../src/testnet/index.js";
import { CliTestnet } from "../support/cli-testnet.js";

let net: CliTestnet;
let manifest: TestnetManifest;
let control: string;

const DASHBOARD_LINE = /^dashboard: (http:\/\/127\.0\.0\.1:\d+)\/dashboard\/$/m;

function rawGet(base: string, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port: new URL(base).port, path }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", reject);
    req.end();
  });
}

const network = async (): Promise<NetworkSnapshot> => (await (await fetch(`${control}/dashboard/network.json`)).json()) as NetworkSnapshot;

beforeAll(async () => {
  net = await CliTestnet.start("triad-dashboard", ["--validators", "4", "--selection", "poa", "--tick-ms", "50", "--metrics-base-port", "0"]);
  await waitFor("the dashboard's link", () => (DASHBOARD_LINE.test(net.output) ? true : undefined), { timeoutMs: 30_000, intervalMs: 100 });
  manifest = net.manifest;
  control = net.manifest.control;
}, 120_000);

afterAll(async () => {
  await net?.stop();
}, 60_000);

describe("the dashboard of a running testnet", () => {
  it("ends the startup output with the network dashboard's link, after each node's page", () => {
    const lines = net.output.split("\n");
    const last = lines.findIndex((l) => DASHBOARD_LINE.test(l));
    expect(DASHBOARD_LINE.exec(lines[last]!)![1]).toBe(control);
    expect(lines[last - 1]).toBe(`node dashboards: <rpc>/dashboard/ on every node, e.g. ${manifest.nodes[0]!.rpc}/dashboard/`);
    expect(lines.findIndex((l) => l.startsWith("wrote "))).toBeLessThan(last);
  });

  it("serves network.json listing every node, running", async () => {
    const net = await network();
    expect(net.chain_id).toBe(manifest.chainId);
    expect(net.selection).toBe("poa");
    expect(net.nodes.map((n) => [n.name, n.id, n.rpc, n.state])).toEqual(manifest.nodes.map((n) => [n.name, n.id, n.rpc, "running"]));
    expect(net.nodes[0]!.ws).toBe(`${manifest.nodes[0]!.rpc.replace("http:", "ws:")}/websocket`);
    expect(net.perturbations).toEqual([]);
    const page = await fetch(`${control}/dashboard/`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-security-policy")).toContain("default-src 'self'");
  });

  it("refuses a POST without a JSON content type (415), and the node keeps running", async () => {
    const res = await fetch(`${control}/kill`, { method: "POST", headers: { "content-type": "text/plain" }, body: JSON.stringify({ node: "validator-3" }) });
    expect(res.status).toBe(415);
    expect((await network()).nodes.every((n) => n.state === "running")).toBe(true);
  });

  it("a node answers triad_dashboard with its own validator row and a rising height", async () => {
    const self = manifest.nodes[0]!;
    const client = new TriadClient({ url: self.rpc });
    const first = await client.call<DashboardInfo>("triad_dashboard", {});
    expect(first.node.validator_id).toBe(self.id);
    expect(first.node.chain_id).toBe(manifest.chainId);
    expect(first.validators.map((v) => v.address).sort()).toEqual(manifest.nodes.map((n) => n.id).sort());
    expect(first.validators.filter((v) => v.self).map((v) => v.address)).toEqual([self.id]);
    expect(first.validators.filter((v) => v.primary)).toHaveLength(1);
    const second = await waitFor(
      "a higher height in triad_dashboard",
      async () => {
        const d = await client.call<DashboardInfo>("triad_dashboard", {});
        return d.node.height > first.node.height + 1 ? d : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    expect(second.blocks.at(-1)!.height).toBe(second.node.height);
    const appended = second.blocks.at(-1)!;
    expect(appended.appended_ms).not.toBeNull();
    expect(appended.latency_ms).toBe(appended.appended_ms! - appended.timestamp_ms);
    expect(second.validators.some((v) => v.sealed_recent > 0 && v.recent_blocks > 0)).toBe(true);
  });

  it("walks the events with the cursor: a network fault injected into the node shows once", async () => {
    const [self, peer] = [manifest.nodes[0]!, manifest.nodes[1]!];
    const client = new TriadClient({ url: self.rpc });
    const before = await client.call<DashboardInfo>("triad_dashboard", {});
    let cursor = before.next_since;
    await client.call("unsafe_net_set_fault", { peers: [peer.id], direction: "both", delay_ms: 1 });
    const after = await client.call<DashboardInfo>("triad_dashboard", { since: cursor });
    expect(after.events.every((e) => e.seq > cursor)).toBe(true);
    expect(after.events.filter((e) => e.kind === "perturbation")).toMatchObject([{ kind: "perturbation", action: "net-fault", peer: peer.id }]);
    cursor = after.next_since;
    await client.call("unsafe_net_clear", {});
    const last = await client.call<DashboardInfo>("triad_dashboard", { since: cursor });
    expect(last.events.filter((e) => e.kind === "perturbation")).toMatchObject([{ action: "net-clear", peer: null }]);
    const bad = await fetch(self.rpc, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "triad_dashboard", params: { since: -1 } }),
    });
    expect(((await bad.json()) as { error: { code: number } }).error.code).toBe(-32602);
  });

  it("a node serves its page with the CSP header, and /dashboard/../package.json is a 404", async () => {
    const rpc = manifest.nodes[0]!.rpc;
    const page = await fetch(`${rpc}/dashboard/`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect(await rawGet(rpc, "/dashboard/../package.json")).toBe(404);
  });

  it("network.json shows a node killed through the control server as stopped, with the kill in its journal", async () => {
    const res = await fetch(`${control}/kill`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ node: "validator-3" }) });
    expect(res.status).toBe(200);
    const net = await network();
    expect(net.nodes.find((n) => n.name === "validator-3")!.state).toBe("stopped");
    expect(net.perturbations).toMatchObject([{ seq: 1, action: "kill", node: "validator-3" }]);
    expect(net.perturbations[0]!.at_ms).toBeLessThanOrEqual(net.now_ms);
  });
});
