// Creating a new network: a genesis document plus a key file for every validator, DBFT
// candidate and funded account in it. Built wholly in memory and checked with parseGenesis
// before anything touches the disk, so a bad option never leaves an invalid genesis behind.
// With `dev`, every key is a public dev key derived from its name, so the same options always
// produce the same bytes (the example files in genesis/ are made this way).
import { randomBytes } from "node:crypto";
import { mkdir, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { z } from "zod";
import { toHex } from "../chain/encoding.js";
import { TriadError } from "../chain/errors.js";
import { genesisHashHex, genesisSchema, parseGenesis, type Genesis } from "../chain/genesis.js";
import { devKeyPair, generateKeyPair, type KeyPair } from "../chain/keys.js";
import { MAX_VALIDATORS, MIN_VALIDATORS } from "../chain/validator-set.js";
import { writeKeyFile } from "./key-file.js";

export const DEFAULT_ACCOUNTS = 4;
export const DEFAULT_BALANCE = "1000000000";
export const DEFAULT_EPOCH_LENGTH = 20;
const MAX_CANDIDATES = 1024;
const MAX_ACCOUNTS = 100_000;
const MAX_EPOCH_LENGTH = 1_000_000;

export interface GenesisSpec {
  readonly selection: "poa" | "dbft";
  readonly validators: number;
  /** Default: `triad-dev-<selection>` with `dev`, else `triad-<selection>-<random>` so two networks never share one. */
  readonly chainId?: string;
  readonly accounts?: number;
  /** Decimal u64, the same for every account. */
  readonly balance?: string;
  /** DBFT only: validators plus extra candidates, at least `validators`. Default `validators`. */
  readonly candidates?: number;
  /** DBFT only: size of the elected set. Default `validators`. */
  readonly validatorCount?: number;
  /** DBFT only. */
  readonly epochLength?: number;
  readonly dev?: boolean;
  /** ISO 8601 in UTC (`Z`). Default: now, whole seconds. */
  readonly genesisTime?: string;
}

export type KeyRole = "validator" | "candidate" | "account";

export interface GeneratedKey {
  readonly role: KeyRole;
  /** Also the dev-key label and the file's base name: `validator-0`. */
  readonly name: string;
  readonly pair: KeyPair;
  /** Relative to the output directory. */
  readonly file: string;
}

export interface NewGenesis {
  readonly genesis: Genesis;
  /** The file's exact bytes (as text): fixed key order, two-space indent, trailing newline. */
  readonly text: string;
  readonly hash: string;
  readonly keys: readonly GeneratedKey[];
  readonly insecure: boolean;
}

export type GenesisBuildErrorCode = "INVALID_OPTION" | "DIR_NOT_EMPTY";
/** A bad option (`details.option` names it, as in GenesisSpec) or an occupied output directory. */
export class GenesisBuildError extends TriadError<GenesisBuildErrorCode> {}

export interface GenesisBuilderDeps {
  readonly now: () => number;
  readonly generateKeyPair: () => KeyPair;
}

const defaultDeps: GenesisBuilderDeps = { now: Date.now, generateKeyPair };

function invalid(option: keyof GenesisSpec, message: string): GenesisBuildError {
  return new GenesisBuildError("INVALID_OPTION", `${option}: ${message}`, { option, reason: message });
}

function checkInt(option: keyof GenesisSpec, value: number, min: number, max: number, bounds = ""): number {
  if (!Number.isSafeInteger(value) || value < min || value > max) throw invalid(option, `must be an integer from ${min} to ${max}${bounds}`);
  return value;
}

/** Check one option against the genesis schema's own rule for the field it becomes. */
function checkField<T>(option: keyof GenesisSpec, schema: z.ZodType<T>, value: unknown, message?: string): T {
  const result = schema.safeParse(value);
  if (!result.success) throw invalid(option, message ?? result.error.issues[0]?.message ?? "invalid");
  return result.data;
}

function nowToTheSecond(now: number): string {
  return new Date(Math.floor(now / 1000) * 1000).toISOString().replace(/\.000Z$/, "Z");
}

export function buildGenesis(spec: GenesisSpec, deps: GenesisBuilderDeps = defaultDeps): NewGenesis {
  const dev = spec.dev === true;
  const dbft = spec.selection === "dbft";
  if (spec.selection !== "poa" && !dbft) throw invalid("selection", "must be poa or dbft");
  const validatorTotal = checkInt("validators", spec.validators, MIN_VALIDATORS, MAX_VALIDATORS);
  const accountTotal = checkInt("accounts", spec.accounts ?? DEFAULT_ACCOUNTS, 0, MAX_ACCOUNTS);
  const balanceText = spec.balance ?? DEFAULT_BALANCE;
  // Checked before the schema sees it: the schema's 64-bit refinement calls BigInt() even on a
  // string its regex already rejected, and throws a SyntaxError for one like "1e9".
  if (!/^(0|[1-9][0-9]*)$/.test(balanceText)) throw invalid("balance", "must be a non-negative integer in decimal");
  const balance = checkField("balance", genesisSchema.shape.accounts.unwrap().element.shape.balance, balanceText);
  if (!dbft) {
    for (const option of ["candidates", "validatorCount", "epochLength"] as const) {
      if (spec[option] !== undefined) throw invalid(option, "applies only to dbft selection");
    }
  }
  const candidateTotal = checkInt("candidates", spec.candidates ?? validatorTotal, validatorTotal, MAX_CANDIDATES, " (validators included)");
  const countMax = Math.min(MAX_VALIDATORS, candidateTotal);
  const validatorCount = checkInt("validatorCount", spec.validatorCount ?? validatorTotal, MIN_VALIDATORS, countMax, countMax === candidateTotal ? " (the number of candidates)" : "");
  const epochLength = checkInt("epochLength", spec.epochLength ?? DEFAULT_EPOCH_LENGTH, 1, MAX_EPOCH_LENGTH);
  const genesisTime = checkField(
    "genesisTime",
    genesisSchema.shape.genesisTime,
    spec.genesisTime ?? nowToTheSecond(deps.now()),
    "must be an ISO 8601 time in UTC, like 2026-01-01T00:00:00Z",
  );

  const keys: GeneratedKey[] = [];
  const key = (role: KeyRole, index: number): GeneratedKey => {
    const name = `${role}-${index}`;
    const generated = { role, name, pair: dev ? devKeyPair(name) : deps.generateKeyPair(), file: join("keys", `${name}.json`) };
    keys.push(generated);
    return generated;
  };
  const member = (k: GeneratedKey): { id: string; name: string } => ({ id: toHex(k.pair.publicKey), name: k.name });

  const validators = Array.from({ length: validatorTotal }, (_, i) => member(key("validator", i)));
  // Candidates are numbered by their place in the candidates list, which starts with the validators.
  const extraCandidates = dbft ? Array.from({ length: candidateTotal - validatorTotal }, (_, i) => member(key("candidate", validatorTotal + i))) : [];
  const accounts = Array.from({ length: accountTotal }, (_, i) => ({ ...member(key("account", i)), balance }));
  const defaultChainId = dev ? `triad-dev-${spec.selection}` : `triad-${spec.selection}-${randomBytes(4).toString("hex")}`;
  const chainId = checkField("chainId", genesisSchema.shape.chainId, spec.chainId ?? defaultChainId);

  const draft = {
    chainId,
    genesisTime,
    ...(dev ? { insecure: true } : {}),
    selection: dbft ? { name: "dbft", epochLength, validatorCount } : { name: "poa" },
    validators,
    ...(dbft ? { candidates: [...validators, ...extraCandidates] } : {}),
    accounts,
  };
  // Written out in full so the file pins every parameter its hash covers: a later change of a
  // schema default must not silently turn this file into a different chain.
  const document = { ...draft, consensus: parseGenesis(draft).consensus };
  const genesis = parseGenesis(document);
  return { genesis, text: `${JSON.stringify(document, null, 2)}\n`, hash: genesisHashHex(genesis), keys, insecure: dev };
}

export interface WrittenGenesis {
  readonly genesisPath: string;
  readonly keyPaths: readonly string[];
}

export const GENESIS_FILE = "genesis.json";

/** Write `genesis.json` and `keys/*.json` into `dir`, which must be empty or absent unless `force`. */
export async function writeGenesisDir(dir: string, built: NewGenesis, options: { force?: boolean } = {}): Promise<WrittenGenesis> {
  const force = options.force === true;
  let entries: string[] = [];
  try {
    entries = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  if (entries.length > 0 && !force) {
    throw new GenesisBuildError("DIR_NOT_EMPTY", `${dir} is not empty; refusing to write a genesis into it`, { dir });
  }
  await mkdir(dir, { recursive: true });
  const keyPaths: string[] = [];
  for (const k of built.keys) {
    const path = join(dir, k.file);
    await writeKeyFile(path, k.pair, { insecure: built.insecure, label: k.name, force });
    keyPaths.push(path);
  }
  const genesisPath = join(dir, GENESIS_FILE);
  await writeFile(genesisPath, built.text, { flag: force ? "w" : "wx" });
  return { genesisPath, keyPaths };
}
