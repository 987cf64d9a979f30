// `triad sim`: run the deterministic simulator (src/sim) for one seed or a range of seeds, print
// a summary per run, and exit 1 if any invariant was violated, with the seed, a short trace and
// the command that replays it.
import { Command, InvalidArgumentError, Option } from "commander";
import { BEHAVIOUR_HELP, BEHAVIOURS, formatByzantineSpec, parseByzantineSpec, SimSpecError } from "../byzantine/byzantine-spec.js";
import { FAULT_HELP, FAULT_NAMES, formatFaultSpec, parseFaultSpec } from "../sim/fault-spec.js";
import { INVARIANTS } from "../sim/invariants.js";
import { formatOutageSpec, parseOutageSpec } from "../sim/outage.js";
import { runSimulation, type SimOptions, type SimSummary } from "../sim/runner.js";
import { randomScenario } from "../sim/scenario.js";
import { CliError } from "./cli-error.js";
import { parseWholeNumber } from "./option-parsers.js";

interface SimCommandOptions {
  validators: number;
  selection: "poa" | "dbft";
  byzantine: string;
  faults: string;
  seed?: number;
  seeds?: { from: number; to: number };
  heights: number;
  random?: boolean;
  json?: boolean;
  trace?: number | true;
  allowOverF?: boolean;
  setChanges: number;
  observers: number;
  crashGroups?: boolean;
  outage: string;
}

const DEFAULT_TRACE = 40;
const MAX_SEED = 0xffff_ffff;

function parseSeed(value: string): number {
  const n = parseWholeNumber(value);
  if (n > MAX_SEED) throw new InvalidArgumentError(`must be at most ${MAX_SEED}`);
  return n;
}

function parseSeedRange(value: string): { from: number; to: number } {
  const m = /^(\d+)\.\.(\d+)$/.exec(value);
  if (m === null) throw new InvalidArgumentError("must be a range like 1..500");
  const from = parseSeed(m[1]!);
  const to = parseSeed(m[2]!);
  if (to < from) throw new InvalidArgumentError("the range is empty");
  return { from, to };
}

function parseValidators(value: string): number {
  const n = parseWholeNumber(value);
  if (n < 4 || n > 64) throw new InvalidArgumentError("must be from 4 to 64");
  return n;
}

function parseHeights(value: string): number {
  const n = parseWholeNumber(value);
  if (n < 1 || n > 100_000) throw new InvalidArgumentError("must be from 1 to 100000");
  return n;
}

function parseSetChanges(value: string): number {
  const n = parseWholeNumber(value);
  if (n > 1000) throw new InvalidArgumentError("must be from 0 to 1000");
  return n;
}

function parseObservers(value: string): number {
  const n = parseWholeNumber(value);
  if (n > 16) throw new InvalidArgumentError("must be from 0 to 16");
  return n;
}

function parseTrace(value: string): number {
  const n = parseWholeNumber(value);
  if (n < 1 || n > 100_000) throw new InvalidArgumentError("must be from 1 to 100000");
  return n;
}

/** The options of one run: fixed by the flags, or drawn from the seed with --random. */
function runOptions(options: SimCommandOptions, seed: number, trace: number): SimOptions {
  if (options.random === true) return { ...randomScenario(seed), trace };
  try {
    const byzantine = parseByzantineSpec(options.byzantine, { validators: options.validators, allowOverF: options.allowOverF === true });
    const outage = parseOutageSpec(options.outage, options.validators);
    if (outage !== null && byzantine.some((b) => b.index === outage.index)) throw new SimSpecError("INVALID_SPEC", `validator ${outage.index} is Byzantine; an outage takes an honest one`);
    if (outage !== null && options.allowOverF !== true && byzantine.length + 1 > Math.floor((options.validators - 1) / 3)) {
      throw new SimSpecError("INVALID_SPEC", "an outage counts against f with the Byzantine validators (use --allow-over-f)");
    }
    return {
      seed,
      validators: options.validators,
      selection: options.selection,
      byzantine,
      ...(outage === null ? {} : { outage }),
      faults: parseFaultSpec(options.faults),
      heights: options.heights,
      trace,
      ...(options.setChanges > 0 ? { setChanges: options.setChanges } : {}),
      ...(options.observers > 0 ? { observers: options.observers } : {}),
      ...(options.crashGroups === true ? { crashGroups: true } : {}),
    };
  } catch (err) {
    if (err instanceof SimSpecError) throw new CliError(`error: ${err.message}`);
    throw err;
  }
}

