// Coordinated equivocation: every Byzantine node with equivocate, conflicting-votes or split-brain
// follows the run's one AttackPlan, so the honest replicas of one side hear one story (block A)
// from every Byzantine node and the other side the other story (block B). `withhold` sends its
// votes to the plan's minority only.
import { toHex, type ValidatorId } from "../../chain/index.js";
import type { Action } from "../../consensus/io.js";
import type { Commit, PrePrepare, Prepare } from "../../consensus/messages.js";
import type { Story } from "../attack-plan.js";
import { membersOf, Memory, randomHash, resign, sendAll, twinBlock, type Behaviour, type BehaviourContext } from "./context.js";

/** Everyone of `members` but us and the honest sides: the other Byzantine nodes (they hear A). */
function byzantinePeers(ctx: BehaviourContext, members: readonly ValidatorId[]): ValidatorId[] {
  return members.filter((m) => m !== ctx.self && ctx.plan.isByzantine(m));
}

/**
 * As primary: block A (its own proposal) to side 1 and the other Byzantine nodes, its twin B to
 * side 2, recorded in the plan so Byzantine backups vote along the same split.
 */
export function equivocate(ctx: BehaviourContext, label = "equivocate"): Behaviour {
  return (actions) =>
    actions.flatMap((a): Action[] => {
      if (a.type !== "broadcast" || a.message.type !== "pre-prepare" || a.message.from !== ctx.self) return [a];
      const original = a.message;
      const story = ctx.plan.tell(original.height, original.view, { a: original.block, b: twinBlock(original.block) });
      if (story.a.id !== original.block.id) return [a];
      const other: PrePrepare = resign(ctx, { ...original, block: story.b });
      const members = membersOf(ctx, original.height);
      const [one, two] = ctx.plan.split(original.height, original.view, members);
      ctx.plan.count(`${label}:pre-prepare`);
      return [...sendAll([...one, ...byzantinePeers(ctx, members)], original), ...sendAll(two, other)];
    });
}

interface VoteOptions {
  readonly label: string;
  /** Also send commits with every prepare, prepared or not (split-brain). */
  readonly eagerCommits: boolean;
}

/**
 * Prepares and commits along the plan's split: when a Byzantine primary told two stories, A's
 * vote to side 1 and B's to side 2; otherwise our real vote to side 1 and one for another hash
 * (a proposal seen for the slot, else a made-up one) to side 2. Validly signed with our key.
 */
export function conflictingVotes(ctx: BehaviourContext, options: VoteOptions = { label: "conflicting-votes", eagerCommits: false }): Behaviour {
  const memory = new Memory();
  /** The other hash we vote for per "height/view" when no story was told. */
  const chosen = new Map<string, { hash: Uint8Array; real: boolean }>();
  const otherHash = (height: number, view: number, ours: Uint8Array): Uint8Array => {
    const key = `${height}/${view}`;
    const kept = chosen.get(key);
    if (kept?.real === true) return kept.hash;
    const known = (memory.proposals.get(key) ?? []).filter((h) => toHex(h) !== toHex(ours));
    if (known.length === 0 && kept !== undefined) return kept.hash;
    const next = known.length > 0 ? { hash: ctx.prng.pick(known), real: true } : { hash: randomHash(ctx), real: false };
    chosen.set(key, next);
    if (chosen.size > 64) chosen.delete(chosen.keys().next().value!);
    return next.hash;
  };
  const hashes = (m: Prepare | Commit, story: Story | undefined): [Uint8Array, Uint8Array] =>
    story !== undefined ? [story.a.hash, story.b.hash] : [m.blockHash, otherHash(m.height, m.view, m.blockHash)];
  const vote = <V extends Prepare | Commit>(m: V, blockHash: Uint8Array): V =>
    toHex(blockHash) === toHex(m.blockHash) ? m : resign(ctx, { ...m, blockHash });
  return (actions, input) => {
    memory.observe(actions, input);
    return actions.flatMap((a): Action[] => {
      if (a.type === "broadcast" && a.message.type === "view-change" && a.message.from === ctx.self && a.message.prepared !== null) {
        // Keep the certificate from spreading to honest view-changes when an ally means to hide it.
        const vc = a.message;
        if (ctx.plan.story(vc.height, vc.prepared!.view) !== undefined && ctx.plan.hides(ctx.primary(vc.height, vc.newView))) {
          ctx.plan.count(`${options.label}:view-change-for-hider`);
          return [{ type: "broadcast", message: resign(ctx, { ...vc, prepared: null, preparedBlock: null }) }];
        }
      }
      if (a.type !== "broadcast" || (a.message.type !== "prepare" && a.message.type !== "commit") || a.message.from !== ctx.self) return [a];
      const m = a.message;
      const story = ctx.plan.story(m.height, m.view);
      const [first, second] = hashes(m, story);
      const members = membersOf(ctx, m.height);
      const [one, two] = ctx.plan.split(m.height, m.view, members);
      if (story !== undefined && ctx.plan.hides(ctx.primary(m.height, m.view + 1))) {
        // An adversarial primary takes the next view: leave it a certificate for A to hide (one
        // witness prepared on A, no commit for A anywhere), and B's votes to side 2 as usual.
        ctx.plan.count(`${options.label}:${m.type}-for-hider`);
        const witness = ctx.plan.witness(m.height, m.view, members);
        const toWitness = m.type === "prepare" && witness !== undefined ? sendAll([witness, ...byzantinePeers(ctx, members)], vote(m, first)) : [];
        return [...toWitness, ...sendAll(two, vote(m, second))];
      }
      ctx.plan.count(`${options.label}:${m.type}${story === undefined ? "" : "-story"}`);
      const out = [...sendAll([...one, ...byzantinePeers(ctx, members)], vote(m, first)), ...sendAll(two, vote(m, second))];
      if (options.eagerCommits && m.type === "prepare") {
        const commit: Commit = { ...m, type: "commit" };
        out.push(...sendAll(one, resign(ctx, { ...commit, blockHash: first })), ...sendAll(two, resign(ctx, { ...commit, blockHash: second })));
      }
      return out;
    });
  };
}

/** equivocate as primary, conflicting-votes as backup, with commits sent unprepared: one split. */
export function splitBrain(ctx: BehaviourContext): Behaviour {
  const propose = equivocate(ctx, "split-brain");
  const vote = conflictingVotes(ctx, { label: "split-brain", eagerCommits: true });
  return (actions, input) => vote(propose(actions, input), input);
}

/** Prepares and commits only to the plan's minority of (height, view) (f honest members or fewer). */
export function withhold(ctx: BehaviourContext): Behaviour {
  return (actions) =>
    actions.flatMap((a): Action[] => {
      if ((a.type !== "broadcast" && a.type !== "send") || (a.message.type !== "prepare" && a.message.type !== "commit")) return [a];
      const m = a.message;
      if (m.from !== ctx.self) return [a];
      const minority = ctx.plan.minority(m.height, m.view, membersOf(ctx, m.height));
      if (a.type === "send") {
        if (minority.includes(a.to)) return [a];
        ctx.plan.count(`withhold:${m.type}`);
        return [];
      }
      ctx.plan.count(`withhold:${m.type}`);
      return sendAll(minority, m);
    });
}
