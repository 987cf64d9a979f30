// The scenario report as text: what was done, what the honest nodes saw, what happened to the
// load's txs, the evidence that each perturbation bit, and the check's verdict.
import { checkReportLines } from "../testnet/check-table.js";
import type { ScenarioReport } from "./runner.js";

const VERDICT: Record<ScenarioReport["verdict"], string> = {
  pass: "PASS",
  violation: "VIOLATION (the check failed)",
  "not-shown": "NOT SHOWN (a perturbation's evidence is missing)",
};

function counts(record: Readonly<Record<string, number>>): string {
  const entries = Object.entries(record).sort((a, b) => b[1] - a[1]);
  return entries.length === 0 ? "none" : entries.map(([k, v]) => `${k} ${v}`).join(", ");
}

export function formatReport(r: ScenarioReport): string[] {
  const lines: string[] = [];
  lines.push(`scenario ${r.scenario}: ${VERDICT[r.verdict]}  (seed ${r.seed}, ${(r.durationMs / 1000).toFixed(1)} s)`);
  lines.push(`  ${r.description}`);
  const byz = r.network.nodes.filter((n) => !n.honest).map((n) => `${n.name} ${n.byzantine.join("+") || "twin"}`);
  lines.push(`network    ${r.network.validators} validators, ${r.network.selection}; ${r.network.nodes.length} processes; byzantine: ${byz.length === 0 ? "none" : byz.join(", ")}`);
  lines.push("timeline");
  if (r.steps.length === 0) lines.push("  (no steps)");
  for (const s of r.steps) {
    const t = `+${(s.t / 1000).toFixed(1)}s`.padStart(8);
    lines.push(`${t}  h${String(s.height).padEnd(5)} ${s.do.padEnd(13)} ${s.detail}${s.error !== undefined ? `  FAILED: ${s.error}` : ""}`);
  }
  lines.push("view changes on honest nodes (by reason)");
  for (const v of r.viewChanges) lines.push(`  ${v.node.padEnd(20)} ${counts(v.byReason)}`);
  lines.push(`faults reported by honest nodes: ${counts(r.faults.byKind)}; blamed: ${counts(r.faults.byPeer)}`);
  lines.push(`txs        sent ${r.txs.sent}, accepted ${r.txs.accepted}, committed ${r.txs.committed}, refused ${r.txs.refused}, failed ${r.txs.failed}`);
  lines.push("evidence");
  if (r.evidence.length === 0) lines.push("  (none asked for)");
  for (const e of r.evidence) lines.push(`  ${e.ok ? "ok  " : "FAIL"}  ${e.what.padEnd(16)} ${e.detail}`);
  lines.push("check");
  for (const l of checkReportLines(r.check)) lines.push(`  ${l}`);
  lines.push(`verdict    ${VERDICT[r.verdict]}`);
  return lines;
}
