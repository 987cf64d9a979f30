import { describe, expect, it } from "vitest";
import { verifySeal } from "../../../src/chain/seal.js";
import { faultTolerance, quorumSize } from "../../../src/chain/validator-set.js";
import { CHAIN_ID, commit, GENESIS_HASH, loneReplica, makeKeys, makeTestBlock, of, prePrepare, prepare } from "./harness.js";

describe("quorum", () => {
  it("q is the smallest size whose two quorums overlap in f+1 (n = 6 needs 4, not 3)", () => {
    expect([4, 5, 6, 7, 8, 9, 10].map(quorumSize)).toEqual([3, 4, 4, 5, 6, 6, 7]);
    for (let n = 4; n <= 10; n++) expect(2 * quorumSize(n) - n).toBeGreaterThanOrEqual(faultTolerance(n) + 1);
  });

  for (let n = 4; n <= 10; n++) {
    it(`n = ${n}: exactly q commits from distinct members decide, q - 1 do not`, () => {
      const keys = makeKeys(n);
      const q = quorumSize(n);
      const { replica, validators } = loneReplica(keys, 0);
      const primary = keys[1 % n]!;
      const block = makeTestBlock(1, 0, GENESIS_HASH, primary.id);
      replica.step({ type: "message", message: prePrepare(primary, 1, 0, block) });
      // Commits from everyone but this replica (it is not prepared, so it adds none of its own).
      const others = keys.slice(1);
      for (let i = 0; i < q - 1; i++) {
        const out = replica.step({ type: "message", message: commit(others[i]!, 1, 0, block.hash) });
        expect(of(out, "append-block")).toEqual([]);
      }
      expect(replica.status().phase).not.toBe("committed");
      const out = replica.step({ type: "message", message: commit(others[q - 1]!, 1, 0, block.hash) });
      const [append] = of(out, "append-block");
      expect(append).toBeDefined();
      expect(append!.block.id).toBe(block.id);
      expect(append!.seal.commits.length).toBe(q);
      verifySeal(append!.seal, CHAIN_ID, validators, 1, block.hash);
      expect(replica.status().phase).toBe("committed");
    });

    it(`n = ${n}: exactly q prepares (its own among them) make a backup prepared`, () => {
      const keys = makeKeys(n);
      const q = quorumSize(n);
      const { replica } = loneReplica(keys, 0);
      const primary = keys[1 % n]!;
      const block = makeTestBlock(1, 0, GENESIS_HASH, primary.id);
      replica.step({ type: "message", message: prePrepare(primary, 1, 0, block) });
      const validated = replica.step({ type: "block-validated", height: 1, view: 0, blockHash: block.hash, valid: true });
      expect(of(validated, "persist-vote").map((a) => a.phase)).toEqual(["prepare"]);
      // Own prepare + q - 2 others: one short.
      for (let i = 1; i <= q - 2; i++) {
        const out = replica.step({ type: "message", message: prepare(keys[i]!, 1, 0, block.hash) });
        expect(of(out, "persist-vote")).toEqual([]);
      }
      expect(replica.status().phase).toBe("pre-prepared");
      const out = replica.step({ type: "message", message: prepare(keys[q - 1]!, 1, 0, block.hash) });
      expect(of(out, "persist-vote").map((a) => a.phase)).toEqual(["commit"]);
      expect(replica.status().phase).toBe("prepared");
    });
  }

  it("prepares for another block do not count toward the accepted pre-prepare", () => {
    const keys = makeKeys(4);
    const { replica } = loneReplica(keys, 0);
    const block = makeTestBlock(1, 0, GENESIS_HASH, keys[1]!.id);
    const other = makeTestBlock(1, 0, GENESIS_HASH, keys[1]!.id, 7);
    replica.step({ type: "message", message: prePrepare(keys[1]!, 1, 0, block) });
    replica.step({ type: "block-validated", height: 1, view: 0, blockHash: block.hash, valid: true });
    for (const k of keys.slice(1)) {
      const out = replica.step({ type: "message", message: prepare(k, 1, 0, other.hash) });
      expect(of(out, "persist-vote")).toEqual([]);
    }
  });

  it("a quorum of commits without the body asks the committers for the sealed block", () => {
    const keys = makeKeys(4);
    const { replica } = loneReplica(keys, 0);
    const block = makeTestBlock(1, 0, GENESIS_HASH, keys[1]!.id);
    const out = [1, 2, 3].flatMap((i) => replica.step({ type: "message", message: commit(keys[i]!, 1, 0, block.hash) }));
    expect(of(out, "append-block")).toEqual([]);
    expect(of(out, "request-sync")).toEqual([{ type: "request-sync", fromHeight: 1, toHeight: 1, peers: [keys[1]!.id, keys[2]!.id, keys[3]!.id] }]);
    // The body arriving later completes the decision.
    const late = replica.step({ type: "message", message: prePrepare(keys[1]!, 1, 0, block) });
    expect(of(late, "append-block").map((a) => a.block.id)).toEqual([block.id]);
  });
});
