import { describe, expect, it } from "vitest";
import { SyncRateLimiter } from "../../../src/p2p/sync-rate-limit.js";

const opts = { blocksPerSecond: 100, burstBlocks: 200, maxConcurrentPerPeer: 2, maxPeers: 3 };

describe("SyncRateLimiter", () => {
  it("charges blocks plus one per request, refills at the rate up to the burst, and says when to come back", () => {
    const clock = { t: 0 };
    const limiter = new SyncRateLimiter(opts, () => clock.t, 64);
    const a = limiter.acquire("p", 64);
    const b = limiter.acquire("p", 64);
    expect(a.ok && b.ok).toBe(true);
    if (a.ok) a.release(0);
    if (b.ok) b.release(0);
    const c = limiter.acquire("p", 64); // 70 left
    expect(c.ok).toBe(true);
    if (c.ok) c.release(0);
    const refused = limiter.acquire("p", 64); // 5 left, needs 65
    expect(refused).toEqual({ ok: false, reason: "rate", retryAfterMs: 600 });
    clock.t += 600;
    expect(limiter.acquire("p", 64).ok).toBe(true);
    clock.t += 1_000_000;
    // Never more than the burst after a long idle time.
    const took: boolean[] = [];
    for (let i = 0; i < 4; i++) {
      const g = limiter.acquire("p", 64);
      took.push(g.ok);
      if (g.ok) g.release(0);
    }
    expect(took).toEqual([true, true, true, false]);
    expect(limiter.refused.rate).toBe(2);
  });

  it("refunds blocks charged but not sent, and raises a burst too small for one response", () => {
    const limiter = new SyncRateLimiter({ ...opts, burstBlocks: 10 }, () => 0, 64);
    const g = limiter.acquire("p", 64);
    expect(g.ok).toBe(true);
    if (g.ok) g.release(60);
    // 65 - 65 + 60 = 60 left: a 59-block request fits, a 60-block one does not.
    expect(limiter.acquire("p", 60).ok).toBe(false);
    expect(limiter.acquire("p", 59).ok).toBe(true);
  });

  it("caps concurrent requests per peer, not per connection, and other peers are unaffected", () => {
    const limiter = new SyncRateLimiter(opts, () => 0, 64);
    const g1 = limiter.acquire("p", 1);
    const g2 = limiter.acquire("p", 1);
    expect(limiter.acquire("p", 1)).toEqual({ ok: false, reason: "busy", retryAfterMs: 0 });
    expect(limiter.acquire("q", 1).ok).toBe(true);
    if (g1.ok) g1.release(0);
    if (g1.ok) g1.release(0); // a second release is a no-op
    expect(limiter.acquire("p", 1).ok).toBe(true);
    expect(g2.ok).toBe(true);
  });

  it("keeps at most maxPeers idle budgets, forgetting the least recently seen", () => {
    const limiter = new SyncRateLimiter(opts, () => 0, 64);
    for (const p of ["a", "b", "c", "d", "e"]) {
      const g = limiter.acquire(p, 64);
      if (g.ok) g.release(0);
    }
    expect(limiter.size).toBe(3);
    // A busy peer is never forgotten (its release must find its budget).
    const busy = limiter.acquire("x", 1);
    const busy2 = limiter.acquire("y", 1);
    const busy3 = limiter.acquire("z", 1);
    const busy4 = limiter.acquire("w", 1);
    expect([busy, busy2, busy3, busy4].every((g) => g.ok)).toBe(true);
    expect(limiter.size).toBe(4);
  });
});
