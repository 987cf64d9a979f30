// A running local testnet: one `triad start` process per node of a manifest. The supervisor
// only starts, watches and stops processes; the nodes find each other by the peers written
// into their configs at init time. testnet.json is kept current with each node's pid.
import { TestnetError, writeManifest, type TestnetManifest, type TestnetNodeInfo } from "./manifest.js";
import { byzantineStartArgs } from "./byzantine-plan.js";
import { NodeProcess, type NodeInfoFile, type ProcessExit } from "./node-process.js";
import { TriadClient } from "../rpc/client.js";
import type { ProcessControl } from "./net-control.js";
import type { PreparedTestnet } from "./setup.js";

export interface TestnetRunOptions {
  /** Extra `triad start` flags for every node, e.g. ["--tick-ms", "50"]. */
  readonly startArgs?: readonly string[];
  /** How long a node may take to write its node-info.json. */
  readonly readyTimeoutMs?: number;
  /** How long a node may take to exit after SIGTERM before it is killed. */
  readonly stopGraceMs?: number;
}

export type ExitListener = (name: string, exit: ProcessExit, expected: boolean) => void;

export class Testnet implements ProcessControl {
  readonly dir: string;
  readonly manifest: TestnetManifest;
  private readonly processes = new Map<string, NodeProcess>();
  private readonly clients = new Map<string, TriadClient>();
  /** Nodes being stopped on purpose: their exit is not news. */
  private readonly stopping = new Set<string>();
  private readonly exitListeners: ExitListener[] = [];
  /** Nodes stopped with SIGSTOP (pause): continued before any other signal. */
  private readonly paused = new Set<string>();
  private manifestWrite: Promise<void> = Promise.resolve();

  constructor(
    prepared: PreparedTestnet,
    private readonly options: TestnetRunOptions = {},
  ) {
    this.dir = prepared.dir;
    // A private copy: pids change as nodes come and go.
    this.manifest = structuredClone(prepared.manifest);
    for (const node of this.manifest.nodes) {
      // A Byzantine node's behaviours and a twin copy's peers are per node (testnet.json keeps them);
      // --unsafe: the network-fault RPC methods (`triad net`, scenarios) work on every testnet node.
      const args = ["--unsafe", ...(options.startArgs ?? []), ...byzantineStartArgs(node, this.manifest.nodes)];
      this.processes.set(node.name, new NodeProcess(node.name, node.home, { args }));
      this.clients.set(node.name, new TriadClient({ url: node.rpc, chainId: this.manifest.chainId }));
    }
  }

  get nodes(): readonly TestnetNodeInfo[] {
    return this.manifest.nodes;
  }

  node(name: string): TestnetNodeInfo {
    const node = this.manifest.nodes.find((n) => n.name === name);
    if (node === undefined) throw new TestnetError("TESTNET_INVALID", `no node named ${name}; nodes: ${this.manifest.nodes.map((n) => n.name).join(", ")}`);
    return node;
  }

  /** The node whose validator id (public key) is `id`. */
  nodeById(id: string): TestnetNodeInfo | undefined {
    return this.manifest.nodes.find((n) => n.id === id.toLowerCase());
  }

  /** A typed RPC client for the node (the client's default timeouts). */
  client(name: string): TriadClient {
    this.node(name);
    return this.clients.get(name)!;
  }

  process(name: string): NodeProcess {
    this.node(name);
    return this.processes.get(name)!;
  }

  isRunning(name: string): boolean {
    return this.process(name).running;
  }

  /** Names of the nodes whose processes are up. */
  running(): string[] {
    return this.manifest.nodes.filter((n) => this.processes.get(n.name)!.running).map((n) => n.name);
  }

  onExit(listener: ExitListener): void {
    this.exitListeners.push(listener);
  }

