// `triad testnet` run as a user runs it, for end-to-end tests: its own process (which starts one
// process per node), its output collected, ready once testnet.json names every node's pid and
// the control endpoint; stopped with SIGTERM, then SIGKILL for whatever is left.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isProcessAlive, manifestPath, manifestSchema, TRIAD_BIN, waitFor, type TestnetManifest } from "../../src/testnet/index.js";

export type RunningManifest = TestnetManifest & { readonly control: string };

export class CliTestnet {
  private output_ = "";
  private readonly exited: Promise<number | null>;
  private manifest_: RunningManifest | null = null;

  private constructor(
    /** The testnet's directory (testnet.json, nodes/, keys/). */
    readonly dir: string,
    private readonly child: ChildProcess,
  ) {
    child.stdout!.setEncoding("utf8").on("data", (d: string) => (this.output_ += d));
    child.stderr!.setEncoding("utf8").on("data", (d: string) => (this.output_ += d));
    this.exited = new Promise((resolve) => child.once("exit", (code) => resolve(code)));
  }

  /** Starts `triad testnet --dir <fresh temp dir> ...args` and waits until every node runs. */
  static async start(prefix: string, args: readonly string[]): Promise<CliTestnet> {
    const dir = join(mkdtempSync(join(tmpdir(), `${prefix}-`)), "net");
    const net = new CliTestnet(dir, spawn(process.execPath, [TRIAD_BIN, "testnet", "--dir", dir, ...args], { stdio: ["ignore", "pipe", "pipe"] }));
    try {
      net.manifest_ = await waitFor("testnet.json with every node's pid and the control endpoint", () => net.readRunning(), { timeoutMs: 90_000, intervalMs: 250 });
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${net.output_.slice(-3000)}`);
    }
    return net;
  }

  /** What the testnet printed so far (stdout and stderr). */
  get output(): string {
    return this.output_;
  }

  /** testnet.json as it was when every node was running. */
  get manifest(): RunningManifest {
    return this.manifest_!;
  }

  private readRunning(): RunningManifest | undefined {
    if (!existsSync(manifestPath(this.dir))) return undefined;
    const m = manifestSchema.parse(JSON.parse(readFileSync(manifestPath(this.dir), "utf8")));
    return m.control !== undefined && m.nodes.every((n) => n.pid !== null) ? { ...m, control: m.control } : undefined;
  }

  /** SIGTERM, as Ctrl-C: resolves with the testnet's exit code once it has stopped every node. */
  terminate(): Promise<number | null> {
    this.child.kill("SIGTERM");
    return this.exited;
  }

  /** SIGTERM (every node stops cleanly), SIGKILL after 15 s; then the directory goes unless TRIAD_KEEP_TESTNET is set. */
  async stop(): Promise<void> {
    const child = this.child;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      await Promise.race([this.exited, new Promise((resolve) => setTimeout(resolve, 15_000))]);
    }
    child.kill("SIGKILL");
    for (const n of this.manifest_?.nodes ?? []) if (n.pid !== null && isProcessAlive(n.pid)) process.kill(n.pid, "SIGKILL");
    if (process.env.TRIAD_KEEP_TESTNET === undefined) rmSync(join(this.dir, ".."), { recursive: true, force: true });
  }
}
