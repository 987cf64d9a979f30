import { describe, expect, it } from "vitest";
import { DecodeError, transferKind, validatorSet, type KeyPair } from "../../../../src/chain/index.js";
import {
  DBFT_CANDIDATES_KEY,
  dbftCandidateKey,
  dbftRegisterKind,
  dbftSelection,
  dbftTally,
  dbftVoteKey,
  dbftVoteKind,
  dbftVoterBucketKey,
  decodeDbftParams,
  DBFT_PARAMS_KEY,
} from "../../../../src/consensus/selection/dbft.js";
import { decodeIdList } from "../../../../src/consensus/selection/id-list.js";
import { selectionFor } from "../../../../src/consensus/selection/index.js";
import { accountKeys, codes, genesisOf, id, key, OK, TestChain, validatorKeys } from "./harness.js";

const EPOCH = 5;
const standby = validatorKeys(4);
const [v0, v1] = standby as [KeyPair, KeyPair];
const extra = [4, 5, 6].map((i) => key(`candidate-${i}`));
const [c4, c5, c6] = extra as [KeyPair, KeyPair, KeyPair];
const accounts = accountKeys(4);
const [a0, a1, a2, a3] = accounts as [KeyPair, KeyPair, KeyPair, KeyPair];
const newcomer = key("newcomer");

function dbftChain(balances: readonly string[] = ["1000", "600", "300", "0"]): TestChain {
  const genesis = genesisOf({
    selection: { name: "dbft", epochLength: EPOCH, validatorCount: 4 },
    validators: standby.map((k) => ({ id: id(k) })),
    candidates: [...standby, ...extra].map((k) => ({ id: id(k) })),
    accounts: [
      ...accounts.map((k, i) => ({ id: id(k), balance: balances[i]! })),
      { id: id(newcomer), balance: "5" },
    ],
  });
  return new TestChain(genesis, dbftSelection);
}

function voteTx(chain: TestChain, voter: KeyPair, candidates: readonly KeyPair[]) {
  return chain.tx(voter, "dbft.vote", dbftVoteKind.encode({ candidates: candidates.map((c) => c.publicKey) }));
}

const ids = (...keys: KeyPair[]): string[] => keys.map(id).sort();

describe("dbft genesis", () => {
  it("starts with the standby set and registers validators and candidates", () => {
    const chain = dbftChain();
    expect(chain.set.members).toEqual(ids(...standby));
    expect(selectionFor("dbft")).toBe(dbftSelection);
    expect(decodeIdList(chain.state.get(DBFT_CANDIDATES_KEY)!, 100)).toEqual(ids(...standby, ...extra));
    for (const k of [...standby, ...extra]) expect(chain.state.get(dbftCandidateKey(id(k)))).toBeDefined();
    expect(decodeDbftParams(chain.state.get(DBFT_PARAMS_KEY)!)).toEqual({ epochLength: EPOCH, validatorCount: 4 });
    expect(chain.registry.names()).toEqual(expect.arrayContaining(["dbft.register", "dbft.vote", "transfer"]));
  });

  it("registers genesis validators as candidates even without a candidates list", () => {
    const genesis = genesisOf({ selection: { name: "dbft", epochLength: 3, validatorCount: 4 }, validators: standby.map((k) => ({ id: id(k) })) });
    const writes = dbftSelection.genesisWrites(genesis);
    expect(decodeIdList(writes.get(DBFT_CANDIDATES_KEY)!, 100)).toEqual(ids(...standby));
  });
});

