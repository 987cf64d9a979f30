// `triad keys …`: create and inspect ed25519 key files (src/node/key-file.ts).
import { resolve } from "node:path";
import { Command } from "commander";
import { toHex } from "../chain/encoding.js";
import { generateKeyPair } from "../chain/keys.js";
import { KeyFileError, readKeyFile, writeKeyFile } from "../node/key-file.js";
import { CliError } from "./cli-error.js";
import { printResult } from "./output.js";

interface GenerateOptions {
  out: string;
  force?: boolean;
  json?: boolean;
}

interface ShowOptions {
  json?: boolean;
}

async function generate(options: GenerateOptions): Promise<void> {
  const pair = generateKeyPair();
  try {
    await writeKeyFile(options.out, pair, { force: options.force === true });
  } catch (err) {
    if (err instanceof KeyFileError && err.code === "KEY_FILE_EXISTS") throw new CliError(`error: ${err.message} (use --force to replace it)`);
    throw err;
  }
  const publicKey = toHex(pair.publicKey);
  printResult(options.json === true, { publicKey, path: resolve(options.out) }, [publicKey]);
}

async function show(file: string, options: ShowOptions): Promise<void> {
  const key = await readKeyFile(file);
  const publicKey = toHex(key.pair.publicKey);
  printResult(
    options.json === true,
    { publicKey, path: resolve(file), insecure: key.insecure, ...(key.label !== undefined ? { label: key.label } : {}) },
    [publicKey],
  );
}

export function keysCommand(): Command {
  const keys = new Command("keys").description("create and inspect ed25519 key files");
  keys
    .command("generate")
    .description("write a new random key file (mode 0600) and print its public key")
    .requiredOption("--out <file>", "where to write the key file")
    .option("--force", "replace an existing file")
    .option("--json", "print { publicKey, path } as JSON")
    .action((options: GenerateOptions) => generate(options));
  keys
    .command("show")
    .description("check a key file and print its public key")
    .argument("<file>", "key file")
    .option("--json", "print { publicKey, path, insecure, label } as JSON")
    .action((file: string, options: ShowOptions) => show(file, options));
  return keys;
}
