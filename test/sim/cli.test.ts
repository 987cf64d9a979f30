// `triad sim` as a user runs it: one JSON summary per run per line, byte-identical for a seed;
// refusals of bad specs; and, past f Byzantine validators, exit code 1 with the seed, a trace and
// the replay command.
import { describe, expect, it } from "vitest";
import { runCli } from "../unit/cli/run-cli.js";

describe("triad sim", () => {
  it("prints one summary per run per line, the same for the same seed", () => {
    const args = ["sim", "--validators", "7", "--selection", "poa", "--byzantine", "0:equivocate,3:silent", "--seeds", "42..43", "--heights", "6", "--json"];
    const first = runCli(args);
    expect(first.stderr).toBe("");
    expect(first.status).toBe(0);
    const lines = first.stdout.trim().split("\n");
    expect(lines).toHaveLength(2);
    const summary = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(Object.keys(summary)).toEqual(expect.arrayContaining(["seed", "validators", "selection", "byzantine", "faults", "heights", "minHonestHeight", "viewChanges", "messages", "violations"]));
    expect(summary).toMatchObject({ seed: 42, validators: 7, selection: "poa", byzantine: "0:equivocate,3:silent", faults: "none", violations: [] });
    expect(summary.minHonestHeight).toBeGreaterThanOrEqual(6);
    expect(runCli(args).stdout).toBe(first.stdout);
  }, 60_000);

  it("refuses bad specs and more than f Byzantine validators", () => {
    const overF = runCli(["sim", "--validators", "4", "--byzantine", "0:silent,1:silent"]);
    expect(overF.status).toBe(1);
    expect(overF.stderr).toMatch(/exceed f = 1 .*--allow-over-f/);
    const unknown = runCli(["sim", "--byzantine", "0:sleepy"]);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toMatch(/unknown behaviour "sleepy"/);
    const faults = runCli(["sim", "--faults", "drop=2"]);
    expect(faults.status).toBe(1);
    expect(faults.stderr).toMatch(/probability/);
  }, 60_000);

  it("lists every behaviour and fault in --help", () => {
    const help = runCli(["sim", "--help"]);
    expect(help.status).toBe(0);
    for (const word of ["silent", "equivocate", "conflicting-votes", "forge", "invalid-block", "replay", "prepare-as-commit", "viewchange-spam", "lying-newview", "slow-primary", "twins"]) {
      expect(help.stdout).toContain(`  ${word} `);
    }
    for (const word of ["drop", "dup", "delay", "partition", "crash"]) expect(help.stdout).toContain(`  ${word} `);
    for (const flag of ["--set-changes <n>", "--observers <k>", "--crash-groups"]) expect(help.stdout).toContain(flag);
  }, 60_000);

  it("runs set changes and observers, and reports them", () => {
    const args = ["sim", "--validators", "4", "--selection", "poa", "--set-changes", "2", "--observers", "1", "--heights", "12", "--seed", "3"];
    const run = runCli(args);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/seed 3: ok .* 2 set changes, 1 observers, /);
    const json = JSON.parse(runCli([...args, "--json"]).stdout.trim()) as { setChanges: number; observers: number; governance: string[] };
    expect(json.setChanges).toBe(2);
    expect(json.observers).toBe(1);
    expect(json.governance).toHaveLength(2);
  }, 60_000);

  it("exits 1 past f with the seed, a trace and the replay command", () => {
    const run = runCli(OVER_F);
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/VIOLATED agreement/);
    expect(run.stdout).toMatch(/last \d+ events:/);
    expect(run.stdout).toContain(`replay: triad sim ${OVER_F.slice(1).join(" ")} --trace`);
  }, 60_000);
});

/** Two twins of four validators (f = 1): each honest validator sees a different copy of both, so two quorums decide two blocks. */
const OVER_F = ["sim", "--validators", "4", "--selection", "poa", "--byzantine", "0:twins,1:twins", "--allow-over-f", "--heights", "10", "--seed", "2"];
