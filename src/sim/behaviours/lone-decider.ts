// The lone-decider attack: some honest replicas decide a block that the others never hear
// decided, and those others, with the Byzantine nodes, are still a quorum that can change the
// view. Only a new-view that re-proposes the prepared block keeps them from deciding another
// block at that height: the rule a core may get wrong (choose nothing, or let a backup accept a
// new-view whose choice it never recomputed), which every other behaviour leaves unexercised.
import { makeBlock, type Block } from "../../chain/index.js";
import type { Action } from "../../consensus/io.js";
import type { PrePrepare } from "../../consensus/messages.js";
import { isOutgoing, membersOf, resign, sendAll, type Behaviour, type BehaviourContext } from "./context.js";

/**
 * In a lured (height, view) (the run's AttackPlan draws them; the adversarial network silences
 * each decider once its commit is out) our commit goes to the plan's deciders and the other
 * Byzantine nodes only. As the primary of a later view of a lured height, we claim in the
 * new-view that nothing was prepared and propose a fresh block: a correct backup recomputes the
 * choice from the view-changes and refuses it.
 */
export function loneDecider(ctx: BehaviourContext): Behaviour {
  /** "height/view" where our new-view claimed nothing was prepared, and the fresh block we owe. */
  const lied = new Map<string, Block | null>();
  const fresh = (m: PrePrepare): Block => {
    const key = `${m.height}/${m.view}`;
    const known = lied.get(key);
    if (known !== undefined && known !== null) return known;
    // The re-proposed block keeps its old view and proposer; a fresh one names ours.
    const block = makeBlock({ ...m.block.header, view: m.view, proposer: ctx.self }, m.block.txs);
    lied.set(key, block);
    return block;
  };
  return (actions) =>
    actions.flatMap((a): Action[] => {
      if (!isOutgoing(a) || a.message.from !== ctx.self) return [a];
      const m = a.message;
      if (m.type === "commit") {
        const members = membersOf(ctx, m.height);
        const deciders = ctx.plan.lure(m.height, m.view, members);
        if (deciders.length === 0) return [a];
        ctx.plan.count("lone-decider:commit");
        const allies = members.filter((id) => id !== ctx.self && ctx.plan.isByzantine(id));
        const to = new Set([...deciders, ...allies]);
        if (a.type === "send") return to.has(a.to) ? [a] : [];
        return sendAll([...to], m);
      }
      if (m.type === "new-view" && m.chosenBlockHash !== null && ctx.plan.wasLured(m.height)) {
        ctx.plan.count("lone-decider:new-view-lie");
        lied.set(`${m.height}/${m.view}`, null);
        if (lied.size > 64) lied.delete(lied.keys().next().value!);
        return [{ ...a, message: resign(ctx, { ...m, chosenBlockHash: null }) }];
      }
      if (m.type === "pre-prepare" && lied.has(`${m.height}/${m.view}`)) {
        return [{ ...a, message: resign(ctx, { ...m, block: fresh(m) }) }];
      }
      return [a];
    });
}
