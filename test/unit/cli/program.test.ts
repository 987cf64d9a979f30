import { describe, expect, it } from "vitest";
import { runCli } from "./run-cli.js";

describe("triad", () => {
  it("--help lists the command groups", () => {
    const run = runCli(["--help"]);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^Usage: triad/m);
    expect(run.stdout).toMatch(/^\s+keys\b/m);
    expect(run.stdout).toMatch(/^\s+genesis\b/m);
  });

  it("an unknown command fails with one line on stderr", () => {
    const run = runCli(["bogus"]);
    expect(run.status).toBe(1);
    expect(run.stderr.trim().split("\n")).toEqual(["error: unknown command 'bogus'"]);
  });
});
