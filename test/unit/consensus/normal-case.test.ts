import { describe, expect, it } from "vitest";
import { verifySeal } from "../../../src/chain/seal.js";
import { quorumSize } from "../../../src/chain/validator-set.js";
import { CHAIN_ID, Cluster, GENESIS_HASH, loneReplica, makeKeys, makeTestBlock, of, prePrepare, prepare } from "./harness.js";

describe("normal case", () => {
  it("n = 4 decides height 1 with a valid seal on every replica", () => {
    const c = new Cluster(4);
    c.runUntil(() => c.reached(1));
    c.expectAgreement();
    for (const node of c.nodes.values()) {
      const { block, seal } = node.chain[0]!;
      expect(block.header.height).toBe(1);
      expect(block.header.proposer).toBe(c.keys[1]!.id); // primary of (1, 0) is members[1]
      verifySeal(seal, CHAIN_ID, c.validators, 1, block.hash);
      expect(seal.commits.length).toBeGreaterThanOrEqual(quorumSize(4));
      expect(seal.view).toBe(0);
    }
  });

  it("decides many heights in view 0 with the primary rotating and no view change", () => {
    const c = new Cluster(4);
    c.runUntil(() => c.reached(10));
    c.expectAgreement();
    const chain = c.node(0).chain;
    for (let h = 1; h <= 10; h++) {
      expect(chain[h - 1]!.block.header.proposer).toBe(c.keys[h % 4]!.id);
      expect(chain[h - 1]!.seal.view).toBe(0);
    }
    for (const node of c.nodes.values()) {
      expect(node.viewChanges).toEqual([]);
      expect(node.faults).toEqual([]);
    }
  });

  it("the primary pre-prepares, then prepares, persisting each before its broadcast", () => {
    const c = new Cluster(4);
    const primary = c.node(1);
    const actions = c.step(primary, { type: "tick" });
    expect(of(actions, "build-block")).toEqual([{ type: "build-block", height: 1, view: 0, allowEmpty: true }]);
    const block = makeTestBlock(1, 0, GENESIS_HASH, primary.id);
    const out = c.step(primary, { type: "block-built", height: 1, view: 0, block });
    expect(out.map((a) => (a.type === "persist-vote" || a.type === "broadcast" ? `${a.type}:${a.message.type}` : a.type))).toEqual([
      "persist-vote:pre-prepare",
      "broadcast:pre-prepare",
      "persist-vote:prepare",
      "broadcast:prepare",
    ]);
    expect(primary.replica.status()).toMatchObject({ height: 1, view: 0, phase: "pre-prepared", isPrimary: true, primary: primary.id });
  });

  it("a backup validates the pre-prepare before it prepares, and not at all if the block is invalid", () => {
    const keys = makeKeys(4);
    const { replica } = loneReplica(keys, 0);
    const block = makeTestBlock(1, 0, GENESIS_HASH, keys[1]!.id);
    const first = replica.step({ type: "message", message: prePrepare(keys[1]!, 1, 0, block) });
    expect(first).toEqual([{ type: "validate-block", height: 1, view: 0, block }]);
    const bad = replica.step({ type: "block-validated", height: 1, view: 0, blockHash: block.hash, valid: false, reason: "state root" });
    expect(of(bad, "report-fault")).toMatchObject([{ peer: keys[1]!.id, fault: "invalid-block" }]);
    expect(of(bad, "persist-vote")).toEqual([]);
    expect(replica.status().phase).toBe("idle");
  });

  it("the primary waits for transactions until emptyBlockIntervalTicks, then proposes an empty block", () => {
    const keys = makeKeys(4);
    const { replica } = loneReplica(keys, 1, { viewChangeTimeoutTicks: 20, maxViewChangeTimeoutTicks: 80, emptyBlockIntervalTicks: 3 });
    const builds = [];
    for (let t = 0; t < 4; t++) {
      const actions = replica.step({ type: "tick" });
      builds.push(...of(actions, "build-block").map((a) => a.allowEmpty));
      // At most one build-block per tick, even if other inputs arrive in between.
      expect(of(replica.step({ type: "block-built", height: 1, view: 0, block: null }), "build-block")).toEqual([]);
    }
    expect(builds).toEqual([false, false, true, true]);
    const block = makeTestBlock(1, 0, GENESIS_HASH, keys[1]!.id);
    replica.step({ type: "block-built", height: 1, view: 0, block });
    expect(of(replica.step({ type: "tick" }), "build-block")).toEqual([]);
  });

  it("an idle primary builds as soon as txs arrive, without waiting for its next tick", () => {
    const keys = makeKeys(4);
    const { replica } = loneReplica(keys, 1, { viewChangeTimeoutTicks: 20, maxViewChangeTimeoutTicks: 80, emptyBlockIntervalTicks: 3 });
    expect(of(replica.step({ type: "tick" }), "build-block")).toEqual([{ type: "build-block", height: 1, view: 0, allowEmpty: false }]);
    replica.step({ type: "block-built", height: 1, view: 0, block: null });
    // Same tick: the mempool filled up, so one more build, and only one.
    expect(of(replica.step({ type: "txs-waiting" }), "build-block")).toEqual([{ type: "build-block", height: 1, view: 0, allowEmpty: false }]);
    expect(of(replica.step({ type: "block-built", height: 1, view: 0, block: null }), "build-block")).toEqual([]);
    const block = makeTestBlock(1, 0, GENESIS_HASH, keys[1]!.id);
    expect(of(replica.step({ type: "block-built", height: 1, view: 0, block }), "persist-vote")).toHaveLength(2);
    // With a proposal out, txs arriving change nothing: they wait for the next height.
    expect(replica.step({ type: "txs-waiting" })).toEqual([]);
  });

  it("a backup ignores txs-waiting", () => {
    const keys = makeKeys(4);
    const { replica } = loneReplica(keys, 0);
    expect(replica.step({ type: "txs-waiting" })).toEqual([]);
  });

  it("stops acting at a height once it appended, until block-appended arrives", () => {
    const c = new Cluster(4);
    const node = c.node(0);
    // Deliver everything except node 0's own block-appended.
    c.step(c.node(1), { type: "tick" });
    c.queue.push(...c.pendingBuilds);
    c.pendingBuilds = [];
    while (c.queue.length > 0) {
      const e = c.queue.shift()!;
      if (e.to === node.id && e.input.type === "block-appended") continue;
      c.step(c.nodes.get(e.to)!, e.input);
    }
    expect(node.chain.length).toBe(1);
    expect(node.replica.status().phase).toBe("committed");
    for (let t = 0; t < 50; t++) expect(c.step(node, { type: "tick" })).toEqual([]);
    const late = prepare(c.keys[2]!, 1, 0, node.chain[0]!.block.hash);
    expect(c.step(node, { type: "message", message: late })).toEqual([]);
  });

  it("observers follow pre-prepares and commits, append with a seal, and never sign", () => {
    const c = new Cluster(4, { observers: 1 });
    c.runUntil(() => c.reached(3));
    c.expectAgreement();
    const observer = c.nodes.get("observer-0")!;
    expect(observer.chain.length).toBeGreaterThanOrEqual(3);
    expect(observer.persisted).toEqual([]);
    expect(observer.log.filter((a) => a.type === "broadcast" || a.type === "send" || a.type === "validate-block")).toEqual([]);
    expect(observer.replica.status().isPrimary).toBe(false);
  });

  it("repeats its own latest messages while undecided, so dropped messages are not fatal", () => {
    const c = new Cluster(4);
    let dropped = 0;
    // Lose the first 12 prepares and commits in flight.
    c.filter = (_from, _to, m) => !((m.type === "prepare" || m.type === "commit") && dropped++ < 12);
    c.runUntil(() => c.reached(2), 200);
    c.expectAgreement();
    expect(c.node(0).chain[0]!.seal.view).toBe(0);
  });
});
