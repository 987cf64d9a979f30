// `triad net …`: network and process faults for a running `triad testnet DIR`. Network faults
// go to the nodes' unsafe_net_* RPC (testnet nodes run with --unsafe); process faults go to the
// supervisor's control endpoint, whose URL the running testnet writes into testnet.json.
import { resolve } from "node:path";
import { Command, InvalidArgumentError } from "commander";
import { readManifest, type TestnetManifest } from "../testnet/manifest.js";
import { ControlClient, NetControl, NetControlError, type ProcessControl, type ProcessState } from "../testnet/net-control.js";
import { CliError } from "./cli-error.js";
import { printResult } from "./output.js";

interface NetOptions {
  dir: string;
  json?: boolean;
}

/** "0,1,2/3,4,5,6" → [["0","1","2"],["3","4","5","6"]]: groups split by "/", nodes by ",". */
export function parseGroups(value: string): string[][] {
  const groups = value.split("/").map((g) =>
    g
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s !== ""),
  );
  if (groups.length < 2 || groups.some((g) => g.length === 0)) throw new InvalidArgumentError("must be two or more groups of nodes, e.g. 0,1,2/3,4,5,6");
  return groups;
}

/** "80ms", "80", "1.5s", "80-120ms" → { ms, maxMs? }. */
export function parseDelay(value: string): { ms: number; maxMs?: number } {
  const m = /^\s*(\d+(?:\.\d+)?)(?:\s*-\s*(\d+(?:\.\d+)?))?\s*(ms|s)?\s*$/.exec(value);
  if (m === null) throw new InvalidArgumentError("must be a delay like 80ms, 1s or a range 80-120ms");
  const unit = m[3] === "s" ? 1000 : 1;
  const ms = Math.round(Number(m[1]) * unit);
  const maxMs = m[2] === undefined ? undefined : Math.round(Number(m[2]) * unit);
  if (ms > 60_000 || (maxMs ?? 0) > 60_000) throw new InvalidArgumentError("must be at most 60s");
  if (maxMs !== undefined && maxMs < ms) throw new InvalidArgumentError("the range's upper end must not be below its lower end");
  return maxMs === undefined ? { ms } : { ms, maxMs };
}

/** "0.2" or "20%" → 0.2. */
export function parseProbability(value: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(%?)\s*$/.exec(value);
  const p = m === null ? Number.NaN : Number(m[1]) / (m[2] === "%" ? 100 : 1);
  if (!(p >= 0 && p <= 1)) throw new InvalidArgumentError("must be a probability: 0..1 or 0%..100%");
  return p;
}

/** ProcessControl for a testnet run by another process: its supervisor's control endpoint. */
function supervisor(manifest: TestnetManifest, dir: string): ControlClient {
  if (manifest.control === undefined) {
    throw new CliError(`error: the testnet in ${dir} is not running (testnet.json has no control endpoint); start it with \`triad testnet --dir ${dir}\``);
  }
  return new ControlClient(manifest.control);
}

async function withNet(options: NetOptions, act: (net: NetControl, manifest: TestnetManifest) => Promise<string[]>, data: Record<string, unknown>): Promise<void> {
  const dir = resolve(options.dir);
  const manifest = await readManifest(dir);
  if (manifest.nodes.every((n) => n.pid === null) && manifest.control === undefined) {
    throw new CliError(`error: the testnet in ${dir} is not running; start it with \`triad testnet --dir ${dir}\``);
  }
  // Process actions resolve the supervisor lazily: network faults need no control endpoint.
  let control: ControlClient | null = null;
  const processes: ProcessControl = {
    kill: async (name) => (control ??= supervisor(manifest, dir)).kill(name),
    restart: async (name) => (control ??= supervisor(manifest, dir)).restart(name),
    pause: async (name) => (control ??= supervisor(manifest, dir)).pause(name),
    resume: async (name) => (control ??= supervisor(manifest, dir)).resume(name),
  };
  const net = new NetControl(manifest, processes);
  let lines: string[];
  try {
    lines = await act(net, manifest);
  } catch (err) {
    if (err instanceof NetControlError) throw new CliError(`error: ${err.message}`);
    throw err;
  }
  printResult(options.json === true, { ok: true, dir, ...data }, lines);
}

function names(net: NetControl, refs: readonly string[]): string {
  return refs.map((r) => net.node(r).name).join(", ");
}

