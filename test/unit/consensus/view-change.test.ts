import { describe, expect, it } from "vitest";
import { bytesEqual } from "../../../src/chain/encoding.js";
import { verifySeal } from "../../../src/chain/seal.js";
import { decodeMessage, encodeMessage, type ViewChange } from "../../../src/consensus/messages.js";
import {
  certificate,
  CHAIN_ID,
  Cluster,
  GENESIS_HASH,
  loneReplica,
  makeKeys,
  makeTestBlock,
  newView,
  of,
  PARAMS,
  prePrepare,
  prepare,
  viewChange,
} from "./harness.js";

describe("view change", () => {
  it("a silent primary is replaced after the timeout and the new view decides", () => {
    const c = new Cluster(4);
    const primary = c.node(1); // primary of (1, 0)
    c.silent.add(primary.id);
    const ticks = c.runUntil(() => c.reached(1));
    expect(ticks).toBeGreaterThanOrEqual(PARAMS.viewChangeTimeoutTicks);
    c.expectAgreement();
    for (const node of c.nodes.values()) {
      if (node === primary) continue;
      const { block, seal } = node.chain[0]!;
      expect(seal.view).toBe(1);
      expect(block.header.proposer).toBe(c.keys[2]!.id); // primary of (1, 1)
      verifySeal(seal, CHAIN_ID, c.validators, 1, block.hash);
      expect(node.viewChanges).toEqual([
        { type: "view-changed", height: 1, view: 1, reason: "timeout" },
        { type: "view-changed", height: 1, view: 1, reason: "entered" },
      ]);
      expect(node.replica.status().viewChanges).toBe(1);
    }
    // The next height starts again at view 0 with the base timeout.
    c.silent.delete(primary.id);
    c.runUntil(() => c.reached(2, [c.node(0), c.node(2), c.node(3)]));
    expect(c.node(0).chain[1]!.seal.view).toBe(0);
  });

  it("the timeout doubles per failed view: two silent primaries in a row", () => {
    const c = new Cluster(7); // f = 2: primaries of (1, 0) and (1, 1) are silent
    c.silent.add(c.node(1).id);
    c.silent.add(c.node(2).id);
    const ticks = c.runUntil(() => c.reached(1));
    const base = PARAMS.viewChangeTimeoutTicks;
    expect(ticks).toBeGreaterThanOrEqual(base + 2 * base);
    c.expectAgreement();
    expect(c.node(0).chain[0]!.seal.view).toBe(2);
    expect(c.node(0).chain[0]!.block.header.proposer).toBe(c.keys[3]!.id);
  });

  it("a view change after the primary's block was refused as invalid says so; a silent primary's says timeout", () => {
    const keys = makeKeys(4);
    const { replica } = loneReplica(keys, 0);
    // keys[1] is the primary of (1, 0); its block names the wrong parent.
    const bad = makeTestBlock(1, 0, new Uint8Array(32), keys[1]!.id);
    expect(of(replica.step({ type: "message", message: prePrepare(keys[1]!, 1, 0, bad) }), "report-fault")).toMatchObject([{ fault: "invalid-block" }]);
    const changes = [];
    for (let t = 0; t < PARAMS.viewChangeTimeoutTicks * 2 && changes.length < 1; t++) changes.push(...of(replica.step({ type: "tick" }), "view-changed"));
    // A quorum asks for view 1, whose primary then stays silent: its timer runs and expires.
    for (const k of [keys[2]!, keys[3]!]) replica.step({ type: "message", message: viewChange(k, 1, 1, null) });
    for (let t = 0; t < PARAMS.maxViewChangeTimeoutTicks * 2 && changes.length < 2; t++) changes.push(...of(replica.step({ type: "tick" }), "view-changed"));
    // The refused proposal explains the first view change only; the next view's silence is a timeout.
    expect(changes.map((c) => c.reason)).toEqual(["bad-proposal", "timeout"]);
  });

  it("f+1 view-changes for higher views make a replica join at the smallest of them", () => {
    const keys = makeKeys(4); // f = 1
    const { replica } = loneReplica(keys, 0);
    expect(of(replica.step({ type: "message", message: viewChange(keys[2]!, 1, 3, null) }), "persist-vote")).toEqual([]);
    const out = replica.step({ type: "message", message: viewChange(keys[3]!, 1, 2, null) });
    const persisted = of(out, "persist-vote");
    expect(persisted.map((a) => [a.phase, a.view])).toEqual([["view-change", 2]]);
    expect(of(out, "view-changed")).toEqual([{ type: "view-changed", height: 1, view: 2, reason: "join" }]);
    expect(replica.status()).toMatchObject({ view: 0, phase: "view-change" });
    // Our own view-change for 2 is the third: with q = 3 the primary of (1, 2) (keys[3]) can act.
    const vcs = [viewChange(keys[3]!, 1, 2, null), viewChange(keys[1]!, 1, 2, null), persisted[0]!.message as ViewChange];
    const nv = newView(keys[3]!, 1, 2, vcs, null);
    const entered = replica.step({ type: "message", message: nv });
    expect(of(entered, "view-changed")).toEqual([{ type: "view-changed", height: 1, view: 2, reason: "entered" }]);
    expect(replica.status()).toMatchObject({ view: 2, phase: "idle", primary: keys[3]!.id });
  });

  it("a single view-change (f of them) does not move a replica", () => {
    const keys = makeKeys(4);
    const { replica } = loneReplica(keys, 0);
    const out = replica.step({ type: "message", message: viewChange(keys[2]!, 1, 1, null) });
    expect(out).toEqual([]);
    expect(replica.status().phase).toBe("idle");
  });

  it("a new-view re-proposes the block prepared in the old view (commits of view 0 were lost)", () => {
    const c = new Cluster(4);
    // Node 3 gets no prepares (it never becomes prepared); no commit of view 0 arrives anywhere.
    c.filter = (_from, to, m) => !(m.type === "commit" && m.view === 0) && !(m.type === "prepare" && to === c.keys[3]!.id && m.view === 0);
    c.runUntil(() => c.node(0).replica.status().phase === "prepared");
    const prepared = c.node(1).persisted.find((m) => m.type === "pre-prepare")!;
    expect(prepared.type).toBe("pre-prepare");
    c.runUntil(() => c.reached(1));
    c.expectAgreement();
    for (const node of c.nodes.values()) {
      expect(node.chain[0]!.seal.view).toBe(1);
      expect(prepared.type === "pre-prepare" && node.chain[0]!.block.id).toBe(prepared.type === "pre-prepare" && prepared.block.id);
    }
    // The new primary's new-view named that block.
    const nv = c.node(2).persisted.find((m) => m.type === "new-view")!;
    expect(nv.type === "new-view" && prepared.type === "pre-prepare" && nv.chosenBlockHash !== null && bytesEqual(nv.chosenBlockHash, prepared.block.hash)).toBe(true);
  });

  it("the new primary re-proposes a prepared block it never saw, from a view-change's attached body", () => {
    const c = new Cluster(4);
    const newPrimary = c.keys[2]!.id; // primary of (1, 1)
    c.filter = (_from, to, m) => !(m.type === "commit" && m.view === 0) && !(to === newPrimary && m.type === "pre-prepare" && m.view === 0);
    c.runUntil(() => c.node(0).replica.status().phase === "prepared");
    const block = c.node(1).persisted.find((m) => m.type === "pre-prepare");
    c.runUntil(() => c.reached(1));
    c.expectAgreement();
    expect(block?.type === "pre-prepare" && c.node(2).chain[0]!.block.id === block.block.id).toBe(true);
    expect(c.node(2).chain[0]!.seal.view).toBe(1);
  });

  it("accepts an honest new-view carrying a prepared certificate, then only the chosen block", () => {
    const keys = makeKeys(4);
    const { replica } = loneReplica(keys, 0);
    const b = makeTestBlock(1, 0, GENESIS_HASH, keys[1]!.id);
    const cert = certificate([keys[1]!, keys[2]!, keys[3]!], 1, 0, b.hash);
    const vcs = [viewChange(keys[1]!, 1, 1, cert), viewChange(keys[2]!, 1, 1, null), viewChange(keys[3]!, 1, 1, null)];
    const out = replica.step({ type: "message", message: newView(keys[2]!, 1, 1, vcs, b.hash) });
    expect(of(out, "report-fault")).toEqual([]);
    expect(replica.status()).toMatchObject({ view: 1, phase: "idle" });
    // A pre-prepare of another block in view 1 is refused; the chosen one is validated.
    const other = makeTestBlock(1, 1, GENESIS_HASH, keys[2]!.id);
    expect(of(replica.step({ type: "message", message: prePrepare(keys[2]!, 1, 1, other) }), "report-fault")).toMatchObject([{ fault: "invalid-block" }]);
    expect(of(replica.step({ type: "message", message: prePrepare(keys[2]!, 1, 1, b) }), "validate-block")).toHaveLength(1);
  });

  it("rejects a new-view that lies about the chosen block", () => {
    const keys = makeKeys(4);
    const b = makeTestBlock(1, 0, GENESIS_HASH, keys[1]!.id);
    const other = makeTestBlock(1, 0, GENESIS_HASH, keys[1]!.id, 9);
    const cert = certificate([keys[1]!, keys[2]!, keys[3]!], 1, 0, b.hash);
    const vcs = [viewChange(keys[1]!, 1, 1, cert), viewChange(keys[2]!, 1, 1, null), viewChange(keys[3]!, 1, 1, null)];
    for (const chosen of [null, other.hash]) {
      const { replica } = loneReplica(keys, 0);
      const out = replica.step({ type: "message", message: newView(keys[2]!, 1, 1, vcs, chosen) });
      expect(of(out, "report-fault")).toMatchObject([{ peer: keys[2]!.id, fault: "lying-new-view" }]);
      expect(of(out, "view-changed")).toEqual([]);
      expect(replica.status().view).toBe(0);
    }
    // Claiming a block when nothing was prepared is a lie too.
    const { replica } = loneReplica(keys, 0);
    const empty = [1, 2, 3].map((i) => viewChange(keys[i]!, 1, 1, null));
    expect(of(replica.step({ type: "message", message: newView(keys[2]!, 1, 1, empty, b.hash) }), "report-fault")).toMatchObject([{ fault: "lying-new-view" }]);
  });

  it("rejects a new-view from a backup, with too few view-changes, or with view-changes for another view", () => {
    const keys = makeKeys(4);
    const { replica } = loneReplica(keys, 0);
    const vcs = [1, 2, 3].map((i) => viewChange(keys[i]!, 1, 1, null));
    expect(of(replica.step({ type: "message", message: newView(keys[3]!, 1, 1, vcs, null) }), "report-fault")).toMatchObject([{ fault: "wrong-primary" }]);
    expect(of(replica.step({ type: "message", message: newView(keys[2]!, 1, 1, vcs.slice(0, 2), null) }), "report-fault")).toMatchObject([{ fault: "invalid-certificate" }]);
    const mixed = [viewChange(keys[1]!, 1, 1, null), viewChange(keys[2]!, 1, 1, null), viewChange(keys[3]!, 1, 2, null)];
    expect(of(replica.step({ type: "message", message: newView(keys[2]!, 1, 1, mixed, null) }), "report-fault")).toMatchObject([{ fault: "invalid-certificate" }]);
    expect(replica.status().view).toBe(0);
  });

  it("rejects duplicate signers: in a prepared certificate and among a new-view's view-changes", () => {
    const keys = makeKeys(4);
    const b = makeTestBlock(1, 0, GENESIS_HASH, keys[1]!.id);
    const dup = certificate([keys[1]!, keys[1]!, keys[3]!], 1, 0, b.hash);
    {
      const { replica } = loneReplica(keys, 0);
      // Two distinct members asking for view 1 would trigger the f+1 rule: one of them is invalid.
      const first = replica.step({ type: "message", message: viewChange(keys[1]!, 1, 1, dup) });
      expect(of(first, "report-fault")).toMatchObject([{ peer: keys[1]!.id, fault: "invalid-certificate" }]);
      const second = replica.step({ type: "message", message: viewChange(keys[3]!, 1, 1, null) });
      expect(of(second, "persist-vote")).toEqual([]);
    }
    {
      const { replica } = loneReplica(keys, 0);
      const vcs = [viewChange(keys[1]!, 1, 1, dup), viewChange(keys[2]!, 1, 1, null), viewChange(keys[3]!, 1, 1, null)];
      expect(of(replica.step({ type: "message", message: newView(keys[2]!, 1, 1, vcs, b.hash) }), "report-fault")).toMatchObject([{ fault: "invalid-certificate" }]);
    }
    {
      const { replica } = loneReplica(keys, 0);
      const one = viewChange(keys[1]!, 1, 1, null);
      const vcs = [one, one, viewChange(keys[3]!, 1, 1, null)];
      expect(of(replica.step({ type: "message", message: newView(keys[2]!, 1, 1, vcs, null) }), "report-fault")).toMatchObject([{ fault: "invalid-certificate" }]);
      expect(replica.status().view).toBe(0);
    }
    {
      // A certificate with a non-member's prepare, or one short of a quorum.
      const { replica } = loneReplica(keys, 0);
      const stranger = makeKeys(1, "stranger-")[0]!;
      const bad = certificate([keys[1]!, stranger, keys[3]!], 1, 0, b.hash);
      const short = certificate([keys[1]!, keys[3]!], 1, 0, b.hash);
      expect(of(replica.step({ type: "message", message: viewChange(keys[1]!, 1, 1, bad) }), "report-fault")).toMatchObject([{ fault: "invalid-certificate" }]);
      expect(of(replica.step({ type: "message", message: viewChange(keys[3]!, 1, 1, short) }), "report-fault")).toMatchObject([{ fault: "invalid-certificate" }]);
    }
  });

  it("a view-change survives the wire codec and still verifies", () => {
    const keys = makeKeys(4);
    const b = makeTestBlock(1, 0, GENESIS_HASH, keys[1]!.id);
    const vc = viewChange(keys[1]!, 1, 1, certificate([keys[1]!, keys[2]!, keys[3]!], 1, 0, b.hash), b);
    const decoded = decodeMessage(encodeMessage(vc));
    const { replica } = loneReplica(keys, 0);
    expect(replica.step({ type: "message", message: decoded })).toEqual([]);
    expect(of(replica.step({ type: "message", message: viewChange(keys[3]!, 1, 1, null) }), "persist-vote")).toHaveLength(1);
  });

  it("after its view-change a replica ignores prepares of the abandoned view and never commits there", () => {
    const keys = makeKeys(4);
    const { replica } = loneReplica(keys, 0);
    const b = makeTestBlock(1, 0, GENESIS_HASH, keys[1]!.id);
    replica.step({ type: "message", message: prePrepare(keys[1]!, 1, 0, b) });
    replica.step({ type: "block-validated", height: 1, view: 0, blockHash: b.hash, valid: true });
    for (let t = 0; t < PARAMS.viewChangeTimeoutTicks; t++) replica.step({ type: "tick" });
    expect(replica.status().phase).toBe("view-change");
    const out = [1, 2, 3].flatMap((i) => replica.step({ type: "message", message: prepare(keys[i]!, 1, 0, b.hash) }));
    expect(of(out, "persist-vote")).toEqual([]);
  });

  it("while no new-view arrives and a quorum asks for its target, moves on after the doubled timeout", () => {
    const keys = makeKeys(4);
    const { replica } = loneReplica(keys, 0);
    const asked: [number, number][] = [];
    const run = (from: number, to: number) => {
      for (let t = from; t <= to; t++) for (const a of of(replica.step({ type: "tick" }), "persist-vote")) asked.push([t, a.view]);
    };
    run(1, 8);
    expect(asked).toEqual([[8, 1]]);
    // keys[2], the primary of view 1, stays silent; the others ask for view 1 too.
    for (const i of [1, 3]) replica.step({ type: "message", message: viewChange(keys[i]!, 1, 1, null) });
    run(9, 8 + 16);
    expect(asked).toEqual([[8, 1], [24, 2]]);
  });

  it("a replica alone in its view change does not run ahead to later views", () => {
    const keys = makeKeys(4);
    const { replica } = loneReplica(keys, 0);
    const asked: number[] = [];
    for (let t = 1; t <= 200; t++) for (const a of of(replica.step({ type: "tick" }), "persist-vote")) asked.push(a.view);
    expect(asked).toEqual([1]);
    // Its view-change keeps being repeated for the others to join.
    expect(of(replica.step({ type: "tick" }).concat(replica.step({ type: "tick" })), "broadcast").map((a) => a.message.type)).toEqual(["view-change"]);
  });
});
