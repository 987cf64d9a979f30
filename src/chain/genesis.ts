// The genesis file: chain id, time, the selection module and its parameters, the first
// validators (and DBFT candidates), funded accounts, and consensus parameters. Parsed with a
// schema that names the path of any bad field; hashed over a canonical binary encoding.
import { z } from "zod";
import { toHex, Writer } from "./encoding.js";
import { TriadError } from "./errors.js";
import { sha256 } from "./hash.js";
import { accountKey, encodeAccount, type StateWrites } from "./state.js";
import { MAX_BLOCK_BYTES_LIMIT, MAX_BLOCK_TXS_LIMIT } from "./block.js";
import { MAX_VALIDATORS, MIN_VALIDATORS } from "./validator-set.js";
import { MAX_CHAIN_ID_BYTES } from "./tx.js";

const hexKey = z.string().regex(/^[0-9a-f]{64}$/, "must be a 32-byte ed25519 public key in lower-case hex");
const u64String = z
  .string()
  .regex(/^(0|[1-9][0-9]*)$/, { message: "must be a non-negative integer in decimal", abort: true })
  .refine((s) => BigInt(s) < 1n << 64n, "must fit in 64 bits");

const member = z.object({ id: hexKey, name: z.string().min(1).max(64).optional() }).strict();

const consensusParams = z
  .object({
    /** Length of one tick of the consensus clock. */
    tickMs: z.number().int().min(5).max(10_000).default(100),
    /** Ticks a replica waits for a decision before voting for a view change (first view). */
    viewChangeTimeoutTicks: z.number().int().min(2).max(100_000).default(20),
    /** Cap on the doubling view-change timeout. */
    maxViewChangeTimeoutTicks: z.number().int().min(2).max(1_000_000).default(640),
    /** Ticks the primary waits after the previous block before proposing an empty block. */
    emptyBlockIntervalTicks: z.number().int().min(0).max(100_000).default(10),
    maxBlockTxs: z.number().int().min(1).max(MAX_BLOCK_TXS_LIMIT).default(2000),
    maxBlockBytes: z.number().int().min(1024).max(MAX_BLOCK_BYTES_LIMIT).default(2 * 1024 * 1024),
  })
  .strict()
  .refine((c) => c.maxViewChangeTimeoutTicks >= c.viewChangeTimeoutTicks, {
    message: "must be at least viewChangeTimeoutTicks",
    path: ["maxViewChangeTimeoutTicks"],
  })
  // Backups cannot tell a primary waiting for txs from a silent one: an idle primary must
  // propose its empty block before the view-change timer fires.
  .refine((c) => c.emptyBlockIntervalTicks < c.viewChangeTimeoutTicks, {
    message: "must be less than viewChangeTimeoutTicks",
    path: ["emptyBlockIntervalTicks"],
  });

const poaSelection = z.object({ name: z.literal("poa") }).strict();
const dbftSelection = z
  .object({
    name: z.literal("dbft"),
    /** Blocks per epoch: the set is recomputed from votes after every epochLength-th block. */
    epochLength: z.number().int().min(1).max(1_000_000),
    /** How many of the top-voted candidates validate. */
    validatorCount: z.number().int().min(MIN_VALIDATORS).max(MAX_VALIDATORS),
  })
  .strict();

