// Opening the node's LevelDB (block log, state and this validator's vote record) with a damage
// check: a node must never run on a store it cannot trust, since a silently shortened vote record
// can make a validator sign twice, and a silently changed block would fork it. What it checks:
//
// - LevelDB's own open (CURRENT, MANIFEST, the tables it names), and what the store's load reads:
//   metadata, every state entry, every validator set, the head block, its seal and state root;
// - LevelDB's recovery of its write-ahead log: LevelDB skips a damaged log record and only says so
//   in its LOG file ("dropping N bytes"); dropped records may be votes, so that refuses too;
// - every vote record decodes (the driver would otherwise start with a hole in it);
// - the tail of the chain (TAIL_BLOCKS blocks below the head): each block decodes, links to its
//   parent by hash, and carries a seal that verifies against the validator set of its height;
// - with `probe`, first the same reads in a child process (store/level-probe.ts): some damaged
//   tables make LevelDB abort the process on an assertion, which only a child can survive.
//
// Any of these fails with a StoreDamageError (code STORE_DAMAGED) that names the file or key and
// says what to do. What it cannot see: a log cut exactly at a record boundary, which LevelDB
// takes for a crash in mid-write (the README's section on damage says what that means).
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { bytesEqual, StoreError, toHex, TriadError, verifySeal, type GenesisInit } from "../chain/index.js";
import { decodeVoteRecords } from "../consensus/index.js";
import { LevelBlockStore, LevelVoteStore } from "../store/index.js";
import { probeLevelStore } from "../store/level-probe.js";

/** Blocks below the head whose links and seals are checked at every open. */
export const TAIL_BLOCKS = 32;

export interface StoreDamage {
  /** A file of the LevelDB directory, when the damage is known to be in one. */
  readonly file?: string;
  /** The store key (hex) or record (e.g. "block 812", "vote record") found damaged. */
  readonly key?: string;
  /** LevelDB's or the store's own description. */
  readonly reason: string;
}

/** The node's database is damaged: it refuses to start, saying where and what to do (the CLI prints the message). */
export class StoreDamageError extends TriadError<"STORE_DAMAGED"> {
  constructor(
    readonly path: string,
    readonly damage: StoreDamage,
    readonly home: string,
  ) {
    const where = [damage.file === undefined ? null : `file ${damage.file}`, damage.key === undefined ? null : `at ${damage.key}`].filter((s) => s !== null).join(", ");
    super(
      "STORE_DAMAGED",
      `the chain database ${path} is damaged (${where === "" ? "see reason" : where}): ${damage.reason}. ` +
        `The node will not run on it. Restore ${path} from a backup, or delete it with \`triad unsafe-reset-all --home ${home} --yes\` ` +
        `and let the node sync from its peers; a validator that does so loses its vote record, so start it only once the network is past the height it last voted on.`,
      { path, ...damage },
    );
  }
}

export interface ChainDb {
  readonly store: LevelBlockStore;
  readonly votes: LevelVoteStore;
  /** What the damage check read, and what it cost. */
  readonly check: { readonly tailBlocks: number; readonly voteRecords: number; readonly ms: number; readonly probe: string };
}

export interface OpenChainDbOptions {
  readonly path: string;
  readonly home: string;
  readonly chainId: string;
  readonly genesis: GenesisInit;
  readonly tailBlocks?: number;
  /**
   * Read the store in a child process first, so a LevelDB abort on a damaged table becomes a
   * StoreDamageError rather than the end of this process. `triad start` sets it; tests that open
   * stores in process leave it off (a child per open costs about a second).
   */
  readonly probe?: boolean;
}

interface LevelLikeError {
  code?: unknown;
  message?: unknown;
  cause?: unknown;
}

/** LevelDB's reason for a failed open or read ("Corruption: checksum mismatch", …), when the error is LevelDB's. */
function levelReason(err: unknown): string | null {
  let e = err as LevelLikeError | undefined;
  for (let depth = 0; depth < 4 && e !== undefined && e !== null; depth++) {
    if (typeof e.code === "string" && /^LEVEL_(CORRUPTION|IO_ERROR)$/.test(e.code)) return String(e.message);
    if (typeof e.message === "string" && /Corruption:|IO error:/.test(e.message)) return e.message;
    e = e.cause as LevelLikeError | undefined;
  }
  return null;
}

/** The file LevelDB's message names, else the one its kind of damage points at. */
async function damagedFile(path: string, reason: string): Promise<string | undefined> {
  const named = /([0-9]{6}\.(?:log|ldb|sst)|MANIFEST-[0-9]+|CURRENT)/.exec(reason);
  if (named !== null) return named[1];
  if (/CURRENT/.test(reason)) return "CURRENT";
  const files = await readdir(path).catch(() => [] as string[]);
  const manifest = files.filter((f) => f.startsWith("MANIFEST-")).sort().pop();
  // A failed open that names no file: CURRENT or the MANIFEST it points at (the tables are opened lazily).
  return manifest === undefined ? "CURRENT" : `${manifest} (or CURRENT)`;
}

/** The table files LevelDB reads (which one aborted it cannot be told from outside). */
async function tableFiles(path: string): Promise<string> {
  const tables = (await readdir(path).catch(() => [] as string[])).filter((f) => /\.(ldb|sst)$/.test(f)).sort();
  return tables.length === 1 ? tables[0]! : tables.length === 0 ? "a table file (*.ldb)" : `one of its table files (${tables.join(", ")})`;
}

