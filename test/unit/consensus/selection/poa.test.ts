import { describe, expect, it } from "vitest";
import { DecodeError, validatorSet, type KeyPair } from "../../../../src/chain/index.js";
import {
  decodeBallot,
  encodeBallot,
  MAX_OPEN_VOTES_PER_VOTER,
  POA_VALIDATORS_KEY,
  poaBallotKey,
  poaSelection,
  poaVoteKey,
  poaVoteKind,
  readPoaMembers,
  type PoaAction,
} from "../../../../src/consensus/selection/poa.js";
import { selectionFor } from "../../../../src/consensus/selection/index.js";
import { accountKeys, codes, genesisOf, id, key, OK, TestChain, validatorKeys } from "./harness.js";

const validators = validatorKeys(6);
const [v0, v1, v2, v3, v4, v5] = validators as [KeyPair, KeyPair, KeyPair, KeyPair, KeyPair, KeyPair];
const outsider = accountKeys(1)[0]!;

function poaChain(members: readonly KeyPair[] = [v0, v1, v2, v3]): TestChain {
  const genesis = genesisOf({
    selection: { name: "poa" },
    validators: members.map((k) => ({ id: id(k) })),
    accounts: [{ id: id(outsider), balance: "1000" }],
  });
  return new TestChain(genesis, poaSelection);
}

function vote(chain: TestChain, voter: KeyPair, action: PoaAction, target: KeyPair) {
  return chain.tx(voter, "poa.vote", poaVoteKind.encode({ action, validator: target.publicKey }));
}

const sorted = (...keys: KeyPair[]): string[] => keys.map(id).sort();

describe("poa genesis", () => {
  it("takes the genesis validators, sorted, and records them in state", () => {
    const chain = poaChain();
    expect(chain.set.members).toEqual(sorted(v0, v1, v2, v3));
    expect(readPoaMembers(chain.state)).toEqual(sorted(v0, v1, v2, v3));
    expect(selectionFor("poa")).toBe(poaSelection);
    expect(chain.registry.has("poa.vote")).toBe(true);
  });

  it("refuses a dbft genesis", () => {
    const genesis = genesisOf({ selection: { name: "dbft", epochLength: 5, validatorCount: 4 }, validators: [v0, v1, v2, v3].map((k) => ({ id: id(k) })) });
    expect(() => poaSelection.fromGenesis(genesis)).toThrow(/dbft genesis/);
  });
});

describe("poa.vote payload", () => {
  it("round-trips canonically and has a JSON view", () => {
    for (const action of ["add", "remove"] as const) {
      const bytes = poaVoteKind.encode({ action, validator: v4.publicKey });
      expect(bytes.length).toBe(33);
      const p = poaVoteKind.decode(bytes);
      expect(p.action).toBe(action);
      expect(poaVoteKind.toJSON(p)).toEqual({ action, validator: id(v4) });
    }
  });

  it("rejects an unknown action, truncation and trailing bytes", () => {
    const good = poaVoteKind.encode({ action: "add", validator: v4.publicKey });
    const badAction = Uint8Array.from(good);
    badAction[0] = 2;
    expect(() => poaVoteKind.decode(badAction)).toThrow(DecodeError);
    expect(() => poaVoteKind.decode(good.subarray(0, 32))).toThrow(DecodeError);
    expect(() => poaVoteKind.decode(Uint8Array.of(...good, 0))).toThrow(DecodeError);
  });

  it("ballot records are canonical", () => {
    const entries = [
      { action: "remove" as const, validator: id(v1) },
      { action: "add" as const, validator: id(v4) },
    ];
    const bytes = encodeBallot(entries);
    expect(decodeBallot(bytes)).toEqual([entries[1], entries[0]]);
    const swapped = Uint8Array.of(2, ...bytes.subarray(34, 67), ...bytes.subarray(1, 34));
    expect(() => decodeBallot(swapped)).toThrow(DecodeError);
  });
});

