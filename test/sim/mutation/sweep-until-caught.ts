// Runs inside a mutated copy of the tree (see mutated-tree.ts): the sweep's own seeds, drawn by
// randomScenario exactly as `npm test` draws them, until one run violates an invariant. Prints
// one JSON verdict line. Usage: sweep-until-caught.ts FROM TO [SCENARIO_OPTIONS_JSON]
import { runSimulation } from "../../../src/sim/runner.js";
import { randomScenario, type ScenarioOptions } from "../../../src/sim/scenario.js";

const from = Number(process.argv[2]);
const to = Number(process.argv[3]);
const scenario = JSON.parse(process.argv[4] ?? "{}") as ScenarioOptions;
let seedsRun = 0;
let verdict = { seed: null as number | null, invariants: [] as string[], detail: "", seedsRun: 0 };
for (let seed = from; seed <= to; seed++) {
  seedsRun++;
  const summary = await runSimulation(randomScenario(seed, scenario));
  if (summary.violations.length === 0 && summary.minHonestHeight >= summary.target) continue;
  const first = summary.violations[0];
  verdict = {
    seed,
    invariants: [...new Set(summary.violations.map((v) => v.invariant))],
    detail: first === undefined ? `short of target ${summary.target}` : `${first.invariant}: ${first.detail}`,
    seedsRun,
  };
  break;
}
process.stdout.write(`${JSON.stringify({ ...verdict, seedsRun })}\n`);
