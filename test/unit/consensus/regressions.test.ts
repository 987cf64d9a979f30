import { describe, expect, it } from "vitest";
import { MAX_VIEW, type Commit } from "../../../src/consensus/messages.js";
import {
  certificate,
  Cluster,
  commit,
  expectNoDoubleSigning,
  GENESIS_HASH,
  loneReplica,
  makeKeys,
  makeTestBlock,
  newView,
  of,
  prePrepare,
  prepare,
  viewChange,
} from "./harness.js";

const keys = makeKeys(4);
const block = makeTestBlock(1, 0, GENESIS_HASH, keys[1]!.id);

describe("regression: a prepare replayed as a commit is not counted", () => {
  it("a prepare's signature relabelled as a commit fails the commit domain and never counts", () => {
    const { replica } = loneReplica(keys, 0);
    replica.step({ type: "message", message: prePrepare(keys[1]!, 1, 0, block) });
    const forged = [1, 2, 3].map((i): Commit => ({ ...prepare(keys[i]!, 1, 0, block.hash), type: "commit" }));
    const out = forged.flatMap((m) => replica.step({ type: "message", message: m }));
    expect(of(out, "append-block")).toEqual([]);
    expect(of(out, "report-fault").map((a) => a.fault)).toEqual(["bad-signature", "bad-signature", "bad-signature"]);
    // Genuine commits from the same validators still count (the forgeries took no slot).
    const real = [1, 2, 3].flatMap((i) => replica.step({ type: "message", message: commit(keys[i]!, 1, 0, block.hash) }));
    expect(of(real, "append-block")).toHaveLength(1);
  });
});

describe("regression: a view change that drops a prepared block is rejected", () => {
  const cert = certificate([keys[1]!, keys[2]!, keys[3]!], 1, 0, block.hash);

  it("a new-view that ignores a carried prepared certificate and proposes afresh", () => {
    const { replica } = loneReplica(keys, 0);
    const vcs = [viewChange(keys[1]!, 1, 1, cert), viewChange(keys[2]!, 1, 1, null), viewChange(keys[3]!, 1, 1, null)];
    const out = replica.step({ type: "message", message: newView(keys[2]!, 1, 1, vcs, null) });
    expect(of(out, "report-fault")).toMatchObject([{ peer: keys[2]!.id, fault: "lying-new-view" }]);
    expect(replica.status().view).toBe(0);
    // ... and its fresh pre-prepare for view 1 is not accepted either.
    const fresh = makeTestBlock(1, 1, GENESIS_HASH, keys[2]!.id);
    expect(of(replica.step({ type: "message", message: prePrepare(keys[2]!, 1, 1, fresh) }), "validate-block")).toEqual([]);
  });

  it("a new-view whose view-change had its certificate cut out", () => {
    const { replica } = loneReplica(keys, 0);
    const cut = { ...viewChange(keys[1]!, 1, 1, cert), prepared: null };
    const vcs = [cut, viewChange(keys[2]!, 1, 1, null), viewChange(keys[3]!, 1, 1, null)];
    const out = replica.step({ type: "message", message: newView(keys[2]!, 1, 1, vcs, null) });
    expect(of(out, "report-fault")).toMatchObject([{ peer: keys[2]!.id, fault: "invalid-certificate" }]);
    expect(replica.status().view).toBe(0);
  });

  it("a view-change whose certificate was cut out is not counted toward the f+1 rule", () => {
    const { replica } = loneReplica(keys, 0);
    const cut = { ...viewChange(keys[1]!, 1, 1, cert), prepared: null };
    expect(of(replica.step({ type: "message", message: cut }), "report-fault")).toMatchObject([{ fault: "bad-signature" }]);
    expect(of(replica.step({ type: "message", message: viewChange(keys[3]!, 1, 1, null) }), "persist-vote")).toEqual([]);
  });
});

describe("regression: a huge view number is ignored and reported", () => {
  it("view numbers above MAX_VIEW, or beyond the window, are reported as view-too-far and change nothing", () => {
    const { replica } = loneReplica(keys, 0);
    const huge = [
      viewChange(keys[1]!, 1, MAX_VIEW + 1, null),
      viewChange(keys[2]!, 1, Number.MAX_SAFE_INTEGER, null),
      prepare(keys[1]!, 1, MAX_VIEW + 5, block.hash),
      commit(keys[2]!, 1, 1_000, block.hash),
      prePrepare(keys[1]!, 1, 500, block),
    ];
    for (const m of huge) {
      const out = replica.step({ type: "message", message: m });
      expect(out).toMatchObject([{ type: "report-fault", peer: m.from, fault: "view-too-far" }]);
    }
    expect(replica.status()).toMatchObject({ view: 0, phase: "idle", bufferedMessages: 0 });
  });

  it("f members asking for a huge (but legal) view do not move anyone; they only hold their own slot", () => {
    const { replica } = loneReplica(keys, 0);
    expect(replica.step({ type: "message", message: viewChange(keys[1]!, 1, MAX_VIEW, null) })).toEqual([]);
    expect(replica.status()).toMatchObject({ view: 0, phase: "idle" });
    // One honest member asking for view 1 makes f+1 above view 0: join at the smallest, 1.
    const out = replica.step({ type: "message", message: viewChange(keys[3]!, 1, 1, null) });
    expect(of(out, "persist-vote").map((a) => a.view)).toEqual([1]);
  });
});

describe("regression: double signing after restart never happens", () => {
  it("restarts during view changes (a silent primary) never produce two signatures for one slot", () => {
    const c = new Cluster(4);
    c.silent.add(c.node(1).id);
    for (let round = 0; round < 400 && !c.reached(3); round++) {
      c.tick();
      if (round % 5 === 2) c.restart(c.node([0, 2, 3][Math.floor(round / 5) % 3]!));
    }
    expect(c.reached(3)).toBe(true);
    c.expectAgreement();
    for (const node of c.nodes.values()) expectNoDoubleSigning(node.persisted, node.log, node.id);
  });
});

describe("regression: a commit counted per peer instead of per key", () => {
  it("the same validator's commit delivered twice, or relayed by two peers, counts once", () => {
    for (let n = 4; n <= 7; n++) {
      const ks = makeKeys(n);
      const q = Math.floor((n + Math.floor((n - 1) / 3)) / 2) + 1;
      const { replica } = loneReplica(ks, 0);
      const b = makeTestBlock(1, 0, GENESIS_HASH, ks[1]!.id);
      replica.step({ type: "message", message: prePrepare(ks[1]!, 1, 0, b) });
      const voters = ks.slice(1, q); // q - 1 distinct validators
      const out = [];
      for (const k of voters) {
        const c = commit(k, 1, 0, b.hash);
        out.push(...replica.step({ type: "message", message: c }));
        out.push(...replica.step({ type: "message", message: { ...c } })); // relayed by another peer
        out.push(...replica.step({ type: "message", message: c })); // repeated
      }
      expect(of(out, "append-block")).toEqual([]);
      expect(of(out, "report-fault")).toEqual([]);
      const last = replica.step({ type: "message", message: commit(ks[q]!, 1, 0, b.hash) });
      const [append] = of(last, "append-block");
      expect(new Set(append!.seal.commits.map((c) => c.validator)).size).toBe(q);
      expect(append!.seal.commits.length).toBe(q);
    }
  });
});
