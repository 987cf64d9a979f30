import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { repoRoot, runCli, tempDir } from "./run-cli.js";

const tmp = tempDir();
afterAll(() => tmp.remove());

type Doc = Record<string, unknown> & { validators: { id: string; name?: string }[] };

function example(): Doc {
  return JSON.parse(readFileSync(join(repoRoot, "genesis", "poa-4.json"), "utf8")) as Doc;
}

/** Write a broken variant of the PoA example and validate it through the CLI. */
function validateBroken(name: string, breakIt: (doc: Doc) => void): { status: number | null; lines: string[]; stdout: string } {
  const doc = example();
  breakIt(doc);
  const file = join(tmp.dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(doc));
  const run = runCli(["genesis", "validate", file]);
  return { status: run.status, lines: run.stderr.trimEnd().split("\n"), stdout: run.stdout };
}

describe("triad genesis validate", () => {
  const cases: [string, (doc: Doc) => void, RegExp][] = [
    ["missing field", (d) => delete d.chainId, /^genesis invalid: chainId: /],
    ["wrong type", (d) => ((d.validators[2] as unknown as { id: number }).id = 42), /^genesis invalid: validators\[2\]\.id: .*expected string/],
    ["duplicate validator", (d) => (d.validators[3]!.id = d.validators[0]!.id), /^genesis invalid: validators\[3\]\.id: duplicate of validators\[0\]$/],
    ["fewer than 4 validators", (d) => d.validators.pop(), /^genesis invalid: validators: needs at least 4 validators$/],
    ["unknown selection", (d) => (d.selection = { name: "pow" }), /^genesis invalid: selection\.name: /],
  ];

  it.each(cases)("%s: exits 1 naming the path", (name, breakIt, expected) => {
    const run = validateBroken(name.replace(/ /g, "-"), breakIt);
    expect(run.status).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.lines).toHaveLength(1);
    expect(run.lines[0]).toMatch(expected);
  });

  it("reports an unreadable file and bad JSON the same way", () => {
    const missing = runCli(["genesis", "validate", join(tmp.dir, "absent.json")]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/^genesis invalid: \(file\): cannot read .*absent\.json: no such file or directory\n$/);

    const file = join(tmp.dir, "truncated.json");
    writeFileSync(file, readFileSync(join(repoRoot, "genesis", "poa-4.json"), "utf8").slice(0, 100));
    const run = runCli(["genesis", "validate", file, "--json"]);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/^genesis invalid: \(root\): not JSON: .*\n$/);
    const out = JSON.parse(run.stdout) as { valid: boolean; issues: { path: string }[] };
    expect(out.valid).toBe(false);
    expect(out.issues.map((i) => i.path)).toEqual(["(root)"]);
  });
});
