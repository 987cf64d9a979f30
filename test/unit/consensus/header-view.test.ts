// Issue 7, bug 2: a block's header view is tied to the view that decides it. A fresh proposal in
// view v carries header.view = v and header.proposer = its sender = primary(h, v); a re-proposal
// carried by a new-view keeps the header of the view that prepared it.
import { describe, expect, it } from "vitest";
import { certificate, GENESIS_HASH, loneReplica, makeKeys, makeTestBlock, newView, of, prePrepare, viewChange } from "./harness.js";
import type { Action } from "../../../src/consensus/io.js";
import type { Block } from "../../../src/chain/block.js";

const keys = makeKeys(4);
// roundRobin: primary(h, v) = keys[(h + v) % 4]; at height 1, view 0 is keys[1], view 1 keys[2].

/** Feed a pre-prepare and, as a driver whose validateBlock passes, a valid verdict. */
function offer(replica: ReturnType<typeof loneReplica>["replica"], from: number, view: number, block: Block): Action[] {
  const out = replica.step({ type: "message", message: prePrepare(keys[from]!, 1, view, block) });
  return [...out, ...replica.step({ type: "block-validated", height: 1, view, blockHash: block.hash, valid: true })];
}

const prepared = (out: readonly Action[]) => of(out, "persist-vote").filter((a) => a.phase === "prepare");

/** A backup (keys[0]) in view 1 at height 1, entered by a new-view from keys[2] that chose `chosen`. */
function inViewOne(vcs: ReturnType<typeof viewChange>[], chosen: Uint8Array | null) {
  const lone = loneReplica(keys, 0);
  const out = lone.replica.step({ type: "message", message: newView(keys[2]!, 1, 1, vcs, chosen) });
  expect(of(out, "report-fault")).toEqual([]);
  expect(lone.replica.status().view).toBe(1);
  return lone.replica;
}

describe("header view of a pre-prepared block", () => {
  it("refuses a fresh proposal of view v whose header claims view v+1 and the primary of v+1", () => {
    const { replica } = loneReplica(keys, 0);
    // keys[1] is primary of (1, 0) and forges the header of (1, 1), whose primary is keys[2]: the
    // driver's validateBlock accepts it (proposer = primary(1, header.view)), so the core must not.
    const forged = makeTestBlock(1, 1, GENESIS_HASH, keys[2]!.id);
    const out = offer(replica, 1, 0, forged);
    expect(prepared(out)).toEqual([]);
    expect(of(out, "report-fault")).toMatchObject([{ peer: keys[1]!.id, fault: "invalid-block" }]);
    expect(replica.status().phase).toBe("idle");
  });

  it("refuses a fresh proposal whose header names the right view but another proposer", () => {
    const { replica } = loneReplica(keys, 0);
    const forged = makeTestBlock(1, 0, GENESIS_HASH, keys[3]!.id);
    const out = offer(replica, 1, 0, forged);
    expect(prepared(out)).toEqual([]);
    expect(of(out, "report-fault")).toMatchObject([{ peer: keys[1]!.id, fault: "invalid-block" }]);
  });

  it("refuses a fresh proposal in view 1 whose header claims view 0 (below the view)", () => {
    const replica = inViewOne([1, 2, 3].map((i) => viewChange(keys[i]!, 1, 1, null)), null);
    const stale = makeTestBlock(1, 0, GENESIS_HASH, keys[1]!.id);
    const out = offer(replica, 2, 1, stale);
    expect(prepared(out)).toEqual([]);
    expect(of(out, "report-fault")).toMatchObject([{ peer: keys[2]!.id, fault: "invalid-block" }]);
    // The honest fresh proposal of view 1 is still accepted.
    const fresh = makeTestBlock(1, 1, GENESIS_HASH, keys[2]!.id, 7);
    expect(prepared(offer(replica, 2, 1, fresh))).toHaveLength(1);
  });

  it("accepts a re-proposal that keeps the header (view 0, proposer keys[1]) of the certificate it re-proposes", () => {
    const b0 = makeTestBlock(1, 0, GENESIS_HASH, keys[1]!.id);
    const cert = certificate([keys[1]!, keys[2]!, keys[3]!], 1, 0, b0.hash);
    const replica = inViewOne([viewChange(keys[1]!, 1, 1, cert), viewChange(keys[2]!, 1, 1, null), viewChange(keys[3]!, 1, 1, null)], b0.hash);
    const out = offer(replica, 2, 1, b0);
    expect(of(out, "report-fault")).toEqual([]);
    expect(prepared(out)).toHaveLength(1);
  });

  it("the primary does not propose a built block whose header is not its own for this view", () => {
    const { replica } = loneReplica(keys, 1);
    const built = replica.step({ type: "tick" });
    expect(of(built, "build-block")).toHaveLength(1);
    const wrong = makeTestBlock(1, 1, GENESIS_HASH, keys[2]!.id);
    expect(of(replica.step({ type: "block-built", height: 1, view: 0, block: wrong }), "persist-vote")).toEqual([]);
    const right = makeTestBlock(1, 0, GENESIS_HASH, keys[1]!.id);
    expect(of(replica.step({ type: "block-built", height: 1, view: 0, block: right }), "persist-vote").map((a) => a.phase)).toEqual(["pre-prepare", "prepare"]);
  });
});
