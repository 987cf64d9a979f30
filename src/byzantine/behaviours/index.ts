// Byzantine behaviours as filters on a correct replica's actions (DESIGN.md §1): the replica runs
// the real protocol, and the filter drops, alters, duplicates, delays or adds messages on their
// way out. A behaviour signs only with its own validator's key: `forge` shows that a message
// claiming to be from someone else cannot carry a valid signature. `twins` and `bad-sync-server`
// are no filters: the cluster runs two honest drivers with one key, and the virtual transport
// serves lies to sync requests (see src/sim/cluster.ts and src/sim/virtual-transport.ts); a real
// node runs twins as two processes (src/testnet/setup.ts).
//
// One file per family: classic.ts (caught by first checks), split.ts (coordinated equivocation
// and withholding, through the run's AttackPlan), header-view.ts (lies about views that pass the
// first checks), adversarial-newview.ts (a legal but adversarial new primary), lone-decider.ts (honest replicas
// that decide alone, with the adversarial network's help), bad-sync.ts, sometimes-silent.ts (a
// primary that proposes just often enough).
import type { BehaviourName } from "../byzantine-spec.js";
import { adversarialNewView } from "./adversarial-newview.js";
import { forge, invalidBlock, lyingNewView, prepareAsCommit, replay, silent, slowPrimary, viewChangeSpam } from "./classic.js";
import type { Behaviour, BehaviourContext, SimActionFilter } from "./context.js";
import { hugeView, wrongHeaderView } from "./header-view.js";
import { loneDecider, luredCommits } from "./lone-decider.js";
import { sometimesSilent } from "./sometimes-silent.js";
import { conflictingVotes, equivocate, splitBrain, withhold } from "./split.js";

export type { BehaviourContext, SimActionFilter } from "./context.js";
export { badSyncAnswer, BAD_SYNC_ANSWERS, type BadSyncAnswer } from "./bad-sync.js";

/** Compose the named behaviours (in order) into one filter; twins and bad-sync-server add nothing here. */
export function behaviourFilter(names: readonly BehaviourName[], ctx: BehaviourContext): SimActionFilter {
  const stages: Behaviour[] = [];
  for (const name of names) {
    const make = FACTORIES[name];
    if (make === null) continue;
    const stage = make(ctx);
    stages.push(COUNTS_ITSELF.has(name) ? stage : counted(name, stage, ctx));
  }
  // A lone-decider's lure needs every Byzantine node's commit kept from the non-deciders.
  if (ctx.plan.hasLurers && !names.includes("lone-decider")) stages.push(luredCommits(ctx));
  return (actions, input) => {
    let out = actions;
    for (const stage of stages) out = stage(out, input);
    return out;
  };
}

/** Behaviours that count their acts in the plan themselves, by kind of act. */
const COUNTS_ITSELF: ReadonlySet<BehaviourName> = new Set([
  "equivocate",
  "conflicting-votes",
  "split-brain",
  "withhold",
  "wrong-header-view",
  "adversarial-newview",
  "huge-view",
  "lone-decider",
  "sometimes-silent",
]);

/**
 * The others (the classic family) are counted here: one `<name>:step` per step in which the
 * behaviour changed what the replica would have done, so a run shows that they bit.
 */
function counted(name: BehaviourName, stage: Behaviour, ctx: BehaviourContext): Behaviour {
  return (actions, input) => {
    const out = stage(actions, input);
    if (out !== actions && (out.length !== actions.length || out.some((a, i) => a !== actions[i]))) ctx.plan.count(`${name}:step`);
    return out;
  };
}

const FACTORIES: Readonly<Record<BehaviourName, ((ctx: BehaviourContext) => Behaviour) | null>> = {
  silent: () => silent,
  equivocate: (ctx) => equivocate(ctx),
  "conflicting-votes": (ctx) => conflictingVotes(ctx),
  forge,
  "invalid-block": invalidBlock,
  replay,
  "prepare-as-commit": prepareAsCommit,
  "viewchange-spam": viewChangeSpam,
  "lying-newview": lyingNewView,
  "slow-primary": slowPrimary,
  twins: null,
  "wrong-header-view": wrongHeaderView,
  "adversarial-newview": adversarialNewView,
  "split-brain": splitBrain,
  withhold,
  "bad-sync-server": null,
  "huge-view": hugeView,
  "lone-decider": loneDecider,
  "sometimes-silent": sometimesSilent,
};
