// Issue 11: a WebSocket from Origin http://attacker.example subscribed to NewBlock, and a
// text/plain POST with a foreign Host got `status`. The RPC now checks Origin (allow-list,
// localhost pages by default) and Host (loopback names and the bound address by default).
import { request } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startCommand } from "../../src/cli/start-command.js";
import { defaultConfig, loadConfig } from "../../src/node/config.js";
import { DEFAULT_ALLOWED_HOSTS, DEFAULT_CORS_ALLOWED_ORIGINS, OriginPolicy } from "../../src/rpc/origin-policy.js";
import { startRpc, WsProbe, type RpcHarness } from "./helpers.js";

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
}

/** A raw HTTP request with exactly these headers (fetch will not send a foreign Host). */
function raw(h: RpcHarness, method: string, headers: Record<string, string>, body = ""): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port: h.address.port, path: "/", method, headers: { ...headers, "content-length": String(Buffer.byteLength(body)) } }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (text += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

const statusBody = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "status" });

/** The upgrade's answer: "open", or the HTTP status it was refused with. */
function upgrade(h: RpcHarness, headers: Record<string, string>): Promise<"open" | number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(h.address.wsUrl, { headers });
    socket.once("open", () => {
      socket.close();
      resolve("open");
    });
    socket.once("unexpected-response", (_req, res) => {
      resolve(res.statusCode ?? 0);
      socket.terminate();
    });
    socket.once("error", (err) => reject(err));
  });
}

