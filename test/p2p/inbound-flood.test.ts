// Issue 11, hole 1: silent TCP sockets must not lock a node's p2p port. libp2p counts every
// accepted socket as a pending inbound connection until its handshake ends or times out, and
// refused every new connection past 10 of them, before any key was known. Real sockets on
// 127.0.0.1; every wait is on an event or a counter, bounded by guard().
import { connect, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { P2P_HOST_DEFAULTS } from "../../src/p2p/index.js";
import { guard, key, startHost, type TestHost } from "./helpers.js";

const FLOOD = 24;

function tcpPort(h: TestHost): number {
  const addr = h.host.multiaddrs()[0]!;
  return Number(/\/tcp\/(\d+)/.exec(addr)![1]);
}

/** Open `n` raw TCP connections that never say a word. */
async function idleSockets(port: number, n: number): Promise<Socket[]> {
  return Promise.all(
    Array.from(
      { length: n },
      async () =>
        new Promise<Socket>((resolve, reject) => {
          const s = connect({ host: "127.0.0.1", port }, () => resolve(s));
          s.on("error", reject);
        }),
    ),
  );
}

/** Resolve once `check()` holds, polled on the event loop (the counters move in libp2p's handlers). */
async function reach(what: string, check: () => boolean): Promise<void> {
  await guard(
    (async () => {
      while (!check()) await new Promise((r) => setImmediate(r));
    })(),
    what,
  );
}

describe("an idle-socket flood on the p2p port", () => {
  const hosts: TestHost[] = [];
  const sockets: Socket[] = [];

  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy();
    await Promise.all(hosts.splice(0).map((h) => h.host.stop()));
  });

  it(`lets an allowed validator connect and talk while ${FLOOD} silent sockets are open`, async () => {
    const target = await startHost({ key: key(0) });
    hosts.push(target);
    sockets.push(...(await idleSockets(tcpPort(target), FLOOD)));
    // Every silent socket has been accepted and sits in its handshake (as many as libp2p lets in).
    const admitted = Math.min(FLOOD, P2P_HOST_DEFAULTS.maxPendingInbound, P2P_HOST_DEFAULTS.maxPendingInboundPerIp);
    await reach(`${admitted} silent sockets in their handshake`, () => target.host.pendingInbound.pendingFrom("127.0.0.1") >= admitted);
    expect(sockets.every((s) => !s.destroyed)).toBe(true);

    const peer = await startHost({ key: key(1), peers: [target.host.multiaddrs()[0]!] });
    hosts.push(peer);
    // A request and its answer over the new connection: the sync protocol's status exchange.
    const head = await guard(peer.host.status(target.id), "the peer's status answer", 15_000);
    expect(head.height).toBe(0);
    expect(target.host.connectedPeers()).toContain(peer.id);
    expect(sockets.every((s) => !s.destroyed)).toBe(true);
  });

  it("refuses the handshakes of one address past its share, and only those", async () => {
    const target = await startHost({ key: key(0), options: { maxPendingInboundPerIp: 4 } });
    hosts.push(target);
    const port = tcpPort(target);
    const flood = await idleSockets(port, 8);
    sockets.push(...flood);
    const closed = new Set<Socket>();
    await guard(
      new Promise<void>((resolve) => {
        for (const s of flood) {
          s.once("close", () => {
            closed.add(s);
            if (closed.size === 4) resolve();
          });
        }
      }),
      "the node to close the 4 sockets past the per-IP cap",
    );
    expect(target.host.pendingInbound.pendingFrom("127.0.0.1")).toBe(4);
    expect(target.host.pendingInbound.refused).toBe(4);
  });

  it("keeps the defaults well above libp2p's (10 pending, 10 s)", () => {
    expect(P2P_HOST_DEFAULTS.maxPendingInbound).toBeGreaterThanOrEqual(4 * P2P_HOST_DEFAULTS.maxPendingInboundPerIp);
    expect(P2P_HOST_DEFAULTS.maxPendingInboundPerIp).toBeGreaterThan(FLOOD);
    expect(P2P_HOST_DEFAULTS.inboundUpgradeTimeoutMs).toBeLessThan(10_000);
  });
});
