import { describe, expect, it } from "vitest";
import { devKeyPair } from "../../../src/chain/keys.js";
import { Signer } from "../../../src/chain/signature.js";
import type { ConsensusMessage } from "../../../src/consensus/messages.js";
import {
  certificate,
  CHAIN_ID,
  Cluster,
  commit,
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

const keys = makeKeys(4);
const block = makeTestBlock(1, 0, GENESIS_HASH, keys[1]!.id);

describe("bad peer input", () => {
  it("wrong chain, non-member and bad signature are reported and ignored", () => {
    const { replica } = loneReplica(keys, 0);
    const stranger = new Signer(devKeyPair("stranger").secretKey);
    const cases: [ConsensusMessage, string][] = [
      [{ ...prepare(keys[1]!, 1, 0, block.hash), chainId: "other-chain" }, "wrong-chain"],
      [{ ...prepare(keys[1]!, 1, 0, block.hash), from: stranger.id }, "not-a-member"],
      [{ ...prepare(keys[1]!, 1, 0, block.hash), from: keys[2]!.id }, "bad-signature"],
      [{ ...commit(keys[1]!, 1, 0, block.hash), signature: new Uint8Array(64) }, "bad-signature"],
      [{ ...prePrepare(keys[2]!, 1, 0, block) }, "wrong-primary"],
    ];
    for (const [m, fault] of cases) {
      expect(replica.step({ type: "message", message: m })).toMatchObject([{ type: "report-fault", fault }]);
    }
    expect(replica.status()).toMatchObject({ phase: "idle", bufferedMessages: 0 });
  });

  it("never throws on malformed messages: it reports them", () => {
    const { replica } = loneReplica(keys, 0);
    const good = prepare(keys[1]!, 1, 0, block.hash);
    const broken: unknown[] = [
      { ...good, height: -1 },
      { ...good, view: 1.5 },
      { ...good, blockHash: new Uint8Array(3) },
      { ...good, signature: "nope" },
      { ...good, type: "gossip" },
      { ...viewChange(keys[1]!, 1, 1, null), prepared: { view: 0, blockHash: block.hash, prepares: "x" } },
      { ...newView(keys[2]!, 1, 1, [], null), viewChanges: [null] },
      { ...prePrepare(keys[1]!, 1, 0, block), block: { header: null } },
      null,
    ];
    for (const m of broken) {
      const out = replica.step({ type: "message", message: m as ConsensusMessage });
      expect(out).toMatchObject([{ type: "report-fault", fault: "malformed" }]);
    }
  });

  it("reports a primary that pre-prepares two blocks in one view, and keeps the first", () => {
    const { replica } = loneReplica(keys, 0);
    replica.step({ type: "message", message: prePrepare(keys[1]!, 1, 0, block) });
    const other = makeTestBlock(1, 0, GENESIS_HASH, keys[1]!.id, 3);
    expect(replica.step({ type: "message", message: prePrepare(keys[1]!, 1, 0, other) })).toMatchObject([{ type: "report-fault", fault: "equivocation" }]);
    const out = replica.step({ type: "block-validated", height: 1, view: 0, blockHash: block.hash, valid: true });
    expect(of(out, "persist-vote").map((a) => a.message.type === "prepare" && a.message.blockHash)).toEqual([block.hash]);
  });

  it("reports a validator that votes for two blocks in one view, counting only its first vote", () => {
    const { replica } = loneReplica(keys, 0);
    const other = makeTestBlock(1, 0, GENESIS_HASH, keys[1]!.id, 3);
    replica.step({ type: "message", message: commit(keys[2]!, 1, 0, block.hash) });
    expect(replica.step({ type: "message", message: commit(keys[2]!, 1, 0, other.hash) })).toMatchObject([{ type: "report-fault", fault: "equivocation" }]);
  });

  it("a pre-prepare whose block does not extend the head is refused", () => {
    const { replica } = loneReplica(keys, 0);
    const orphan = makeTestBlock(1, 0, new Uint8Array(32).fill(7), keys[1]!.id);
    expect(replica.step({ type: "message", message: prePrepare(keys[1]!, 1, 0, orphan) })).toMatchObject([{ type: "report-fault", fault: "invalid-block" }]);
  });
});

describe("future messages", () => {
  it("messages for the next height are buffered and replayed once the replica gets there", () => {
    const { replica } = loneReplica(keys, 0);
    const b2 = makeTestBlock(2, 0, block.hash, keys[2]!.id);
    expect(replica.step({ type: "message", message: prePrepare(keys[2]!, 2, 0, b2) })).toEqual([]);
    expect(replica.status().bufferedMessages).toBe(1);
    const out = replica.step({ type: "block-appended", height: 1, blockHash: block.hash, timestamp: 1, nextValidators: loneReplica(keys, 0).validators });
    expect(of(out, "validate-block").map((a) => a.block.id)).toEqual([b2.id]);
    expect(replica.status()).toMatchObject({ height: 2, view: 0, phase: "pre-prepared", bufferedMessages: 0 });
  });

  it("pre-prepares of a later view wait for its new-view", () => {
    const { replica } = loneReplica(keys, 0);
    const b1 = makeTestBlock(1, 1, GENESIS_HASH, keys[2]!.id);
    expect(replica.step({ type: "message", message: prePrepare(keys[2]!, 1, 1, b1) })).toEqual([]);
    const vcs = [1, 2, 3].map((i) => viewChange(keys[i]!, 1, 1, null));
    const out = replica.step({ type: "message", message: newView(keys[2]!, 1, 1, vcs, null) });
    expect(out.map((a) => a.type)).toEqual(["view-changed", "validate-block"]);
  });

  it("the buffer is bounded per sender and drops the oldest first", () => {
    const { replica } = loneReplica(keys, 0);
    // Valid prepares of one member for 64 views ahead, at two heights: more than its share.
    for (let h = 2; h <= 3; h++) {
      for (let v = 0; v < 64; v++) replica.step({ type: "message", message: prepare(keys[1]!, h, v, block.hash) });
    }
    expect(replica.status().bufferedMessages).toBe(64);
    // Other members still have room.
    replica.step({ type: "message", message: prepare(keys[2]!, 2, 0, block.hash) });
    expect(replica.status().bufferedMessages).toBe(65);
  });

  it("pre-prepares are buffered only from the primary they claim to come from (issue 7)", () => {
    const { replica } = loneReplica(keys, 0);
    // Next height: primary(2, 0) is keys[2]; keys[3] is a backup there.
    const fake = makeTestBlock(2, 0, block.hash, keys[3]!.id);
    expect(replica.step({ type: "message", message: prePrepare(keys[3]!, 2, 0, fake) })).toEqual([]);
    expect(replica.status().bufferedMessages).toBe(0);
    replica.step({ type: "message", message: prePrepare(keys[2]!, 2, 0, makeTestBlock(2, 0, block.hash, keys[2]!.id)) });
    expect(replica.status().bufferedMessages).toBe(1);
    // A later view of this height: primary(1, 1) is keys[2], so keys[3]'s pre-prepare is refused.
    const out = replica.step({ type: "message", message: prePrepare(keys[3]!, 1, 1, makeTestBlock(1, 1, GENESIS_HASH, keys[3]!.id)) });
    expect(of(out, "report-fault")).toMatchObject([{ peer: keys[3]!.id, fault: "wrong-primary" }]);
    expect(replica.status().bufferedMessages).toBe(1);
  });

  it("messages far beyond the window are not kept", () => {
    const { replica } = loneReplica(keys, 0);
    replica.step({ type: "message", message: prepare(keys[1]!, 100, 0, block.hash) });
    expect(replica.status().bufferedMessages).toBe(0);
  });
});

describe("catch-up", () => {
  it("f+1 members at later heights make a replica request sync from them, rate-limited", () => {
    const { replica } = loneReplica(keys, 0);
    replica.step({ type: "message", message: commit(keys[1]!, 40, 0, block.hash) });
    replica.step({ type: "message", message: prepare(keys[2]!, 41, 0, block.hash) });
    const syncs = [];
    for (let t = 0; t < 3 * PARAMS.viewChangeTimeoutTicks; t++) syncs.push(...of(replica.step({ type: "tick" }), "request-sync"));
    expect(syncs.length).toBeGreaterThanOrEqual(1);
    expect(syncs.length).toBeLessThanOrEqual(3);
    expect(syncs[0]).toEqual({ type: "request-sync", fromHeight: 1, toHeight: null, peers: [keys[1]!.id, keys[2]!.id].sort() });
  });

  it("forged messages for later heights do not count", () => {
    const { replica } = loneReplica(keys, 0);
    for (const i of [1, 2, 3]) {
      const m = { ...commit(keys[i]!, 9, 0, block.hash), signature: new Uint8Array(64) };
      expect(replica.step({ type: "message", message: m })).toMatchObject([{ fault: "bad-signature" }]);
    }
    for (let t = 0; t < 3 * PARAMS.viewChangeTimeoutTicks; t++) expect(of(replica.step({ type: "tick" }), "request-sync")).toEqual([]);
  });

  it("a replica that missed a whole height catches up through sync and rejoins", () => {
    const c = new Cluster(4);
    const late = c.node(0);
    c.filter = (_from, to) => to !== late.id;
    c.runUntil(() => c.reached(2, [c.node(1), c.node(2), c.node(3)]));
    c.filter = () => true;
    c.runUntil(() => late.syncRequests.length > 0, 100);
    expect(late.syncRequests[0]).toMatchObject({ fromHeight: 1, toHeight: null });
    // The driver's sync appends the sealed blocks; the replica moves on and decides again.
    for (const { block: b, seal } of c.node(1).chain) {
      if (b.header.height <= late.chain.length) continue;
      late.chain.push({ block: b, seal });
      c.step(late, { type: "block-appended", height: b.header.height, blockHash: b.hash, timestamp: b.header.timestamp, nextValidators: c.validators });
    }
    const target = c.node(1).chain.length + 2;
    c.runUntil(() => c.reached(target));
    c.expectAgreement();
  });
});

describe("costs", () => {
  it("signatures already verified are not verified again (a new-view after its view-changes)", () => {
    const { replica, crypto } = loneReplica(keys, 0);
    const cert = certificate([keys[1]!, keys[2]!, keys[3]!], 1, 0, block.hash);
    const vcs = [viewChange(keys[1]!, 1, 1, cert), viewChange(keys[2]!, 1, 1, null), viewChange(keys[3]!, 1, 1, null)];
    for (const p of [1, 2, 3]) replica.step({ type: "message", message: prepare(keys[p]!, 1, 0, block.hash) });
    const afterPrepares = crypto.verifies;
    for (const vc of vcs) replica.step({ type: "message", message: vc });
    // Three view-change signatures; the certificate's prepares were known already.
    expect(crypto.verifies - afterPrepares).toBe(3);
    const before = crypto.verifies;
    const out = replica.step({ type: "message", message: newView(keys[2]!, 1, 1, vcs, block.hash) });
    expect(of(out, "view-changed")).toHaveLength(1);
    expect(crypto.verifies - before).toBe(1); // only the new-view's own signature
  });

  it("repeated messages cost no verification", () => {
    const { replica, crypto } = loneReplica(keys, 0);
    const m = commit(keys[1]!, 1, 0, block.hash);
    replica.step({ type: "message", message: m });
    const before = crypto.verifies;
    for (let i = 0; i < 10; i++) replica.step({ type: "message", message: { ...m } });
    expect(crypto.verifies).toBe(before);
  });
});

describe("durability", () => {
  it("in every step of a run with view changes, persist-vote precedes the broadcast of the same message", () => {
    // The harness checks every step; this run exercises all five phases.
    const c = new Cluster(4);
    c.silent.add(c.node(1).id);
    c.runUntil(() => c.reached(2, [c.node(0), c.node(2), c.node(3)]));
    const phases = new Set(c.node(2).log.flatMap((a) => (a.type === "persist-vote" ? [a.phase] : [])));
    expect([...phases].sort()).toEqual(["commit", "new-view", "pre-prepare", "prepare", "view-change"]);
    for (const node of c.nodes.values()) {
      node.log.forEach((a, i) => {
        if (a.type !== "persist-vote") return;
        const sent = node.log.findIndex((b) => b.type === "broadcast" && b.message === a.message);
        if (sent >= 0) expect(sent).toBeGreaterThan(i);
      });
    }
    expect(CHAIN_ID).toBe("triad-test");
  });
});