export const genesisSchema = z
  .object({
    chainId: z
      .string()
      .regex(/^[a-zA-Z0-9][a-zA-Z0-9._-]*$/, "must be letters, digits, '.', '_' or '-'")
      .max(MAX_CHAIN_ID_BYTES),
    // Block timestamps are unsigned milliseconds, and genesisHash encodes this one as a uint.
    genesisTime: z.iso.datetime({ offset: false }).refine((s) => !(Date.parse(s) < 0), "must not be before 1970-01-01T00:00:00Z"),
    /** Marks a genesis whose keys are public development keys. */
    insecure: z.boolean().optional(),
    selection: z.discriminatedUnion("name", [poaSelection, dbftSelection]),
    validators: z.array(member).min(MIN_VALIDATORS, `needs at least ${MIN_VALIDATORS} validators`).max(MAX_VALIDATORS),
    candidates: z.array(member).max(1024).optional(),
    accounts: z.array(z.object({ id: hexKey, balance: u64String, name: z.string().min(1).max(64).optional() }).strict()).max(100_000).default([]),
    consensus: consensusParams.default(() => consensusParams.parse({})),
  })
  .strict()
  .superRefine((g, ctx) => {
    const duplicates = (list: { id: string }[], path: string): void => {
      const seen = new Map<string, number>();
      list.forEach((m, i) => {
        const first = seen.get(m.id);
        if (first !== undefined) ctx.addIssue({ code: "custom", path: [path, i, "id"], message: `duplicate of ${path}[${first}]` });
        else seen.set(m.id, i);
      });
    };
    duplicates(g.validators, "validators");
    duplicates(g.accounts, "accounts");
    if (g.candidates !== undefined) duplicates(g.candidates, "candidates");
    if (g.selection.name === "poa" && g.candidates !== undefined) {
      ctx.addIssue({ code: "custom", path: ["candidates"], message: "only a dbft genesis has candidates" });
    }
    if (g.selection.name === "dbft") {
      const pool = new Set([...g.validators, ...(g.candidates ?? [])].map((m) => m.id));
      if (g.selection.validatorCount > pool.size) {
        ctx.addIssue({ code: "custom", path: ["selection", "validatorCount"], message: `exceeds the ${pool.size} validators and candidates` });
      }
    }
  });

export type Genesis = z.infer<typeof genesisSchema>;
export type ConsensusParams = Genesis["consensus"];

export interface GenesisIssue {
  readonly path: string;
  readonly message: string;
}

export class GenesisError extends TriadError<"INVALID_GENESIS"> {
  readonly issues: readonly GenesisIssue[];

  constructor(issues: GenesisIssue[]) {
    super("INVALID_GENESIS", issues.map((i) => `${i.path}: ${i.message}`).join("; "), { issues });
    this.issues = issues;
  }
}

function pathString(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path) out += typeof p === "number" ? `[${p}]` : out === "" ? String(p) : `.${String(p)}`;
  return out === "" ? "(root)" : out;
}

/** Parse and validate a genesis document; throws GenesisError listing every bad field. */
export function parseGenesis(json: unknown): Genesis {
  const result = genesisSchema.safeParse(json);
  if (!result.success) {
    throw new GenesisError(result.error.issues.map((i) => ({ path: pathString(i.path), message: i.message })));
  }
  return result.data;
}

export function parseGenesisText(text: string): Genesis {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new GenesisError([{ path: "(root)", message: `not JSON: ${(err as Error).message}` }]);
  }
  return parseGenesis(json);
}

/** sha256 over the canonical binary encoding of every field that affects the chain. */
export function genesisHash(g: Genesis): Uint8Array {
  const w = new Writer(1024).string("triad/genesis/v1").string(g.chainId).uint(Date.parse(g.genesisTime)).bool(g.insecure ?? false);
  w.string(g.selection.name);
  if (g.selection.name === "dbft") w.uint(g.selection.epochLength).uint(g.selection.validatorCount);
  const members = (list: { id: string; name?: string | undefined }[]): void => {
    w.uint(list.length);
    for (const m of list) w.string(m.id).string(m.name ?? "");
  };
  members(g.validators);
  w.bool(g.candidates !== undefined);
  if (g.candidates !== undefined) members(g.candidates);
  w.uint(g.accounts.length);
  for (const a of g.accounts) w.string(a.id).u64(BigInt(a.balance)).string(a.name ?? "");
  const c = g.consensus;
  w.uint(c.tickMs).uint(c.viewChangeTimeoutTicks).uint(c.maxViewChangeTimeoutTicks).uint(c.emptyBlockIntervalTicks).uint(c.maxBlockTxs).uint(c.maxBlockBytes);
  return sha256(w.finish());
}

export function genesisHashHex(g: Genesis): string {
  return toHex(genesisHash(g));
}

export function genesisTimestamp(g: Genesis): number {
  return Date.parse(g.genesisTime);
}

/** The state before block 1: funded accounts (selection modules add their own records). */
export function genesisAccountWrites(g: Genesis): StateWrites {
  const writes = new Map<string, Uint8Array | null>();
  for (const a of g.accounts) writes.set(accountKey(a.id), encodeAccount({ balance: BigInt(a.balance), nonce: 0 }));
  return writes;
}