describe("poa governance", () => {
  it("adds a 5th validator once 3 of 4 vote, effective from the next height", () => {
    const chain = poaChain();
    const genesisSet = chain.set;
    expect(codes(chain.block([vote(chain, v0, "add", v4), vote(chain, v1, "add", v4)]).receipts)).toEqual([OK, OK]);
    // 2 of 4 is not more than half.
    expect(chain.set).toBe(genesisSet);
    expect(chain.state.get(poaVoteKey("add", id(v4), id(v0)))).toBeDefined();

    const { block, receipts } = chain.block([vote(chain, v2, "add", v4)]);
    expect(codes(receipts)).toEqual([OK]);
    // The block holding the deciding vote is still validated by the old set …
    expect(chain.history.get(block.header.height)).toBe(genesisSet);
    // … and the new one validates the next height.
    expect(chain.set.members).toEqual(sorted(v0, v1, v2, v3, v4));
    chain.block();
    expect(chain.history.get(block.header.height + 1)!.members).toHaveLength(5);

    // The proposal's votes and the voters' ballots are cleared.
    for (const voter of [v0, v1, v2]) {
      expect(chain.state.get(poaVoteKey("add", id(v4), id(voter)))).toBeUndefined();
      expect(chain.state.get(poaBallotKey(id(voter)))).toBeUndefined();
    }
  });

  it("2 of 4 is not enough, however long it waits", () => {
    const chain = poaChain();
    chain.block([vote(chain, v0, "add", v4)]);
    chain.block([vote(chain, v3, "add", v4)]);
    chain.advanceTo(10);
    expect(chain.set.members).toEqual(sorted(v0, v1, v2, v3));
  });

  it("a vote after the change passed, in the same block, is refused (the record moved on)", () => {
    const chain = poaChain();
    const { receipts } = chain.block([vote(chain, v0, "add", v4), vote(chain, v1, "add", v4), vote(chain, v2, "add", v4), vote(chain, v3, "add", v4)]);
    expect(codes(receipts)).toEqual([OK, OK, OK, "INVALID"]);
    expect(chain.set.members).toHaveLength(5);
  });

  it("only current validators may vote", () => {
    const chain = poaChain();
    const { receipts } = chain.block([vote(chain, outsider, "add", v4), vote(chain, v4, "add", v4)]);
    expect(codes(receipts)).toEqual(["UNAUTHORIZED", "UNAUTHORIZED"]);
    expect(chain.state.get(poaVoteKey("add", id(v4), id(outsider)))).toBeUndefined();
  });

  it("refuses a repeat vote, adding a member, removing a non-member, and dropping below 4", () => {
    const chain = poaChain();
    const { receipts } = chain.block([
      vote(chain, v0, "add", v4),
      vote(chain, v0, "add", v4),
      vote(chain, v0, "add", v1),
      vote(chain, v0, "remove", v5),
      vote(chain, v0, "remove", v1),
    ]);
    expect(codes(receipts)).toEqual([OK, "DUPLICATE", "INVALID", "INVALID", "INVALID"]);
    expect(chain.set.members).toHaveLength(4);
  });

  it("removes a validator with more than half of the current set", () => {
    const chain = poaChain([v0, v1, v2, v3, v4]);
    chain.block([vote(chain, v0, "remove", v4), vote(chain, v1, "remove", v4)]);
    // 2 of 5 is not more than half.
    expect(chain.set.members).toHaveLength(5);
    chain.block([vote(chain, v4, "remove", v4)]);
    expect(chain.set.members).toEqual(sorted(v0, v1, v2, v3));
    expect(readPoaMembers(chain.state)).toEqual(sorted(v0, v1, v2, v3));
    // Gone from governance too.
    expect(codes(chain.block([vote(chain, v4, "add", v5)]).receipts)).toEqual(["UNAUTHORIZED"]);
  });

  it("a removed validator's vote no longer counts", () => {
    const chain = poaChain([v0, v1, v2, v3, v4]);
    chain.block([vote(chain, v4, "add", v5)]);
    chain.block([vote(chain, v0, "remove", v4), vote(chain, v1, "remove", v4), vote(chain, v2, "remove", v4)]);
    expect(chain.set.members).toEqual(sorted(v0, v1, v2, v3));
    // Its open votes left with it.
    expect(chain.state.get(poaVoteKey("add", id(v5), id(v4)))).toBeUndefined();
    expect(chain.state.get(poaBallotKey(id(v4)))).toBeUndefined();

    // v4's earlier vote would have made this 3 of 4; without it, 2 of 4 does not pass.
    chain.block([vote(chain, v0, "add", v5), vote(chain, v1, "add", v5)]);
    expect(chain.set.members).toHaveLength(4);
    chain.block([vote(chain, v2, "add", v5)]);
    expect(chain.set.members).toEqual(sorted(v0, v1, v2, v3, v5));
  });

  it("tallies against the record even if a stale vote from a non-member is in state", () => {
    // Belt and braces: a vote key left by someone outside the set is never counted.
    const chain = poaChain();
    chain.state.apply(new Map([[poaVoteKey("add", id(v4), id(outsider)), Uint8Array.of(1)], [poaVoteKey("add", id(v4), id(v5)), Uint8Array.of(1)]]));
    chain.block([vote(chain, v0, "add", v4), vote(chain, v1, "add", v4)]);
    expect(chain.set.members).toHaveLength(4);
  });

  it("bounds a validator's open votes", () => {
    const chain = poaChain();
    const targets = Array.from({ length: MAX_OPEN_VOTES_PER_VOTER + 1 }, (_, i) => key(`target-${i}`));
    const { receipts } = chain.block(targets.map((t) => vote(chain, v0, "add", t)));
    expect(codes(receipts).slice(0, MAX_OPEN_VOTES_PER_VOTER).every((c) => c === OK)).toBe(true);
    expect(codes(receipts)[MAX_OPEN_VOTES_PER_VOTER]).toBe("LIMIT_EXCEEDED");
  });

  it("afterBlock falls back to the given set when the record is absent", () => {
    const set = validatorSet([v0, v1, v2, v3].map(id));
    const chain = poaChain();
    const { block } = chain.block();
    expect(poaSelection.afterBlock(set, block, { get: () => undefined })).toBe(set);
    expect(chain.state.get(POA_VALIDATORS_KEY)).toBeDefined();
  });
});

describe("poa primary", () => {
  it("is round-robin: members[(height + view) mod n]", () => {
    const set = validatorSet([v0, v1, v2, v3, v4].map(id));
    const n = set.members.length;
    for (let height = 1; height <= 12; height++) {
      for (let view = 0; view <= 7; view++) {
        expect(poaSelection.primary(set, height, view)).toBe(set.members[(height + view) % n]);
      }
    }
    // Each primary in turn as the height advances.
    expect([1, 2, 3, 4, 5].map((h) => poaSelection.primary(set, h, 0))).toEqual([...set.members.slice(1), set.members[0]]);
  });

  it("does not lose precision at huge heights and views", () => {
    const set = validatorSet([v0, v1, v2, v3].map(id));
    const big = Number.MAX_SAFE_INTEGER;
    const expected = Number((BigInt(big) + BigInt(big)) % 4n);
    expect(poaSelection.primary(set, big, big)).toBe(set.members[expected]);
  });
});
