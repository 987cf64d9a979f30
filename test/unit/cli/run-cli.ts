// Runs the real `triad` command as a child process, from the repository root, the way a user
// does. Each run costs about half a second, so tests batch their checks per run.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));

export interface CliRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function runCli(args: readonly string[]): CliRun {
  const result = spawnSync(process.execPath, ["bin/triad.mjs", ...args], { cwd: repoRoot, encoding: "utf8", timeout: 30_000 });
  if (result.error !== undefined) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A fresh temporary directory and the function that removes it. */
export function tempDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "triad-cli-"));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
