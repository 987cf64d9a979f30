// `triad scenario run FILE`: a Byzantine-fault experiment on real processes, from a TOML file
// (see scenarios/README.md). Exit 0 when it passes, 1 on a violation (the check failed), 2 when
// the run did not show what the scenario says it perturbs (its evidence is missing).
// `triad scenario validate FILE…` only reads the files; `triad scenario list [DIR]` shows them.
import { readdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { Command, Option } from "commander";
import { formatReport } from "../scenario/report.js";
import { runScenario } from "../scenario/runner.js";
import { readScenario } from "../scenario/scenario-file.js";
import type { ScenarioNetwork } from "../scenario/network.js";
import { killProcesses } from "../testnet/scenario.js";
import { CliError } from "./cli-error.js";
import { parseWholeNumber } from "./option-parsers.js";

interface RunOptions {
  seed?: number;
  dir?: string;
  keep?: boolean;
  json?: boolean;
  logLevel: string;
}

const EXIT = { pass: 0, violation: 1, "not-shown": 2 } as const;

async function run(file: string, options: RunOptions): Promise<void> {
  const scenario = await readScenario(file);
  const progress = (line: string): boolean => process.stderr.write(`${line}\n`);
  let network: ScenarioNetwork | null = null;
  // Ctrl-C: the nodes run in their own process groups and would outlive us.
  const onSignal = (): void => {
    killProcesses(network?.pids() ?? []);
    process.exit(130);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    const report = await runScenario(scenario, resolve(file), {
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
      ...(options.dir !== undefined ? { dir: options.dir } : {}),
      keep: options.keep === true,
      logLevel: options.logLevel,
      onProgress: progress,
      onNetwork: (n) => (network = n),
    });
    if (options.json === true) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else process.stdout.write(`${formatReport(report).join("\n")}\n`);
    process.exitCode = EXIT[report.verdict];
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

async function validate(files: readonly string[]): Promise<void> {
  const problems: string[] = [];
  for (const f of files) {
    try {
      const s = await readScenario(f);
      process.stdout.write(`ok: ${f} (${s.name}: ${s.step.length} steps, ${s.expect.length} expectations)\n`);
    } catch (err) {
      problems.push(`error: ${(err as Error).message}`);
    }
  }
  if (problems.length > 0) throw new CliError(problems);
}

async function list(dir: string, json: boolean): Promise<void> {
  const files = (await readdir(dir)).filter((f) => f.endsWith(".toml")).sort();
  const rows = [];
  for (const f of files) {
    const s = await readScenario(join(dir, f));
    rows.push({ file: join(dir, f), name: s.name, selection: s.network.selection, validators: s.network.validators, byzantine: s.network.byzantine || "none", steps: s.step.map((x) => x.do).join(","), description: s.description });
  }
  if (json) {
    process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return;
  }
  for (const r of rows) process.stdout.write(`${r.name.padEnd(28)} ${`${r.validators} ${r.selection}`.padEnd(8)} ${r.description}\n`);
}

export function scenarioCommand(): Command {
  const scenario = new Command("scenario").description("run Byzantine-fault scenarios (TOML files) on a local network of real processes");
  scenario.addCommand(
    new Command("run")
      .description("start the scenario's network, run its load and timeline, check the chain, print a report (exit 1 on a violation, 2 when a perturbation's evidence is missing)")
      .argument("<file>", "scenario file (TOML)")
      .option("--seed <n>", "override the file's seed", parseWholeNumber)
      .option("--dir <dir>", "testnet directory (default: a temporary one, removed afterwards)")
      .option("--keep", "keep the temporary directory (node logs, acks) for a look afterwards")
      .option("--json", "print the report as JSON (progress still goes to stderr)")
      .addOption(new Option("--log-level <level>", "node log level").choices(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info"))
      .action((file: string, options: RunOptions) => run(file, options)),
  );
  scenario.addCommand(
    new Command("validate")
      .description("read scenario files and report the first problem in each")
      .argument("<files...>", "scenario files")
      .action((files: string[]) => validate(files)),
  );
  scenario.addCommand(
    new Command("list")
      .description("list the scenarios in a directory")
      .argument("[dir]", "directory of .toml files", "scenarios")
      .option("--json", "print as JSON")
      .action((dir: string, o: { json?: boolean }) => list(dir, o.json === true)),
  );
  return scenario;
}
