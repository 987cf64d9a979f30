import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { toHex } from "../../../src/chain/encoding.js";
import {
  genesisAccountWrites,
  GenesisError,
  genesisHash,
  genesisHashHex,
  genesisTimestamp,
  parseGenesis,
  parseGenesisText,
  type Genesis,
} from "../../../src/chain/genesis.js";
import { devKeyPair, publicKeyHex } from "../../../src/chain/keys.js";
import { accountKey, decodeAccount } from "../../../src/chain/state.js";

const ids = Array.from({ length: 10 }, (_, i) => publicKeyHex(devKeyPair(`genesis-${i}`)));

type Doc = Record<string, unknown> & {
  validators: { id: unknown; name?: string }[];
  accounts?: { id: string; balance: string; name?: string }[];
  candidates?: { id: string; name?: string }[];
  selection: Record<string, unknown>;
  consensus?: Record<string, unknown>;
};

function poaDoc(): Doc {
  return {
    chainId: "triad-test",
    genesisTime: "2026-01-01T00:00:00Z",
    insecure: true,
    selection: { name: "poa" },
    validators: ids.slice(0, 4).map((id, i) => ({ id, name: `validator-${i}` })),
    accounts: [
      { id: ids[8]!, balance: "1000", name: "alice" },
      { id: ids[9]!, balance: "18446744073709551615" },
    ],
    consensus: {
      tickMs: 100,
      viewChangeTimeoutTicks: 20,
      maxViewChangeTimeoutTicks: 640,
      emptyBlockIntervalTicks: 10,
      maxBlockTxs: 2000,
      maxBlockBytes: 2 * 1024 * 1024,
    },
  };
}

function dbftDoc(): Doc {
  return {
    chainId: "triad-dbft",
    genesisTime: "2026-01-01T00:00:00.000Z",
    selection: { name: "dbft", epochLength: 20, validatorCount: 4 },
    validators: ids.slice(0, 4).map((id) => ({ id })),
    candidates: ids.slice(0, 7).map((id, i) => ({ id, name: `candidate-${i}` })),
  };
}

function issuesOf(doc: unknown): { path: string; message: string }[] {
  try {
    parseGenesis(doc);
  } catch (err) {
    expect(err).toBeInstanceOf(GenesisError);
    const e = err as GenesisError;
    expect(e.code).toBe("INVALID_GENESIS");
    expect(e.message).toBe(e.issues.map((i) => `${i.path}: ${i.message}`).join("; "));
    return [...e.issues];
  }
  throw new Error("expected parseGenesis to throw");
}

