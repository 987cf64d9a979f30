// A 4-validator network of real `triad start` processes for the crash tests. Unlike Testnet,
// every start of a node may carry its own environment (the fail point it is armed with), so
// each run of a node is a fresh NodeProcess over the same home directory.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { TriadClient } from "../../../src/rpc/client.js";
import { TriadClient as Client } from "../../../src/rpc/client.js";
import { readKeyFile } from "../../../src/node/key-file.js";
import { FAIL_POINTS_ENV, FAIL_POINTS_LOG_ENV, type FailPointCrash } from "../../../src/fail-points.js";
import { headHeight, LoadGenerator, NodeProcess, prepareTestnet, type PreparedTestnet, type ProcessExit, type TestnetNodeInfo } from "../../../src/testnet/index.js";

/** One line of a node's crash log: a start (the height it opened at) or a crash. */
export type CrashLogLine = { readonly opened: number; readonly pid: number } | FailPointCrash;

export const START_ARGS = ["--log-level", "warn"];

export class CrashNetwork {
  private readonly procs = new Map<string, NodeProcess>();
  readonly clients = new Map<string, TriadClient>();
  load: LoadGenerator | null = null;

  private constructor(
    readonly dir: string,
    readonly prepared: PreparedTestnet,
  ) {
    for (const node of this.nodes) this.clients.set(node.name, new Client({ url: node.rpc, chainId: prepared.manifest.chainId, timeoutMs: 5_000 }));
  }

  /**
   * `triad init` runs one process per node with a 60 s limit each; on a machine loaded by other
   * jobs that limit can pass, so setup is tried up to three times, each in a fresh directory.
   */
  static async create(dir: string): Promise<CrashNetwork> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await CrashNetwork.createIn(attempt === 1 ? dir : join(dir, `attempt-${attempt}`));
      } catch (err) {
        if (attempt >= 3) throw err;
      }
    }
  }

  private static async createIn(dir: string): Promise<CrashNetwork> {
    const prepared = await prepareTestnet({
      dir,
      selection: "poa",
      validators: 4,
      // Fast ticks: a block every few hundred ms under load, a dead primary replaced within ~1 s.
      consensus: { tickMs: 50, viewChangeTimeoutTicks: 20, maxViewChangeTimeoutTicks: 80, emptyBlockIntervalTicks: 4 },
    });
    return new CrashNetwork(dir, prepared);
  }

  get nodes(): readonly TestnetNodeInfo[] {
    return this.prepared.manifest.nodes;
  }

  get names(): string[] {
    return this.nodes.map((n) => n.name);
  }

  node(name: string): TestnetNodeInfo {
    return this.nodes.find((n) => n.name === name)!;
  }

  client(name: string): TriadClient {
    return this.clients.get(name)!;
  }

  crashLogPath(name: string): string {
    return join(this.dir, `${name}.crashes.jsonl`);
  }

  /** Start `name`, armed with `failPoints` (a TRIAD_FAIL_POINTS value; "" for none). Does not wait. */
  spawn(name: string, failPoints: string): NodeProcess {
    const running = this.procs.get(name);
    if (running?.running === true) throw new Error(`${name} is already running`);
    const proc = new NodeProcess(name, this.node(name).home, {
      args: START_ARGS,
      env: { [FAIL_POINTS_ENV]: failPoints, [FAIL_POINTS_LOG_ENV]: this.crashLogPath(name) },
    });
    proc.start();
    this.procs.set(name, proc);
    return proc;
  }

  /** Start `name` unarmed and wait until it serves RPC. */
  async start(name: string): Promise<void> {
    await this.spawn(name, "").waitReady(60_000);
  }

  isRunning(name: string): boolean {
    return this.procs.get(name)?.running === true;
  }

  exited(name: string): Promise<ProcessExit> {
    return this.procs.get(name)?.exited() ?? Promise.resolve({ code: null, signal: null });
  }

  kill(name: string): Promise<ProcessExit> {
    const proc = this.procs.get(name);
    proc?.kill("SIGKILL");
    return proc?.exited() ?? Promise.resolve({ code: null, signal: null });
  }

  /** SIGTERM: a clean stop (LevelDB closed). */
  async stop(name: string): Promise<void> {
    await this.procs.get(name)?.stop(10_000);
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.procs.values()].map((p) => p.stop(5_000)));
  }

  crashLog(name: string): CrashLogLine[] {
    let text = "";
    try {
      text = readFileSync(this.crashLogPath(name), "utf8");
    } catch {
      return [];
    }
    return text
      .split("\n")
      .filter((l) => l.trim() !== "")
      .map((l) => JSON.parse(l) as CrashLogLine);
  }

  /** Highest head among the running nodes other than `except` (RPC errors count as absent). */
  async bestHeight(except: string | null = null): Promise<number> {
    const heights = await Promise.all(
      this.names.filter((n) => n !== except && this.isRunning(n)).map((n) => headHeight(this.client(n)).catch(() => -1)),
    );
    return Math.max(-1, ...heights);
  }

  /** A steady transfer load from the funded accounts over every node's RPC (dead ones are skipped). */
  async startLoad(rate: number, acksFile: string): Promise<void> {
    const accounts = await Promise.all(this.prepared.manifest.accounts.map(async (a) => (await readKeyFile(a.key)).pair));
    this.load = new LoadGenerator({
      chainId: this.prepared.manifest.chainId,
      accounts,
      targets: this.names.map((n) => this.client(n)),
      targetNames: this.names,
      rate,
      acks: { file: acksFile },
    });
    this.load.start();
  }
}