export function replayCommand(run: SimOptions, random: boolean): string {
  if (random) return `triad sim --random --seed ${run.seed} --trace`;
  const parts = ["triad sim", `--validators ${run.validators}`, `--selection ${run.selection}`];
  const byzantine = formatByzantineSpec(run.byzantine ?? []);
  if (byzantine !== "none") parts.push(`--byzantine ${byzantine}`);
  const faults = run.faults === undefined ? "none" : formatFaultSpec(run.faults);
  if (faults !== "none") parts.push(`--faults ${faults}`);
  const overF = (run.byzantine?.length ?? 0) + (run.outage == null ? 0 : 1) > Math.floor((run.validators - 1) / 3);
  if (overF) parts.push("--allow-over-f");
  if ((run.setChanges ?? 0) > 0) parts.push(`--set-changes ${run.setChanges}`);
  if ((run.observers ?? 0) > 0) parts.push(`--observers ${run.observers}`);
  if (run.crashGroups === true) parts.push("--crash-groups");
  if (run.outage != null) parts.push(`--outage ${formatOutageSpec(run.outage)}`);
  parts.push(`--heights ${run.heights}`, `--seed ${run.seed}`, "--trace");
  return parts.join(" ");
}

function textLine(s: SimSummary): string {
  const status = s.violations.length === 0 ? "ok" : `VIOLATED ${[...new Set(s.violations.map((v) => v.invariant))].join(", ")}`;
  return (
    `seed ${s.seed}: ${status} — n=${s.validators} ${s.selection} byzantine=${s.byzantine} faults=${s.faults}${s.outage === undefined ? "" : ` outage=${s.outage}`}; ` +
    `min honest height ${s.minHonestHeight}/${s.target}, ${s.viewChanges} view changes, ` +
    (s.governance !== undefined || s.setChanges > 0 ? `${s.setChanges} set changes, ` : "") +
    (s.observers > 0 ? `${s.observers} observers, ` : "") +
    `${s.messages} messages, ${s.virtualMs} virtual ms`
  );
}

async function sim(options: SimCommandOptions): Promise<void> {
  if (options.seed !== undefined && options.seeds !== undefined) throw new CliError("error: give --seed or --seeds, not both");
  const range = options.seeds ?? { from: options.seed ?? 1, to: options.seed ?? 1 };
  const traceAsked = options.trace !== undefined;
  const traceLength = options.trace === undefined || options.trace === true ? DEFAULT_TRACE : options.trace;
  const json = options.json === true;
  const random = options.random === true;
  // Check the specs once, before the first run.
  runOptions(options, range.from, traceLength);
  let failed = 0;
  for (let seed = range.from; seed <= range.to; seed++) {
    const run = runOptions(options, seed, traceLength);
    const summary = await runSimulation(run);
    const bad = summary.violations.length > 0;
    const { trace, ...rest } = summary;
    if (json) process.stdout.write(`${JSON.stringify(traceAsked || bad ? summary : rest)}\n`);
    else {
      process.stdout.write(`${textLine(summary)}\n`);
      if (traceAsked && !bad) for (const line of trace ?? []) process.stdout.write(`  ${line}\n`);
    }
    if (!bad) continue;
    failed++;
    const out = json ? process.stderr : process.stdout;
    out.write(`seed ${seed} violated an invariant:\n`);
    for (const v of summary.violations) out.write(`  ${v.invariant} at ${v.time} ms${v.node === null ? "" : ` on validator ${v.node}`}: ${v.detail}\n`);
    out.write(`last ${trace?.length ?? 0} events:\n`);
    for (const line of (trace ?? []).slice(traceAsked ? 0 : -20)) out.write(`  ${line}\n`);
    out.write(`replay: ${replayCommand(run, random)}\n`);
  }
  const runs = range.to - range.from + 1;
  if (runs > 1 && !json) process.stdout.write(`${runs} runs, ${failed} with violations\n`);
  if (failed > 0) process.exitCode = 1;
}