async function status(options: NetOptions): Promise<void> {
  const dir = resolve(options.dir);
  const manifest = await readManifest(dir);
  const nodes = await new NetControl(manifest, { kill: noop, restart: noop, pause: noop, resume: noop }).status();
  let states: Record<string, ProcessState> | null = null;
  if (manifest.control !== undefined) states = await new ControlClient(manifest.control, 5_000).states().catch(() => null);
  const rows = nodes.map((n) => ({ ...n, process: states?.[n.name] ?? (manifest.nodes.find((m) => m.name === n.name)?.pid != null ? "running" : "stopped") }));
  const nameOf = (id: string): string => (id === "*" ? "*" : (manifest.nodes.find((m) => m.id === id)?.name ?? `${id.slice(0, 8)}…`));
  const lines = [`${"node".padEnd(14)}${"process".padEnd(9)}${"height".padEnd(8)}faults / counters`];
  for (const r of rows) {
    const faults = r.faults.map((f) => {
      const what = [f.block ? "block" : "", f.drop > 0 ? `drop ${f.drop}` : "", f.delay_ms > 0 || f.delay_max_ms > 0 ? `delay ${f.delay_ms}${f.delay_max_ms > f.delay_ms ? `-${f.delay_max_ms}` : ""}ms` : "", f.duplicate > 0 ? `dup ${f.duplicate}` : ""];
      return `${nameOf(f.peer)} ${f.direction}: ${what.filter(Boolean).join(" ")}`;
    });
    const counters = Object.entries(r.counters)
      .filter(([, c]) => c.dropped + c.delayed + c.duplicated + c.blocked > 0)
      .map(([peer, c]) => `${nameOf(peer)} dropped ${c.dropped} delayed ${c.delayed} dup ${c.duplicated} blocked ${c.blocked}`);
    const detail = r.reachable ? [...faults, ...counters].join("; ") || "-" : `rpc down${r.error === undefined ? "" : ` (${r.error})`}`;
    lines.push(`${r.name.padEnd(14)}${r.process.padEnd(9)}${String(r.height ?? "-").padEnd(8)}${detail}`);
  }
  printResult(options.json === true, { dir, control: manifest.control ?? null, nodes: rows }, lines);
}

const noop = async (): Promise<void> => undefined;

function sub(name: string, description: string): Command {
  return new Command(name).description(description).option("--dir <dir>", "testnet directory (holds testnet.json)", "./net").option("--json", "print the result as JSON");
}

export function netCommand(): Command {
  const net = new Command("net").description("inject network and process faults into a running `triad testnet` (its nodes run with --unsafe)");
  net.addCommand(
    sub("partition", "split the network into groups that cannot reach each other (nodes named or by index; unlisted nodes form one more group)")
      .argument("<groups>", "groups split by '/', nodes by ',', e.g. 0,1,2/3,4,5,6", parseGroups)
      .action((groups: string[][], o: NetOptions) =>
        withNet(o, async (n) => (await n.partition(groups), [`partitioned: ${groups.map((g) => `{${names(n, g)}}`).join(" | ")}`]), { action: "partition", groups }),
      ),
  );
  net.addCommand(sub("heal", "clear every network fault on every node").action((o: NetOptions) => withNet(o, async (n) => (await n.heal(), ["healed: no network faults"]), { action: "heal" })));
  net.addCommand(
    sub("isolate", "cut one node off from all others, both ways")
      .argument("<node>", "node name or index")
      .action((node: string, o: NetOptions) => withNet(o, async (n) => (await n.isolate(node), [`isolated ${names(n, [node])}`]), { action: "isolate", node })),
  );
  net.addCommand(
    sub("delay", "delay every message on a node's links, both ways")
      .argument("<node>", "node name or index")
      .argument("<delay>", "e.g. 80ms, 1s, or a range 80-120ms", parseDelay)
      .action((node: string, d: { ms: number; maxMs?: number }, o: NetOptions) =>
        withNet(o, async (n) => (await n.delay(node, d.ms, d.maxMs), [`delaying ${names(n, [node])} by ${d.ms}${d.maxMs !== undefined ? `-${d.maxMs}` : ""}ms`]), { action: "delay", node, delay_ms: d.ms, delay_max_ms: d.maxMs ?? d.ms }),
      ),
  );
  for (const [name, verb] of [
    ["loss", "drop"],
    ["duplicate", "duplicate"],
  ] as const) {
    net.addCommand(
      sub(name, `${verb} each message on a node's links with probability P`)
        .argument("<node>", "node name or index")
        .argument("<p>", "probability, 0..1 or a percentage", parseProbability)
        .action((node: string, p: number, o: NetOptions) =>
          withNet(o, async (n) => (await (name === "loss" ? n.loss(node, p) : n.duplicate(node, p)), [`${name} ${p} on ${names(n, [node])}`]), { action: name, node, p }),
        ),
    );
  }
  net.addCommand(
    sub("oneway", "block one direction: FROM's messages no longer reach TO")
      .argument("<from>", "node name or index")
      .argument("<to>", "node name or index")
      .action((from: string, to: string, o: NetOptions) =>
        withNet(o, async (n) => (await n.oneway(from, to), [`${names(n, [from])} → ${names(n, [to])} blocked (the other way still works)`]), { action: "oneway", from, to }),
      ),
  );
  for (const [name, description] of [
    ["kill", "kill -9 a node's process"],
    ["restart", "start a killed node again with the same arguments"],
    ["pause", "freeze a node's process (SIGSTOP)"],
    ["resume", "continue a paused node (SIGCONT)"],
  ] as const) {
    net.addCommand(
      sub(name, description)
        .argument("<node>", "node name or index")
        .action((node: string, o: NetOptions) => withNet(o, async (n) => (await n[name](node), [`${name}: ${names(n, [node])}`]), { action: name, node })),
    );
  }
  net.addCommand(sub("status", "each node's process state, height, network faults and fault counters").action((o: NetOptions) => status(o)));
  return net;
}
