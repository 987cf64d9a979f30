// 200 random truncations and corruptions (fixed seed) of the tail of a stopped validator's
// LevelDB files (newest .log, newest .ldb, MANIFEST, CURRENT), each opened through the node's
// real open path (openChainDb: LevelDB's open, the store's load, the damage check), in a child
// process (open-damaged.ts; a damaged table is probed in a further child first, as `triad start`
// does, since LevelDB 1.20 aborts the process on some). Each must either open or refuse with a
// StoreDamageError that names the file or key and the remedy, never kill its process; an
// open must never be a silent fork (its head block is the one the undamaged copy holds at that
// height) and never change a vote record (a vote whose unsynced prune was cut off may come back). Then a few damaged copies are run as the real node
// with its peers: the ones that open resync to the network's head; a refused one exits with the
// typed error in its log.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Prng } from "../../../src/byzantine/prng.js";
import { fromHex, toHex, verifyDomain, type VoteRecord } from "../../../src/chain/index.js";
import { decodeVoteRecord, messageView, signedPayload, voteDomain, type ConsensusMessage } from "../../../src/consensus/index.js";
import { openChainDb, type ChainDb } from "../../../src/node/chain-db.js";
import { homePaths } from "../../../src/node/config.js";
import { LevelBlockStore } from "../../../src/store/index.js";
import { loadHome } from "../../../src/node/home.js";
import { genesisInit } from "../../../src/node/node.js";
import { headHeight, tailOf, waitFor, waitForHeight } from "../../../src/testnet/index.js";
import { CrashNetwork } from "./crash-network.js";
import type { OpenResult } from "./open-damaged.js";

const SEED = 0xda3a6e;
const CASES = 200;
const VICTIM = "validator-3";

type Kind = "log" | "ldb" | "manifest" | "current";
type Op = "truncate" | "corrupt";
type Outcome = "opened-intact" | "opened-lower" | "refused" | "aborted";

interface Case {
  readonly index: number;
  readonly kind: Kind;
  readonly file: string;
  readonly op: Op;
  readonly bytes: number;
  outcome?: Outcome;
  votesLost?: number;
  message?: string;
  dir?: string;
}

interface Snapshot {
  readonly head: number;
  readonly hashes: Map<number, string>;
  readonly votes: Map<string, string>;
  /** The lowest height it holds a vote for: the votes below were pruned. */
  readonly voteFloor: number;
  /** The validator whose votes these are. */
  readonly signer: string;
}

let dir: string;
let net: CrashNetwork;
let pristine: string;
/** The same database after one more open: LevelDB turned its log into a table (.ldb) and began a new log. */
let pristineTables: string;
let chainId: string;
let genesis: ReturnType<typeof genesisInit>;
let reference: Snapshot;
let openCost: { plainMs: number; checkedMs: number };
const cases: Case[] = [];

const voteKey = (v: VoteRecord): string => `${v.height}/${v.view}/${v.phase}`;

async function snapshot(db: ChainDb, upTo: number): Promise<Snapshot> {
  const hashes = new Map<number, string>();
  for (let h = 1; h <= upTo; h++) {
    const stored = await db.store.getBlock(h);
    if (stored !== undefined) hashes.set(h, stored.block.id);
  }
  const records = await db.votes.load();
  const votes = new Map(records.map((v) => [voteKey(v), toHex(v.bytes)] as const));
  const voteFloor = records.length === 0 ? Infinity : Math.min(...records.map((v) => v.height));
  const signer = records.length === 0 ? "" : decodeVoteRecord(records[0]!.bytes).message.from;
  return { head: db.store.head().height, hashes, votes, voteFloor, signer };
}

/**
 * Why a vote held by a damaged copy but not by the reference is not a vote the reference pruned,
 * or null when it is one. Prunes are not synced (level-vote-store.ts): cutting the log's tail can
 * drop the prune batch and bring back votes below the floor, which are votes this validator
 * signed and so harmless to keep.
 */