describe("dbft payloads", () => {
  it("register has an empty payload", () => {
    expect(dbftRegisterKind.encode({})).toEqual(new Uint8Array(0));
    expect(dbftRegisterKind.decode(new Uint8Array(0))).toEqual({});
    expect(() => dbftRegisterKind.decode(Uint8Array.of(0))).toThrow(DecodeError);
  });

  it("vote encodes candidates in ascending order and rejects any other order or repeats", () => {
    const bytes = dbftVoteKind.encode({ candidates: [c6.publicKey, c4.publicKey] });
    const p = dbftVoteKind.decode(bytes);
    expect(dbftVoteKind.toJSON(p)).toEqual({ candidates: ids(c4, c6) });
    const [first, second] = ids(c4, c6);
    const reversed = Uint8Array.of(2, ...Buffer.from(second!, "hex"), ...Buffer.from(first!, "hex"));
    expect(() => dbftVoteKind.decode(reversed)).toThrow(DecodeError);
    const repeated = Uint8Array.of(2, ...Buffer.from(first!, "hex"), ...Buffer.from(first!, "hex"));
    expect(() => dbftVoteKind.decode(repeated)).toThrow(DecodeError);
    expect(() => dbftVoteKind.encode({ candidates: [c4.publicKey, c4.publicKey] })).toThrow(RangeError);
    expect(dbftVoteKind.decode(dbftVoteKind.encode({ candidates: [] })).candidates).toEqual([]);
  });
});

describe("dbft registration and votes", () => {
  it("registers a candidate once", () => {
    const chain = dbftChain();
    const { receipts } = chain.block([
      chain.tx(newcomer, "dbft.register", new Uint8Array(0)),
      chain.tx(newcomer, "dbft.register", new Uint8Array(0)),
      chain.tx(c4, "dbft.register", new Uint8Array(0)),
    ]);
    expect(codes(receipts)).toEqual([OK, "DUPLICATE", "DUPLICATE"]);
    expect(decodeIdList(chain.state.get(DBFT_CANDIDATES_KEY)!, 100)).toContain(id(newcomer));
  });

  it("refuses votes for unregistered candidates, too many candidates, an empty balance, and a withdrawal with no vote", () => {
    const chain = dbftChain();
    const { receipts } = chain.block([
      voteTx(chain, a0, [newcomer]),
      voteTx(chain, a0, [c4, c5, c6, v0, v1]),
      voteTx(chain, a3, [c4]),
      voteTx(chain, a1, []),
    ]);
    expect(codes(receipts)).toEqual(["NOT_FOUND", "INVALID", "INSUFFICIENT_BALANCE", "NOT_FOUND"]);
    expect(chain.state.get(dbftVoteKey(id(a0)))).toBeUndefined();
  });

  it("keeps a voter index and the vote record; withdrawing removes both", () => {
    const chain = dbftChain();
    chain.block([voteTx(chain, a0, [c4, c5])]);
    expect(decodeIdList(chain.state.get(dbftVoteKey(id(a0)))!, 4)).toEqual(ids(c4, c5));
    expect(decodeIdList(chain.state.get(dbftVoterBucketKey(id(a0)))!, 256)).toContain(id(a0));
    chain.block([voteTx(chain, a0, [])]);
    expect(chain.state.get(dbftVoteKey(id(a0)))).toBeUndefined();
    const bucket = chain.state.get(dbftVoterBucketKey(id(a0)));
    expect(bucket === undefined ? [] : decodeIdList(bucket, 256)).not.toContain(id(a0));
  });
});

