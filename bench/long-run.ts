// Long-running benchmark (issue 11, item 7): `npm run bench:long -- --minutes 10 [--rate R]`.
// 80% of the saturation rate (searched first unless --rate is given), an unperturbed window,
// then N minutes of perturbation + heal cycles; one JSON report on stdout (progress on
// stderr): throughput of the healed windows against the unperturbed one, every node's RSS and
// open fds after warm-up and at the end, pass/fail for each. Exit 1 when a check fails.
// The work is in src/testnet/bench/long-run.ts. Never part of `npm test`.
import "../src/polyfill.ts";
import { Command } from "commander";
import { reportError } from "../src/cli/cli-error.js";
import { parseWholeNumber } from "../src/cli/option-parsers.js";
import { LONG_RUN_DEFAULTS, runLongRun } from "../src/testnet/bench/long-run.js";

interface Flags {
  minutes: number;
  rate?: number;
  baseline: number;
  warmup: number;
  cycle: number;
  perturb: number;
  keep?: boolean;
  dir?: string;
}

const program = new Command("bench:long")
  .description("long-running benchmark: 80% of saturation, an unperturbed window, then perturbation + heal cycles; throughput, RSS and fds")
  .option("--minutes <n>", "minutes of perturbation cycles", parseWholeNumber, LONG_RUN_DEFAULTS.minutes)
  .option("--rate <n>", "offered tx/s (default: 80% of the saturation rate, searched first)", parseWholeNumber)
  .option("--baseline <s>", "seconds of the unperturbed window", parseWholeNumber, LONG_RUN_DEFAULTS.baselineSeconds)
  .option("--warmup <s>", "seconds of load before the unperturbed window", parseWholeNumber, LONG_RUN_DEFAULTS.warmupSeconds)
  .option("--cycle <s>", "seconds of one perturbation + heal cycle", parseWholeNumber, LONG_RUN_DEFAULTS.cycleSeconds)
  .option("--perturb <s>", "seconds of the perturbation in each cycle", parseWholeNumber, LONG_RUN_DEFAULTS.perturbSeconds)
  .option("--dir <dir>", "parent of the temporary testnet directory")
  .option("--keep", "keep the testnet directory")
  .action(async (f: Flags) => {
    const report = await runLongRun(
      {
        ...LONG_RUN_DEFAULTS,
        minutes: f.minutes,
        ...(f.rate !== undefined ? { rate: f.rate } : {}),
        baselineSeconds: f.baseline,
        warmupSeconds: f.warmup,
        cycleSeconds: f.cycle,
        perturbSeconds: f.perturb,
        keep: f.keep === true,
        ...(f.dir !== undefined ? { dir: f.dir } : {}),
      },
      (line) => process.stderr.write(`${line}\n`),
    );
    process.stdout.write(`${JSON.stringify(report)}\n`);
    process.exitCode = report.pass.all ? 0 : 1;
  });

try {
  await program.parseAsync(process.argv);
} catch (err) {
  reportError(err);
  process.exitCode = 1;
}
