// One node as an OS process: `triad start --home …` with stdout and stderr appended to the
// node's log file. Each node runs in its own process group, so a Ctrl-C at the terminal reaches
// only the supervisor, which then stops the nodes itself in a known order (SIGTERM, wait, and
// SIGKILL after a grace period) rather than racing the terminal's signal.
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { TestnetError } from "./manifest.js";

/** bin/triad.mjs of this checkout: every node runs the same code as the supervisor. */
export const TRIAD_BIN = fileURLToPath(new URL("../../bin/triad.mjs", import.meta.url));

/** What `triad start` writes to `HOME/data/node-info.json` once it is up. */
export interface NodeInfoFile {
  readonly pid: number;
  readonly nodeId: string;
  readonly validatorId: string | null;
  readonly rpc: string;
  /** The node's /metrics URL, or null when metrics are off (absent in files of older versions). */
  readonly metrics?: string | null;
  readonly p2p: readonly string[];
}

export interface ProcessExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export function nodeInfoPath(home: string): string {
  return join(home, "data", "node-info.json");
}

export function nodeLogPath(home: string): string {
  return join(home, "node.log");
}

/** The last `lines` lines of a file, for error messages; "" when it cannot be read. */
export async function tailOf(file: string, lines = 15): Promise<string> {
  try {
    const text = await readFile(file, "utf8");
    return text.trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "";
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface NodeProcessOptions {
  /** Extra `triad start` flags (e.g. `--tick-ms 50`). */
  readonly args?: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
}

export class NodeProcess {
  private child: ChildProcess | null = null;
  private exitPromise: Promise<ProcessExit> | null = null;
  private exitInfo: ProcessExit | null = null;
  readonly log: string;

  constructor(
    readonly name: string,
    readonly home: string,
    private readonly options: NodeProcessOptions = {},
  ) {
    this.log = nodeLogPath(home);
  }

  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  /** Started and not exited yet. */
  get running(): boolean {
    return this.child !== null && this.exitInfo === null;
  }

  /** How the last run ended; null while running or before the first start. */
  get exit(): ProcessExit | null {
    return this.exitInfo;
  }

  /** Resolves when the current run ends (at once when nothing runs). */
  exited(): Promise<ProcessExit> {
    return this.exitPromise ?? Promise.resolve({ code: null, signal: null });
  }

  start(): void {
    if (this.running) throw new TestnetError("NODE_FAILED", `${this.name} is already running (pid ${this.pid})`, { node: this.name });
    const fd = openSync(this.log, "a");
    let child: ChildProcess;
    try {
      child = spawn(process.execPath, [TRIAD_BIN, "start", "--home", this.home, ...(this.options.args ?? [])], {
        stdio: ["ignore", fd, fd],
        detached: true,
        env: { ...process.env, ...this.options.env },
      });
    } finally {
      closeSync(fd);
    }
    this.child = child;
    this.exitInfo = null;
    this.exitPromise = new Promise((resolve) => {
      child.once("exit", (code, signal) => {
        this.exitInfo = { code, signal };
        resolve(this.exitInfo);
      });
      child.once("error", () => {
        this.exitInfo ??= { code: null, signal: null };
        resolve(this.exitInfo);
      });
    });
  }

  /**
   * Wait until the node has written its node-info.json (the file's pid must be this run's, so a
   * file left by an earlier run never counts). Throws, with the log's tail, if the process
   * exits first or the time runs out.
   */
  async waitReady(timeoutMs = 60_000): Promise<NodeInfoFile> {
    const pid = this.pid;
    if (pid === null) throw new TestnetError("NODE_FAILED", `${this.name} was never started`, { node: this.name });
    const deadline = Date.now() + timeoutMs;
    const path = nodeInfoPath(this.home);
    while (Date.now() < deadline) {
      if (!this.running) {
        const e = this.exitInfo;
        const how = e?.signal !== null && e?.signal !== undefined ? `signal ${e.signal}` : `code ${e?.code ?? "?"}`;
        throw new TestnetError("NODE_FAILED", `${this.name} exited (${how}) before it was ready; ${this.log} ends with:\n${await tailOf(this.log)}`, {
          node: this.name,
        });
      }
      try {
        const info = JSON.parse(await readFile(path, "utf8")) as NodeInfoFile;
        if (info.pid === pid) return info;
      } catch {
        // Not written yet, or written by an earlier run and being replaced.
      }
      await sleep(100);
    }
    throw new TestnetError("TIMEOUT", `${this.name} did not write ${path} within ${timeoutMs} ms; ${this.log} ends with:\n${await tailOf(this.log)}`, {
      node: this.name,
    });
  }

  /** Send a signal to the node (no-op when it is not running). */
  kill(signal: NodeJS.Signals): void {
    if (!this.running) return;
    try {
      this.child?.kill(signal);
    } catch {
      // Already gone.
    }
  }

  /** SIGTERM, wait up to `graceMs` for a clean exit, then SIGKILL. */
  async stop(graceMs = 10_000): Promise<ProcessExit> {
    if (!this.running) return this.exitInfo ?? { code: null, signal: null };
    this.kill("SIGTERM");
    const exited = this.exited();
    let timer: NodeJS.Timeout | undefined;
    const late = await Promise.race([exited.then(() => false), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), graceMs)))]);
    clearTimeout(timer);
    if (late) this.kill("SIGKILL");
    return exited;
  }
}

export interface TriadRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Run a `triad` command (like `init`) to completion. Past `timeoutMs` it gets `killSignal`:
 * SIGTERM for a command that owns node processes (`scenario run` then kills them itself).
 */
export function runTriad(args: readonly string[], timeoutMs = 60_000, killSignal: NodeJS.Signals = "SIGKILL"): Promise<TriadRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [TRIAD_BIN, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill(killSignal), timeoutMs);
    child.once("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
