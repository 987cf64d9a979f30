// Helpers for the node e2e tests: a dev-key genesis with fast consensus timing, `triad` CLI runs
// and `triad start` processes (real OS processes, TCP on 127.0.0.1 with port 0, LevelDB in temp
// dirs). Every wait is a bounded poll of a file or the RPC; the only sleeps are between polls.
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseGenesis } from "../../src/chain/index.js";
import { buildGenesis, writeGenesisDir } from "../../src/node/genesis-builder.js";
import type { NodeInfo } from "../../src/node/node-info.js";
import { TriadClient } from "../../src/rpc/client.js";

export const REPO = fileURLToPath(new URL("../..", import.meta.url));
const BIN = join(REPO, "bin", "triad.mjs");

export const FAST_CONSENSUS = { tickMs: 50, viewChangeTimeoutTicks: 20, maxViewChangeTimeoutTicks: 80, emptyBlockIntervalTicks: 4 };

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Poll `probe` until it returns a value (not undefined) or `timeoutMs` passes; errors count as "not yet". */
export async function pollFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 60_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown = undefined;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last === undefined ? "" : ` (last error: ${(last as Error).message})`}`);
    await pause(everyMs);
  }
}

/** Write a dev-key PoA genesis (fast timing) and its key files into `dir`; returns the genesis path. */
export async function writeDevGenesis(dir: string, validators = 4): Promise<{ genesisPath: string; chainId: string }> {
  const built = buildGenesis({ selection: "poa", validators, accounts: 4, dev: true, chainId: "triad-e2e-node" });
  const document = JSON.parse(built.text) as Record<string, unknown>;
  document.consensus = { ...(document.consensus as object), ...FAST_CONSENSUS };
  const genesis = parseGenesis(document);
  const text = `${JSON.stringify(document, null, 2)}\n`;
  const written = await writeGenesisDir(dir, { ...built, genesis, text });
  return { genesisPath: written.genesisPath, chainId: genesis.chainId };
}

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Run `triad ARGS…` to completion. */
export function runCli(args: readonly string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 60_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: REPO, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`triad ${args.join(" ")} did not finish in ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** One `triad start` process; its output goes to `<home>.log`. */
export class NodeProcess {
  private child: ChildProcess | null = null;
  private exited: Promise<number | null> | null = null;
  info: NodeInfo | null = null;
  private runs = 0;

  constructor(readonly home: string) {}

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Spawn and wait for node-info.json written by this very process. */
  async start(args: readonly string[] = []): Promise<NodeInfo> {
    if (this.running) throw new Error(`${this.home} is already running`);
    this.runs++;
    const log = openSync(`${this.home}.run${this.runs}.log`, "w");
    const child = spawn(process.execPath, [BIN, "start", "--home", this.home, "--log-format", "json", ...args], {
      cwd: REPO,
      stdio: ["ignore", log, log],
    });
    closeSync(log);
    this.child = child;
    this.exited = new Promise((resolve) => child.on("exit", (code) => resolve(code)));
    const info = await pollFor(
      `node-info.json of ${this.home}`,
      async () => {
        if (!this.running) throw new Error(`triad start exited early (code ${child.exitCode}); see ${this.home}.run${this.runs}.log`);
        const parsed = JSON.parse(await readFile(join(this.home, "data", "node-info.json"), "utf8")) as NodeInfo;
        return parsed.pid === child.pid ? parsed : undefined;
      },
      60_000,
      100,
    );
    this.info = info;
    return info;
  }

  /** SIGKILL (crash) or SIGTERM (clean stop); resolves with the exit code once the process is gone. */
  async stop(signal: "SIGKILL" | "SIGTERM" = "SIGTERM"): Promise<number | null> {
    const child = this.child;
    if (child === null || !this.running) return child?.exitCode ?? null;
    child.kill(signal);
    const code = await this.exited;
    return code;
  }

  client(): TriadClient {
    if (this.info?.rpc == null) throw new Error(`${this.home} has no RPC address yet`);
    return new TriadClient({ url: this.info.rpc, timeoutMs: 30_000 });
  }
}

/** The node's head height over RPC. */
export async function heightOf(client: TriadClient): Promise<number> {
  return Number((await client.status()).sync_info.latest_block_height);
}

export async function waitForHeight(client: TriadClient, height: number, timeoutMs = 60_000): Promise<number> {
  return pollFor(`height ${height}`, async () => {
    const h = await heightOf(client);
    return h >= height ? h : undefined;
  }, timeoutMs, 150);
}

/** Wait until the tx is in a block on this node; returns the height. */
export async function waitForTx(client: TriadClient, hash: string, timeoutMs = 60_000): Promise<number> {
  return pollFor(`tx ${hash.slice(0, 12)}…`, async () => Number((await client.tx(hash)).height), timeoutMs, 150);
}

export async function writeJson(path: string, value: unknown): Promise<void> {
  await writeFile(path, `${JSON.stringify(value, null, 2)}\n`);
}
