// The check report for people: one row per node, then the problems and notes. Shared by
// `triad check` and the scenario runner's report.
import type { CheckReport } from "./agreement-check.js";

const HEADER = ["node", "kind", "head", "blocks", "seals", "txs", "acked", "verdict"] as const;

export function checkTable(report: CheckReport): string[] {
  const rows = report.nodes.map((n) => [
    n.name,
    n.honest ? "honest" : "byzantine",
    n.height === null ? "-" : String(n.height),
    String(n.blocksChecked),
    String(n.seals),
    String(n.txs),
    n.honest ? `${n.ackedFound}/${n.ackedChecked}` : "-",
    n.verdict,
  ]);
  const widths = HEADER.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : i >= 2 && i <= 6 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [line(HEADER), ...rows.map(line)];
}

export function checkSummary(report: CheckReport): string[] {
  const blocks = Math.max(0, report.to - report.from + 1);
  const a = report.acks;
  const lines = [
    `chain ${report.chainId}: heights ${report.from}..${report.to} (${blocks} blocks), ${report.txs} txs, ${report.sealsVerified} seal signatures verified in ${report.elapsedMs} ms`,
  ];
  if (a.total > 0) {
    lines.push(`acks: ${a.total} read, ${a.checked} checked, ${a.outOfRange} outside the checked heights, ${a.fromNonHonest} from non-honest nodes${a.badLines > 0 ? `, ${a.badLines} unreadable lines` : ""}`);
  }
  return lines;
}

export function checkReportLines(report: CheckReport): string[] {
  const lines = [...checkTable(report), "", ...checkSummary(report)];
  if (report.notes.length > 0) lines.push("notes (not failures):", ...report.notes.map((n) => `  ${n}`));
  if (report.problems.length > 0) {
    lines.push("problems:", ...report.problems.map((p) => `  ${p}`));
    if (report.problemsOmitted > 0) lines.push(`  … and ${report.problemsOmitted} more`);
  }
  lines.push(report.ok ? "verdict: ok" : `verdict: FAILED (${report.problems.length + report.problemsOmitted} problems)`);
  return lines;
}
