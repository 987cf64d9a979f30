// The machine's verification limit: every tx is verified once by each validator, so with all
// cores verifying and nothing else, a network of n validators on this machine can commit at
// most sum(verifies/s over cores) / n tx/s. One worker thread per core, all started together
// (they compete for the cores exactly as the nodes would); each reports its own verifies/s.
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { VerifyWorkerData, VerifyWorkerReport } from "./verify-worker.js";

const ENTRY = new URL("./tsx-entry.mjs", import.meta.url);

export interface VerifyLimit {
  readonly cores: number;
  readonly seconds: number;
  /** Verifies per second of each worker (one per core). */
  readonly perCore: readonly number[];
  readonly total: number;
}

export async function measureVerifyLimit(seconds: number, cores = availableParallelism()): Promise<VerifyLimit> {
  const workers = Array.from({ length: cores }, () => new Worker(ENTRY, { workerData: { seconds, txs: 2_000 } satisfies VerifyWorkerData }));
  try {
    const reports = workers.map(
      (w) =>
        new Promise<VerifyWorkerReport>((resolve, reject) => {
          w.on("message", (m: VerifyWorkerReport | "ready") => {
            if (m !== "ready") resolve(m);
          });
          w.once("error", reject);
          w.once("exit", (code) => reject(new Error(`verification worker exited with ${code}`)));
        }),
    );
    // Everyone signs first; then all verify at once.
    await Promise.all(workers.map((w) => new Promise<void>((resolve) => w.on("message", (m) => m === "ready" && resolve()))));
    for (const w of workers) w.postMessage("go");
    const done = await Promise.all(reports);
    const perCore = done.map((r) => Math.round(r.verifies / r.seconds));
    return { cores, seconds, perCore, total: perCore.reduce((a, b) => a + b, 0) };
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
