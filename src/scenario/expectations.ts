// The `[[expect]]` entries of a scenario, and the fault counters its link faults must move,
// judged from what the nodes report at the end of the run. Counters are taken since each node
// started (summed over its restarts), not since the timeline did: a Byzantine primary's first
// turn may come while the network is still starting.
import { resolveNode, type ResolveContext } from "./node-refs.js";
import type { Evidence } from "./outages.js";
import type { Scenario } from "./scenario-file.js";
import type { ScenarioNetwork } from "./network.js";
import type { StatusMonitor } from "./status-monitor.js";

/** A link fault set on `node` must show in its fault layer's `counter`. */
export interface NetCounterNeed {
  readonly node: string;
  readonly counter: "dropped" | "delayed" | "duplicated" | "blocked";
  readonly step: number;
  /** The counter's total read before the fault was cleared. */
  seen?: number;
}

function total(record: Readonly<Record<string, number>>): number {
  return Object.values(record).reduce((s, n) => s + n, 0);
}

export async function expectationEvidence(
  scenario: Scenario,
  netNeeds: readonly NetCounterNeed[],
  net: ScenarioNetwork,
  monitor: StatusMonitor,
  ctx: ResolveContext,
): Promise<Evidence[]> {
  const out: Evidence[] = [];
  for (const need of netNeeds) {
    const n = need.seen ?? 0;
    out.push({ what: `net-${need.counter}`, ok: n > 0, detail: `step ${need.step + 1}: ${need.node}'s fault layer ${need.counter} ${n} message(s)` });
  }
  const honest = [...ctx.honest];
  for (const [i, e] of scenario.expect.entries()) {
    const where = `expect[${i}]`;
    switch (e.what) {
      case "faults-reported": {
        const name = resolveNode(e.from, ctx, where);
        const id = ctx.nodes.find((n) => n.name === name)!.id;
        let n = 0;
        const kinds: Record<string, number> = {};
        for (const h of honest) {
          const c = monitor.counters(h);
          if (e.fault === undefined) n += c.faults_by_peer[id] ?? 0;
          else n += c.faults_reported[e.fault] ?? 0;
          for (const [k, v] of Object.entries(c.faults_reported)) kinds[k] = (kinds[k] ?? 0) + v;
        }
        const seen = Object.entries(kinds).map(([k, v]) => `${k} ${v}`).join(", ") || "none";
        out.push({
          what: "faults-reported",
          ok: n >= e.min,
          detail: `since they started, honest nodes reported ${n} ${e.fault ?? "fault"}(s)${e.fault === undefined ? ` of ${name}` : ""} (need ${e.min}; all kinds: ${seen})`,
        });
        break;
      }
      case "view-changes": {
        let best = 0;
        let where2 = "";
        for (const h of honest) {
          const vc = monitor.counters(h).view_changes;
          const n = e.reason === undefined ? total(vc) - (vc.entered ?? 0) : vc[e.reason] ?? 0;
          if (n > best) [best, where2] = [n, h];
        }
        out.push({ what: "view-changes", ok: best >= e.min, detail: `most ${e.reason ?? "started"} view changes on one honest node since it started: ${best}${where2 === "" ? "" : ` (${where2})`} (need ${e.min})` });
        break;
      }
      case "byzantine-acts": {
        const name = resolveNode(e.node, ctx, where);
        const acts = monitor.counters(name).byzantine_acts;
        const n = total(acts);
        const list = Object.entries(acts).map(([k, v]) => `${k} ${v}`).join(", ") || "none";
        out.push({ what: "byzantine-acts", ok: n >= e.min, detail: `${name}'s behaviours acted ${n} time(s): ${list} (need ${e.min})` });
        break;
      }
      case "validator-set": {
        const members = await net.validatorsAtHead();
        const includes = e.includes.map((r) => resolveNode(r, ctx, where));
        const excludes = e.excludes.map((r) => resolveNode(r, ctx, where));
        const idOf = (name: string): string => ctx.nodes.find((n) => n.name === name)!.id;
        const missing = includes.filter((n) => !members.includes(idOf(n)));
        const present = excludes.filter((n) => members.includes(idOf(n)));
        out.push({
          what: "validator-set",
          ok: missing.length === 0 && present.length === 0,
          detail: `validator set at the head has ${members.length} members${missing.length > 0 ? `; missing ${missing.join(", ")}` : ""}${present.length > 0 ? `; still has ${present.join(", ")}` : ""}`,
        });
        break;
      }
      case "committed": {
        const n = net.loadStats().committed;
        out.push({ what: "committed", ok: n >= e.min, detail: `the load saw ${n} tx(s) committed (need ${e.min})` });
        break;
      }
      case "messages-refused": {
        const n = honest.reduce((s, h) => s + monitor.counters(h).messages_refused, 0);
        out.push({ what: "messages-refused", ok: n >= e.min, detail: `since they started, honest nodes refused ${n} consensus message(s) before the core (need ${e.min})` });
        break;
      }
    }
  }
  return out;
}
