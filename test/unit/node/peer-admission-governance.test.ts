// Admission follows governance, not registration or config: a DBFT registrant nobody voted for
// is refused by the gater until a vote gives it weight, and a PoA validator voted out is refused
// from the height its removal takes effect even though config.toml still lists it as a peer.
// The chains are real (TestChain: txs executed by the block rules, sets folded by the selection).
import { describe, expect, it } from "vitest";
import type { ValidatorId } from "../../../src/chain/index.js";
import { dbftSelection, dbftVoteKind, poaSelection, poaVoteKind } from "../../../src/consensus/selection/index.js";
import { PeerAdmission } from "../../../src/node/peer-admission.js";
import { createConnectionGater, peerIdFromValidatorId } from "../../../src/p2p/index.js";
import { accountKeys, codes, genesisOf, id, key, OK, TestChain, validatorKeys } from "../consensus/selection/harness.js";

/** The store as PeerAdmission reads it, over a TestChain (its set is the one for the next height). */
function storeOf(chain: TestChain) {
  return {
    head: () => ({ height: chain.height, hash: chain.parent.hash, timestamp: chain.parent.timestamp }),
    validatorsAt: (height: number) => chain.history.get(height) ?? chain.set,
    state: () => chain.state,
  };
}

/** What the libp2p gater answers for an inbound connection authenticated as `who` (true: refused). */
function refused(admission: PeerAdmission, who: ValidatorId): boolean {
  const gater = createConnectionGater(admission.isAllowed);
  const peer = peerIdFromValidatorId(who);
  const maConn = {} as never;
  return gater.denyInboundEncryptedConnection!(peer, maConn) === true && gater.denyDialPeer!(peer) === true;
}

describe("PeerAdmission follows DBFT weight", () => {
  const standby = validatorKeys(4);
  const voter = accountKeys(1)[0]!;
  const registrant = key("free-registrant");

  it("refuses a free registrant until a vote gives it weight", () => {
    const genesis = genesisOf({
      selection: { name: "dbft", epochLength: 1000, validatorCount: 4 },
      validators: standby.map((k) => ({ id: id(k) })),
      accounts: [
        { id: id(voter), balance: "100" },
        { id: id(registrant), balance: "5" },
      ],
    });
    const chain = new TestChain(genesis, dbftSelection);
    const admission = new PeerAdmission(storeOf(chain), [], true);
    for (const k of standby) expect(refused(admission, id(k))).toBe(false);

    expect(codes(chain.block([chain.tx(registrant, "dbft.register", new Uint8Array(0))]).receipts)).toEqual([OK]);
    admission.refresh();
    // Registered, no votes: registering is free, so it is nobody's peer yet.
    expect(refused(admission, id(registrant))).toBe(true);

    chain.block([chain.tx(voter, "dbft.vote", dbftVoteKind.encode({ candidates: [registrant.publicKey] }))]);
    expect(admission.refresh()).toBe(true);
    expect(refused(admission, id(registrant))).toBe(false);

    // Withdrawing the vote takes the weight, and the admission, away again.
    chain.block([chain.tx(voter, "dbft.vote", dbftVoteKind.encode({ candidates: [] }))]);
    expect(admission.refresh()).toBe(true);
    expect(refused(admission, id(registrant))).toBe(true);
  });
});

describe("PeerAdmission follows PoA votes", () => {
  it("refuses a voted-out validator from the height its removal takes effect, even when config lists it", () => {
    const [v0, v1, v2, v3, v4] = validatorKeys(5) as [ReturnType<typeof key>, ReturnType<typeof key>, ReturnType<typeof key>, ReturnType<typeof key>, ReturnType<typeof key>];
    const genesis = genesisOf({ selection: { name: "poa" }, validators: [v0, v1, v2, v3, v4].map((k) => ({ id: id(k) })) });
    const chain = new TestChain(genesis, poaSelection);
    const remove = (by: typeof v0) => chain.tx(by, "poa.vote", poaVoteKind.encode({ action: "remove", validator: v4.publicKey }));
    // A testnet's config.toml lists every node as a peer: v4 is a configured peer too.
    const admission = new PeerAdmission(storeOf(chain), [v0, v1, v2, v3, v4].map(id), false);
    expect(refused(admission, id(v4))).toBe(false);

    // 2 of 5 is not a majority: still a validator, still admitted.
    chain.block([remove(v0), remove(v1)]);
    expect(admission.refresh()).toBe(false);
    expect(refused(admission, id(v4))).toBe(false);

    // The third vote passes at height 2; the set without v4 is in force from height 3, and the
    // node refreshes right after appending height 2.
    chain.block([remove(v2)]);
    expect(chain.height).toBe(2);
    expect(chain.set.members).not.toContain(id(v4));
    expect(admission.refresh()).toBe(true);
    expect(refused(admission, id(v4))).toBe(true);
    for (const k of [v0, v1, v2, v3]) expect(refused(admission, id(k))).toBe(false);
  });
});
