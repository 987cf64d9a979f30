// `triad genesis …`: create a new network's genesis and keys, and check a genesis file.
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { Command, Option } from "commander";
import { toHex } from "../chain/encoding.js";
import { GenesisError, genesisHashHex, parseGenesisText, type Genesis } from "../chain/genesis.js";
import { KeyFileError } from "../node/key-file.js";
import {
  buildGenesis,
  DEFAULT_ACCOUNTS,
  DEFAULT_BALANCE,
  DEFAULT_EPOCH_LENGTH,
  GenesisBuildError,
  writeGenesisDir,
  type GenesisSpec,
} from "../node/genesis-builder.js";
import { CliError, fsReason, genesisIssueLines } from "./cli-error.js";
import { parseWholeNumber } from "./option-parsers.js";
import { printResult, warn } from "./output.js";

interface NewOptions {
  selection: "poa" | "dbft";
  validators: number;
  out: string;
  chainId?: string;
  accounts?: number;
  balance?: string;
  candidates?: number;
  validatorCount?: number;
  epochLength?: number;
  dev?: boolean;
  genesisTime?: string;
  force?: boolean;
  json?: boolean;
}

interface ValidateOptions {
  json?: boolean;
}

export function genesisSummary(g: Genesis): string {
  const selection = g.selection.name === "dbft" ? `dbft (validatorCount ${g.selection.validatorCount}, epochLength ${g.selection.epochLength})` : g.selection.name;
  const parts = [`selection ${selection}`, `${g.validators.length} validators`];
  if (g.candidates !== undefined) parts.push(`${g.candidates.length} candidates`);
  parts.push(`${g.accounts.length} accounts`, `genesis time ${g.genesisTime}`);
  if (g.insecure === true) parts.push("INSECURE dev keys");
  return `chain ${g.chainId}: ${parts.join(", ")}`;
}

function genesisFacts(g: Genesis): Record<string, unknown> {
  return {
    chainId: g.chainId,
    genesisTime: g.genesisTime,
    insecure: g.insecure ?? false,
    selection: g.selection,
    validators: g.validators.length,
    ...(g.candidates !== undefined ? { candidates: g.candidates.length } : {}),
    accounts: g.accounts.length,
  };
}

/** `validatorCount` → `--validator-count`: builder errors name the spec field, users know the flag. */
function flagOf(option: string): string {
  return `--${option.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

async function newGenesis(options: NewOptions): Promise<void> {
  const spec: GenesisSpec = {
    selection: options.selection,
    validators: options.validators,
    chainId: options.chainId,
    accounts: options.accounts,
    balance: options.balance,
    candidates: options.candidates,
    validatorCount: options.validatorCount,
    epochLength: options.epochLength,
    dev: options.dev === true,
    genesisTime: options.genesisTime,
  };
  try {
    const built = buildGenesis(spec);
    const written = await writeGenesisDir(options.out, built, { force: options.force === true });
    if (built.insecure) warn("--dev keys are INSECURE: anyone can derive their secret keys; use them only for local testing");
    printResult(
      options.json === true,
      {
        genesisPath: resolve(written.genesisPath),
        hash: built.hash,
        ...genesisFacts(built.genesis),
        keys: built.keys.map((k) => ({ role: k.role, name: k.name, publicKey: toHex(k.pair.publicKey), path: resolve(options.out, k.file) })),
      },
      [
        `wrote ${written.genesisPath} and ${written.keyPaths.length} key files in ${join(options.out, "keys")} (mode 0600)`,
        `genesis hash ${built.hash}`,
        genesisSummary(built.genesis),
      ],
    );
  } catch (err) {
    if (err instanceof GenesisBuildError && err.code === "INVALID_OPTION") {
      throw new CliError(`error: ${flagOf(String(err.details.option))}: ${String(err.details.reason)}`);
    }
    if (err instanceof GenesisBuildError && err.code === "DIR_NOT_EMPTY") throw new CliError(`error: ${err.message} (use --force to write into it anyway)`);
    if (err instanceof KeyFileError && err.code === "KEY_FILE_EXISTS") throw new CliError(`error: ${err.message} (use --force to replace it)`);
    throw err;
  }
}

async function validate(file: string, options: ValidateOptions): Promise<void> {
  const json = options.json === true;
  let genesis: Genesis;
  try {
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (err) {
      throw new GenesisError([{ path: "(file)", message: `cannot read ${file}: ${fsReason(err)}` }]);
    }
    genesis = parseGenesisText(text);
  } catch (err) {
    if (!(err instanceof GenesisError)) throw err;
    if (json) printResult(true, { valid: false, path: resolve(file), issues: err.issues }, []);
    throw new CliError(genesisIssueLines(err));
  }
  const hash = genesisHashHex(genesis);
  printResult(json, { valid: true, path: resolve(file), hash, ...genesisFacts(genesis) }, [`genesis hash ${hash}`, genesisSummary(genesis)]);
}

export function genesisCommand(): Command {
  const genesis = new Command("genesis").description("create and check genesis files");
  genesis
    .command("new")
    .description("write DIR/genesis.json and a key file per validator, candidate and account in DIR/keys/")
    .addOption(new Option("--selection <name>", "validator selection").choices(["poa", "dbft"]).makeOptionMandatory())
    .requiredOption("--validators <n>", "number of validators (the initial set; at least 4)", parseWholeNumber)
    .requiredOption("--out <dir>", "output directory (must be empty or absent)")
    .option("--chain-id <id>", "chain id (default: triad-dev-<selection> with --dev, else triad-<selection>-<random>)")
    .option("--accounts <k>", `number of funded accounts (default: ${DEFAULT_ACCOUNTS})`, parseWholeNumber)
    .option("--balance <amount>", `balance of each account (default: ${DEFAULT_BALANCE})`)
    .option("--candidates <m>", "dbft: total candidates, validators included (default: --validators)", parseWholeNumber)
    .option("--validator-count <c>", "dbft: size of the elected validator set (default: --validators)", parseWholeNumber)
    .option("--epoch-length <e>", `dbft: blocks per epoch (default: ${DEFAULT_EPOCH_LENGTH})`, parseWholeNumber)
    .option("--dev", "INSECURE public dev keys derived from each name, and a genesis marked insecure")
    .option("--genesis-time <iso>", "genesis time, ISO 8601 UTC like 2026-01-01T00:00:00Z (default: now)")
    .option("--force", "write into a non-empty directory, replacing files")
    .option("--json", "print the result as JSON")
    .action((options: NewOptions) => newGenesis(options));
  genesis
    .command("validate")
    .description("check a genesis file and print its hash and a summary")
    .argument("<file>", "genesis file")
    .option("--json", "print the result as JSON")
    .action((file: string, options: ValidateOptions) => validate(file, options));
  return genesis;
}
