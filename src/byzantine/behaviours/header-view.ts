// Lies about views that pass the first checks: a proposal whose header names the next view (issue
// 7, bug 2), and view-changes for views far ahead that are valid on the wire and signed.
import { makeBlock, toHex, type Block } from "../../chain/index.js";
import type { Action } from "../../consensus/io.js";
import { decodeMessage, encodeMessage, MAX_VIEW, type PrePrepare, type ViewChange } from "../../consensus/messages.js";
import { Memory, resign, type Behaviour, type BehaviourContext } from "./context.js";

/**
 * As primary of (h, v): propose a block whose header says view v+1 and names the primary of
 * (h, v+1) as its proposer, with our valid pre-prepare for (h, v). A core that checks the header
 * only against its own view accepts it, decides it with seal view v, and then no node can ever
 * import it by sync (the seal's view is below the header's).
 */
export function wrongHeaderView(ctx: BehaviourContext): Behaviour {
  /** Our original block id → the block we proposed instead (repeats must propose the same). */
  const swapped = new Map<string, Block>();
  const twist = (m: PrePrepare): Block | null => {
    const known = swapped.get(m.block.id);
    if (known !== undefined) return known;
    const next = ctx.primary(m.height, m.view + 1);
    if (next === null || m.block.header.view !== m.view) return null;
    const block = makeBlock({ ...m.block.header, view: m.view + 1, proposer: next }, m.block.txs, m.block.lastCommit);
    swapped.set(m.block.id, block);
    if (swapped.size > 64) swapped.delete(swapped.keys().next().value!);
    ctx.plan.count("wrong-header-view:proposed");
    return block;
  };
  return (actions) =>
    actions.map((a): Action => {
      if (a.type !== "broadcast" || a.message.from !== ctx.self) return a;
      const m = a.message;
      if (m.type === "pre-prepare") {
        const block = twist(m);
        return block === null ? a : { type: "broadcast", message: resign(ctx, { ...m, block }) };
      }
      // Our own votes follow the block we actually proposed.
      if ((m.type === "prepare" || m.type === "commit") && swapped.has(toHex(m.blockHash))) {
        return { type: "broadcast", message: resign(ctx, { ...m, blockHash: swapped.get(toHex(m.blockHash))!.hash }) };
      }
      return a;
    });
}

/**
 * Now and then on a tick, a view-change for the current height and a view far ahead (current
 * view + 1000, or MAX_VIEW), validly signed and decodable: it reaches the core. Honest replicas
 * must neither jump there on one member's word (f+1 are needed to join) nor stall.
 */
export function hugeView(ctx: BehaviourContext): Behaviour {
  const memory = new Memory(8);
  return (actions, input) => {
    memory.observe(actions, input);
    if (input.type !== "tick" || !ctx.prng.chance(0.15)) return actions;
    const newView = Math.min(MAX_VIEW, ctx.prng.pick([memory.view + 1000, MAX_VIEW, memory.view + 1 + ctx.prng.int(10_000)]));
    const unsigned: ViewChange = { type: "view-change", chainId: ctx.chainId, height: memory.height, newView, prepared: null, preparedBlock: null, from: ctx.self, signature: new Uint8Array(64) };
    const vc = resign(ctx, unsigned);
    try {
      decodeMessage(encodeMessage(vc));
    } catch {
      return actions;
    }
    ctx.plan.count("huge-view:sent");
    return [...actions, { type: "broadcast", message: vc }];
  };
}
