// `triad bench`: the node benchmark. A fresh PoA testnet of real node processes per network
// size, loaded open-loop by a separate process with pre-signed txs; reports committed tx/s
// against the machine's verification limit, submit-to-commit latency (idle, per rate, at half
// saturation), per-node CPU, memory and bytes per tx, and optionally an observer's sync rate
// and a run with a validator killed. `npm run bench:node` is this same command.
import { Command, InvalidArgumentError, Option } from "commander";
import { BENCH_DEFAULTS, runBench, type BenchOptions } from "../testnet/bench/index.js";
import { parseWholeNumber } from "./option-parsers.js";

function parsePositive(value: string): number {
  const n = Number(value);
  if (!/^[0-9]+(\.[0-9]+)?$/.test(value) || !(n > 0)) throw new InvalidArgumentError("must be a positive number");
  return n;
}

function parseFactor(value: string): number {
  const n = parsePositive(value);
  if (n <= 1) throw new InvalidArgumentError("must be greater than 1");
  return n;
}

function parseRateList(value: string): number[] {
  return value.split(",").map((part) => {
    const n = parseWholeNumber(part.trim());
    if (n < 1) throw new InvalidArgumentError("each rate must be at least 1");
    return n;
  });
}

function parseSizeList(value: string): number[] {
  return value.split(",").map((part) => {
    const n = parseWholeNumber(part.trim());
    if (n < 4) throw new InvalidArgumentError("each network needs at least 4 validators");
    return n;
  });
}

interface BenchFlags {
  validators: number[];
  rates: number[];
  duration: number;
  warmup: number;
  tickMs: number;
  accounts: number;
  search: boolean;
  searchStart: number;
  searchStep: number;
  searchWindow: number;
  searchMaxSteps: number;
  p99Bound: number;
  probeSamples: number;
  verifySeconds: number;
  observers: number;
  syncBlocks: number;
  syncWait: number;
  killPrimary?: boolean;
  killRate?: number;
  keep?: boolean;
  dir?: string;
}

function toOptions(f: BenchFlags): BenchOptions {
  return {
    validators: f.validators,
    rates: f.rates,
    duration: f.duration,
    warmup: f.warmup,
    tickMs: f.tickMs,
    accounts: f.accounts,
    search: f.search,
    searchStart: f.searchStart,
    searchStep: f.searchStep,
    searchWindow: f.searchWindow,
    searchMaxSteps: f.searchMaxSteps,
    p99BoundMs: f.p99Bound,
    probeSamples: f.probeSamples,
    verifySeconds: f.verifySeconds,
    observers: Math.min(f.observers, 1),
    syncBlocks: f.syncBlocks,
    syncWait: f.syncWait,
    killPrimary: f.killPrimary === true,
    ...(f.killRate !== undefined ? { killRate: f.killRate } : {}),
    keep: f.keep === true,
    ...(f.dir !== undefined ? { dir: f.dir } : {}),
  };
}

async function run(flags: BenchFlags): Promise<void> {
  const log = (line: string): boolean => process.stderr.write(`[bench] ${line}\n`);
  const { result, table } = await runBench(toOptions(flags), log);
  process.stderr.write(table);
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

export function benchCommand(name = "bench"): Command {
  const d = BENCH_DEFAULTS;
  return new Command(name)
    .description("benchmark real node processes: open-loop load from a separate process, saturation search, latency, per-node costs (JSON on stdout, a table on stderr)")
    .addOption(new Option("--validators <list>", "network sizes, comma-separated; each runs on a fresh testnet (e.g. 4,7,10)").argParser(parseSizeList).default([...d.validators], d.validators.join(",")))
    .addOption(new Option("--rates <list>", "fixed offered rates in tx/s, comma-separated, each one measured run").argParser(parseRateList).default([...d.rates], "none"))
    .option("--duration <s>", "measured seconds of each fixed-rate, half-saturation and kill run", parsePositive, d.duration)
    .option("--warmup <s>", "seconds of load before each measured window", parsePositive, d.warmup)
    .option("--tick-ms <n>", "consensus tick length in ms (written to the genesis)", parseWholeNumber, d.tickMs)
    .option("--accounts <n>", "funded accounts the load is spread over (per-sender mempool limits must never bind)", parseWholeNumber, d.accounts)
    .option("--no-search", "skip the saturation search and the half-saturation run")
    .option("--search-start <tx/s>", "first offered rate of the saturation search", parseWholeNumber, d.searchStart)
    .option("--search-step <factor>", "factor between the search's offered rates", parseFactor, d.searchStep)
    .option("--search-window <s>", "measured seconds of each search step", parsePositive, d.searchWindow)
    .option("--search-max-steps <n>", "most search steps", parseWholeNumber, d.searchMaxSteps)
    .option("--p99-bound <ms>", "a search step whose p99 latency passes this is past saturation", parseWholeNumber, d.p99BoundMs)
    .option("--probe-samples <n>", "txs of the idle latency probe (one at a time)", parseWholeNumber, d.probeSamples)
    .option("--verify-seconds <s>", "seconds of the per-core signature verification measurement", parsePositive, d.verifySeconds)
    .option("--observers <n>", "1: after the load, start a fresh observer and measure its sync rate", parseWholeNumber, d.observers)
    .option("--sync-blocks <n>", "let the chain reach this many blocks before the observer starts", parseWholeNumber, d.syncBlocks)
    .option("--sync-wait <s>", "longest wait for --sync-blocks (the count reached is reported)", parseWholeNumber, d.syncWait)
    .option("--kill-primary", "run the fixed rate once all up, once killing (-9) the primary a third into the window")
    .option("--kill-rate <tx/s>", "offered rate of the kill runs (default: half saturation, else the first --rates)", parseWholeNumber)
    .option("--dir <dir>", "where the temporary testnet directories go (default: the OS temp dir)")
    .option("--keep", "keep the testnet directories (node logs) afterwards")
    .action((flags: BenchFlags) => run(flags));
}
