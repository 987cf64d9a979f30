// The lone-decider attack: some honest replicas decide a block that the others never hear
// decided, and those others, with the Byzantine nodes, are still a quorum that can change the
// view. Only a new-view that re-proposes the prepared block keeps them from deciding another
// block at that height: the rule a core may get wrong (choose nothing, or let a backup accept a
// new-view whose choice it never recomputed), which every other behaviour leaves unexercised.
import { makeBlock, quorumSize, type Block, type ValidatorId } from "../../chain/index.js";
import type { Action, Input } from "../../consensus/io.js";
import type { ConsensusMessage, NewView, PrePrepare, ViewChange } from "../../consensus/messages.js";
import { isOutgoing, membersOf, resign, sendAll, type Behaviour, type BehaviourContext } from "./context.js";

/** What we keep of a lured height after our own replica has decided it and moved on. */
interface Lured {
  readonly height: number;
  /** The view that was lured: votes of later views come from us, not from our replica. */
  readonly view: number;
  /** View-changes heard per view, by sender (bodies stripped, as a new-view carries them). */
  readonly viewChanges: Map<number, Map<ValidatorId, ViewChange>>;
  /** Views we already sent a view-change, a new-view, or votes in. */
  readonly sent: Set<string>;
  /** The block proposed in the lured view (its txs make a fresh block valid). */
  block?: Block;
  /** Our latest message of each kind at this height, repeated on ticks as a replica repeats its own. */
  readonly latest: Map<ConsensusMessage["type"], ConsensusMessage>;
}

/** Ticks between repeats of what we sent at a lured height (messages get lost). */
const REPEAT_TICKS = 4;

/** Lured heights kept: the attack only plays out at the height just decided. */
const KEEP = 8;

/**
 * In a lured (height, view) (the run's AttackPlan draws them; the adversarial network silences
 * each decider once its commit is out) our commit goes to the plan's deciders and the other
 * Byzantine nodes only (luredCommits, which every Byzantine node of the run applies). Our replica
 * hears every honest commit and decides too, so from then on we play the height on by hand,
 * signing with our own key: a view-change when the others ask for a new view, a prepare and a
 * commit for what a later primary proposes, and, as that primary, a new-view that claims nothing
 * was prepared with a fresh block. A correct backup recomputes the choice from the view-changes
 * and refuses it; a correct primary re-proposes the decided block.
 */
