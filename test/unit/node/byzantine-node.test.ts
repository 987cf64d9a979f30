// The node's side of `--byzantine`: the shared filters over the node's own store, signer and
// selection; `later` through the node's transport (bounded, cancelled at stop); one attack plan
// for every Byzantine process of a network; sim-only behaviours refused by name.
import { afterEach, describe, expect, it, vi } from "vitest";
import { validatorSet } from "../../../src/chain/validator-set.js";
import type { Action, ConsensusMessage } from "../../../src/consensus/index.js";
import { ByzantineNode, NODE_MAX_DELAY_MS, type ByzantineNodeDeps } from "../../../src/node/byzantine-node.js";
import { ConsensusCounters, sortedRecord } from "../../../src/node/consensus-counters.js";
import { CHAIN_ID, GENESIS_HASH, makeKeys, makeTestBlock, prePrepare, prepare, roundRobin, type Key } from "../consensus/harness.js";

const keys = makeKeys(4);
const ids = keys.map((k) => k.id);
const set = validatorSet(ids);

function deps(key: Key, sent: { to: string | null; message: ConsensusMessage }[] = []): ByzantineNodeDeps {
  return {
    chainId: CHAIN_ID,
    self: key.id,
    genesisValidators: ids,
    store: { head: () => ({ height: 0, hash: GENESIS_HASH, timestamp: 0 }) as never, validatorsAt: () => set },
    selection: roundRobin,
    sign: (domain, chainId, payload) => key.signer.signDomain(domain, chainId, payload),
    signRaw: (message) => key.signer.sign(message),
    verify: () => true,
    transport: { broadcast: (message) => sent.push({ to: null, message }), send: (to, message) => sent.push({ to, message }) },
    viewChangeTimeoutMs: 1_000,
  };
}

afterEach(() => {
  vi.useRealTimers();
});

describe("ByzantineNode", () => {
  it("silent drops every message the correct replica would send and keeps the rest", () => {
    const node = new ByzantineNode({ behaviours: ["silent"], seed: 1, peers: [] }, deps(keys[1]!));
    const block = makeTestBlock(1, 0, GENESIS_HASH, keys[1]!.id);
    const actions: Action[] = [
      { type: "broadcast", message: prePrepare(keys[1]!, 1, 0, block) },
      { type: "send", to: ids[0]!, message: prepare(keys[1]!, 1, 0, block.hash) },
      { type: "view-changed", height: 1, view: 1, reason: "timeout" },
    ];
    expect(node.filter(actions, { type: "tick" }).map((a) => a.type)).toEqual(["view-changed"]);
    expect(node.behaviours).toEqual(["silent"]);
  });

  it("slow-primary holds its proposal back and sends it later through the node's transport; stop cancels what is held", () => {
    vi.useFakeTimers();
    const sent: { to: string | null; message: ConsensusMessage }[] = [];
    // Primary of (1, 0) under round robin is validator 1.
    const node = new ByzantineNode({ behaviours: ["slow-primary"], seed: 1, peers: [] }, deps(keys[1]!, sent));
    const block = makeTestBlock(1, 0, GENESIS_HASH, keys[1]!.id);
    const out = node.filter([{ type: "broadcast", message: prePrepare(keys[1]!, 1, 0, block) }], { type: "tick" });
    expect(out.filter((a) => a.type === "broadcast")).toEqual([]);
    vi.advanceTimersByTime(1_000);
    expect(sent.map((s) => s.message.type)).toContain("pre-prepare");
    expect(NODE_MAX_DELAY_MS).toBeLessThan(1_000);

    const sent2: { to: string | null; message: ConsensusMessage }[] = [];
    const stopped = new ByzantineNode({ behaviours: ["slow-primary"], seed: 1, peers: [] }, deps(keys[1]!, sent2));
    stopped.filter([{ type: "broadcast", message: prePrepare(keys[1]!, 1, 0, block) }], { type: "tick" });
    stopped.stop();
    vi.advanceTimersByTime(10_000);
    expect(sent2).toEqual([]);
  });

  it("every Byzantine process of a network draws the same attack plan from (seed, Byzantine ids)", () => {
    const peers = [ids[1]!, ids[2]!];
    const a = new ByzantineNode({ behaviours: ["split-brain"], seed: 7, peers }, deps(keys[1]!));
    // The same ids in another order: the plan does not depend on it.
    const b = new ByzantineNode({ behaviours: ["withhold"], seed: 7, peers: [ids[2]!, ids[1]!] }, deps(keys[2]!));
    for (let h = 1; h < 20; h++) {
      expect(a.plan.split(h, 0, ids)).toEqual(b.plan.split(h, 0, ids));
      expect(a.plan.minority(h, 0, ids)).toEqual(b.plan.minority(h, 0, ids));
    }
    expect(a.plan.isByzantine(ids[2]!) && b.plan.isByzantine(ids[1]!)).toBe(true);
    expect(a.plan.isByzantine(ids[0]!)).toBe(false);
  });

  it("refuses the behaviours only the simulator can play, naming triad sim", () => {
    for (const b of ["lone-decider", "bad-sync-server"] as const) {
      expect(() => new ByzantineNode({ behaviours: ["silent", b], seed: 1, peers: [] }, deps(keys[0]!))).toThrow(/only runs in the simulator.*triad sim/);
    }
  });
});

describe("ConsensusCounters", () => {
  it("counts view changes by reason and faults by kind and peer", () => {
    const c = new ConsensusCounters(100);
    c.onAction({ type: "view-changed", height: 1, view: 1, reason: "timeout" });
    c.onAction({ type: "view-changed", height: 1, view: 2, reason: "bad-proposal" });
    c.onAction({ type: "view-changed", height: 1, view: 2, reason: "entered" });
    c.onAction({ type: "report-fault", peer: "bb", fault: "invalid-block", detail: "" });
    c.onAction({ type: "report-fault", peer: "aa", fault: "invalid-block", detail: "" });
    c.onAction({ type: "report-fault", peer: "aa", fault: "wrong-chain", detail: "" });
    c.onAction({ type: "build-block", height: 1, view: 0 } as unknown as Action);
    expect(c.viewChanges).toEqual({ timeout: 1, "bad-proposal": 1, join: 0, entered: 1 });
    expect(sortedRecord(c.faultsReported)).toEqual({ "invalid-block": 2, "wrong-chain": 1 });
    expect(Object.entries(sortedRecord(c.faultsByPeer))).toEqual([["aa", 2], ["bb", 1]]);
    expect(c.startedAt).toBe(100);
  });
});
