import { describe, expect, it } from "vitest";
import { randomPartition, VirtualNetwork } from "../../../src/sim/network.js";
import { Prng } from "../../../src/byzantine/prng.js";

const calm = { drop: 0, duplicate: 0, delayMs: { min: 2, max: 9 } };

describe("VirtualNetwork", () => {
  it("delivers one copy within the delay range when nothing is wrong", () => {
    const net = new VirtualNetwork(new Prng(1), calm);
    for (let i = 0; i < 200; i++) {
      const copies = net.plan(0, 1, 0);
      expect(copies).toHaveLength(1);
      expect(copies[0]).toBeGreaterThanOrEqual(2);
      expect(copies[0]).toBeLessThanOrEqual(9);
    }
  });

  it("reorders: delays differ between messages", () => {
    const net = new VirtualNetwork(new Prng(2), calm);
    const delays = new Set(Array.from({ length: 50 }, () => net.plan(0, 1, 0)[0]));
    expect(delays.size).toBeGreaterThan(4);
  });

  it("drops and duplicates with the given probabilities", () => {
    const net = new VirtualNetwork(new Prng(3), { drop: 0.2, duplicate: 0.1, delayMs: { min: 1, max: 1 } });
    let lost = 0;
    let twice = 0;
    for (let i = 0; i < 10_000; i++) {
      const copies = net.plan(0, 1, 0);
      if (copies.length === 0) lost++;
      if (copies.length === 2) twice++;
    }
    expect(Math.abs(lost - 2000)).toBeLessThan(200);
    expect(Math.abs(twice - 800)).toBeLessThan(150);
    expect(net.dropped).toBe(lost);
    expect(net.duplicated).toBe(twice);
  });

  it("is deterministic for a seed", () => {
    const a = new VirtualNetwork(new Prng(4), { drop: 0.3, duplicate: 0.3, delayMs: { min: 0, max: 50 } });
    const b = new VirtualNetwork(new Prng(4), { drop: 0.3, duplicate: 0.3, delayMs: { min: 0, max: 50 } });
    for (let i = 0; i < 100; i++) expect(b.plan(1, 2, i)).toEqual(a.plan(1, 2, i));
  });

  it("isolates one node until the partition heals", () => {
    const net = new VirtualNetwork(new Prng(5), calm);
    net.addPartition({ kind: "isolate", start: 100, heal: 200, group: new Set([2]) });
    expect(net.reachable(2, 0, 50)).toBe(true);
    expect(net.reachable(2, 0, 100)).toBe(false);
    expect(net.reachable(0, 2, 150)).toBe(false);
    expect(net.reachable(0, 1, 150)).toBe(true);
    expect(net.plan(0, 2, 150)).toEqual([]);
    expect(net.reachable(0, 2, 200)).toBe(true);
  });

  it("splits two halves both ways, and a one-way cut only one way", () => {
    const net = new VirtualNetwork(new Prng(6), calm);
    net.addPartition({ kind: "halves", start: 0, heal: 10, group: new Set([0, 1]) });
    net.addPartition({ kind: "one-way", start: 10, heal: 20, group: new Set([3]), deaf: new Set([0]) });
    expect(net.reachable(0, 1, 5)).toBe(true);
    expect(net.reachable(2, 3, 5)).toBe(true);
    expect(net.reachable(0, 2, 5)).toBe(false);
    expect(net.reachable(3, 1, 5)).toBe(false);
    expect(net.reachable(3, 0, 15)).toBe(false);
    expect(net.reachable(0, 3, 15)).toBe(true);
    expect(net.reachable(3, 1, 15)).toBe(true);
    expect(net.activePartitions(15)).toHaveLength(1);
  });

  it("heal() ends loss, duplication and partitions but keeps link rules", () => {
    const net = new VirtualNetwork(new Prng(7), { drop: 1, duplicate: 0, delayMs: { min: 1, max: 1 } });
    net.addPartition({ kind: "isolate", start: 0, heal: 1000, group: new Set([0]) });
    net.addRule((from, to) => !(from === 4 && to === 5));
    expect(net.plan(1, 2, 0)).toEqual([]);
    net.heal();
    expect(net.plan(1, 2, 0)).toEqual([1]);
    expect(net.plan(0, 1, 0)).toEqual([1]);
    expect(net.plan(4, 5, 0)).toEqual([]);
    expect(net.plan(5, 4, 0)).toEqual([1]);
  });

  it("draws partitions of each kind over the given slots", () => {
    const prng = new Prng(8);
    const slots = [0, 1, 2, 3, 4, 5, 6];
    const isolate = randomPartition(prng, "isolate", slots, 0, 10);
    expect(isolate.group.size).toBe(1);
    const halves = randomPartition(prng, "halves", slots, 0, 10);
    expect(halves.group.size).toBeGreaterThanOrEqual(2);
    expect(halves.group.size).toBeLessThanOrEqual(5);
    const oneWay = randomPartition(prng, "one-way", slots, 0, 10);
    expect(oneWay.deaf!.size).toBeGreaterThan(0);
    for (const s of oneWay.deaf!) expect(oneWay.group.has(s)).toBe(false);
  });

  it("silence() cuts one slot's outgoing links until it heals, and never after heal()", () => {
    const net = new VirtualNetwork(new Prng(5), calm);
    net.silence(0, 10, 20);
    expect(net.reachable(0, 1, 15)).toBe(false);
    expect(net.reachable(1, 0, 15)).toBe(true);
    expect(net.reachable(0, 1, 20)).toBe(true);
    net.heal();
    net.silence(0, 30, 40);
    expect(net.reachable(0, 1, 35)).toBe(true);
  });
});
