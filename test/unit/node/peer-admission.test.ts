import { describe, expect, it } from "vitest";
import { ChainState, devKeyPair, toHex, validatorSet, type ValidatorSet } from "../../../src/chain/index.js";
import { PeerAdmission, peerKeysOf } from "../../../src/node/peer-admission.js";
import { peerIdFromValidatorId } from "../../../src/p2p/index.js";

const id = (label: string): string => toHex(devKeyPair(label).publicKey);

describe("PeerAdmission", () => {
  it("admits the current set, the fixed ids, and follows set changes", () => {
    let set: ValidatorSet = validatorSet([0, 1, 2, 3].map((i) => id(`validator-${i}`)));
    const store = { head: () => ({ height: 7, hash: new Uint8Array(32), timestamp: 0 }), validatorsAt: () => set, state: () => new ChainState() };
    const admission = new PeerAdmission(store, [id("observer-0")], false);
    expect(admission.isAllowed(id("validator-2"))).toBe(true);
    expect(admission.isAllowed(id("observer-0"))).toBe(true);
    expect(admission.isAllowed(id("stranger"))).toBe(false);
    expect(admission.refresh()).toBe(false);
    set = validatorSet([0, 1, 2, 4].map((i) => id(`validator-${i}`)));
    expect(admission.refresh()).toBe(true);
    expect(admission.isAllowed(id("validator-3"))).toBe(false);
    expect(admission.isAllowed(id("validator-4"))).toBe(true);
  });

  it("reads the key behind /p2p/ addresses and skips the rest", () => {
    const peer = peerIdFromValidatorId(id("validator-1")).toString();
    expect(peerKeysOf([`/ip4/127.0.0.1/tcp/1/p2p/${peer}`, "/ip4/127.0.0.1/tcp/2", "not an address"])).toEqual([id("validator-1")]);
  });
});