function unprunedVoteProblem(key: string, hex: string): string | null {
  const height = Number(key.split("/")[0]);
  if (height >= reference.voteFloor) return `at or above the reference's lowest vote height ${reference.voteFloor}`;
  let message: ConsensusMessage;
  try {
    message = decodeVoteRecord(fromHex(hex)).message;
  } catch (err) {
    return `undecodable: ${(err as Error).message}`;
  }
  if (voteKey({ height: message.height, view: messageView(message), phase: message.type as VoteRecord["phase"], bytes: new Uint8Array() }) !== key) return "stored under another key";
  if (message.from !== reference.signer) return `signed by ${message.from}, not ${reference.signer}`;
  if (!verifyDomain(voteDomain(message.type), chainId, signedPayload(message), message.signature, fromHex(message.from))) return "bad signature";
  return null;
}

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));

/**
 * Opens damaged copies in a child process (open-damaged.ts), one at a time; a child that dies
 * (LevelDB aborting on a damaged table) answers `aborted` with the end of its stderr, and the next
 * copy gets a fresh child.
 */
class DamagedOpener {
  private child: ChildProcessWithoutNullStreams | null = null;
  private waiting: ((r: OpenResult | { aborted: string }) => void) | null = null;
  private out = "";
  private err = "";
  children = 0;

  constructor(private readonly home: string) {}

  open(path: string, probe: boolean): Promise<OpenResult | { aborted: string }> {
    const child = this.child ?? this.start();
    return new Promise((resolve) => {
      this.waiting = resolve;
      child.stdin.write(`${path}\t${probe ? 1 : 0}\n`);
    });
  }

  close(): void {
    this.child?.stdin.end();
  }

  private start(): ChildProcessWithoutNullStreams {
    const child = spawn(process.execPath, ["--import", "tsx", "test/reliability/crash/open-damaged.ts", this.home], { cwd: repoRoot });
    this.children++;
    this.child = child;
    this.out = "";
    this.err = "";
    child.stdout.setEncoding("utf8");
    child.stderr.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      this.out += chunk;
      let nl: number;
      while ((nl = this.out.indexOf("\n")) >= 0) {
        const line = this.out.slice(0, nl);
        this.out = this.out.slice(nl + 1);
        const resolve = this.waiting;
        this.waiting = null;
        resolve?.(JSON.parse(line) as OpenResult);
      }
    });
    child.stderr.on("data", (chunk: string) => (this.err = (this.err + chunk).slice(-2000)));
    child.on("exit", (code, signal) => {
      if (this.child === child) this.child = null;
      const resolve = this.waiting;
      this.waiting = null;
      // LevelDB's failed assertion when there is one, else the last lines it wrote.
      const lines = this.err.trim().split("\n");
      const said = lines.find((l) => /Assertion/.test(l)) ?? lines.slice(-2).join(" | ");
      resolve?.({ aborted: `exit ${code} ${signal ?? ""}: ${said}` });
    });
    return child;
  }
}

async function closeDb(db: ChainDb): Promise<void> {
  await db.votes.close();
  await db.store.close();
}

function filesOf(path: string): Record<Kind, string | undefined> {
  const files = readdirSync(path).sort();
  const newest = (re: RegExp): string | undefined => files.filter((f) => re.test(f)).pop();
  return { log: newest(/\.log$/), ldb: newest(/\.(ldb|sst)$/), manifest: newest(/^MANIFEST-/), current: "CURRENT" };
}

