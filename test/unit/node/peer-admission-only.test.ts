// `--only-peers`: a twin's copy admits its half of the network and nobody else, whatever the
// validator set or the fixed ids say.
import { describe, expect, it } from "vitest";
import { ChainState, devKeyPair, toHex, validatorSet } from "../../../src/chain/index.js";
import { PeerAdmission } from "../../../src/node/peer-admission.js";

const id = (label: string): string => toHex(devKeyPair(label).publicKey);

describe("PeerAdmission with only-peers", () => {
  it("admits the intersection of the usual allow-list with the given ids", () => {
    const set = validatorSet([0, 1, 2, 3].map((i) => id(`validator-${i}`)));
    const store = { head: () => ({ height: 7, hash: new Uint8Array(32), timestamp: 0 }), validatorsAt: () => set, state: () => new ChainState() };
    const admission = new PeerAdmission(store, [id("observer-0")], false, new Set([id("validator-0"), id("observer-0"), id("stranger")]));
    expect(admission.isAllowed(id("validator-0"))).toBe(true);
    expect(admission.isAllowed(id("observer-0"))).toBe(true);
    expect(admission.isAllowed(id("validator-1"))).toBe(false);
    expect(admission.isAllowed(id("validator-3"))).toBe(false);
    // Being named in --only-peers admits no one the chain and config do not.
    expect(admission.isAllowed(id("stranger"))).toBe(false);
    expect(admission.size).toBe(2);
  });
});
