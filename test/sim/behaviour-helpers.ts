// Shared by the behaviour tests: one pinned run, and the evidence that a behaviour acted.
import { parseByzantineSpec } from "../../src/byzantine/byzantine-spec.js";
import { parseFaultSpec } from "../../src/sim/fault-spec.js";
import type { SimOptions, SimSummary } from "../../src/sim/runner.js";

export function scenario(seed: number, validators: number, byzantine: string, faults = "none", heights = 8, selection: "poa" | "dbft" = "poa"): SimOptions {
  return { seed, validators, selection, byzantine: parseByzantineSpec(byzantine, { validators }), faults: parseFaultSpec(faults), heights };
}

/** How often the behaviours did `act` ("behaviour:act", or a prefix of it such as "withhold:"). */
export function acted(summary: SimSummary, prefix: string): number {
  let total = 0;
  for (const [name, count] of Object.entries(summary.attacks)) if (name.startsWith(prefix)) total += count;
  return total;
}