function helpText(): string {
  const pad = (s: string): string => s.padEnd(20);
  return [
    "",
    "Byzantine behaviours (--byzantine <index>:<behaviour>[+<behaviour>…],…):",
    ...BEHAVIOURS.map((b) => `  ${pad(b)}${BEHAVIOUR_HELP[b]}`),
    "",
    "Faults (--faults a,b,…; active in the safety phase, off in the liveness phase):",
    ...FAULT_NAMES.map((f) => `  ${pad(f)}${FAULT_HELP[f]}`),
    "",
    "Validator-set changes (--set-changes N): clients submit governance txs that change the set N",
    "times in the run, one change at a time, keeping Byzantine plus never-online members at most f:",
    "  poa   members vote to add a validator that comes online (an observer slot until then), add",
    "        one that never comes online, remove the primary, remove the offline one or another member",
    "  dbft  candidates register (also zero-weight registrants with low keys, which must never get a",
    "        seat) and a funded voter's ballot elects or unelects an online or a never-online",
    "        candidate at the next epoch boundary",
    "Outage (--outage I:down@H or I:flap@H): honest validator I goes down once the chain reaches",
    "height H (default 5) and stays down for good (down), or keeps going down and coming back (flap);",
    "the liveness phase does not heal it or wait for it, and it counts against f.",
    "Observers (--observers K): K non-validator replicas that follow the chain by broadcasts and sync;",
    "every invariant covers them, and liveness needs them at the target too.",
    "",
    `Invariants checked after every event over the honest replicas: ${INVARIANTS.join(", ")}.`,
    "Exit code 1 when any is violated; the seed, a trace and the replay command are printed.",
    "",
    "Examples:",
    "  triad sim --validators 7 --selection poa --byzantine 0:equivocate,3:silent --seed 42 --heights 200 --json",
    "  triad sim --validators 4 --selection dbft --byzantine 2:twins+replay --faults drop=0.2,dup=0.1,partition --seeds 1..500",
    "  triad sim --validators 5 --selection poa --byzantine 1:silent --faults crash --set-changes 3 --observers 2 --crash-groups --heights 30",
    "",
  ].join("\n");
}

export function simCommand(): Command {
  return new Command("sim")
    .description("run the deterministic simulator: N validators over a virtual network, with faults and Byzantine behaviours")
    .option("--validators <n>", "number of validators (4 to 64)", parseValidators, 4)
    .addOption(new Option("--selection <name>", "validator selection").choices(["poa", "dbft"]).default("poa"))
    .option("--byzantine <spec>", "Byzantine validators, like 0:equivocate,3:silent (at most f unless --allow-over-f)", "none")
    .option("--faults <spec>", "faults, like drop=0.2,dup=0.1,delay=5..80,partition,crash", "none")
    .option("--seed <n>", "seed of one run (default 1)", parseSeed)
    .option("--seeds <a..b>", "run every seed in the range", parseSeedRange)
    .option("--heights <n>", "height every honest validator must reach in the liveness phase", parseHeights, 20)
    .option("--set-changes <n>", "validator-set changes the simulated clients make in each run (governance txs)", parseSetChanges, 0)
    .option("--observers <k>", "non-validator replicas that follow the chain (0 to 16)", parseObservers, 0)
    .option("--outage <spec>", "one honest validator down for good or flapping from a height, like 2:down@5 or 2:flap@5", "none")
    .option("--crash-groups", "with the crash fault, sometimes crash 2..f+1 honest replicas together and restart them together")
    .option("--random", "draw each run's cluster, behaviours, faults, set changes and observers from its seed (as the test sweep does)")
    .option("--json", "print one summary object per run per line")
    .option("--trace [k]", `print the last k events of each run (default ${DEFAULT_TRACE})`, parseTrace)
    .option("--allow-over-f", "allow more than f Byzantine validators (the invariants are then expected to catch violations)")
    .addHelpText("after", helpText())
    .action((options: SimCommandOptions) => sim(options));
}
