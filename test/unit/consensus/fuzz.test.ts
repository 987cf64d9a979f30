// Seeded runs with lost and reordered messages, silent replicas and restarts: safety (agreement,
// no double signing) always, liveness once the network settles. Reproduce with the seed printed.
import { describe, expect, it } from "vitest";
import { Cluster, expectNoDoubleSigning } from "./harness.js";

/** mulberry32: a tiny deterministic PRNG for the test's own choices. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function chaoticRun(n: number, seed: number): Cluster {
  const rand = prng(seed);
  const c = new Cluster(n);
  c.syncEnabled = true;
  const f = Math.floor((n - 1) / 3);
  let lossy = true;
  c.filter = () => !lossy || rand() > 0.15;
  // Up to f replicas are silent for a while.
  const silent = c.keys.slice(0, f).map((k) => k.id);
  for (const id of silent) c.silent.add(id);
  const deliverShuffled = () => {
    let steps = 0;
    while (c.queue.length > 0 && steps++ < 200_000) {
      const i = Math.floor(rand() * Math.min(c.queue.length, 8));
      const [e] = c.queue.splice(i, 1);
      c.step(c.nodes.get(e!.to)!, e!.input);
    }
  };
  for (let t = 0; t < 240; t++) {
    c.queue.push(...c.pendingBuilds);
    c.pendingBuilds = [];
    deliverShuffled();
    for (const node of c.nodes.values()) c.step(node, { type: "tick" });
    deliverShuffled();
    if (rand() < 0.05) c.restart(c.node(Math.floor(rand() * n)));
    if (t === 120) {
      for (const id of silent) c.silent.delete(id);
      lossy = false;
    }
  }
  return c;
}

describe("seeded chaos", () => {
  for (const [n, seed] of [
    [4, 1],
    [4, 2],
    [4, 3],
    [5, 4],
    [7, 5],
    [7, 6],
  ] as const) {
    it(`n = ${n}, seed = ${seed}: agreement, no double signing, progress`, () => {
      const c = chaoticRun(n, seed);
      c.expectAgreement();
      for (const node of c.nodes.values()) expectNoDoubleSigning(node.persisted, node.log, node.id);
      const heights = [...c.nodes.values()].map((node) => node.chain.length);
      expect(Math.min(...heights), `seed ${seed}: heights ${heights.join(",")}`).toBeGreaterThanOrEqual(3);
    });
  }
});
