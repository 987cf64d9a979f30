// Byzantine behaviours as filters on a correct replica's actions (DESIGN.md §1), shared by the
// simulator (src/sim) and a real node started with `--byzantine` (src/node): one catalogue, one
// spec parser, one AttackPlan, so a behaviour seen in a sim run is the code a testnet node runs.
export {
  BEHAVIOURS,
  BEHAVIOUR_HELP,
  SimSpecError,
  formatByzantineSpec,
  parseByzantineSpec,
  type BehaviourName,
  type ByzantineSpec,
  type ByzantineSpecOptions,
  type ByzantineValidator,
} from "./byzantine-spec.js";
export { behaviourFilter, badSyncAnswer, BAD_SYNC_ANSWERS, type BadSyncAnswer, type BehaviourContext, type SimActionFilter } from "./behaviours/index.js";
export { AttackPlan, type LureOptions } from "./attack-plan.js";
export { twinBlock } from "./behaviours/context.js";
export { Prng } from "./prng.js";
export { checkNodeBehaviours, parseBehaviourList, SIM_ONLY_BEHAVIOURS } from "./node-behaviours.js";
