// Faults for a running testnet, as one library for `triad net` and the scenario runner. Network
// faults go straight to the nodes' unsafe_net_* RPC (every testnet node runs with --unsafe);
// process faults go to a ProcessControl: the Testnet itself in-process, or the supervisor's
// control endpoint (ControlClient) from another process.
import { TriadError } from "../chain/index.js";
import { TriadClient, TriadRpcError } from "../rpc/client.js";
import type { NetFaultCounters, NetFaultDirection, NetFaultEntry } from "../rpc/methods-unsafe.js";
import type { TestnetManifest, TestnetNodeInfo } from "./manifest.js";

export interface ProcessControl {
  // unknown, not void: Testnet.kill resolves to the exit it caused.
  kill(name: string): Promise<unknown>;
  restart(name: string): Promise<void>;
  pause(name: string): Promise<void>;
  resume(name: string): Promise<void>;
}

export type ProcessAction = keyof ProcessControl;
export const PROCESS_ACTIONS: readonly ProcessAction[] = ["kill", "restart", "pause", "resume"];

export type ProcessState = "running" | "paused" | "stopped";

export class NetControlError extends TriadError<"UNKNOWN_NODE" | "BAD_ARGUMENT" | "NODE_RPC" | "NOT_RUNNING"> {}

/** A node's faults as its unsafe_net_faults reports them (null fields: it did not answer). */
export interface NodeFaultStatus {
  readonly name: string;
  readonly id: string;
  readonly rpc: string;
  readonly reachable: boolean;
  readonly height: number | null;
  readonly faults: readonly NetFaultEntry[];
  readonly counters: Readonly<Record<string, NetFaultCounters>>;
  readonly error?: string;
}

interface FaultSpec {
  readonly drop?: number;
  readonly delay_ms?: number;
  readonly delay_max_ms?: number;
  readonly duplicate?: number;
  readonly block?: boolean;
}

const ANY = "*";

export interface NetControlOptions {
  /** Deadline of one RPC call to a node. Default 5 s. */
  readonly rpcTimeoutMs?: number;
}

export class NetControl {
  private readonly clients = new Map<string, TriadClient>();

  constructor(
    readonly manifest: TestnetManifest,
    private readonly processes: ProcessControl,
    options: NetControlOptions = {},
  ) {
    for (const n of manifest.nodes) this.clients.set(n.name, new TriadClient({ url: n.rpc, timeoutMs: options.rpcTimeoutMs ?? 5_000 }));
  }

  /** A node by manifest name ("validator-3") or by its index among the nodes ("3"). */
  node(ref: string): TestnetNodeInfo {
    const nodes = this.manifest.nodes;
    const byName = nodes.find((n) => n.name === ref);
    if (byName !== undefined) return byName;
    if (/^\d+$/.test(ref) && Number(ref) < nodes.length) return nodes[Number(ref)]!;
    throw new NetControlError("UNKNOWN_NODE", `no node ${JSON.stringify(ref)}; nodes: ${nodes.map((n, i) => `${i}=${n.name}`).join(", ")}`, { node: ref });
  }

  /**
   * Split the network: links between groups are blocked both ways (connections closed and
   * refused), links inside a group are unblocked. Nodes in no group form one more group.
   */
  async partition(groups: readonly (readonly string[])[]): Promise<void> {
    const seen = new Map<string, number>();
    const resolved = groups.map((g, gi) =>
      g.map((ref) => {
        const node = this.node(ref);
        if (seen.has(node.name)) throw new NetControlError("BAD_ARGUMENT", `${node.name} is in more than one group`, { node: node.name });
        seen.set(node.name, gi);
        return node;
      }),
    );
    if (resolved.length < 1 || resolved.some((g) => g.length === 0)) throw new NetControlError("BAD_ARGUMENT", "a partition needs non-empty groups");
    const rest = this.manifest.nodes.filter((n) => !seen.has(n.name));
    if (rest.length > 0) resolved.push(rest);
    if (resolved.length < 2) throw new NetControlError("BAD_ARGUMENT", "a partition needs at least two groups");
    await this.each(
      resolved.flatMap((group) =>
        group.map((node) => async () => {
          const inside = group.filter((n) => n !== node).map((n) => n.id);
          const outside = this.manifest.nodes.filter((n) => !group.includes(n)).map((n) => n.id);
          if (inside.length > 0) await this.set(node, inside, "both", { block: false });
          await this.set(node, outside, "both", { block: true });
        }),
      ),
    );
  }

  /** Clear every network fault on every node. Nodes that are down are skipped: they restart clean. */
  async heal(): Promise<void> {
    await Promise.all(this.manifest.nodes.map(async (n) => this.client(n).call("unsafe_net_clear", {}).catch(() => undefined)));
  }

  /** Cut one node off from every other, both ways. */
  async isolate(ref: string): Promise<void> {
    const node = this.node(ref);
    const others = this.manifest.nodes.filter((n) => n !== node);
    await this.each([
      async () => this.set(node, [ANY], "both", { block: true }),
      ...others.map((o) => async () => this.set(o, [node.id], "both", { block: true })),
    ]);
  }

