// The simulator's public surface: run one seeded simulation, draw random scenarios, and parse
// the `--byzantine` / `--faults` specs (shared with `triad testnet`).
export { runSimulation, describeEvent, type SimOptions, type SimSummary } from "./runner.js";
export { randomScenario, type ScenarioOptions } from "./scenario.js";
export {
  BEHAVIOURS,
  BEHAVIOUR_HELP,
  SimSpecError,
  formatByzantineSpec,
  parseByzantineSpec,
  type BehaviourName,
  type ByzantineSpec,
  type ByzantineValidator,
} from "../byzantine/index.js";
export { FAULT_HELP, FAULT_NAMES, NO_FAULTS, PARTITION_KINDS, formatFaultSpec, parseFaultSpec, type FaultSpec, type PartitionKind } from "./fault-spec.js";
export { INVARIANTS, type InvariantName, type Violation } from "./invariants.js";
export { behaviourFilter, AttackPlan, Prng, type BehaviourContext } from "../byzantine/index.js";
export { EventQueue } from "./event-queue.js";