describe("parseGenesis: valid documents", () => {
  it("parses a PoA genesis", () => {
    const g = parseGenesis(poaDoc());
    expect(g.chainId).toBe("triad-test");
    expect(g.selection).toEqual({ name: "poa" });
    expect(g.validators.map((v) => v.id)).toEqual(ids.slice(0, 4));
    expect(g.accounts).toHaveLength(2);
    expect(g.insecure).toBe(true);
    expect(genesisTimestamp(g)).toBe(Date.UTC(2026, 0, 1));
  });

  it("parses a DBFT genesis", () => {
    const g = parseGenesis(dbftDoc());
    expect(g.selection).toEqual({ name: "dbft", epochLength: 20, validatorCount: 4 });
    expect(g.candidates).toHaveLength(7);
  });

  it("applies defaults for consensus params and accounts", () => {
    const doc = poaDoc();
    delete doc.consensus;
    delete doc.accounts;
    const g = parseGenesis(doc);
    expect(g.accounts).toEqual([]);
    expect(g.consensus).toEqual({
      tickMs: 100,
      viewChangeTimeoutTicks: 20,
      maxViewChangeTimeoutTicks: 640,
      emptyBlockIntervalTicks: 10,
      maxBlockTxs: 2000,
      maxBlockBytes: 2 * 1024 * 1024,
    });
    // A partial consensus object gets the rest filled in.
    const partial = poaDoc();
    partial.consensus = { tickMs: 50, maxBlockTxs: 10 };
    expect(parseGenesis(partial).consensus).toEqual({
      tickMs: 50,
      viewChangeTimeoutTicks: 20,
      maxViewChangeTimeoutTicks: 640,
      emptyBlockIntervalTicks: 10,
      maxBlockTxs: 10,
      maxBlockBytes: 2 * 1024 * 1024,
    });
  });

  it("parseGenesisText parses JSON and reports bad JSON at the root", () => {
    expect(parseGenesisText(JSON.stringify(poaDoc())).chainId).toBe("triad-test");
    let caught: unknown;
    try {
      parseGenesisText("{ not json");
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(GenesisError);
    expect((caught as GenesisError).issues[0]).toMatchObject({ path: "(root)", message: expect.stringMatching(/^not JSON/) });
  });

  for (const file of ["genesis/poa-4.json", "genesis/dbft-7.json"]) {
    it.skipIf(!existsSync(file))(`the example ${file} parses`, () => {
      const g = parseGenesisText(readFileSync(file, "utf8"));
      expect(g.insecure).toBe(true);
      expect(genesisHash(g)).toHaveLength(32);
    });
  }
});

describe("parseGenesis: errors name the path and the reason", () => {
  it("a missing field", () => {
    const doc = poaDoc();
    delete doc.chainId;
    expect(issuesOf(doc)).toEqual([{ path: "chainId", message: expect.stringMatching(/expected string, received undefined/) }]);
  });

  it("a wrong type deep in an array", () => {
    const doc = poaDoc();
    doc.validators[1]!.id = 12345;
    expect(issuesOf(doc)).toEqual([{ path: "validators[1].id", message: expect.stringMatching(/expected string, received number/) }]);
  });

  it("a malformed validator key", () => {
    const doc = poaDoc();
    doc.validators[3]!.id = ids[3]!.toUpperCase();
    expect(issuesOf(doc)).toEqual([{ path: "validators[3].id", message: expect.stringMatching(/lower-case hex/) }]);
  });

  it("a duplicate validator", () => {
    const doc = poaDoc();
    doc.validators.push({ id: ids[4]! });
    doc.validators[2]!.id = ids[0]!;
    expect(issuesOf(doc)).toEqual([{ path: "validators[2].id", message: "duplicate of validators[0]" }]);
  });

  it("a duplicate account and candidate", () => {
    const doc = poaDoc();
    doc.accounts!.push({ id: ids[8]!, balance: "1" });
    expect(issuesOf(doc)).toEqual([{ path: "accounts[2].id", message: "duplicate of accounts[0]" }]);
    const dbft = dbftDoc();
    dbft.candidates!.push({ id: ids[5]! });
    expect(issuesOf(dbft)).toEqual([{ path: "candidates[7].id", message: "duplicate of candidates[5]" }]);
  });

  it("fewer than 4 validators", () => {
    const doc = poaDoc();
    doc.validators.pop();
    expect(issuesOf(doc)).toEqual([{ path: "validators", message: "needs at least 4 validators" }]);
  });

  it("an unknown selection name", () => {
    const doc = poaDoc();
    doc.selection = { name: "pos" };
    expect(issuesOf(doc)).toEqual([{ path: "selection.name", message: expect.stringMatching(/poa.*dbft/) }]);
  });

  it("a dbft validatorCount above the pool of validators and candidates", () => {
    const doc = dbftDoc();
    doc.selection.validatorCount = 8;
    expect(issuesOf(doc)).toEqual([{ path: "selection.validatorCount", message: "exceeds the 7 validators and candidates" }]);
    doc.selection.validatorCount = 7;
    expect(parseGenesis(doc).selection).toMatchObject({ validatorCount: 7 });
  });

  it("dbft fields are required and checked", () => {
    const doc = dbftDoc();
    delete doc.selection.epochLength;
    expect(issuesOf(doc)).toEqual([{ path: "selection.epochLength", message: expect.any(String) }]);
    const low = dbftDoc();
    low.selection.validatorCount = 3;
    expect(issuesOf(low).map((i) => i.path)).toEqual(["selection.validatorCount"]);
  });

  it("candidates in a poa genesis", () => {
    const doc = poaDoc();
    doc.candidates = [{ id: ids[5]! }];
    expect(issuesOf(doc)).toEqual([{ path: "candidates", message: "only a dbft genesis has candidates" }]);
  });

  it("an unknown top-level key, a bad balance, a bad chain id and a bad time", () => {
    expect(issuesOf({ ...poaDoc(), extra: 1 })).toEqual([{ path: "(root)", message: expect.stringMatching(/extra/) }]);
    const balance = poaDoc();
    balance.accounts![0]!.balance = "18446744073709551616";
    expect(issuesOf(balance)).toEqual([{ path: "accounts[0].balance", message: "must fit in 64 bits" }]);
    const negative = poaDoc();
    negative.accounts![1]!.balance = "-1";
    expect(issuesOf(negative).map((i) => i.path)).toEqual(["accounts[1].balance"]);
    const leadingZero = poaDoc();
    leadingZero.accounts![1]!.balance = "01";
    expect(issuesOf(leadingZero).map((i) => i.path)).toEqual(["accounts[1].balance"]);
    expect(issuesOf({ ...poaDoc(), chainId: "has space" }).map((i) => i.path)).toEqual(["chainId"]);
    expect(issuesOf({ ...poaDoc(), chainId: "c".repeat(65) }).map((i) => i.path)).toEqual(["chainId"]);
    expect(issuesOf({ ...poaDoc(), genesisTime: "2026-01-01T00:00:00+01:00" }).map((i) => i.path)).toEqual(["genesisTime"]);
    expect(issuesOf({ ...poaDoc(), genesisTime: "yesterday" }).map((i) => i.path)).toEqual(["genesisTime"]);
  });

  it("a genesis time before 1970 (it could not be hashed as an unsigned timestamp)", () => {
    expect(issuesOf({ ...poaDoc(), genesisTime: "1969-12-31T23:59:59Z" })).toEqual([
      { path: "genesisTime", message: "must not be before 1970-01-01T00:00:00Z" },
    ]);
    expect(genesisTimestamp(parseGenesis({ ...poaDoc(), genesisTime: "1970-01-01T00:00:00Z" }))).toBe(0);
  });

  it("consensus params out of range, unknown, or inconsistent", () => {
    const doc = poaDoc();
    doc.consensus = { tickMs: 1 };
    expect(issuesOf(doc).map((i) => i.path)).toEqual(["consensus.tickMs"]);
    doc.consensus = { tickMs: 100.5 };
    expect(issuesOf(doc).map((i) => i.path)).toEqual(["consensus.tickMs"]);
    doc.consensus = { maxBlockBytes: 4 * 1024 * 1024 };
    expect(issuesOf(doc).map((i) => i.path)).toEqual(["consensus.maxBlockBytes"]);
    doc.consensus = { bogus: 1 };
    expect(issuesOf(doc).map((i) => i.path)).toEqual(["consensus"]);
    doc.consensus = { viewChangeTimeoutTicks: 50, maxViewChangeTimeoutTicks: 10 };
    expect(issuesOf(doc)).toEqual([{ path: "consensus.maxViewChangeTimeoutTicks", message: "must be at least viewChangeTimeoutTicks" }]);
  });

  it("a non-object document", () => {
    expect(issuesOf(5)).toEqual([{ path: "(root)", message: expect.stringMatching(/expected object/) }]);
    expect(issuesOf(null).map((i) => i.path)).toEqual(["(root)"]);
  });
});

describe("genesisHash", () => {
  const hashOf = (doc: unknown): string => genesisHashHex(parseGenesis(doc));

  it("is stable: same document, same hash, whatever the JSON key order", () => {
    const a = hashOf(poaDoc());
    expect(hashOf(poaDoc())).toBe(a);
    const reordered = Object.fromEntries(Object.entries(poaDoc()).reverse());
    expect(hashOf(reordered)).toBe(a);
    expect(genesisHashHex(parseGenesis(poaDoc()))).toBe(toHex(genesisHash(parseGenesis(poaDoc()))));
    // Pinned: a change here changes every chain's identity.
    expect(a).toBe("c7241fa03c7e1f14185d2c81c87dfac6712a48f934ae239f4b06c2abbb691ae5");
  });

  it("spelling out the consensus defaults does not change the hash", () => {
    const explicit = poaDoc();
    const implicit = poaDoc();
    delete implicit.consensus;
    expect(hashOf(implicit)).toBe(hashOf(explicit));
  });

  it("changes when any field changes", () => {
    const mutations: [string, (d: Doc) => void][] = [
      ["chainId", (d) => (d.chainId = "triad-test2")],
      ["genesisTime", (d) => (d.genesisTime = "2026-01-01T00:00:00.001Z")],
      ["insecure", (d) => (d.insecure = false)],
      ["validator id", (d) => (d.validators[0]!.id = ids[5]!)],
      ["validator name", (d) => (d.validators[0]!.name = "renamed")],
      ["validator order", (d) => d.validators.reverse()],
      ["extra validator", (d) => d.validators.push({ id: ids[5]! })],
      ["account id", (d) => (d.accounts![0]!.id = ids[7]!)],
      ["account balance", (d) => (d.accounts![0]!.balance = "1001")],
      ["account name", (d) => (d.accounts![1]!.name = "bob")],
      ["no accounts", (d) => (d.accounts = [])],
      ["tickMs", (d) => (d.consensus!.tickMs = 101)],
      ["viewChangeTimeoutTicks", (d) => (d.consensus!.viewChangeTimeoutTicks = 21)],
      ["maxViewChangeTimeoutTicks", (d) => (d.consensus!.maxViewChangeTimeoutTicks = 641)],
      ["emptyBlockIntervalTicks", (d) => (d.consensus!.emptyBlockIntervalTicks = 11)],
      ["maxBlockTxs", (d) => (d.consensus!.maxBlockTxs = 2001)],
      ["maxBlockBytes", (d) => (d.consensus!.maxBlockBytes = 2 * 1024 * 1024 - 1)],
      ["selection", (d) => (d.selection = { name: "dbft", epochLength: 20, validatorCount: 4 })],
    ];
    const seen = new Map<string, string>([[hashOf(poaDoc()), "base"]]);
    for (const [name, mutate] of mutations) {
      const doc = poaDoc();
      mutate(doc);
      const hash = hashOf(doc);
      expect(seen.get(hash), `${name} collides with ${seen.get(hash)}`).toBeUndefined();
      seen.set(hash, name);
    }
    const dbftMutations: [string, (d: Doc) => void][] = [
      ["epochLength", (d) => (d.selection.epochLength = 21)],
      ["validatorCount", (d) => (d.selection.validatorCount = 5)],
      ["candidate removed", (d) => d.candidates!.pop()],
      ["candidate name", (d) => (d.candidates![0]!.name = "x")],
      ["candidates empty", (d) => (d.candidates = [])],
    ];
    const dbftBase = hashOf(dbftDoc());
    expect(seen.has(dbftBase)).toBe(false);
    seen.set(dbftBase, "dbft base");
    for (const [name, mutate] of dbftMutations) {
      const doc = dbftDoc();
      mutate(doc);
      const hash = hashOf(doc);
      expect(seen.get(hash), `${name} collides with ${seen.get(hash)}`).toBeUndefined();
      seen.set(hash, name);
    }
    // No candidates at all differs from an empty list.
    const none = dbftDoc();
    delete none.candidates;
    none.validators.push(...ids.slice(4, 7).map((id) => ({ id })));
    const withEmpty = dbftDoc();
    withEmpty.candidates = [];
    withEmpty.validators.push(...ids.slice(4, 7).map((id) => ({ id })));
    expect(hashOf(none)).not.toBe(hashOf(withEmpty));
  });
});

describe("genesisAccountWrites", () => {
  it("funds every account with nonce 0", () => {
    const g: Genesis = parseGenesis(poaDoc());
    const writes = genesisAccountWrites(g);
    expect(writes.size).toBe(2);
    expect(decodeAccount(writes.get(accountKey(ids[8]!))!)).toEqual({ balance: 1000n, nonce: 0 });
    expect(decodeAccount(writes.get(accountKey(ids[9]!))!)).toEqual({ balance: (1n << 64n) - 1n, nonce: 0 });
  });
});