  /** Delay every message on the node's links, both ways: `ms`, or uniform in [ms, maxMs]. */
  async delay(ref: string, ms: number, maxMs?: number): Promise<void> {
    await this.set(this.node(ref), [ANY], "both", { delay_ms: ms, delay_max_ms: maxMs ?? ms });
  }

  /** Drop each message on the node's links with probability `p`. */
  async loss(ref: string, p: number): Promise<void> {
    await this.set(this.node(ref), [ANY], "both", { drop: p });
  }

  /** Deliver each message on the node's links twice with probability `p`. */
  async duplicate(ref: string, p: number): Promise<void> {
    await this.set(this.node(ref), [ANY], "both", { duplicate: p });
  }

  /** `from`'s messages no longer reach `to` (the other way still works). */
  async oneway(fromRef: string, toRef: string): Promise<void> {
    const from = this.node(fromRef);
    const to = this.node(toRef);
    if (from === to) throw new NetControlError("BAD_ARGUMENT", "oneway needs two different nodes");
    await this.each([async () => this.set(from, [to.id], "out", { block: true }), async () => this.set(to, [from.id], "in", { block: true })]);
  }

  async kill(ref: string): Promise<void> {
    await this.processes.kill(this.node(ref).name);
  }

  async restart(ref: string): Promise<void> {
    await this.processes.restart(this.node(ref).name);
  }

  async pause(ref: string): Promise<void> {
    await this.processes.pause(this.node(ref).name);
  }

  async resume(ref: string): Promise<void> {
    await this.processes.resume(this.node(ref).name);
  }

  /** Every node's faults, counters and head (a node that does not answer is marked unreachable). */
  async status(): Promise<NodeFaultStatus[]> {
    return Promise.all(
      this.manifest.nodes.map(async (n): Promise<NodeFaultStatus> => {
        const client = this.client(n);
        try {
          const [faults, status] = await Promise.all([
            client.call<{ faults: NetFaultEntry[]; counters: Record<string, NetFaultCounters> }>("unsafe_net_faults", {}),
            client.status(),
          ]);
          return { name: n.name, id: n.id, rpc: n.rpc, reachable: true, height: Number(status.sync_info.latest_block_height), faults: faults.faults, counters: faults.counters };
        } catch (err) {
          return { name: n.name, id: n.id, rpc: n.rpc, reachable: false, height: null, faults: [], counters: {}, error: (err as Error).message };
        }
      }),
    );
  }

  private client(node: TestnetNodeInfo): TriadClient {
    return this.clients.get(node.name)!;
  }

  private async set(node: TestnetNodeInfo, peers: readonly string[], direction: NetFaultDirection, spec: FaultSpec): Promise<void> {
    try {
      await this.client(node).call("unsafe_net_set_fault", { peers, direction, ...spec });
    } catch (err) {
      if (err instanceof TriadRpcError && err.code === -32601) {
        throw new NetControlError("NODE_RPC", `${node.name} was not started with --unsafe: it has no unsafe_net_* methods`, { node: node.name });
      }
      throw new NetControlError("NODE_RPC", `${node.name} (${node.rpc}): ${(err as Error).message}`, { node: node.name });
    }
  }

  /** Run every step; report all the nodes that failed, not just the first. */
  private async each(steps: readonly (() => Promise<void>)[]): Promise<void> {
    const results = await Promise.allSettled(steps.map(async (step) => step()));
    const failed = results.flatMap((r) => (r.status === "rejected" ? [(r.reason as Error).message] : []));
    if (failed.length > 0) throw new NetControlError("NODE_RPC", failed.join("; "), { failed });
  }
}

/** The supervisor's control endpoint (`control` in testnet.json), as a ProcessControl. */
export class ControlClient implements ProcessControl {
  constructor(
    private readonly url: string,
    private readonly timeoutMs = 30_000,
  ) {}

  kill(name: string): Promise<void> {
    return this.post("kill", { node: name }).then(() => undefined);
  }

  restart(name: string): Promise<void> {
    return this.post("restart", { node: name }).then(() => undefined);
  }

  pause(name: string): Promise<void> {
    return this.post("pause", { node: name }).then(() => undefined);
  }

  resume(name: string): Promise<void> {
    return this.post("resume", { node: name }).then(() => undefined);
  }

  /** Each node's process state, as the supervisor sees it. */
  async states(): Promise<Record<string, ProcessState>> {
    return ((await this.post("status", {})) as { nodes: Record<string, ProcessState> }).nodes;
  }

  private async post(action: string, body: Record<string, unknown>): Promise<unknown> {
    let res: Response;
    try {
      res = await fetch(`${this.url.replace(/\/$/, "")}/${action}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new NetControlError("NOT_RUNNING", `the testnet supervisor does not answer at ${this.url} (is \`triad testnet\` running?): ${(err as Error).message}`, { url: this.url });
    }
    const json = (await res.json().catch(() => ({}))) as { error?: string };
    if (!res.ok) throw new NetControlError(res.status === 404 ? "UNKNOWN_NODE" : "NODE_RPC", json.error ?? `HTTP ${res.status}`, { url: this.url });
    return json;
  }
}
