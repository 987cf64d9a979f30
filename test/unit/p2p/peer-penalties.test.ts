// Strikes, windows and cool-downs of misbehaving peers, and the per-IP cap on inbound handshakes,
// on an injected clock.
import type { MultiaddrConnection } from "@libp2p/interface";
import { multiaddr } from "@multiformats/multiaddr";
import { describe, expect, it } from "vitest";
import { PeerPenalties, PendingInbound } from "../../../src/p2p/index.js";

describe("PeerPenalties", () => {
  it("refuses a peer at its n-th strike within the window, for the cool-down only", () => {
    let now = 0;
    const p = new PeerPenalties({ strikes: 3, windowMs: 1000, coolDownMs: 5000 }, () => now);
    expect(p.strike("a")).toBe(false);
    now = 600;
    expect(p.strike("a")).toBe(false);
    now = 1200; // the first strike left the window
    expect(p.strike("a")).toBe(false);
    now = 1300;
    expect(p.strike("a")).toBe(true);
    expect(p.isRefused("a")).toBe(true);
    expect(p.strike("a")).toBe(false); // no strikes while refused
    expect(p.refused()).toEqual(["a"]);
    now = 1300 + 5000;
    expect(p.isRefused("a")).toBe(false);
    expect(p.bans).toBe(1);
  });

  it("keeps at most maxPeers entries in each map", () => {
    const p = new PeerPenalties({ strikes: 2, maxPeers: 3 }, () => 0);
    for (const id of ["a", "b", "c", "d"]) p.refuse(id);
    expect(p.refused()).toEqual(["b", "c", "d"]);
  });
});

function conn(ip: string, open: number): MultiaddrConnection {
  return { remoteAddr: multiaddr(`/ip4/${ip}/tcp/4000`), timeline: { open } } as unknown as MultiaddrConnection;
}

describe("PendingInbound", () => {
  it("caps handshakes per IP; a settled, closed or timed-out one frees its slot", () => {
    let now = 0;
    const p = new PendingInbound(2, 1000, () => now);
    const [a, b, c] = [conn("10.0.0.1", 0), conn("10.0.0.1", 0), conn("10.0.0.1", 0)];
    expect(p.deny(a)).toBe(false);
    expect(p.deny(b)).toBe(false);
    expect(p.deny(c)).toBe(true);
    expect(p.deny(conn("10.0.0.2", 0))).toBe(false); // another address has its own share
    p.settle(a);
    expect(p.deny(c)).toBe(false);
    b.timeline.close = 10;
    expect(p.pendingFrom("10.0.0.1")).toBe(1);
    now = 1001; // c is past the upgrade timeout: libp2p has aborted it
    expect(p.pendingFrom("10.0.0.1")).toBe(0);
    expect(p.refused).toBe(1);
  });
});
