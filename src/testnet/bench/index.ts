// The node benchmark (`triad bench`, `npm run bench:node`): an open-loop load process against
// a testnet of real node processes, measured against the machine's verification limit.
export { runBench, type BenchResult } from "./suite.js";
export { BENCH_DEFAULTS, type BenchOptions } from "./options.js";
export { decideStep, saturationRate, SEARCH_DEFAULTS, type SearchOptions, type StepDecision, type StepResult } from "./saturation.js";
export { median, percentile, summarize, type LatencySummary } from "./stats.js";
export { parseProcStat, parseSs, parseVmHwm, bytesSentBetween, type TcpSocket } from "./proc-sample.js";
export { analyzeGaps, type GapReport } from "./stalls.js";
