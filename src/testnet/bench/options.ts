// The benchmark's knobs, shared by `triad bench` and `npm run bench:node` (both parse the
// same commander flags: src/cli/bench-command.ts).

export interface BenchOptions {
  /** Network sizes; each gets a fresh testnet. */
  readonly validators: readonly number[];
  /** Fixed offered rates, each one load run (none: only the search). */
  readonly rates: readonly number[];
  /** Measured seconds of each fixed-rate, half-saturation and kill run. */
  readonly duration: number;
  /** Seconds of load before every measured window. */
  readonly warmup: number;
  readonly tickMs: number;
  readonly accounts: number;
  readonly search: boolean;
  readonly searchStart: number;
  readonly searchStep: number;
  /** Measured seconds of each search step. */
  readonly searchWindow: number;
  readonly searchMaxSteps: number;
  readonly p99BoundMs: number;
  readonly probeSamples: number;
  readonly verifySeconds: number;
  readonly observers: number;
  readonly syncBlocks: number;
  /** Longest wait (s) for the chain to reach syncBlocks before the observer starts. */
  readonly syncWait: number;
  readonly killPrimary: boolean;
  /** Offered rate of the kill runs (default: half the saturation rate, else the first --rates). */
  readonly killRate?: number;
  readonly keep: boolean;
  /** Parent of the temporary testnet directories (default: the OS temp dir). */
  readonly dir?: string;
}

export const BENCH_DEFAULTS: BenchOptions = {
  validators: [4],
  rates: [],
  duration: 10,
  warmup: 2,
  tickMs: 50,
  accounts: 500,
  search: true,
  searchStart: 100,
  searchStep: 1.5,
  searchWindow: 3,
  searchMaxSteps: 10,
  p99BoundMs: 2_000,
  probeSamples: 20,
  verifySeconds: 2,
  observers: 0,
  syncBlocks: 1_000,
  syncWait: 180,
  killPrimary: false,
  keep: false,
};

/** Rate used when nothing better is known for the kill runs. */
export const FALLBACK_KILL_RATE = 100;