export function loneDecider(ctx: BehaviourContext): Behaviour {
  const lured = new Map<number, Lured>();
  /** The height our replica is deciding. */
  let height = 1;

  const remember = (h: number, view: number): void => {
    if (lured.has(h)) return;
    lured.set(h, { height: h, view, viewChanges: new Map(), sent: new Set(), latest: new Map() });
    if (lured.size > KEEP) lured.delete(lured.keys().next().value!);
  };

  /** Broadcast `messages` at lured height `l`, remembered for repeats. */
  const send = (l: Lured, messages: readonly ConsensusMessage[]): Action[] =>
    messages.map((message) => {
      l.latest.set(message.type, message);
      return { type: "broadcast", message };
    });

  const record = (l: Lured, vc: ViewChange): Map<ValidatorId, ViewChange> => {
    const byView = l.viewChanges.get(vc.newView) ?? new Map<ValidatorId, ViewChange>();
    l.viewChanges.set(vc.newView, byView);
    byView.set(vc.from, { ...vc, preparedBlock: null });
    return byView;
  };

  const hearViewChange = (l: Lured, vc: ViewChange): Action[] => {
    const byView = record(l, vc);
    const out: Action[] = [];
    if (!l.sent.has(`vc/${vc.newView}`)) {
      l.sent.add(`vc/${vc.newView}`);
      // Our certificate is ours to hide: a view-change without one cannot be told from the truth.
      const own = resign(ctx, { type: "view-change", chainId: ctx.chainId, height: l.height, newView: vc.newView, prepared: null, preparedBlock: null, from: ctx.self, signature: new Uint8Array(64) } satisfies ViewChange);
      byView.set(ctx.self, own);
      ctx.plan.count("lone-decider:view-change");
      out.push(...send(l, [own]));
    }
    return [...out, ...lyingNewView(l, vc.newView)];
  };

  /** As primary of (height, view) with a quorum of view-changes: a new-view that re-proposes nothing. */
  const lyingNewView = (l: Lured, view: number): Action[] => {
    const members = membersOf(ctx, l.height);
    const heard = [...(l.viewChanges.get(view)?.values() ?? [])].filter((vc) => members.includes(vc.from));
    if (ctx.primary(l.height, view) !== ctx.self || l.sent.has(`nv/${view}`) || heard.length < quorumSize(members.length)) return [];
    const block = l.block;
    if (block === undefined) return [];
    l.sent.add(`nv/${view}`);
    const proofs = heard.sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : 0)).slice(0, quorumSize(members.length));
    const nv = resign(ctx, { type: "new-view", chainId: ctx.chainId, height: l.height, view, viewChanges: proofs, chosenBlockHash: null, from: ctx.self, signature: new Uint8Array(64) } satisfies NewView);
    // A fresh block names this view and us; the same txs keep it valid.
    const fresh = makeBlock({ ...block.header, view, proposer: ctx.self }, block.txs, block.lastCommit);
    const pp = resign(ctx, { type: "pre-prepare", chainId: ctx.chainId, height: l.height, view, block: fresh, from: ctx.self, signature: new Uint8Array(64) } satisfies PrePrepare);
    ctx.plan.count("lone-decider:new-view-lie");
    return [...send(l, [nv, pp]), ...votes(l, pp)];
  };

  /** A prepare and a commit for a later view's proposal (we are past the height: no checks). */
  const votes = (l: Lured, pp: PrePrepare): Action[] => {
    if (pp.view <= l.view || l.sent.has(`votes/${pp.view}`) || pp.from !== ctx.primary(l.height, pp.view)) return [];
    l.sent.add(`votes/${pp.view}`);
    ctx.plan.count("lone-decider:votes");
    const base = { chainId: ctx.chainId, height: l.height, view: pp.view, blockHash: pp.block.hash, from: ctx.self, signature: new Uint8Array(64) };
    return send(l, [resign(ctx, { type: "prepare", ...base }), resign(ctx, { type: "commit", ...base })]);
  };

  /** Input for a lured height our replica has left behind. */
  const playOn = (m: ConsensusMessage): Action[] => {
    const l = lured.get(m.height);
    if (l === undefined || m.from === ctx.self) return [];
    if (m.height >= height) {
      // Our replica still plays this height; keep what a later lying new-view needs.
      if (m.type === "view-change" && m.newView > l.view) record(l, m);
      if (m.type === "pre-prepare" && m.view === l.view) l.block ??= m.block;
      return [];
    }
    if (m.type === "view-change" && m.newView > l.view) return hearViewChange(l, m);
    if (m.type === "pre-prepare") {
      if (m.view === l.view) l.block ??= m.block;
      return votes(l, m);
    }
    return [];
  };

  /** Our repeats: what we sent at the lured heights our replica has left, every REPEAT_TICKS ticks. */
  let ticks = 0;
  const repeat = (): Action[] => {
    if (++ticks % REPEAT_TICKS !== 0) return [];
    const out: Action[] = [];
    // Only the last two heights: once the others have moved on too, nobody listens.
    for (const l of lured.values()) if (l.height < height && l.height >= height - 2) for (const message of l.latest.values()) out.push({ type: "broadcast", message });
    return out;
  };

  const withhold = luredCommits(ctx);
  return (actions: readonly Action[], input: Input) => {
    if (input.type === "block-appended" && input.height + 1 > height) height = input.height + 1;
    const extra = input.type === "message" ? playOn(input.message) : input.type === "tick" ? repeat() : [];
    for (const a of actions) {
      if (!isOutgoing(a) || a.message.from !== ctx.self) continue;
      const m = a.message;
      if (m.type === "pre-prepare" && lured.has(m.height)) lured.get(m.height)!.block ??= m.block;
      if (m.type === "commit" && ctx.plan.lure(m.height, m.view, membersOf(ctx, m.height)).length > 0) remember(m.height, m.view);
    }
    const out = withhold(actions, input);
    return extra.length === 0 ? out : [...out, ...extra];
  };
}

/**
 * Every Byzantine node of a run with a lone-decider follows the lure: in a lured (height, view)
 * its commit goes to the plan's deciders and the other Byzantine nodes only.
 */
export function luredCommits(ctx: BehaviourContext): Behaviour {
  return (actions) =>
    actions.flatMap((a): Action[] => {
      if (!isOutgoing(a) || a.message.from !== ctx.self || a.message.type !== "commit") return [a];
      const m = a.message;
      const members = membersOf(ctx, m.height);
      const deciders = ctx.plan.lure(m.height, m.view, members);
      if (deciders.length === 0) return [a];
      ctx.plan.count("lone-decider:commit");
      const to = new Set([...deciders, ...members.filter((id) => id !== ctx.self && ctx.plan.isByzantine(id))]);
      if (a.type === "send") return to.has(a.to) ? [a] : [];
      return sendAll([...to], m);
    });
}