/** Cut `bytes` off the end, or flip up to 4 random bytes among the last `bytes`. */
function damage(file: string, op: Op, bytes: number, prng: Prng): void {
  const size = statSync(file).size;
  if (op === "truncate") {
    truncateSync(file, Math.max(0, size - bytes));
    return;
  }
  const data = readFileSync(file);
  const span = Math.min(bytes, data.length);
  const flips = 1 + (prng.u32() % 4);
  for (let i = 0; i < flips && span > 0; i++) {
    const at = data.length - 1 - (prng.u32() % span);
    data[at] = data[at]! ^ (1 + (prng.u32() % 255));
  }
  writeFileSync(file, data);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "triad-damaged-store-"));
  net = await CrashNetwork.create(dir);
  await Promise.all(net.names.map((n) => net.start(n)));
  await net.startLoad(40, join(dir, "acks.jsonl"));
  await waitForHeight(net.names.map((n) => net.client(n)), 40, { timeoutMs: 120_000 });
  // A cleanly stopped validator: its database is the undamaged reference.
  await net.stop(VICTIM);
  const home = net.node(VICTIM).home;
  const loaded = await loadHome(home);
  chainId = loaded.genesis.chainId;
  genesis = genesisInit(loaded.genesis);
  pristine = join(dir, "pristine-chain");
  cpSync(homePaths(home).chainDb, pristine, { recursive: true });
  cpSync(pristine, join(dir, "reference"), { recursive: true });
  const ref = await openChainDb({ path: join(dir, "reference"), home, chainId, genesis });
  reference = await snapshot(ref, ref.store.head().height);
  await closeDb(ref);
  // The damage check's cost: the store's plain open against the checked open, best of 3 each.
  const plainMs: number[] = [];
  const checkedMs: number[] = [];
  for (let i = 0; i < 3; i++) {
    let t = performance.now();
    const plain = new LevelBlockStore({ path: join(dir, "reference") });
    await plain.open(genesis);
    await plain.close();
    plainMs.push(performance.now() - t);
    t = performance.now();
    await closeDb(await openChainDb({ path: join(dir, "reference"), home, chainId, genesis }));
    checkedMs.push(performance.now() - t);
  }
  openCost = { plainMs: Math.round(Math.min(...plainMs)), checkedMs: Math.round(Math.min(...checkedMs)) };
  pristineTables = join(dir, "pristine-tables");
  cpSync(pristine, pristineTables, { recursive: true });
  await closeDb(await openChainDb({ path: pristineTables, home, chainId, genesis }));
}, 600_000);

