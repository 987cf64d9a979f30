// Which node a step means: an index among the testnet's nodes, a name, "primary" (the primary
// the honest nodes report right now), "random" (drawn from the scenario's seed among the nodes
// that fit the step), or the label an earlier step gave the node it chose.
import type { TestnetNodeInfo } from "../testnet/manifest.js";
import type { Prng } from "../byzantine/prng.js";
import { ScenarioError } from "./scenario-file.js";
import type { StatusMonitor } from "./status-monitor.js";

export interface ResolveContext {
  readonly nodes: readonly TestnetNodeInfo[];
  /** Names of the nodes that run no Byzantine behaviour (and are no twin copy). */
  readonly honest: ReadonlySet<string>;
  readonly labels: ReadonlyMap<string, string>;
  readonly monitor: StatusMonitor;
  readonly prng: Prng;
  /** Nodes whose process is up. */
  running(): readonly string[];
}

/** The primary most honest nodes that answer report for their current height and view. */
export function reportedPrimary(ctx: ResolveContext): string | null {
  const votes = new Map<string, number>();
  for (const name of ctx.honest) {
    const s = ctx.monitor.latest(name);
    if (s === null || s.primary === null || !ctx.monitor.answering(name)) continue;
    votes.set(s.primary, (votes.get(s.primary) ?? 0) + 1);
  }
  let best: string | null = null;
  let most = 0;
  for (const [id, n] of votes) if (n > most) [best, most] = [id, n];
  if (best === null) return null;
  return ctx.nodes.find((n) => n.id === best && n.twinOf === undefined)?.name ?? null;
}

export function resolveNode(ref: string, ctx: ResolveContext, where: string): string {
  if (/^\d+$/.test(ref)) {
    const node = ctx.nodes[Number(ref)];
    if (node === undefined) throw new ScenarioError("SCENARIO_INVALID", `${where}: node index ${ref} is out of range (0..${ctx.nodes.length - 1})`);
    return node.name;
  }
  if (ref === "primary") {
    const name = reportedPrimary(ctx);
    if (name === null) throw new ScenarioError("SCENARIO_FAILED", `${where}: no honest node reports a primary right now`);
    return name;
  }
  if (ref === "random") {
    const running = new Set(ctx.running());
    const pool = ctx.nodes.filter((n) => ctx.honest.has(n.name) && running.has(n.name) && n.role === "validator").map((n) => n.name);
    if (pool.length === 0) throw new ScenarioError("SCENARIO_FAILED", `${where}: no running honest validator to pick at random`);
    return pool[ctx.prng.int(pool.length)]!;
  }
  const labelled = ctx.labels.get(ref);
  if (labelled !== undefined) return labelled;
  if (ctx.nodes.some((n) => n.name === ref)) return ref;
  throw new ScenarioError("SCENARIO_INVALID", `${where}: no node or label named ${ref}; nodes: ${ctx.nodes.map((n) => n.name).join(", ")}`);
}
