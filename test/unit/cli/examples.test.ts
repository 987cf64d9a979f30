// The committed example genesis files validate, their members are the documented dev keys,
// and `genesis new --dev` regenerates them byte for byte (the command is in genesis/README.md).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { toHex } from "../../../src/chain/encoding.js";
import { genesisHashHex, parseGenesisText } from "../../../src/chain/genesis.js";
import { devKeyPair } from "../../../src/chain/keys.js";
import { repoRoot, runCli, tempDir } from "./run-cli.js";

const tmp = tempDir();
afterAll(() => tmp.remove());

const common = ["--dev", "--accounts", "4", "--genesis-time", "2026-01-01T00:00:00Z"];
const examples = [
  { file: "poa-4.json", args: ["--selection", "poa", "--validators", "4", "--chain-id", "triad-dev-poa", ...common] },
  {
    file: "dbft-7.json",
    args: ["--selection", "dbft", "--validators", "4", "--candidates", "7", "--validator-count", "4", "--epoch-length", "20", "--chain-id", "triad-dev-dbft", ...common],
  },
];

describe.each(examples)("genesis/$file", ({ file, args }) => {
  const path = join(repoRoot, "genesis", file);
  const text = readFileSync(path, "utf8");

  it("validates through the CLI and uses the documented dev keys", () => {
    const genesis = parseGenesisText(text);
    expect(genesis.insecure).toBe(true);
    for (const m of [...genesis.validators, ...(genesis.candidates ?? []), ...genesis.accounts]) {
      expect(m.id).toBe(toHex(devKeyPair(m.name!).publicKey));
    }
    const run = runCli(["genesis", "validate", `genesis/${file}`]);
    expect(run.status).toBe(0);
    expect(run.stdout.split("\n")[0]).toBe(`genesis hash ${genesisHashHex(genesis)}`);
    expect(run.stdout).toContain(`chain ${genesis.chainId}: selection ${genesis.selection.name}`);
  });

  it("is exactly what genesis new --dev writes", () => {
    const out = join(tmp.dir, file);
    const run = runCli(["genesis", "new", ...args, "--out", out]);
    expect(run.status).toBe(0);
    expect(readFileSync(join(out, "genesis.json"), "utf8")).toBe(text);
  });
});
