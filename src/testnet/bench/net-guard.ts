// A benchmark's network of `triad start` processes, never left behind: the nodes run in their own
// process groups (a Ctrl-C reaches only this process), so on exit, SIGINT or SIGTERM they are
// killed here, and when the run ends they are stopped and the directory is removed (or kept).
import { rmSync } from "node:fs";
import { killProcesses } from "../scenario.js";
import type { Testnet } from "../testnet.js";

/** Run `body` with `dir` as the network's directory; it hands over its Testnet through `attach`. */
export async function withGuardedNetwork<T>(dir: string, keep: boolean | undefined, log: (line: string) => void, body: (attach: (net: Testnet) => Testnet) => Promise<T>): Promise<T> {
  let net: Testnet | null = null;
  const killNodes = (): void => killProcesses(net?.pids() ?? []);
  const onSignal = (signal: NodeJS.Signals): void => {
    killNodes();
    if (keep !== true) rmSync(dir, { recursive: true, force: true });
    process.exit(signal === "SIGINT" ? 130 : 143);
  };
  process.on("exit", killNodes);
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    return await body((n) => (net = n));
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await (net as Testnet | null)?.stop();
    killNodes();
    process.off("exit", killNodes);
    if (keep === true) log(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}
