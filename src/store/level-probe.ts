// LevelDB as classic-level builds it (1.20) keeps its assertions: some damaged tables (a table
// whose index block holds a key shorter than LevelDB's 8-byte trailer, for one) abort the whole
// process inside LevelDB instead of returning an error, so the node would die with SIGABRT and
// a C++ assertion rather than refuse with a typed error. Before a node opens its database in
// process, this reads what the open reads in a child process (level-probe-child.ts); a child
// that dies is the damage report.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

/**
 * What the probe saw: nothing it could detect ("ok"), the process dying inside LevelDB
 * ("damaged"), or a probe that could not run for another reason ("failed": the node opens the
 * store itself as it would without a probe, and says so in its log).
 */
export type LevelProbeResult = { readonly outcome: "ok" } | { readonly outcome: "damaged" | "failed"; readonly reason: string };

/** Longest a probe may take before it counts as hung (a large state on a slow disk). */
const PROBE_TIMEOUT_MS = 10 * 60_000;

const CHILD = fileURLToPath(new URL("./level-probe-child.ts", import.meta.url));

/** Read `path`'s metadata, state, validator sets, votes and last `tailBlocks` blocks in a child process. */
export function probeLevelStore(path: string, tailBlocks: number): Promise<LevelProbeResult> {
  return new Promise((resolve, reject) => {
    // The child runs the TypeScript source as the node does (no build step): tsx by absolute URL,
    // since the node's working directory may be anywhere.
    const child = spawn(process.execPath, ["--import", import.meta.resolve("tsx"), CHILD, path, String(tailBlocks)], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, NODE_OPTIONS: "" },
    });
    let out = "";
    let err = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (out = (out + chunk).slice(-1000)));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (err = (err + chunk).slice(-4000)));
    const timer = setTimeout(() => child.kill("SIGKILL"), PROBE_TIMEOUT_MS);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      if (code === 0 && out.trim() !== "") {
        resolve({ outcome: "ok" });
        return;
      }
      const lines = err.trim().split("\n").filter((l) => l.trim() !== "");
      const assertion = lines.find((l) => /Assertion .* failed/.test(l));
      // A crash by signal (SIGABRT from an assertion, SIGSEGV, SIGBUS) is LevelDB's; an ordinary
      // exit with an error is the probe's own failure and proves nothing about the store.
      const crashed = assertion !== undefined || (signal !== null && signal !== "SIGKILL" && signal !== "SIGTERM");
      const said = (assertion ?? lines.at(-1) ?? "no message").trim();
      resolve(
        crashed
          ? { outcome: "damaged", reason: `LevelDB ended the process reading it (${signal ?? `exit code ${code}`}: ${said})` }
          : { outcome: "failed", reason: `the probe process ended with ${signal ?? `exit code ${code}`}: ${said}` },
      );
    });
  });
}
