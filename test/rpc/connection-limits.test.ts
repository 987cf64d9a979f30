// The server's connection limits on an RpcServer over a FakeNode: connections per IP (an
// attacker on another loopback address), slow-loris headers and bodies cut off by the header
// and request timeouts with a 408, and a WebSocket client that never reads cut off soon after
// its send buffer passes the limit (ws alone would keep it 30 s for the close handshake).
import { afterEach, expect, it } from "vitest";
import { clientFrame, openSocket, post, rawWebSocket, watchSocket, within } from "../reliability/hostile-rpc/harness.js";
import { startRpc, type RpcHarness } from "./helpers.js";

let h: RpcHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const HEALTH = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "health" });
/** Bound on the server cutting a socket off: the limits below are far shorter. */
const BOUND_MS = 10_000;

it("closes connections from one IP past maxConnectionsPerIp, unanswered; other IPs are served", async () => {
  h = await startRpc({ maxConnectionsPerIp: 3 });
  const held = await Promise.all([1, 2, 3].map(() => openSocket(h!.address.port, "127.0.0.2")));
  try {
    const extra = await post(h.address.url, HEALTH, { localAddress: "127.0.0.2", timeoutMs: BOUND_MS }).then(
      () => "answered",
      (err: Error) => err.message,
    );
    expect(extra).toMatch(/ECONNRESET|socket hang up|EPIPE/);
    expect((await post(h.address.url, HEALTH, { localAddress: "127.0.0.1" })).status).toBe(200);
  } finally {
    for (const s of held) s.destroy();
  }
  // Closed sockets give their slots back.
  await within("a slot for 127.0.0.2 again", BOUND_MS, (async () => {
    for (;;) {
      const ok = await post(h!.address.url, HEALTH, { localAddress: "127.0.0.2" }).then((r) => r.status === 200, () => false);
      if (ok) return;
    }
  })());
});

it("cuts off headers dribbled past headersTimeoutMs and a body past requestTimeoutMs, with 408", async () => {
  h = await startRpc({ headersTimeoutMs: 300, requestTimeoutMs: 600 });
  const slowHeaders = await openSocket(h.address.port);
  const slowBody = await openSocket(h.address.port);
  const watched = [watchSocket(slowHeaders), watchSocket(slowBody)];
  slowHeaders.write("POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n");
  slowBody.write("POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n[");
  const dribble = setInterval(() => {
    if (!slowHeaders.destroyed) slowHeaders.write("X-Slow: 1\r\n");
    if (!slowBody.destroyed) slowBody.write(" ");
  }, 50);
  try {
    await within("both cut off", BOUND_MS, Promise.all(watched.map((w) => w.closed)));
  } finally {
    clearInterval(dribble);
  }
  for (const w of watched) expect(w.received()).toMatch(/^HTTP\/1\.1 408/);
});

it("cuts off a WebSocket client that never reads, soon after its send buffer passes the limit", async () => {
  h = await startRpc({ maxWsBufferedBytes: 64 * 1024 });
  const socket = await rawWebSocket(h.address.port);
  const watched = watchSocket(socket);
  const frame = clientFrame(JSON.stringify(Array.from({ length: 100 }, (_, i) => ({ jsonrpc: "2.0", id: i, method: "genesis" }))));
  await within("the server cutting the client off", BOUND_MS, (async () => {
    while (!watched.isClosed()) {
      socket.write(frame);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  })());
  expect(h.server.stats().clients).toBe(0);
});

it("runs the requests of a batch one after another, not all at once", async () => {
  h = await startRpc();
  const node = h.node;
  let running = 0;
  let most = 0;
  const status = node.status.bind(node);
  // The server awaits status(), so an async stand-in is served as the node's own.
  (node as unknown as { status: () => Promise<unknown> }).status = async () => {
    running++;
    most = Math.max(most, running);
    // Yield a few turns, so calls that were started together would overlap here.
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    running--;
    return status();
  };
  const batch = JSON.stringify(Array.from({ length: 20 }, (_, i) => ({ jsonrpc: "2.0", id: i, method: "status" })));
  const { json } = await h.post(batch);
  expect(json).toHaveLength(20);
  expect(most).toBe(1);
});