describe("RPC Origin and Host checks (defaults)", () => {
  let h: RpcHarness;
  afterEach(async () => h.close());

  it("refuses a WebSocket from a foreign Origin with 403, so it never subscribes", async () => {
    h = await startRpc();
    expect(await upgrade(h, { Origin: "http://attacker.example" })).toBe(403);
    expect(await upgrade(h, { Origin: "null" })).toBe(403);
    expect(h.server.stats().clients).toBe(0);
  });

  it("refuses an HTTP request with a foreign Host (DNS rebinding) or a foreign Origin with 403", async () => {
    h = await startRpc();
    const rebinding = await raw(h, "POST", { Host: `attacker.example:${h.address.port}`, "Content-Type": "text/plain" }, statusBody);
    expect(rebinding.status).toBe(403);
    expect(rebinding.text).not.toContain("node_info");
    expect(JSON.parse(rebinding.text)).toMatchObject({ error: { code: -32600, data: { reason: expect.stringMatching(/Host .* is not allowed/) } } });
    const foreignOrigin = await raw(h, "POST", { Host: `127.0.0.1:${h.address.port}`, Origin: "http://attacker.example", "Content-Type": "text/plain" }, statusBody);
    expect(foreignOrigin.status).toBe(403);
    expect(foreignOrigin.headers["access-control-allow-origin"]).toBeUndefined();
    // The dashboard's static files are behind the same check.
    const page = await new Promise<number>((resolve, reject) => {
      request({ host: "127.0.0.1", port: h.address.port, path: "/dashboard/", headers: { Host: "attacker.example" } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
        .on("error", reject)
        .end();
    });
    expect(page).toBe(403);
  });

  it("admits localhost pages on any port, over HTTP (with CORS) and WebSocket", async () => {
    h = await startRpc();
    for (const origin of ["http://127.0.0.1:5173", "http://localhost:3000", "https://localhost", "http://[::1]:8080"]) {
      expect(await upgrade(h, { Origin: origin })).toBe("open");
      const r = await raw(h, "POST", { Host: `localhost:${h.address.port}`, Origin: origin, "Content-Type": "application/json" }, statusBody);
      expect(r.status).toBe(200);
      expect(r.headers["access-control-allow-origin"]).toBe(origin);
      expect(JSON.parse(r.text)).toMatchObject({ result: { node_info: {} } });
    }
    // A page served by this node itself (its dashboard) under an allowed Host is same-origin.
    expect(await upgrade(h, { Origin: `http://127.0.0.1:${h.address.port}` })).toBe("open");
  });

  it("answers CORS preflights for allowed origins only", async () => {
    h = await startRpc();
    const ok = await raw(h, "OPTIONS", { Origin: "http://localhost:3000", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type" });
    expect(ok.status).toBe(204);
    expect(ok.headers["access-control-allow-origin"]).toBe("http://localhost:3000");
    expect(String(ok.headers["access-control-allow-methods"])).toContain("POST");
    expect(String(ok.headers["access-control-allow-headers"]).toLowerCase()).toContain("content-type");
    const foreign = await raw(h, "OPTIONS", { Origin: "http://attacker.example", "Access-Control-Request-Method": "POST" });
    expect(foreign.status).toBe(403);
    expect(foreign.headers["access-control-allow-origin"]).toBeUndefined();
  });

  it("lets clients without Origin through (curl, cosmjs in node, our client)", async () => {
    h = await startRpc();
    expect(await h.result("status")).toMatchObject({ node_info: {} });
    const probe = await WsProbe.open(h.address.wsUrl);
    expect((await probe.call(1, "status")).result).toMatchObject({ node_info: {} });
    probe.close();
    const noHost = await raw(h, "POST", { Host: `127.0.0.1:${h.address.port}`, "Content-Type": "text/plain" }, statusBody);
    expect(noHost.status).toBe(200);
  });
});

describe("RPC Origin and Host checks (configured)", () => {
  let h: RpcHarness;
  afterEach(async () => h.close());

  it('"*" allows every origin and every host', async () => {
    h = await startRpc({ corsAllowedOrigins: ["*"], allowedHosts: ["*"] });
    expect(await upgrade(h, { Origin: "http://attacker.example" })).toBe("open");
    const r = await raw(h, "POST", { Host: "anything.example", Origin: "http://attacker.example", "Content-Type": "text/plain" }, statusBody);
    expect(r.status).toBe(200);
    expect(r.headers["access-control-allow-origin"]).toBe("http://attacker.example");
  });

  it("an explicit list replaces the defaults, with * as a wildcard inside an entry", async () => {
    h = await startRpc({ corsAllowedOrigins: ["https://*.example.com"], allowedHosts: ["node.example.com"] });
    expect(await upgrade(h, { Origin: "https://app.example.com" })).toBe("open");
    expect(await upgrade(h, { Origin: "http://localhost:3000" })).toBe(403);
    expect(await upgrade(h, { Origin: "https://evil.com/.example.com" })).toBe(403);
    expect((await raw(h, "POST", { Host: "node.example.com", "Content-Type": "text/plain" }, statusBody)).status).toBe(200);
    // The bound address is always accepted; other names are not.
    expect((await raw(h, "POST", { Host: `127.0.0.1:${h.address.port}`, "Content-Type": "text/plain" }, statusBody)).status).toBe(200);
    expect((await raw(h, "POST", { Host: "localhost", "Content-Type": "text/plain" }, statusBody)).status).toBe(403);
  });
});

describe("OriginPolicy", () => {
  it("reads Host headers strictly and treats a wildcard bind as any IP literal, never a name", () => {
    const local = new OriginPolicy(["http://localhost:*"], ["localhost"], "127.0.0.1");
    expect(local.hostAllowed("127.0.0.1:26657")).toBe(true);
    expect(local.hostAllowed("LOCALHOST:1")).toBe(true);
    expect(local.hostAllowed("10.0.0.5:26657")).toBe(false);
    expect(local.hostAllowed("localhost@attacker.example")).toBe(false);
    expect(local.hostAllowed("localhost/x")).toBe(false);
    expect(local.hostAllowed(undefined)).toBe(true);
    const wide = new OriginPolicy([], ["localhost"], "0.0.0.0");
    expect(wide.hostAllowed("10.0.0.5:26657")).toBe(true);
    expect(wide.hostAllowed("[fe80::1]:26657")).toBe(true);
    expect(wide.hostAllowed("attacker.example")).toBe(false);
    expect(local.originAllowed("http://localhost:1", undefined)).toBe(true);
    expect(local.originAllowed("http://localhost.attacker.example:1", undefined)).toBe(false);
    expect(() => new OriginPolicy([""], [], "127.0.0.1")).toThrow(RangeError);
  });
});

describe("[rpc] cors_allowed_origins and allowed_hosts", () => {
  it("default to the localhost lists, and are set by config.toml, TRIAD_RPC_* and triad start flags", () => {
    expect(defaultConfig().rpc.cors_allowed_origins).toEqual(DEFAULT_CORS_ALLOWED_ORIGINS);
    expect(defaultConfig().rpc.allowed_hosts).toEqual(DEFAULT_ALLOWED_HOSTS);
    const dir = mkdtempSync(join(tmpdir(), "triad-origin-"));
    try {
      const file = join(dir, "config.toml");
      writeFileSync(file, '[rpc]\ncors_allowed_origins = ["https://app.example.com"]\nallowed_hosts = ["*"]\n');
      const fromFile = loadConfig(file, {});
      expect(fromFile.rpc.cors_allowed_origins).toEqual(["https://app.example.com"]);
      expect(fromFile.rpc.allowed_hosts).toEqual(["*"]);
      const fromEnv = loadConfig(file, { TRIAD_RPC_CORS_ALLOWED_ORIGINS: "*", TRIAD_RPC_ALLOWED_HOSTS: "a.example, b.example" });
      expect(fromEnv.rpc.cors_allowed_origins).toEqual(["*"]);
      expect(fromEnv.rpc.allowed_hosts).toEqual(["a.example", "b.example"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const flags = startCommand().options.map((o) => o.long);
    expect(flags).toContain("--rpc-cors-allowed-origins");
    expect(flags).toContain("--rpc-allowed-hosts");
  });
});
