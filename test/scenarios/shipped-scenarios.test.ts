// Every scenario in scenarios/ runs as a user runs it (`triad scenario run FILE --json`, real
// node processes) and must show what it says it perturbs: the evidence the runner collects
// (a killed primary made the others change view, a cut-off node fell behind and caught up, a
// lossy link dropped messages, a Byzantine node's messages were refused and counted…). The
// negative control must end in a violation the check reports: proof that the check can fail.
// A separate suite (`npm run test:scenarios`): each run takes tens of seconds.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runTriad } from "../../src/testnet/index.js";

const DIR = join(import.meta.dirname, "..", "..", "scenarios");

/** The evidence each shipped scenario must produce (all of it passing). */
const MUST_SHOW: Readonly<Record<string, readonly string[]>> = {
  "primary-crash": ["fell-behind", "caught-up", "view-change", "view-changes"],
  "partition-minority": ["fell-behind", "caught-up"],
  "isolate-pause-dbft": ["fell-behind", "caught-up"],
  "lossy-links": ["net-delayed", "net-dropped", "net-duplicated", "net-blocked", "committed"],
  "kill-backup-dbft": ["fell-behind", "caught-up"],
  "byzantine-equivocation": ["byzantine-ran", "faults-reported", "byzantine-acts"],
  "byzantine-forgery-dbft": ["byzantine-ran", "byzantine-acts", "messages-refused"],
  "byzantine-bad-primary": ["byzantine-ran", "faults-reported", "view-changes"],
  "byzantine-view-attacks-dbft": ["byzantine-ran", "byzantine-acts", "view-changes", "view-change"],
  "byzantine-slow-silent": ["byzantine-ran", "byzantine-acts", "view-changes"],
  "byzantine-silent-dbft": ["byzantine-ran", "byzantine-acts", "view-changes"],
  "byzantine-partition": ["byzantine-ran", "byzantine-acts", "fell-behind", "caught-up"],
  twins: ["byzantine-ran"],
  "validator-change-poa": ["validator-set"],
  "validator-change-dbft": ["validator-set"],
};

const NEGATIVE = new Set(["negative-fork"]);

interface Report {
  verdict: string;
  evidence: { what: string; ok: boolean; detail: string }[];
  check: { ok: boolean; problems: string[] };
  steps: { do: string; error?: string }[];
  txs: { committed: number };
}

const files = readdirSync(DIR).filter((f) => f.endsWith(".toml")).sort();

describe("shipped scenarios", () => {
  it("every scenario file is covered here", () => {
    const names = files.map((f) => f.replace(/\.toml$/, ""));
    expect(names.filter((n) => MUST_SHOW[n] === undefined && !NEGATIVE.has(n))).toEqual([]);
    expect(names.length).toBeGreaterThanOrEqual(10);
  });

  for (const file of files) {
    const name = file.replace(/\.toml$/, "");
    it(`${name}`, async () => {
      // SIGTERM past the deadline: the runner then kills its nodes (SIGKILL would orphan them).
      const run = await runTriad(["scenario", "run", join(DIR, file), "--json", "--log-level", "warn"], 240_000, "SIGTERM");
      expect(run.stdout.trim().startsWith("{"), `no report (exit ${run.code}):\n${run.stderr.slice(-3000)}`).toBe(true);
      const report = JSON.parse(run.stdout) as Report;
      const failing = report.evidence.filter((e) => !e.ok).map((e) => `${e.what}: ${e.detail}`);
      if (NEGATIVE.has(name)) {
        expect(run.code, run.stderr.slice(-2000)).toBe(1);
        expect(report.verdict).toBe("violation");
        expect(report.check.ok).toBe(false);
        // Two honest nodes hold different blocks at one height: the check names the fork.
        expect(report.check.problems.some((p) => /^fork at height \d+/.test(p)), report.check.problems.join("\n")).toBe(true);
        return;
      }
      expect({ code: run.code, verdict: report.verdict, failing, problems: report.check.problems }, run.stderr.slice(-3000)).toEqual({ code: 0, verdict: "pass", failing: [], problems: [] });
      for (const what of MUST_SHOW[name]!) expect(report.evidence.map((e) => e.what), `${name} must show ${what}`).toContain(what);
      expect(report.steps.filter((s) => s.error !== undefined)).toEqual([]);
    }, 300_000);
  }
});
