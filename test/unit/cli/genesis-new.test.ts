import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { toHex } from "../../../src/chain/encoding.js";
import { genesisHashHex, parseGenesisText } from "../../../src/chain/genesis.js";
import { readKeyFile } from "../../../src/node/key-file.js";
import { runCli, tempDir } from "./run-cli.js";

const tmp = tempDir();
afterAll(() => tmp.remove());

interface NewOutput {
  genesisPath: string;
  hash: string;
  keys: { role: string; name: string; publicKey: string; path: string }[];
}

/** Every key file exists, is owner-only and holds the key the output and the genesis name. */
async function checkKeys(out: NewOutput, ids: Map<string, string>): Promise<void> {
  for (const k of out.keys) {
    expect(statSync(k.path).mode & 0o777).toBe(0o600);
    const key = await readKeyFile(k.path);
    expect(toHex(key.pair.publicKey)).toBe(k.publicKey);
    expect(key.label).toBe(k.name);
    expect(ids.get(k.name)).toBe(k.publicKey);
  }
}

describe("triad genesis new", () => {
  it("poa: a valid genesis with random keys, and validate agrees", async () => {
    const dir = join(tmp.dir, "poa");
    const run = runCli(["genesis", "new", "--selection", "poa", "--validators", "5", "--accounts", "2", "--balance", "77", "--out", dir, "--json"]);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    const out = JSON.parse(run.stdout) as NewOutput;
    const genesis = parseGenesisText(readFileSync(out.genesisPath, "utf8"));
    expect(out.hash).toBe(genesisHashHex(genesis));
    expect(genesis.chainId).toMatch(/^triad-poa-[0-9a-f]{8}$/);
    expect(genesis.genesisTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(genesis.insecure).toBeUndefined();
    expect(genesis.selection).toEqual({ name: "poa" });
    expect(genesis.validators.map((v) => v.name)).toEqual(["validator-0", "validator-1", "validator-2", "validator-3", "validator-4"]);
    expect(genesis.candidates).toBeUndefined();
    expect(genesis.accounts.map((a) => [a.name, a.balance])).toEqual([["account-0", "77"], ["account-1", "77"]]);
    expect(readdirSync(join(dir, "keys")).sort()).toEqual(
      ["account-0", "account-1", "validator-0", "validator-1", "validator-2", "validator-3", "validator-4"].map((n) => `${n}.json`),
    );
    await checkKeys(out, new Map([...genesis.validators, ...genesis.accounts].map((m) => [m.name!, m.id])));
    expect((await readKeyFile(join(dir, "keys", "validator-0.json"))).insecure).toBe(false);

    const validate = runCli(["genesis", "validate", out.genesisPath]);
    expect(validate.status).toBe(0);
    expect(validate.stdout).toBe(
      `genesis hash ${out.hash}\nchain ${genesis.chainId}: selection poa, 5 validators, 2 accounts, genesis time ${genesis.genesisTime}\n`,
    );
  });

  it("dbft: validators first, then candidates numbered by their place, dev keys", async () => {
    const dir = join(tmp.dir, "dbft");
    const run = runCli([
      "genesis", "new", "--selection", "dbft", "--validators", "4", "--candidates", "6", "--validator-count", "5",
      "--epoch-length", "7", "--dev", "--chain-id", "dbft-test", "--genesis-time", "2030-05-06T07:08:09Z", "--out", dir, "--json",
    ]);
    expect(run.status).toBe(0);
    expect(run.stderr).toMatch(/^warning: .*INSECURE/);
    const out = JSON.parse(run.stdout) as NewOutput;
    const genesis = parseGenesisText(readFileSync(join(dir, "genesis.json"), "utf8"));
    expect(genesis.chainId).toBe("dbft-test");
    expect(genesis.genesisTime).toBe("2030-05-06T07:08:09Z");
    expect(genesis.insecure).toBe(true);
    expect(genesis.selection).toEqual({ name: "dbft", epochLength: 7, validatorCount: 5 });
    expect(genesis.validators.map((v) => v.name)).toEqual(["validator-0", "validator-1", "validator-2", "validator-3"]);
    expect(genesis.candidates!.map((v) => v.name)).toEqual([...genesis.validators.map((v) => v.name), "candidate-4", "candidate-5"]);
    expect(genesis.candidates!.slice(0, 4)).toEqual(genesis.validators);
    await checkKeys(out, new Map([...genesis.candidates!, ...genesis.accounts].map((m) => [m.name!, m.id])));
    expect((await readKeyFile(join(dir, "keys", "candidate-5.json"))).insecure).toBe(true);
  });

  it("refuses a non-empty directory, and writes nothing for a bad option", () => {
    const full = join(tmp.dir, "full");
    const empty = join(tmp.dir, "never");
    mkdirSync(full);
    writeFileSync(join(full, "notes.txt"), "mine");
    const occupied = runCli(["genesis", "new", "--selection", "poa", "--validators", "4", "--out", full]);
    expect(occupied.status).toBe(1);
    expect(occupied.stderr).toMatch(/^error: .*full is not empty.*--force.*\n$/);
    expect(existsSync(join(full, "genesis.json"))).toBe(false);

    const bad = runCli(["genesis", "new", "--selection", "poa", "--validators", "4", "--epoch-length", "5", "--out", empty]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toBe("error: --epoch-length: applies only to dbft selection\n");
    expect(existsSync(empty)).toBe(false);
  });

  it("--force writes into a non-empty directory", () => {
    const dir = join(tmp.dir, "forced");
    mkdirSync(join(dir, "keys"), { recursive: true });
    writeFileSync(join(dir, "genesis.json"), "stale");
    writeFileSync(join(dir, "keys", "validator-0.json"), "stale");
    const again = runCli(["genesis", "new", "--selection", "poa", "--validators", "4", "--dev", "--out", dir, "--force"]);
    expect(again.status).toBe(0);
    expect(again.stdout).toMatch(/^wrote .*genesis\.json and 8 key files/);
    expect(parseGenesisText(readFileSync(join(dir, "genesis.json"), "utf8")).chainId).toBe("triad-dev-poa");
    expect(statSync(join(dir, "keys", "validator-0.json")).mode & 0o777).toBe(0o600);
  });
});