describe("dbft epochs", () => {
  it("balance-weighted votes move the set at the epoch boundary, not before", () => {
    const chain = dbftChain();
    chain.block([chain.tx(newcomer, "dbft.register", new Uint8Array(0))]);
    chain.block([voteTx(chain, a0, [c4, c5, c6, newcomer])]);
    chain.advanceTo(EPOCH - 1);
    expect(chain.set.members).toEqual(ids(...standby));
    chain.advanceTo(EPOCH);
    // The last block of the epoch was validated by the standby set; the next one by the winners.
    expect(chain.history.get(EPOCH)!.members).toEqual(ids(...standby));
    expect(chain.set.members).toEqual(ids(c4, c5, c6, newcomer));
    // Nothing changes in between epochs.
    chain.advanceTo(2 * EPOCH - 1);
    expect(chain.set.members).toEqual(ids(c4, c5, c6, newcomer));
  });

  it("ranks by total weight, ties broken by key ascending", () => {
    const chain = dbftChain(["100", "100", "50", "0"]);
    // c4..c6 and v0 hold 100 each (a0); v1 holds 100 (a1); a2 adds 50 to v1: v1 leads, then four tie.
    chain.block([voteTx(chain, a0, [c4, c5, c6, v0]), voteTx(chain, a1, [v1]), voteTx(chain, a2, [v1])]);
    chain.advanceTo(EPOCH);
    const tally = dbftTally(chain.state);
    expect(tally[0]).toEqual({ candidate: id(v1), weight: 150n });
    const tied = ids(c4, c5, c6, v0);
    expect(tally.slice(1, 5)).toEqual(tied.map((candidate) => ({ candidate, weight: 100n })));
    expect(chain.set.members).toEqual([id(v1), ...tied.slice(0, 3)].sort());
  });

  it("with no vote weight the standby set stays", () => {
    const chain = dbftChain();
    const genesisSet = chain.set;
    chain.advanceTo(2 * EPOCH);
    expect(chain.set).toBe(genesisSet);
  });

  it("falls back to standby when every vote is withdrawn", () => {
    const chain = dbftChain();
    chain.block([voteTx(chain, a0, [c4, c5, c6])]);
    chain.advanceTo(EPOCH);
    expect(chain.set.members).toContain(id(c4));
    chain.block([voteTx(chain, a0, [])]);
    chain.advanceTo(2 * EPOCH);
    expect(chain.set.members).toEqual(ids(...standby));
  });

  it("weights follow balance changes after the vote", () => {
    const chain = dbftChain();
    chain.block([voteTx(chain, a0, [c4, c5, c6, v0]), voteTx(chain, a1, [v1])]);
    chain.advanceTo(EPOCH);
    expect(chain.set.members).toEqual(ids(c4, c5, c6, v0));
    // a0 gives away almost everything after voting: its candidates now weigh 1 each, v1 still 600.
    chain.block([chain.tx(a0, "transfer", transferKind.encode({ to: a2.publicKey, amount: 999n }))]);
    chain.advanceTo(2 * EPOCH);
    const tied = ids(c4, c5, c6, v0);
    expect(chain.set.members).toEqual([id(v1), ...tied.slice(0, 3)].sort());
    expect(dbftTally(chain.state)[0]).toEqual({ candidate: id(v1), weight: 600n });
    // And a transfer to a voter raises its candidates.
    chain.block([chain.tx(a2, "transfer", transferKind.encode({ to: a0.publicKey, amount: 1000n }))]);
    chain.advanceTo(3 * EPOCH);
    expect(chain.set.members).toEqual(ids(c4, c5, c6, v0));
  });

  it("a replaced vote replaces the weight", () => {
    const chain = dbftChain();
    chain.block([voteTx(chain, a0, [c4])]);
    chain.block([voteTx(chain, a0, [c5])]);
    const tally = new Map(dbftTally(chain.state).map((t) => [t.candidate, t.weight]));
    expect(tally.get(id(c4))).toBe(0n);
    expect(tally.get(id(c5))).toBe(1000n);
  });
});

