import { describe, expect, it } from "vitest";
import { RedialBackoff } from "../../../src/p2p/redial-backoff.js";

function clock(random = 0.5) {
  const c = { t: 1_000, now: () => c.t, random: () => random };
  return c;
}

describe("RedialBackoff", () => {
  const opts = { initialMs: 500, maxMs: 15_000, stableMs: 5_000 };

  it("dials a new peer at once, then doubles the wait per failure up to the cap, jittered within [half, all]", () => {
    const c = clock(0.5);
    const b = new RedialBackoff(opts, c);
    expect(b.due("p")).toBe(true);
    const waits: number[] = [];
    for (let i = 0; i < 8; i++) {
      b.dialFailed("p");
      waits.push(b.describe("p").nextAt - c.t);
      expect(b.due("p")).toBe(false);
      c.t = b.describe("p").nextAt;
      expect(b.due("p")).toBe(true);
    }
    expect(waits).toEqual([375, 750, 1500, 3000, 6000, 11250, 11250, 11250]);
    for (const r of [0, 0.999]) {
      const jittered = new RedialBackoff(opts, clock(r));
      for (let f = 1; f < 10; f++) {
        const base = Math.min(opts.maxMs, opts.initialMs * 2 ** (f - 1));
        expect(jittered.delayMs(f)).toBeGreaterThanOrEqual(base / 2);
        expect(jittered.delayMs(f)).toBeLessThanOrEqual(base);
      }
    }
  });

  it("counts a connection closed before stableMs as a failure (a gater that refuses after the handshake)", () => {
    const c = clock();
    const b = new RedialBackoff(opts, c);
    b.connected("p");
    c.t += 5;
    b.disconnected("p");
    expect(b.describe("p").failures).toBe(1);
    expect(b.due("p")).toBe(false);
  });

  it("resets after a connection that lasted, and on reset()", () => {
    const c = clock();
    const b = new RedialBackoff(opts, c);
    for (let i = 0; i < 5; i++) b.dialFailed("p");
    b.connected("p");
    c.t += opts.stableMs;
    b.disconnected("p");
    expect(b.describe("p")).toEqual({ failures: 0, nextAt: c.t });
    expect(b.due("p")).toBe(true);
    b.dialFailed("q");
    b.reset();
    expect(b.due("q")).toBe(true);
  });
});
