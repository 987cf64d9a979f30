// The governance client's plan: it never aims for a set beyond the fault budget (Byzantine plus
// never-online members at most f), it removes the primary it names, and in DBFT its ballot never
// names a zero-weight registrant.
import { describe, expect, it } from "vitest";
import { toHex, type SignedTx, type StateView } from "../../../src/chain/index.js";
import { dbftVoteKind, genesisStateWrites, poaSelection, poaVoteKind } from "../../../src/consensus/selection/index.js";
import { GovernanceClient, type SetChangeKind } from "../../../src/sim/governance-client.js";
import { Prng } from "../../../src/byzantine/prng.js";
import { extraValidatorKeys, simGenesis } from "../../../src/sim/sim-genesis.js";

function client(selection: "poa" | "dbft", n: number, byzantine: number[], kinds: SetChangeKind[], seed = 1) {
  const g = simGenesis({ validators: n, selection, accounts: 0, maxDelayMs: 10, ...(selection === "dbft" ? { governanceVoters: 1 } : {}) });
  const extras = extraValidatorKeys(n, 3);
  const gov = new GovernanceClient(new Prng(seed), {
    chainId: g.chainId,
    selection: g.selection,
    changes: kinds.length,
    kinds,
    voters: [...g.validatorKeys, ...extras.slice(0, 2)],
    byzantine: new Set(byzantine.map((i) => toHex(g.validatorKeys[i]!.publicKey))),
    onlineExtras: extras.slice(0, 2),
    offline: extras.slice(2),
    dbftVoter: g.voterKeys[0] ?? null,
    registrants: [],
    names: new Map(),
    resendMs: 100,
  });
  const state: StateView = new Map(genesisStateWrites(g.genesis, g.selection));
  const sent: SignedTx[] = [];
  gov.step(0, { height: 1, state, next: g.init.validators }, [{ add: (tx: SignedTx) => sent.push(tx) }]);
  return { g, extras, sent, ids: g.validatorKeys.map((k) => toHex(k.publicKey)) };
}

describe("GovernanceClient", () => {
  it("PoA: adds a never-online validator when the budget allows, every honest member voting", () => {
    const { extras, sent } = client("poa", 4, [], ["add-offline"]);
    expect(sent).toHaveLength(4);
    for (const tx of sent) {
      expect(tx.kind).toBe(poaVoteKind.kind);
      const vote = poaVoteKind.decode(tx.payload);
      expect(vote.action).toBe("add");
      expect(toHex(vote.validator)).toBe(toHex(extras[2]!.publicKey));
    }
  });

  it("PoA: with f Byzantine already, never adds a never-online validator", () => {
    for (let seed = 1; seed <= 20; seed++) {
      const { extras, sent } = client("poa", 4, [1], ["add-offline"], seed);
      for (const tx of sent) expect(toHex(poaVoteKind.decode(tx.payload).validator)).not.toBe(toHex(extras[2]!.publicKey));
    }
  });

  it("PoA: removes the primary of the next height", () => {
    const { sent, g } = client("poa", 5, [], ["remove-primary"]);
    const primary = poaSelection.primary(g.init.validators, 2, 0);
    expect(sent.length).toBeGreaterThanOrEqual(3);
    for (const tx of sent) expect(poaVoteKind.decode(tx.payload)).toMatchObject({ action: "remove" });
    expect(toHex(poaVoteKind.decode(sent[0]!.payload).validator)).toBe(primary);
  });

  it("DBFT: registers the extras before any ballot, and with f Byzantine never elects a never-online candidate", () => {
    const { sent } = client("dbft", 4, [0], ["elect-offline"]);
    expect(sent.map((t) => t.kind)).toEqual(["dbft.register", "dbft.register", "dbft.register"]);
    expect(sent.some((t) => t.kind === dbftVoteKind.kind)).toBe(false);
  });
});
