// `triad soak --minutes N`: the chaos soak (src/testnet/soak). Progress goes to stderr; the
// last line on stdout is one JSON summary. Exit 0 when nothing was lost, the check passed and
// the honest nodes made progress after the heal; 1 otherwise.
import { Command, InvalidArgumentError, Option } from "commander";
import type { ScenarioNetwork } from "../scenario/network.js";
import { killProcesses } from "../testnet/scenario.js";
import { runSoak } from "../testnet/soak/index.js";
import { parseWholeNumber } from "./option-parsers.js";

interface SoakCliOptions {
  minutes: number;
  seed: number;
  validators: number;
  selection: "poa" | "dbft";
  rate: number;
  byzantine: string;
  dir?: string;
  keep?: boolean;
  faultEvery: number;
  logLevel: string;
}

function parseMinutes(value: string): number {
  const n = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || !(n > 0) || n > 24 * 60) throw new InvalidArgumentError("must be a number of minutes above 0 (at most a day)");
  return n;
}

async function run(options: SoakCliOptions): Promise<void> {
  if (options.validators < 4) throw new InvalidArgumentError("--validators must be at least 4");
  let network: ScenarioNetwork | null = null;
  // Ctrl-C: the nodes run in their own process groups and would outlive us.
  const onSignal = (): void => {
    killProcesses(network?.pids() ?? []);
    process.exit(130);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    const summary = await runSoak({
      durationMs: Math.round(options.minutes * 60_000),
      seed: options.seed,
      validators: options.validators,
      selection: options.selection,
      rate: options.rate,
      byzantine: options.byzantine,
      faultEveryMs: options.faultEvery,
      logLevel: options.logLevel,
      keep: options.keep === true,
      ...(options.dir !== undefined ? { dir: options.dir } : {}),
      onProgress: (line) => process.stderr.write(`${line}\n`),
      onNetwork: (n) => (network = n),
    });
    if (!summary.ok) for (const f of summary.failures) process.stderr.write(`FAILED: ${f}\n`);
    process.stdout.write(`${JSON.stringify(summary)}\n`);
    process.exitCode = summary.ok ? 0 : 1;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

export function soakCommand(): Command {
  return new Command("soak")
    .description(
      "chaos soak: a real network under load for N minutes with seeded kill -9, restart, pause/resume, partitions, link delay and loss and one Byzantine validator (at most f nodes faulty at once); then heal, wait for progress, run the check and confirm every acknowledged tx is in every honest chain. Prints one JSON summary line; exit 1 on any loss, check failure or no progress after the heal",
    )
    .option("--minutes <n>", "how long to inject faults", parseMinutes, 5)
    .option("--seed <n>", "draws the Byzantine validator, the faults and their timing", parseWholeNumber, 1)
    .option("--validators <n>", "validators (f = floor((n - 1) / 3); the Byzantine one counts toward f)", parseWholeNumber, 4)
    .addOption(new Option("--selection <name>", "validator selection").choices(["poa", "dbft"]).default("poa"))
    .option("--rate <n>", "load, tx/s", parseWholeNumber, 20)
    .option("--byzantine <behaviours>", 'the Byzantine validator\'s behaviours ("a+b"), or "none"', "invalid-block+replay")
    .option("--fault-every <ms>", "mean time between fault injections, ms", parseWholeNumber, 4000)
    .option("--dir <dir>", "testnet directory (default: a temporary one, removed afterwards)")
    .option("--keep", "keep the temporary directory (node logs, acks) for a look afterwards")
    .addOption(new Option("--log-level <level>", "node log level").choices(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("warn"))
    .action((options: SoakCliOptions) => run(options));
}
