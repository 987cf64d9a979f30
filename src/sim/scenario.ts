// Random scenarios for seeded sweeps: from one seed, a cluster size, a selection module, up to f
// Byzantine validators with one or two behaviours each, a fault mix and a target height; and in
// some seeds validator-set changes, observers, and crashes of several honest replicas at once. The
// sweep in `npm test` and `triad sim --random` draw from here, so a failing sweep case is
// reproduced by its seed alone.
import { faultTolerance } from "../chain/index.js";
import { BEHAVIOURS, type BehaviourName, type ByzantineSpec } from "../byzantine/byzantine-spec.js";
import type { OutageSpec } from "./outage.js";
import { NO_FAULTS, PARTITION_KINDS, type FaultSpec } from "./fault-spec.js";
import { Prng } from "../byzantine/prng.js";
import type { SimOptions } from "./runner.js";

export interface ScenarioOptions {
  /** Cluster sizes to draw from. Default 4, 5, 7, 10. */
  readonly sizes?: readonly number[];
  readonly selections?: readonly ("poa" | "dbft")[];
  /** Behaviours to draw from. Default: all. */
  readonly behaviours?: readonly BehaviourName[];
  /** Target heights, inclusive. Default 6..15. */
  readonly heights?: { readonly min: number; readonly max: number };
  /** Allow more than f Byzantine validators (mutation tests). */
  readonly overF?: number;
  /** Fault kinds to draw from. Default: all. */
  readonly faults?: readonly ("drop" | "dup" | "delay" | "partition" | "crash")[];
  /** How often a seed makes 1..3 validator-set changes. Default 0.25. */
  readonly setChangeChance?: number;
  /** How often a seed runs 1..2 observers. Default 0.15. */
  readonly observerChance?: number;
}

export function randomScenario(seed: number, options: ScenarioOptions = {}): SimOptions {
  const prng = new Prng(seed).fork("scenario");
  const validators = prng.pick(options.sizes ?? [4, 5, 7, 10]);
  const selection = prng.pick<"poa" | "dbft">(options.selections ?? ["poa", "dbft"]);
  const f = faultTolerance(validators);
  // The behaviours added since the sweep's draws were fixed come from appended draws below, so each
  // seed's first draws stay what they were.
  const pool = options.behaviours ?? BEHAVIOURS.filter((b) => b !== "sometimes-silent");
  const count = options.overF ?? prng.range(0, f);
  const indices = prng.shuffle(Array.from({ length: validators }, (_, i) => i)).slice(0, count).sort((a, b) => a - b);
  let byzantine: ByzantineSpec = indices.map((index) => {
    const first = prng.pick(pool);
    const second = prng.chance(0.35) ? prng.pick(pool) : first;
    return { index, behaviours: first === second ? [first] : [first, second] };
  });
  const kinds = options.faults ?? ["drop", "dup", "delay", "partition", "crash"];
  const on = (k: (typeof kinds)[number], p: number): boolean => kinds.includes(k) && prng.chance(p);
  const delayed = on("delay", 0.3);
  const faults: FaultSpec = {
    drop: on("drop", 0.4) ? prng.pick([0.02, 0.05, 0.1, 0.2]) : 0,
    duplicate: on("dup", 0.3) ? prng.pick([0.05, 0.1, 0.3]) : 0,
    delayMs: delayed ? prng.pick([{ min: 0, max: 20 }, { min: 5, max: 40 }, { min: 1, max: 80 }]) : NO_FAULTS.delayMs,
    partitions: on("partition", 0.35) ? prng.shuffle(PARTITION_KINDS).slice(0, prng.range(1, PARTITION_KINDS.length)) : [],
    crash: on("crash", 0.35),
  };
  const heights = options.heights ?? { min: 6, max: 15 };
  let target = prng.range(heights.min, heights.max);
  // Drawn after everything above, so the draws above are what they always were for a seed.
  const setChanges = prng.chance(options.setChangeChance ?? 0.25) ? prng.pick([1, 2, 2, 3]) : 0;
  const observers = prng.chance(options.observerChance ?? 0.15) ? prng.range(1, 2) : 0;
  const crashGroups = faults.crash && prng.chance(0.5);
  // A Byzantine primary that proposes just often enough, and an honest validator down for good or
  // flapping: what the proposer standing must handle (both count against f).
  const withSometimesSilent = options.behaviours === undefined && byzantine.length > 0 && prng.chance(0.2);
  if (withSometimesSilent) {
    const which = prng.range(0, byzantine.length - 1);
    byzantine = byzantine.map((b, i) => (i === which ? { index: b.index, behaviours: [...b.behaviours, "sometimes-silent"] } : b));
  }
  let outage: OutageSpec | null = null;
  if (options.overF === undefined && byzantine.length < f && prng.chance(0.15)) {
    const free = Array.from({ length: validators }, (_, i) => i).filter((i) => !indices.includes(i));
    outage = { index: prng.pick(free), mode: prng.pick<"down" | "flap">(["down", "flap"]), atHeight: prng.range(1, 6) };
  }
  // Room for the changes to take effect: a PoA vote passes in a block or two; a DBFT ballot
  // waits for the epoch boundary (and the first for the candidates' registrations).
  if (setChanges > 0) target = Math.max(target, selection === "poa" ? 3 + 3 * setChanges : 4 + 4 * setChanges);
  return {
    seed,
    validators,
    selection,
    byzantine,
    faults,
    heights: target,
    ...(setChanges > 0 ? { setChanges } : {}),
    ...(observers > 0 ? { observers } : {}),
    ...(crashGroups ? { crashGroups } : {}),
    ...(outage === null ? {} : { outage }),
  };
}
