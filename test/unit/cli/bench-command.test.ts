import { describe, expect, it } from "vitest";
import { runCli } from "./run-cli.js";

describe("triad bench", () => {
  it("--help documents the benchmark's flags", () => {
    const run = runCli(["bench", "--help"]);
    expect(run.status).toBe(0);
    for (const flag of ["--validators", "--rates", "--duration", "--warmup", "--tick-ms", "--no-search", "--search-start", "--p99-bound", "--observers", "--kill-primary", "--keep"]) {
      expect(run.stdout).toContain(flag);
    }
  });

  it("refuses a network of fewer than 4 validators before starting anything", () => {
    const run = runCli(["bench", "--validators", "4,3"]);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/--validators <list>.*invalid.*at least 4 validators/);
  });
});
