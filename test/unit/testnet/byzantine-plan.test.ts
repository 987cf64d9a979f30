// The Byzantine part of a testnet: twins' halves drawn from the seed, who dials which copy, and
// the `triad start` flags each node gets.
import { describe, expect, it } from "vitest";
import type { TestnetNodeInfo } from "../../../src/testnet/manifest.js";
import { byzantineStartArgs, peersOf, splitForTwin, twinName } from "../../../src/testnet/byzantine-plan.js";

function node(name: string, id: string, extra: Partial<TestnetNodeInfo> = {}): TestnetNodeInfo {
  return { name, role: "validator", id: id.repeat(64).slice(0, 64), nodeId: `peer-${name}`, rpc: "http://127.0.0.1:1", p2p: `/ip4/127.0.0.1/tcp/1/p2p/${name}`, pid: null, home: `/h/${name}`, key: `/k/${id}`, ...extra };
}

const v = ["a", "b", "c", "d", "e", "f", "1"].map((id, i) => node(`validator-${i}`, id));

describe("twins", () => {
  it("splits the other nodes in two halves, the same for the same seed", () => {
    const names = [...v.map((n) => n.name), twinName("validator-2")];
    const one = splitForTwin(5, "validator-2", names);
    expect(splitForTwin(5, "validator-2", [...names].reverse())).toEqual(one);
    expect(one.twin).toBe("validator-2-twin");
    const all = [...one.halves[0], ...one.halves[1]].sort();
    expect(all).toEqual(v.map((n) => n.name).filter((n) => n !== "validator-2").sort());
    expect(one.halves[0].length).toBe(3);
    const seeds = new Set(Array.from({ length: 20 }, (_, s) => JSON.stringify(splitForTwin(s, "validator-2", names).halves)));
    expect(seeds.size).toBeGreaterThan(1);
  });

  it("each copy dials and admits only its half; each other node dials the copy of its half", () => {
    const nodes = [...v.slice(0, 4), node("validator-2-twin", "c", { twinOf: "validator-2" })];
    const split = splitForTwin(3, "validator-2", nodes.map((n) => n.name));
    const [h0, h1] = split.halves;
    const original = peersOf(nodes[2]!, nodes, [split]);
    expect(original.peers.map((n) => n.name).sort()).toEqual([...h0].sort());
    expect(original.onlyPeers).toEqual(expect.arrayContaining(original.peers.map((n) => n.id)));
    const twin = peersOf(nodes[4]!, nodes, [split]);
    expect(twin.peers.map((n) => n.name).sort()).toEqual([...h1].sort());
    for (const name of h0) {
      const p = peersOf(nodes.find((n) => n.name === name)!, nodes, [split]);
      expect(p.onlyPeers).toBeUndefined();
      expect(p.peers.map((n) => n.name)).toContain("validator-2");
      expect(p.peers.map((n) => n.name)).not.toContain("validator-2-twin");
    }
    for (const name of h1) {
      const names = peersOf(nodes.find((n) => n.name === name)!, nodes, [split]).peers.map((n) => n.name);
      expect(names).toContain("validator-2-twin");
      expect(names).not.toContain("validator-2");
    }
  });
});

describe("byzantineStartArgs", () => {
  it("passes a Byzantine node its behaviours, the seed and every Byzantine id; an honest node nothing", () => {
    const nodes = [v[0]!, node("validator-1", "b", { byzantine: ["equivocate", "replay"], byzantineSeed: 11 }), node("validator-2", "c", { byzantine: ["silent"], byzantineSeed: 11 }), v[3]!];
    const ids = [nodes[1]!.id, nodes[2]!.id].sort().join(",");
    expect(byzantineStartArgs(nodes[1]!, nodes)).toEqual(["--byzantine", "equivocate+replay", "--byzantine-seed", "11", "--byzantine-peers", ids]);
    expect(byzantineStartArgs(nodes[0]!, nodes)).toEqual([]);
    const copy = node("validator-2-twin", "c", { byzantine: ["twins"], byzantineSeed: 11, twinOf: "validator-2", onlyPeers: [nodes[0]!.id] });
    expect(byzantineStartArgs(copy, [...nodes, copy]).slice(-2)).toEqual(["--only-peers", nodes[0]!.id]);
  });
});
