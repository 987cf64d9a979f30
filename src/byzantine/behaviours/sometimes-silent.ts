// A Byzantine primary that proposes "just often enough": on about half of its turns as primary it
// sends no pre-prepare (or new-view), so the height stalls for a view change; on the others it
// proposes as an honest one would, and it always votes. It is what the proposer standing's
// backoff is for (src/consensus/selection/proposer-standing.ts): each stall it causes suspends it
// for longer, so its share of stalled heights shrinks as the run goes on.
import type { Action } from "../../consensus/io.js";
import type { Behaviour, BehaviourContext } from "./context.js";

/** The fraction of its turns on which it stays silent. */
export const SOMETIMES_SILENT_FRACTION = 0.5;
/** Turns remembered (a turn's re-sends must get the same answer); older ones are never asked again. */
const REMEMBERED_TURNS = 64;

export function sometimesSilent(ctx: BehaviourContext): Behaviour {
  const turns = new Map<string, boolean>();
  const silentOn = (height: number, view: number): boolean => {
    const key = `${height}/${view}`;
    let silent = turns.get(key);
    if (silent === undefined) {
      silent = ctx.prng.chance(SOMETIMES_SILENT_FRACTION);
      if (turns.size >= REMEMBERED_TURNS) turns.delete(turns.keys().next().value!);
      turns.set(key, silent);
      if (silent) ctx.plan.count("sometimes-silent:skipped-turn");
    }
    return silent;
  };
  return (actions) =>
    actions.filter((a: Action) => {
      if ((a.type !== "broadcast" && a.type !== "send") || a.message.from !== ctx.self) return true;
      const m = a.message;
      if (m.type !== "pre-prepare" && m.type !== "new-view") return true;
      return !silentOn(m.height, m.view);
    });
}
