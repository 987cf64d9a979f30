// Simulator throughput: simulated heights per wall-clock second and messages per height, for
// clusters of 4 to 31 validators with no faults, and with f silent validators. Prints one JSON
// object.
//   npm run bench:sim
import { performance } from "node:perf_hooks";
import { faultTolerance } from "../src/chain/index.js";
import { runSimulation, type SimSummary } from "../src/sim/runner.js";

const SIZES = [4, 7, 10, 16, 31];
const SEED = 1;

interface Row {
  readonly validators: number;
  readonly silent: number;
  readonly heights: number;
  readonly heightsPerWallSecond: number;
  readonly messagesPerHeight: number;
  readonly viewChanges: number;
  readonly virtualMsPerHeight: number;
  readonly wallMs: number;
  readonly violations: number;
}

function heightsFor(n: number): number {
  return n <= 10 ? 60 : n <= 16 ? 30 : 15;
}

async function measure(n: number, silent: number): Promise<Row> {
  const heights = heightsFor(n);
  // Silent validators spread out, so PoA's round robin meets them one at a time.
  const byzantine = Array.from({ length: silent }, (_, i) => ({ index: i * 3, behaviours: ["silent" as const] }));
  const start = performance.now();
  const s: SimSummary = await runSimulation({ seed: SEED, validators: n, selection: "poa", byzantine, heights });
  const wallMs = performance.now() - start;
  return {
    validators: n,
    silent,
    heights: s.minHonestHeight,
    heightsPerWallSecond: Math.round((s.minHonestHeight / wallMs) * 1000 * 10) / 10,
    messagesPerHeight: Math.round(s.messages / Math.max(1, s.minHonestHeight)),
    viewChanges: s.viewChanges,
    virtualMsPerHeight: Math.round(s.virtualMs / Math.max(1, s.minHonestHeight)),
    wallMs: Math.round(wallMs),
    violations: s.violations.length,
  };
}

// Warm up the JIT and the key caches so the first row is not penalised.
await runSimulation({ seed: 0, validators: 4, selection: "poa", heights: 10 });

const noFaults: Row[] = [];
const fSilent: Row[] = [];
for (const n of SIZES) noFaults.push(await measure(n, 0));
for (const n of SIZES) fSilent.push(await measure(n, faultTolerance(n)));

process.stdout.write(`${JSON.stringify({ bench: "sim", seed: SEED, selection: "poa", noFaults, fSilent }, null, 2)}\n`);