describe("dbft speaker", () => {
  const set = validatorSet([...standby, c4].map(id));
  const n = set.members.length;
  const mod = (a: number, m: number): number => ((a % m) + m) % m;

  it("is members[(height - view) mod n], including view > height", () => {
    for (let height = 0; height <= 12; height++) {
      for (let view = 0; view <= 20; view++) {
        expect(dbftSelection.primary(set, height, view)).toBe(set.members[mod(height - view, n)]);
      }
    }
    expect(dbftSelection.primary(set, 1, 6)).toBe(set.members[mod(1 - 6, n)]);
    expect(mod(1 - 6, n)).toBe(0);
    expect(dbftSelection.primary(set, 2, 9)).toBe(set.members[3]);
  });

  it("moves to the previous member on a view change", () => {
    expect(dbftSelection.primary(set, 7, 1)).toBe(set.members[mod(6, n)]);
    expect(dbftSelection.primary(set, 7, 2)).toBe(set.members[mod(5, n)]);
  });

  it("handles huge heights and views exactly", () => {
    const big = Number.MAX_SAFE_INTEGER;
    expect(dbftSelection.primary(set, 3, big)).toBe(set.members[Number((((3n - BigInt(big)) % 5n) + 5n) % 5n)]);
  });
});

describe("dbft election rules (issue 7, bug 1)", () => {
  // Keys that sort below every genesis validator and candidate: under the old rule, zero-weight
  // registrants filled the seats left after the weighted ones in key order.
  const pool = [...standby, ...extra, newcomer].map(id).sort();
  const lowKeys: KeyPair[] = [];
  for (let i = 0; lowKeys.length < 4; i++) {
    const k = key(`attacker-${i}`);
    if (id(k) < pool[0]!) lowKeys.push(k);
  }
  const attackerVoter = key("attacker-voter");

  it("free registrations and one vote of balance 1 win at most the one weighted seat", () => {
    const chain = dbftChain();
    chain.block([chain.tx(a0, "transfer", transferKind.encode({ to: attackerVoter.publicKey, amount: 1n }))]);
    const { receipts } = chain.block(lowKeys.map((k) => chain.tx(k, "dbft.register", new Uint8Array(0))));
    expect(codes(receipts)).toEqual(lowKeys.map(() => OK));
    chain.block([voteTx(chain, attackerVoter, [lowKeys[0]!])]);
    chain.advanceTo(EPOCH);
    const attackers = chain.set.members.filter((m) => lowKeys.some((k) => id(k) === m));
    expect(attackers).toEqual([id(lowKeys[0]!)]);
    // The other seats stay with the standby validators, in ascending key order.
    expect(chain.set.members).toEqual([id(lowKeys[0]!), ...ids(...standby).slice(0, 3)].sort());
  });

  it("never seats a zero-weight candidate, never repeats a member, never exceeds validatorCount", () => {
    const chain = dbftChain();
    // v0 is both a standby validator and a weighted candidate: it must hold one seat, not two.
    chain.block([voteTx(chain, a2, [v0, c4])]);
    chain.advanceTo(EPOCH);
    expect(chain.set.members).toEqual(ids(v0, c4, ...standby.filter((k) => k !== v0).slice(0, 2)));
    expect(new Set(chain.set.members).size).toBe(4);
  });

  it("a candidate that loses all its votes gives its seat back to the standby", () => {
    const chain = dbftChain();
    chain.block([voteTx(chain, a0, [c4, c5])]);
    chain.advanceTo(EPOCH);
    expect(chain.set.members).toEqual(ids(c4, c5, ...standby.slice(0, 2)));
    chain.block([chain.tx(a0, "transfer", transferKind.encode({ to: a3.publicKey, amount: 1000n }))]);
    chain.advanceTo(2 * EPOCH);
    expect(chain.set.members).toEqual(ids(...standby));
  });

  it("with fewer standby validators than seats, unfilled seats stay empty (no unvoted candidate)", () => {
    const genesis = genesisOf({
      selection: { name: "dbft", epochLength: EPOCH, validatorCount: 6 },
      validators: standby.map((k) => ({ id: id(k) })),
      candidates: [...standby, ...extra].map((k) => ({ id: id(k) })),
      accounts: accounts.map((k) => ({ id: id(k), balance: "100" })),
    });
    const chain = new TestChain(genesis, dbftSelection);
    chain.block([voteTx(chain, a0, [c4])]);
    chain.advanceTo(EPOCH);
    expect(chain.set.members).toEqual(ids(c4, ...standby));
  });
});
