// The huge-view behaviour's view-changes pass the wire codec and reach the core with a valid
// signature: one member's is not enough to move an honest replica (PBFT's f+1 rule), f+1 are.
import { describe, expect, it } from "vitest";
import { validatorSet } from "../../../src/chain/validator-set.js";
import type { Action } from "../../../src/consensus/io.js";
import { decodeMessage, encodeMessage, MAX_VIEW, type ViewChange } from "../../../src/consensus/messages.js";
import { Replica } from "../../../src/consensus/replica.js";
import { AttackPlan } from "../../../src/byzantine/attack-plan.js";
import { behaviourFilter, type BehaviourContext } from "../../../src/byzantine/behaviours/index.js";
import { Prng } from "../../../src/byzantine/prng.js";
import { CHAIN_ID, cryptoFor, GENESIS_HASH, makeKeys, PARAMS, roundRobin, type Key } from "../consensus/harness.js";

const keys = makeKeys(4);
const ids = keys.map((k) => k.id);

function context(key: Key, seed: number): BehaviourContext {
  return {
    chainId: CHAIN_ID,
    self: key.id,
    validators: ids,
    prng: new Prng(seed),
    plan: new AttackPlan(new Prng(seed), [key.id]),
    members: () => ids,
    primary: (height, view) => roundRobin.primary(validatorSet(ids), height, view),
    verify: () => true,
    sign: (domain, chainId, payload) => key.signer.signDomain(domain, chainId, payload),
    signRaw: (message) => key.signer.sign(message),
    later: () => undefined,
    viewChangeTimeoutMs: 80,
    maxDelayMs: 10,
  };
}

/** Tick a huge-view filter until it spams; the view-change as a peer would decode it. */
function spam(key: Key, seed: number): ViewChange {
  const filter = behaviourFilter(["huge-view"], context(key, seed));
  for (let i = 0; i < 1000; i++) {
    const out = filter([], { type: "tick" });
    const a = out.find((x): x is Extract<Action, { type: "broadcast" }> => x.type === "broadcast");
    if (a !== undefined) {
      const wire = decodeMessage(encodeMessage(a.message));
      if (wire.type !== "view-change") throw new Error("expected a view-change");
      return wire;
    }
  }
  throw new Error("huge-view never spammed");
}

describe("huge-view", () => {
  it("sends far-ahead view-changes that reach the core: one member alone moves no one, f+1 do", () => {
    const honest = keys[0]!;
    const replica = new Replica({ chainId: CHAIN_ID, self: honest.id, params: PARAMS, selection: roundRobin }, cryptoFor(honest), {
      head: { height: 0, hash: GENESIS_HASH, timestamp: 0 },
      validators: validatorSet(ids),
      ownVotes: [],
    });
    const first = spam(keys[1]!, 1);
    expect(first.newView).toBeGreaterThanOrEqual(1000);
    expect(first.newView).toBeLessThanOrEqual(MAX_VIEW);
    const one = replica.step({ type: "message", message: first });
    expect(one.filter((a) => a.type === "report-fault")).toEqual([]);
    expect(one.filter((a) => a.type === "view-changed")).toEqual([]);
    expect(replica.status().view).toBe(0);
    const second = spam(keys[2]!, 2);
    const two = replica.step({ type: "message", message: second });
    expect(two.filter((a) => a.type === "report-fault")).toEqual([]);
    // Both were accepted: f+1 = 2 members ask for views above ours, so it joins the smaller.
    expect(two).toContainEqual({ type: "view-changed", height: 1, view: Math.min(first.newView, second.newView), reason: "join" });
  });
});
