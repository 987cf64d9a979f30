// Named fail points at the node's persist and send boundaries, for crash tests: a test network
// arms one by environment variable, the node dies there by SIGKILL (as a power cut or the OOM
// killer would kill it, with no cleanup), and the test checks that the node comes back safe.
//
//   TRIAD_FAIL_POINTS="vote.after-sync=crash@3,sync.mid-batch=crash@1"
//
// dies at the 3rd pass through `vote.after-sync` (or the 1st through `sync.mid-batch`, whichever
// comes first). Before dying it appends one JSON line to TRIAD_FAIL_POINTS_LOG (when set): the
// point, the hit count and the store's head height; each start appends the height it opened at,
// so a test can check that no appended block was lost across the crash.
//
// Armed only by `armFailPoints` (the `start` command passes the variable): the simulator and
// library users never arm them, and unarmed each call costs one branch. Unknown names in the
// variable are an error at startup, so a typo never runs a crash test that crashes nowhere.
//
// Cross-cutting on purpose (store, driver and node all have boundaries), so it lives beside
// linked-abort.ts rather than in any one module.
import { appendFileSync, writeSync } from "node:fs";
import { TriadError } from "./chain/errors.js";

/** Every fail point, where it sits, and what a crash there tests. */
export const FAIL_POINTS = {
  "vote.before-sync": "LevelVoteStore: a vote (or a primary's votes) about to be written with sync; nothing of it is sent yet",
  "vote.after-sync": "LevelVoteStore: the vote record is durable, the vote not sent yet",
  "block.before-append": "LevelBlockStore: an append's batch (block, seal, receipts, tx index, state, head) about to be written",
  "block.after-append": "LevelBlockStore: the append's batch is written, memory (head, state) not updated yet",
  "driver.after-append": "BlockExecutor: the block is in the store; the mempool, the vote prune and the core have not seen it",
  "sync.mid-batch": "BlockExecutor: a sync import has appended (unsynced) some blocks of a batch, not all",
  "votes.before-prune": "LevelVoteStore: about to delete the vote records below a height",
  "consensus.after-send": "Driver: a consensus message was handed to the transport (broadcast or send)",
} as const;

export type FailPointName = keyof typeof FAIL_POINTS;
export const FAIL_POINT_NAMES = Object.keys(FAIL_POINTS) as FailPointName[];

/** The environment variable that arms fail points, and the one naming the crash log. */
export const FAIL_POINTS_ENV = "TRIAD_FAIL_POINTS";
export const FAIL_POINTS_LOG_ENV = "TRIAD_FAIL_POINTS_LOG";

/** A typo or malformed entry in TRIAD_FAIL_POINTS: the start stops (the CLI prints the message). */
export class FailPointError extends TriadError<"UNKNOWN_FAIL_POINT" | "BAD_FAIL_POINT"> {}

/** What a crash at a fail point leaves in the crash log (one JSON line). */
export interface FailPointCrash {
  readonly point: FailPointName;
  readonly hit: number;
  readonly pid: number;
  /** Head height of the store when it died: the last block appended, or the head found at open (-1: not open). */
  readonly appendedHeight: number;
  readonly detail?: number;
}

interface Armed {
  readonly at: number;
  hits: number;
}

/** null when nothing is armed: the one branch every unarmed call costs. */
let armed: Map<string, Armed> | null = null;
let logFile: string | null = null;
let appendedHeight = -1;
/** Replaced in unit tests so the test process survives its own fail points. */
let die: (crash: FailPointCrash) => void = () => process.kill(process.pid, "SIGKILL");

/** Parse `name=crash@N,…` (N >= 1, default 1); throws FailPointError on a typo. */
export function parseFailPoints(spec: string): Map<FailPointName, number> {
  const out = new Map<FailPointName, number>();
  for (const part of spec.split(",").map((s) => s.trim()).filter((s) => s !== "")) {
    const m = /^([a-z.-]+)=crash(?:@(\d{1,9}))?$/.exec(part);
    if (m === null) throw new FailPointError("BAD_FAIL_POINT", `${FAIL_POINTS_ENV}: "${part}" is not name=crash@N`, { part });
    const name = m[1]!;
    if (!(name in FAIL_POINTS)) {
      throw new FailPointError("UNKNOWN_FAIL_POINT", `${FAIL_POINTS_ENV}: unknown fail point "${name}"; known: ${FAIL_POINT_NAMES.join(", ")}`, { name });
    }
    const at = m[2] === undefined ? 1 : Number(m[2]);
    if (at < 1) throw new FailPointError("BAD_FAIL_POINT", `${FAIL_POINTS_ENV}: "${part}": the hit count starts at 1`, { part });
    out.set(name as FailPointName, at);
  }
  return out;
}

/**
 * Arm the fail points named in `spec` (the env var's value; undefined or "" disarms all).
 * Returns the armed names. Throws FailPointError for unknown names or a malformed spec.
 */
export function armFailPoints(spec: string | undefined, log: string | undefined = undefined): FailPointName[] {
  const parsed = spec === undefined ? new Map<FailPointName, number>() : parseFailPoints(spec);
  armed = parsed.size === 0 ? null : new Map([...parsed].map(([name, at]) => [name, { at, hits: 0 }]));
  logFile = log === undefined || log === "" ? null : log;
  appendedHeight = -1;
  return [...parsed.keys()];
}

/** Arm from the process environment (TRIAD_FAIL_POINTS, TRIAD_FAIL_POINTS_LOG). */
export function armFailPointsFromEnv(env: NodeJS.ProcessEnv = process.env): FailPointName[] {
  return armFailPoints(env[FAIL_POINTS_ENV], env[FAIL_POINTS_LOG_ENV]);
}

/** The block store tells the crash record how far this process got. */
export function noteAppended(height: number): void {
  appendedHeight = height;
}

/**
 * The node opened its store at `height`: logged (when a crash log is named, armed or not) so a
 * test can check that a restart never comes back below the height the crash left on disk.
 */
export function noteOpened(height: number): void {
  appendedHeight = height;
  if (logFile !== null) appendFileSync(logFile, `${JSON.stringify({ opened: height, pid: process.pid })}\n`);
}

/** A boundary: dies here when this point is armed and this is its chosen hit. */
export function failPoint(name: FailPointName, detail?: number): void {
  if (armed === null) return;
  const point = armed.get(name);
  if (point === undefined) return;
  point.hits++;
  if (point.hits !== point.at) return;
  const crash: FailPointCrash = { point: name, hit: point.hits, pid: process.pid, appendedHeight, ...(detail === undefined ? {} : { detail }) };
  const line = `${JSON.stringify(crash)}\n`;
  // Synchronous: nothing after this line runs in this process.
  if (logFile !== null) appendFileSync(logFile, line);
  writeSync(2, `fail point ${name} hit ${point.hits}: SIGKILL ${line}`);
  die(crash);
}

/** Tests only: run `onCrash` instead of killing the process. */
export function setFailPointAction(onCrash: ((crash: FailPointCrash) => void) | null): void {
  die = onCrash ?? (() => process.kill(process.pid, "SIGKILL"));
}
