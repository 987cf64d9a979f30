// Entry of the benchmark's helper processes and threads, which run TypeScript sources like
// bin/triad.mjs does (no build step): in a process of its own (`node tsx-entry.mjs load
// '<spec json>'`) the open-loop load generator; in a worker thread, a verification worker.
import { isMainThread } from "node:worker_threads";
import { register } from "tsx/esm/api";

register();
await import("../../polyfill.ts");
if (isMainThread) {
  try {
    const { loadMain } = await import("./load-process.ts");
    await loadMain(process.argv[3] ?? "{}");
    process.stdout.write("", () => process.exit(0));
  } catch (err) {
    process.stderr.write(`load process failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  }
} else {
  await import("./verify-worker.ts");
}
