// The supervisor's side of a load run: start the load process (./load-process.ts through
// ./tsx-entry.mjs), call back when its measured window opens and closes (so node counters can
// be read at those moments), and hand back its result.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { LoadResult, LoadSpec } from "./load-process.js";

const ENTRY = fileURLToPath(new URL("./tsx-entry.mjs", import.meta.url));

export interface LoadHooks {
  readonly onWindowStart?: (at: number) => void | Promise<void>;
  readonly onWindowEnd?: (at: number) => void | Promise<void>;
  /** Ends the load process early (SIGTERM); the run then rejects with "aborted". */
  readonly signal?: AbortSignal;
}

export function runLoadProcess(spec: LoadSpec, hooks: LoadHooks = {}): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [ENTRY, "load", JSON.stringify(spec)], { stdio: ["ignore", "pipe", "pipe"] });
    let buffered = "";
    let stderr = "";
    let result: LoadResult | null = null;
    const hookRuns: Promise<void>[] = [];
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr = (stderr + d).slice(-4000)));
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      buffered += d;
      let nl: number;
      while ((nl = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        let msg: { event?: string; at?: number; result?: LoadResult };
        try {
          msg = JSON.parse(line) as typeof msg;
        } catch {
          continue;
        }
        if (msg.event === "window-start" && hooks.onWindowStart !== undefined) hookRuns.push(Promise.resolve(hooks.onWindowStart(msg.at ?? Date.now())));
        if (msg.event === "window-end" && hooks.onWindowEnd !== undefined) hookRuns.push(Promise.resolve(hooks.onWindowEnd(msg.at ?? Date.now())));
        if (msg.event === "result" && msg.result !== undefined) result = msg.result;
      }
    });
    child.once("error", reject);
    hooks.signal?.addEventListener("abort", () => child.kill("SIGTERM"), { once: true });
    child.once("close", (code) => {
      Promise.all(hookRuns).then(() => {
        if (hooks.signal?.aborted === true) reject(new Error("aborted"));
        else if (code === 0 && result !== null) resolve(result);
        else reject(new Error(`the load process exited with ${code}${result === null ? " without a result" : ""}: ${stderr.trim().slice(-1500)}`));
      }, reject);
    });
  });
}
