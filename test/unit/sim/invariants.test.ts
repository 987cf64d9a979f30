// The validator-set invariant: every honest replica (and the same replica after a restart) has
// the same set in force at every height; a replica that differs is reported, naming both sets.
import { describe, expect, it } from "vitest";
import { toHex, validatorSet, validatorsHash, type BlockStore, type StoredBlock, type ValidatorSet } from "../../../src/chain/index.js";
import { InvariantChecker, type CheckedNode } from "../../../src/sim/invariants.js";
import { simKey } from "../../../src/sim/sim-genesis.js";

const ids = Array.from({ length: 6 }, (_, i) => toHex(simKey(`validator-${i}`).publicKey));
const genesisHash = new Uint8Array(32);
const names = new Map(ids.map((id, i) => [id, `v${i}`]));

function node(index: number, sets: (height: number) => ValidatorSet, head = 0): CheckedNode {
  const store = {
    validatorsAt: sets,
    head: () => ({ height: head, hash: genesisHash, timestamp: 0 }),
    getBlock: async () => undefined,
  } as unknown as BlockStore;
  return { index, id: ids[index]!, store, up: true };
}

/** A block at height 1 naming `set` (its seal is empty: the seal check fails, which is not what is asserted here). */
function block1(set: ValidatorSet): StoredBlock {
  const hash = new Uint8Array(32).fill(1);
  const header = { chainId: "c", height: 1, view: 0, parentHash: genesisHash, timestamp: 0, proposer: ids[0]!, txRoot: hash, stateRoot: hash, validatorsHash: validatorsHash(set) };
  return { block: { header, txs: [], hash, id: toHex(hash) }, seal: { height: 1, view: 0, blockHash: hash, commits: [] }, receipts: [] } as unknown as StoredBlock;
}

describe("InvariantChecker: one validator set per height", () => {
  const four = validatorSet(ids.slice(0, 4));
  const five = validatorSet(ids.slice(0, 5));
  const other = validatorSet([...ids.slice(0, 3), ids[5]!]);

  it("accepts replicas that agree, and counts the change they put in force", () => {
    const checker = new InvariantChecker("c", genesisHash, () => 0, () => true, names);
    const sets = (h: number): ValidatorSet => (h <= 1 ? four : five);
    checker.onAppended(node(0, sets), block1(four));
    checker.onAppended(node(1, sets), block1(four));
    expect(checker.violations.filter((v) => v.invariant === "validator-set")).toEqual([]);
    expect(checker.setChanges()).toEqual(["h2: +v4"]);
  });

  it("reports a replica whose set at a height differs, and one that comes back from a restart with another", async () => {
    const checker = new InvariantChecker("c", genesisHash, () => 0, () => true, names);
    checker.onAppended(node(0, (h) => (h <= 1 ? four : five)), block1(four));
    checker.onAppended(node(1, (h) => (h <= 1 ? four : other)), block1(four));
    const bad = checker.violations.filter((v) => v.invariant === "validator-set");
    expect(bad).toHaveLength(1);
    expect(bad[0]).toMatchObject({ node: 1, height: 2 });
    expect(bad[0]!.detail).toMatch(/v5/);

    const restarted = new InvariantChecker("c", genesisHash, () => 0, () => true, names);
    restarted.onAppended(node(0, () => four), block1(four));
    await restarted.onRestart(node(0, () => other, 1));
    expect(restarted.violations.filter((v) => v.invariant === "validator-set").map((v) => v.height)).toEqual([1, 2]);
  });
});
