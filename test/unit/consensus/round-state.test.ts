// Replica.roundState(): the read consensus_state shows as CometBFT's round state. It must name
// the pre-prepared block, the block of our own commit ("locked") and of the highest prepared
// certificate ("valid"), and each view's prepares and commits aligned with the set's members.
import { describe, expect, it } from "vitest";
import { ROUND_STATE_VIEWS } from "../../../src/consensus/index.js";
import { GENESIS_HASH, loneReplica, makeKeys, makeTestBlock, newView, prePrepare, prepare, viewChange } from "./harness.js";

describe("Replica.roundState", () => {
  it("before any message: view 0, no proposal, nothing locked, one empty vote set", () => {
    const keys = makeKeys(4);
    const { replica, validators } = loneReplica(keys, 0);
    const r = replica.roundState();
    expect(r).toMatchObject({ height: 1, view: 0, proposalHash: null, lockedHash: null, validHash: null, members: validators.members });
    expect(r.votes).toEqual([{ view: 0, prepares: [null, null, null, null], commits: [null, null, null, null] }]);
  });

  it("after pre-prepare and a quorum of prepares: proposal, locked and valid name the block; votes by member", () => {
    const keys = makeKeys(4);
    const { replica, validators } = loneReplica(keys, 0);
    const block = makeTestBlock(1, 0, GENESIS_HASH, keys[1]!.id);
    replica.step({ type: "message", message: prePrepare(keys[1]!, 1, 0, block) });
    replica.step({ type: "block-validated", height: 1, view: 0, blockHash: block.hash, valid: true });
    let r = replica.roundState();
    expect(r.proposalHash).toEqual(block.hash);
    expect(r.lockedHash).toBeNull();
    replica.step({ type: "message", message: prepare(keys[2]!, 1, 0, block.hash) });
    replica.step({ type: "message", message: prepare(keys[3]!, 1, 0, block.hash) });
    expect(replica.status().phase).toBe("prepared");
    r = replica.roundState();
    expect(r.lockedHash).toEqual(block.hash);
    expect(r.validHash).toEqual(block.hash);
    const [v0] = r.votes;
    const index = (i: number): number => validators.members.indexOf(keys[i]!.id);
    for (const i of [0, 2, 3]) expect(v0!.prepares[index(i)]).toMatchObject({ validator: keys[i]!.id, blockHash: block.hash });
    // Our own commit, sent on becoming prepared.
    expect(v0!.commits[index(0)]).toMatchObject({ validator: keys[0]!.id, blockHash: block.hash });
    expect(v0!.commits.filter((c) => c !== null)).toHaveLength(1);
  });

  it("lists every view up to the current one, at most ROUND_STATE_VIEWS of them", () => {
    const keys = makeKeys(4);
    const { replica, validators } = loneReplica(keys, 0);
    const far = ROUND_STATE_VIEWS + 5;
    const primaryId = validators.members[(1 + far) % 4]!;
    const primary = keys.find((k) => k.id === primaryId)!;
    const proofs = keys.filter((k) => k !== primary).map((k) => viewChange(k, 1, far, null));
    replica.step({ type: "message", message: newView(primary, 1, far, proofs, null) });
    const r = replica.roundState();
    expect(r.view).toBe(far);
    expect(r.votes.map((v) => v.view)).toEqual(Array.from({ length: ROUND_STATE_VIEWS }, (_, i) => far - ROUND_STATE_VIEWS + 1 + i));
  });
});