/** Lines of LevelDB's LOG (written during this open) that say it dropped log records. */
async function droppedRecords(path: string): Promise<StoreDamage | null> {
  let text: string;
  try {
    text = await readFile(join(path, "LOG"), "utf8");
  } catch {
    return null;
  }
  const line = text.split("\n").find((l) => /dropping \d+ bytes|Corruption:/.test(l));
  if (line === undefined) return null;
  const file = /([0-9]{6}\.log)/.exec(line)?.[1];
  return { ...(file === undefined ? {} : { file }), reason: `LevelDB skipped damaged records of its write-ahead log (${line.replace(/^\S+ \S+ /, "").trim()}); blocks or votes in them are lost` };
}

/** StoreError CORRUPT (the store's own checks) or LevelDB's read errors, as damage; null for anything else. */
async function damageOf(path: string, err: unknown): Promise<StoreDamage | null> {
  if (err instanceof StoreError && (err.code === "CORRUPT" || err.code === "GENESIS_MISMATCH")) {
    const key = typeof err.details.key === "string" ? err.details.key : typeof err.details.height === "number" ? `height ${err.details.height}` : undefined;
    return { ...(key === undefined ? {} : { key }), reason: err.message };
  }
  const reason = levelReason(err);
  if (reason === null) return null;
  const file = await damagedFile(path, reason);
  return { ...(file === undefined ? {} : { file }), reason };
}

/** Open the block and vote stores of `path` and check them; throws StoreDamageError on damage. */
export async function openChainDb(options: OpenChainDbOptions): Promise<ChainDb> {
  const { path, home } = options;
  const started = performance.now();
  let probe = "off";
  if (options.probe === true) {
    const probed = await probeLevelStore(path, options.tailBlocks ?? TAIL_BLOCKS);
    if (probed.outcome === "damaged") throw new StoreDamageError(path, { file: await tableFiles(path), reason: probed.reason }, home);
    probe = probed.outcome === "ok" ? "ok" : `not run: ${probed.reason}`;
  }
  const store = new LevelBlockStore({ path });
  try {
    await store.open(options.genesis);
  } catch (err) {
    // A record LevelDB skipped mid-log leaves the later ones applied (a head whose state lacks a
    // block's writes, say): the skipped record is the damage, what the store's check saw only its symptom.
    const damage = (await droppedRecords(path)) ?? (await damageOf(path, err));
    if (damage === null) throw err;
    throw new StoreDamageError(path, damage, home);
  }
  const votes = new LevelVoteStore({ db: store.sublevel("votes") });
  try {
    const dropped = await droppedRecords(path);
    if (dropped !== null) throw new StoreDamageError(path, dropped, home);
    await votes.open();
    const records = await votes.load();
    for (const record of records) {
      try {
        decodeVoteRecords([record]);
      } catch (err) {
        throw new StoreDamageError(path, { key: `vote record (${record.height}, ${record.view}, ${record.phase})`, reason: `it does not decode: ${(err as Error).message}` }, home);
      }
    }
    const tailBlocks = await checkTail(store, options);
    return { store, votes, check: { tailBlocks, voteRecords: records.length, ms: Math.round(performance.now() - started), probe } };
  } catch (err) {
    await votes.close().catch(() => undefined);
    await store.close().catch(() => undefined);
    if (err instanceof StoreDamageError) throw err;
    const damage = await damageOf(path, err);
    if (damage === null) throw err;
    throw new StoreDamageError(path, damage, home);
  }
}

/** The last blocks link by hash and their seals verify; returns how many were checked. */
async function checkTail(store: LevelBlockStore, options: OpenChainDbOptions): Promise<number> {
  const head = store.head();
  const from = Math.max(1, head.height - (options.tailBlocks ?? TAIL_BLOCKS) + 1);
  let childParent: Uint8Array | null = null;
  let checked = 0;
  for (let h = head.height; h >= from; h--) {
    const stored = await store.getBlock(h);
    if (stored === undefined) throw new StoreError("CORRUPT", `block ${h} below the head ${head.height} is missing`, { height: h });
    const { block, seal } = stored;
    if (h === head.height && !bytesEqual(block.hash, head.hash)) throw new StoreError("CORRUPT", `the head names another block than the one stored at ${h}`, { height: h });
    if (childParent !== null && !bytesEqual(block.hash, childParent)) {
      throw new StoreError("CORRUPT", `block ${h + 1} does not link to the stored block ${h}`, { height: h, expected: toHex(childParent), actual: toHex(block.hash) });
    }
    try {
      verifySeal(seal, options.chainId, store.validatorsAt(h), h, block.hash);
    } catch (err) {
      throw new StoreError("CORRUPT", `the stored seal of block ${h} does not verify: ${(err as Error).message}`, { height: h });
    }
    childParent = block.header.parentHash;
    checked++;
  }
  if (from === 1 && childParent !== null && !bytesEqual(childParent, options.genesis.genesisHash)) {
    throw new StoreError("CORRUPT", "block 1 does not link to the genesis", { height: 1 });
  }
  return checked;
}