afterAll(async () => {
  await net?.load?.stop();
  await net?.stopAll();
  if (dir !== undefined && process.env.TRIAD_KEEP_TESTNET === undefined) rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe(`damaged LevelDB files: ${CASES} random truncations and corruptions of a stopped validator's store`, () => {
  it("each damaged copy opens without a fork or a changed vote, or refuses with a typed error naming the damage", async () => {
    const prng = new Prng(SEED);
    const kinds: Kind[] = ["log", "log", "ldb", "manifest", "current"];
    const home = net.node(VICTIM).home;
    const problems: string[] = [];
    let checkMs = 0;
    const opener = new DamagedOpener(home);
    for (let index = 0; index < CASES; index++) {
      const caseDir = join(dir, `case-${index}`);
      const source = index % 2 === 0 ? pristine : pristineTables;
      cpSync(source, caseDir, { recursive: true });
      const files = filesOf(caseDir);
      let kind = kinds[prng.u32() % kinds.length]!;
      if (files[kind] === undefined) kind = "log";
      const file = files[kind]!;
      const op: Op = prng.u32() % 2 === 0 ? "truncate" : "corrupt";
      const size = statSync(join(caseDir, file)).size;
      const bytes = 1 + (prng.u32() % Math.max(1, Math.min(size, kind === "log" ? 8192 : 512)));
      damage(join(caseDir, file), op, bytes, prng);
      const c: Case = { index, kind, file, op, bytes };
      cases.push(c);
      // A damaged table can make LevelDB abort: those open as `triad start` does, probed first.
      const result = await opener.open(caseDir, kind === "ldb");
      if ("opened" in result) {
        const opened = result.opened;
        checkMs += opened.checkMs;
        const got = { head: opened.head, hashes: new Map(opened.hashes), votes: new Map(opened.votes) };
        // Never a fork: every block it holds is the reference's block at that height.
        for (const [h, id] of got.hashes) if (reference.hashes.get(h) !== id) problems.push(`case ${index}: block ${h} is ${id}, the reference holds ${reference.hashes.get(h)}`);
        // Never a changed vote; a lost one must be above the head it opened at (see the README).
        let lost = 0;
        for (const [key, bytes] of reference.votes) {
          const now = got.votes.get(key);
          if (now === undefined) {
            lost++;
            if (Number(key.split("/")[0]) <= got.head) problems.push(`case ${index}: vote ${key} lost at or below the head ${got.head}`);
          } else if (now !== bytes) problems.push(`case ${index}: vote ${key} changed`);
        }
        // A vote the reference lacks may only be one pruned there whose (unsynced) prune the damage
        // cut off: below the reference's prune floor, and a vote this validator really signed.
        for (const [key, bytes] of got.votes) {
          if (reference.votes.has(key)) continue;
          const why = unprunedVoteProblem(key, bytes);
          if (why !== null) problems.push(`case ${index}: vote ${key} appeared: ${why}`);
        }
        c.votesLost = lost;
        c.outcome = got.head === reference.head && lost === 0 ? "opened-intact" : "opened-lower";
        c.dir = caseDir;
      } else if ("refused" in result) {
        c.outcome = "refused";
        c.message = result.refused.message;
        if (result.refused.file === undefined && result.refused.key === undefined) problems.push(`case ${index}: refusal names no file or key: ${c.message}`);
        if (!c.message.includes("unsafe-reset-all")) problems.push(`case ${index}: refusal says nothing of what to do`);
      } else if ("aborted" in result) {
        // The open killed its process: with the probe that must never happen.
        c.outcome = "aborted";
        c.message = result.aborted;
        problems.push(`case ${index} (${op} ${bytes} bytes of ${file}): the open died: ${result.aborted}`);
      } else {
        problems.push(`case ${index} (${op} ${bytes} bytes of ${file}): untyped ${result.error}`);
        continue;
      }
      if (c.outcome !== "opened-lower") rmSync(caseDir, { recursive: true, force: true });
    }
    opener.close();
    const count = (pred: (c: Case) => boolean): number => cases.filter(pred).length;
    const summary = {
      reference: { head: reference.head, votes: reference.votes.size, files: readdirSync(pristine), tableFiles: readdirSync(pristineTables) },
      openedIntact: count((c) => c.outcome === "opened-intact"),
      openedLower: count((c) => c.outcome === "opened-lower"),
      openedWithVotesLost: count((c) => (c.votesLost ?? 0) > 0),
      refused: count((c) => c.outcome === "refused"),
      refusedByProbe: count((c) => c.outcome === "refused" && c.message?.includes("LevelDB ended the process") === true),
      openDied: count((c) => c.outcome === "aborted"),
      openerProcesses: opener.children,
      byKind: Object.fromEntries(
        (["log", "ldb", "manifest", "current"] as const).map((k) => [
          k,
          {
            cases: count((c) => c.kind === k),
            refused: count((c) => c.kind === k && c.outcome === "refused"),
            aborted: count((c) => c.kind === k && c.outcome === "aborted"),
            opened: count((c) => c.kind === k && c.outcome?.startsWith("opened") === true),
          },
        ]),
      ),
      openCost,
      meanCheckMs: Math.round(checkMs / Math.max(1, count((c) => c.outcome?.startsWith("opened") === true))),
    };
    console.log(JSON.stringify(summary));
    expect(problems).toEqual([]);
    expect(count((c) => c.outcome !== undefined)).toBe(CASES);
    expect(summary.refused).toBeGreaterThan(0);
  });

  it("damaged copies that open resync from the peers when run as the node; a refused one stops with the typed error", async () => {
    const home = net.node(VICTIM).home;
    const lower = cases.filter((c) => c.outcome === "opened-lower").slice(0, 3);
    for (const c of lower) {
      rmSync(homePaths(home).chainDb, { recursive: true, force: true });
      cpSync(c.dir!, homePaths(home).chainDb, { recursive: true });
      await net.start(VICTIM);
      const target = await net.bestHeight(VICTIM);
      await waitFor(`${VICTIM} (case ${c.index}) to resync to ${target}`, async () => (await headHeight(net.client(VICTIM))) >= target, { timeoutMs: 90_000, intervalMs: 250 });
      await net.kill(VICTIM);
    }
    // CURRENT without its newline: LevelDB refuses to open, the node must say so and stop.
    rmSync(homePaths(home).chainDb, { recursive: true, force: true });
    cpSync(pristine, homePaths(home).chainDb, { recursive: true });
    writeFileSync(join(homePaths(home).chainDb, "CURRENT"), "MANIFEST-0000");
    const proc = net.spawn(VICTIM, "");
    const exit = await proc.exited();
    expect(exit.code).not.toBe(0);
    expect(await tailOf(proc.log, 40)).toMatch(/chain database .* is damaged \(file CURRENT/);
  });
});
