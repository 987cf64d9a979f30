// Shared by the sweep files: run seeded scenarios and fail with everything needed to replay one.
import { expect } from "vitest";
import { replayCommand } from "../../src/cli/sim-command.js";
import { runSimulation, type SimOptions, type SimSummary } from "../../src/sim/runner.js";
import { randomScenario, type ScenarioOptions } from "../../src/sim/scenario.js";

function explain(run: SimOptions, summary: SimSummary, random: boolean): string {
  return [
    `seed ${run.seed} violated: ${JSON.stringify(summary.violations)}`,
    ...(summary.trace ?? []),
    `replay: ${replayCommand(run, random)}`,
  ].join("\n");
}

/** Run one simulation; it must keep every invariant and reach its target height. */
export async function expectClean(run: SimOptions, random = false): Promise<SimSummary> {
  const summary = await runSimulation({ ...run, trace: 30 });
  if (summary.violations.length > 0) expect.fail(explain(run, summary, random));
  expect(summary.minHonestHeight, `seed ${run.seed}: replay with ${replayCommand(run, random)}`).toBeGreaterThanOrEqual(summary.target);
  return summary;
}

/** The sweep: every seed in [from, to] draws its own scenario (`triad sim --random --seed N`). */
export async function sweep(from: number, to: number, options: ScenarioOptions = {}): Promise<void> {
  for (let seed = from; seed <= to; seed++) await expectClean(randomScenario(seed, options), Object.keys(options).length === 0);
}

/** Seeds [from, to] of the random sweep in chunks of `size`, one `it` each. */
export function chunks(from: number, to: number, size: number): [number, number][] {
  const out: [number, number][] = [];
  for (let a = from; a <= to; a += size) out.push([a, Math.min(to, a + size - 1)]);
  return out;
}