  /**
   * Start `names` (default: every node not running) and wait until each has written its
   * node-info.json. If one fails, those started by this call are stopped again.
   */
  async start(names: readonly string[] = this.manifest.nodes.filter((n) => !this.isRunning(n.name)).map((n) => n.name)): Promise<void> {
    const started: string[] = [];
    try {
      for (const name of names) {
        const proc = this.process(name);
        proc.start();
        started.push(name);
        this.stopping.delete(name);
        void proc.exited().then((exit) => {
          this.paused.delete(name);
          const expected = this.stopping.has(name);
          this.node(name).pid = null;
          this.saveManifest();
          for (const listener of this.exitListeners) listener(name, exit, expected);
        });
        this.node(name).pid = proc.pid;
      }
      this.saveManifest();
      const infos = await Promise.all(names.map(async (name) => [name, await this.process(name).waitReady(this.options.readyTimeoutMs)] as const));
      for (const [name, info] of infos) this.checkInfo(this.node(name), info);
    } catch (err) {
      await Promise.all(started.map((name) => this.stopNode(name)));
      throw err;
    } finally {
      await this.manifestWrite;
    }
  }

  /** The node must be the one its config was made for: same key, same RPC port. */
  private checkInfo(node: TestnetNodeInfo, info: NodeInfoFile): void {
    if (info.nodeId !== node.nodeId) {
      throw new TestnetError("NODE_FAILED", `${node.name} reports peer id ${info.nodeId}, but its key gives ${node.nodeId}`, { node: node.name });
    }
    if (typeof info.rpc === "string" && info.rpc.replace(/\/$/, "") !== node.rpc) {
      throw new TestnetError("NODE_FAILED", `${node.name} serves RPC at ${info.rpc}, not at ${node.rpc} as configured`, { node: node.name });
    }
  }

  private async stopNode(name: string): Promise<ProcessExit> {
    this.stopping.add(name);
    // A stopped process would sit on SIGTERM until the grace period ends.
    void this.resume(name);
    return this.process(name).stop(this.options.stopGraceMs);
  }

  /** Stop `names` (default: all) cleanly: SIGTERM, wait, SIGKILL after the grace period. */
  async stop(names: readonly string[] = this.running()): Promise<void> {
    await Promise.all(names.map((name) => this.stopNode(name)));
    await this.manifestWrite;
  }

  /** Send `signal` to a node (SIGKILL for a crash); its exit is reported as unexpected. */
  kill(name: string, signal: NodeJS.Signals = "SIGKILL"): Promise<ProcessExit> {
    const proc = this.process(name);
    if (signal !== "SIGKILL") void this.resume(name);
    proc.kill(signal);
    return proc.exited();
  }

  /** Start a stopped (killed or crashed) node again, with the same args; no-op when it runs. */
  async restart(name: string): Promise<void> {
    if (this.isRunning(name)) return;
    await this.start([name]);
  }

  /** Freeze a node (SIGSTOP): its peers see it silent, its sockets stay open. */
  pause(name: string): Promise<void> {
    const proc = this.process(name);
    if (!proc.running) throw new TestnetError("NODE_FAILED", `${name} is not running`, { node: name });
    proc.kill("SIGSTOP");
    this.paused.add(name);
    return Promise.resolve();
  }

  /** Continue a paused node (SIGCONT); no-op when it is not paused. */
  resume(name: string): Promise<void> {
    if (this.paused.delete(name)) this.process(name).kill("SIGCONT");
    return Promise.resolve();
  }

  isPaused(name: string): boolean {
    return this.paused.has(name);
  }

  /** running, paused (SIGSTOP) or stopped. */
  state(name: string): "running" | "paused" | "stopped" {
    return !this.isRunning(name) ? "stopped" : this.paused.has(name) ? "paused" : "running";
  }

  names(): string[] {
    return this.manifest.nodes.map((n) => n.name);
  }

  /** Record (or drop, with null) the supervisor's control URL in testnet.json. */
  async setControl(url: string | null): Promise<void> {
    if (url === null) delete this.manifest.control;
    else this.manifest.control = url;
    this.saveManifest();
    await this.manifestWrite;
  }

  /** Pids of the node processes that are up. */
  pids(): number[] {
    return [...this.processes.values()].filter((p) => p.running).map((p) => p.pid!);
  }

  private saveManifest(): void {
    const snapshot = structuredClone(this.manifest);
    this.manifestWrite = this.manifestWrite.then(
      () => writeManifest(this.dir, snapshot),
      () => writeManifest(this.dir, snapshot),
    );
    // Failures surface to whoever awaits manifestWrite next; never as an unhandled rejection.
    this.manifestWrite.catch(() => undefined);
  }
}
