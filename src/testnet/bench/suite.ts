// The whole benchmark: the machine's verification limit once (before any node runs, so the
// workers have the cores to themselves), then each network size in turn on a fresh testnet.
import { cpus } from "node:os";
import { runNetwork, type NetworkReport } from "./network-run.js";
import type { BenchOptions } from "./options.js";
import { clkTck } from "./proc-sample.js";
import { humanReport, summarizeSize, type SizeSummary } from "./report.js";
import { measureVerifyLimit, type VerifyLimit } from "./verify-limit.js";

export interface BenchResult {
  readonly bench: "node";
  readonly machine: { readonly cpus: number; readonly node: string; readonly clkTck: number };
  readonly options: BenchOptions;
  readonly verification: VerifyLimit;
  readonly sizes: readonly SizeSummary[];
  readonly networks: readonly NetworkReport[];
}

export async function runBench(options: BenchOptions, log: (line: string) => void): Promise<{ result: BenchResult; table: string }> {
  log(`verification limit: ${options.verifySeconds} s on every core`);
  const verification = await measureVerifyLimit(options.verifySeconds);
  log(`verification: ${verification.perCore.join(" + ")} = ${verification.total} verifies/s`);
  const networks: NetworkReport[] = [];
  for (const n of options.validators) networks.push(await runNetwork(options, n, log));
  const sizes = networks.map((n) => summarizeSize(n, verification));
  const result: BenchResult = { bench: "node", machine: { cpus: cpus().length, node: process.version, clkTck: clkTck() }, options, verification, sizes, networks };
  return { result, table: humanReport(verification, networks, sizes) };
}
