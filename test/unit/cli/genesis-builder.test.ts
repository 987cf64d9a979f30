// In-process tests of src/node/genesis-builder.ts (the CLI tests cover the files it writes).
import { describe, expect, it } from "vitest";
import { toHex } from "../../../src/chain/encoding.js";
import { devKeyPair, generateKeyPair } from "../../../src/chain/keys.js";
import { buildGenesis, GenesisBuildError, type GenesisSpec } from "../../../src/node/genesis-builder.js";

const fixedNow = { now: () => Date.parse("2031-02-03T04:05:06.789Z"), generateKeyPair };

function optionError(spec: GenesisSpec): string | undefined {
  try {
    buildGenesis(spec, fixedNow);
  } catch (err) {
    if (err instanceof GenesisBuildError && err.code === "INVALID_OPTION") return String(err.details.option);
    throw err;
  }
  return undefined;
}

describe("buildGenesis", () => {
  it("dev output depends only on the options", () => {
    const spec: GenesisSpec = { selection: "dbft", validators: 4, candidates: 5, dev: true, genesisTime: "2026-01-01T00:00:00Z" };
    const a = buildGenesis(spec, fixedNow);
    const b = buildGenesis(spec, { now: () => 0, generateKeyPair: () => { throw new Error("dev keys need no randomness"); } });
    expect(b.text).toBe(a.text);
    expect(a.hash).toBe(b.hash);
    expect(a.genesis.chainId).toBe("triad-dev-dbft");
    expect(a.keys.map((k) => k.file)).toEqual([
      "keys/validator-0.json", "keys/validator-1.json", "keys/validator-2.json", "keys/validator-3.json",
      "keys/candidate-4.json", "keys/account-0.json", "keys/account-1.json", "keys/account-2.json", "keys/account-3.json",
    ]);
    for (const k of a.keys) expect(k.pair).toEqual(devKeyPair(k.name));
  });

  it("defaults: now to the second, four accounts, random keys and chain id", () => {
    const a = buildGenesis({ selection: "poa", validators: 4 }, fixedNow);
    const b = buildGenesis({ selection: "poa", validators: 4 }, fixedNow);
    expect(a.genesis.genesisTime).toBe("2031-02-03T04:05:06Z");
    expect(a.genesis.accounts.map((x) => x.balance)).toEqual(["1000000000", "1000000000", "1000000000", "1000000000"]);
    expect(a.genesis.chainId).not.toBe(b.genesis.chainId);
    expect(a.genesis.validators[0]!.id).not.toBe(b.genesis.validators[0]!.id);
    expect(a.genesis.validators[0]!.id).toBe(toHex(a.keys[0]!.pair.publicKey));
    expect(a.insecure).toBe(false);
    expect(a.text).not.toContain("insecure");
  });

  it("a dbft validator count may exceed the standby set, up to the candidates", () => {
    const g = buildGenesis({ selection: "dbft", validators: 4, candidates: 7, validatorCount: 7 }, fixedNow).genesis;
    expect(g.selection).toEqual({ name: "dbft", epochLength: 20, validatorCount: 7 });
    expect(g.validators).toHaveLength(4);
    expect(g.candidates).toHaveLength(7);
  });

  it("names the option at fault", () => {
    expect(optionError({ selection: "poa", validators: 3 })).toBe("validators");
    expect(optionError({ selection: "poa", validators: 257 })).toBe("validators");
    expect(optionError({ selection: "poa", validators: 4, candidates: 5 })).toBe("candidates");
    expect(optionError({ selection: "poa", validators: 4, validatorCount: 4 })).toBe("validatorCount");
    expect(optionError({ selection: "dbft", validators: 5, candidates: 4 })).toBe("candidates");
    expect(optionError({ selection: "dbft", validators: 4, validatorCount: 5 })).toBe("validatorCount");
    expect(optionError({ selection: "dbft", validators: 4, validatorCount: 3 })).toBe("validatorCount");
    expect(optionError({ selection: "dbft", validators: 4, epochLength: 0 })).toBe("epochLength");
    expect(optionError({ selection: "poa", validators: 4, balance: "18446744073709551616" })).toBe("balance");
    expect(optionError({ selection: "poa", validators: 4, balance: "1e9" })).toBe("balance");
    expect(optionError({ selection: "poa", validators: 4, accounts: -1 })).toBe("accounts");
    expect(optionError({ selection: "poa", validators: 4, chainId: "no spaces" })).toBe("chainId");
    expect(optionError({ selection: "poa", validators: 4, genesisTime: "2026-01-01" })).toBe("genesisTime");
    expect(optionError({ selection: "poa", validators: 4, genesisTime: "2026-01-01T00:00:00+02:00" })).toBe("genesisTime");
    expect(optionError({ selection: "pow" as "poa", validators: 4 })).toBe("selection");
    expect(optionError({ selection: "poa", validators: 4, accounts: 0 })).toBeUndefined();
  });
});
