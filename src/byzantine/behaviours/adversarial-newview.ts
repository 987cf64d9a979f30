// A new primary that makes the LEGAL choice least favourable to safety: among the quorums of valid
// view-changes it holds for its view, the one whose highest prepared certificate is lowest (none
// if it can), and then re-proposes that certificate's block, or a fresh block when there is none.
// Every message passes honest checks; the protocol must be safe under every legal quorum.
import { makeBlock, quorumSize, toHex, type Block, type ValidatorId } from "../../chain/index.js";
import type { Action, Input } from "../../consensus/io.js";
import { newViewPayload, type NewView, type PrePrepare, type ViewChange } from "../../consensus/messages.js";
import { SignatureCache } from "../../consensus/signature-cache.js";
import { checkViewChange, chooseCertificate } from "../../consensus/view-change.js";
import { resign, type Behaviour, type BehaviourContext } from "./context.js";

/** Heights remembered, and bodies kept per height. */
const KEEP_SLOTS = 16;
const KEEP_BODIES = 32;
/** Repeats of the core's new-view we hold back while waiting for a quorum that hides more. */
const MAX_WAITS = 4;
/** Hold the core's new-view (and its pre-prepare) back for now. */
const WAIT = "wait" as const;

interface Replacement {
  readonly newView: NewView;
  /** The block to pre-prepare: the chosen certificate's body, or a fresh one. */
  readonly block: Block;
}

function certView(vc: ViewChange): number {
  return vc.prepared?.view ?? -1;
}

export function adversarialNewView(ctx: BehaviourContext): Behaviour {
  const signatures = new SignatureCache({ sign: () => new Uint8Array(64), verify: ctx.verify });
  /** "height/view" → sender → their view-change for exactly that view (bodies stripped). */
  const viewChanges = new Map<string, Map<ValidatorId, ViewChange>>();
  /** Block bodies seen per height (proposals and view-change attachments), by id. */
  const bodies = new Map<number, Map<string, Block>>();
  /** Our decision per "height/view" (null: the core's new-view stands); repeats send the same. */
  const replaced = new Map<string, Replacement | null>();
  const decide = (key: string, r: Replacement | null): Replacement | null => {
    replaced.set(key, r);
    if (replaced.size > KEEP_SLOTS) replaced.delete(replaced.keys().next().value!);
    return r;
  };

  const keepBody = (block: Block): void => {
    const height = block.header.height;
    const map = bodies.get(height) ?? new Map<string, Block>();
    map.set(block.id, block);
    if (map.size > KEEP_BODIES) map.delete(map.keys().next().value!);
    bodies.set(height, map);
    if (bodies.size > KEEP_SLOTS) bodies.delete(bodies.keys().next().value!);
  };

  const remember = (vc: ViewChange): void => {
    if (vc.preparedBlock !== null) keepBody(vc.preparedBlock);
    const members = ctx.members(vc.height);
    if (members === null) return;
    const key = `${vc.height}/${vc.newView}`;
    const slot = viewChanges.get(key) ?? new Map<ValidatorId, ViewChange>();
    if (slot.has(vc.from)) return;
    const proof = { chainId: ctx.chainId, height: vc.height, validators: { members }, quorum: quorumSize(members.length), signatures };
    if (checkViewChange(vc, proof) !== null) return;
    slot.set(vc.from, { ...vc, preparedBlock: null });
    viewChanges.set(key, slot);
    if (viewChanges.size > KEEP_SLOTS) viewChanges.delete(viewChanges.keys().next().value!);
  };

  const observe = (actions: readonly Action[], input: Input): void => {
    if (input.type === "message") {
      const m = input.message;
      if (m.type === "view-change") remember(m);
      if (m.type === "pre-prepare") keepBody(m.block);
    }
    for (const a of actions) {
      if (a.type !== "broadcast" || a.message.from !== ctx.self) continue;
      // Our own view-change as if we had prepared nothing: a lie no one can check (only we know
      // what we prepared), and one more certificate-free view-change to choose from.
      if (a.message.type === "view-change") remember(a.message.prepared === null ? a.message : resign(ctx, { ...a.message, prepared: null, preparedBlock: null }));
      if (a.message.type === "pre-prepare") keepBody(a.message.block);
    }
  };

  /** The quorum hiding the most: the q view-changes with the lowest certificates. */
  const waits = new Map<string, number>();
  const replace = (core: NewView, coreBlock: Block | null): Replacement | null | typeof WAIT => {
    const key = `${core.height}/${core.view}`;
    if (replaced.has(key)) return replaced.get(key)!;
    const held = [...(viewChanges.get(key)?.values() ?? [])];
    const q = core.viewChanges.length;
    if (!waits.has(key)) ctx.plan.count("adversarial-newview:new-view");
    if (held.length < q) {
      ctx.plan.count("adversarial-newview:no-spare-quorum");
      return decide(key, null);
    }
    const pick = held.sort((a, b) => certView(a) - certView(b) || (a.from < b.from ? -1 : 1)).slice(0, q);
    const chosen = chooseCertificate(pick);
    const coreChosen = core.chosenBlockHash;
    if (chosen === null ? coreChosen === null : coreChosen !== null && toHex(chosen.blockHash) === toHex(coreChosen)) {
      // No quorum in hand hides more than the core's: wait a few repeats for more view-changes.
      const waited = waits.get(key) ?? 0;
      if (coreChosen !== null && waited < MAX_WAITS && held.length < (ctx.members(core.height)?.length ?? 0)) {
        waits.set(key, waited + 1);
        if (waits.size > KEEP_SLOTS) waits.delete(waits.keys().next().value!);
        return WAIT;
      }
      ctx.plan.count(coreChosen === null ? "adversarial-newview:nothing-to-hide" : "adversarial-newview:no-lower-quorum");
      return decide(key, null);
    }
    let block: Block | null = null;
    if (chosen !== null) {
      block = bodies.get(core.height)?.get(toHex(chosen.blockHash)) ?? null;
      if (block === null) {
        // We could not re-propose it: the core's choice stands.
        ctx.plan.count("adversarial-newview:no-body");
        return decide(key, null);
      }
    } else if (coreBlock !== null) {
      // A fresh proposal of our own for this view, with the txs the core would re-propose.
      block = makeBlock({ ...coreBlock.header, view: core.view, proposer: ctx.self, timestamp: coreBlock.header.timestamp + 7 }, coreBlock.txs, coreBlock.lastCommit);
    }
    if (block === null) {
      ctx.plan.count("adversarial-newview:no-body");
      return decide(key, null);
    }
    const viewChangesSorted = [...pick].sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : 0));
    const unsigned = { ...core, viewChanges: viewChangesSorted, chosenBlockHash: chosen === null ? null : chosen.blockHash };
    const newView: NewView = { ...unsigned, signature: ctx.sign("new-view", ctx.chainId, newViewPayload(core.height, core.view, viewChangesSorted, unsigned.chosenBlockHash)) };
    ctx.plan.count(chosen === null ? "adversarial-newview:hid-all" : "adversarial-newview:hid-higher");
    return decide(key, { newView, block });
  };

  return (actions, input) => {
    observe(actions, input);
    // The core's re-proposal rides in the same step as its new-view: find it first.
    const corePrePrepares = new Map<string, PrePrepare>();
    for (const a of actions) {
      if (a.type === "broadcast" && a.message.type === "pre-prepare" && a.message.from === ctx.self) corePrePrepares.set(`${a.message.height}/${a.message.view}`, a.message);
    }
    return actions.flatMap((a): Action[] => {
      if (a.type !== "broadcast" || a.message.from !== ctx.self) return [a];
      const m = a.message;
      const key = `${m.height}/${"view" in m ? m.view : m.newView}`;
      if (m.type === "new-view") {
        const r = replace(m, corePrePrepares.get(key)?.block ?? null);
        if (r === WAIT) return [];
        return [r === null ? a : { type: "broadcast", message: r.newView }];
      }
      // The core's pre-prepare waits with its new-view.
      if (m.type === "pre-prepare" && !replaced.has(key) && waits.has(key)) return [];
      if (m.type === "commit" && ctx.primary(m.height, m.view + 1) === ctx.self && ctx.plan.story(m.height, m.view) !== undefined) {
        // Our commit would help decide the block we mean to hide next view.
        ctx.plan.count("adversarial-newview:withheld-commit");
        return [];
      }
      const r = replaced.get(key);
      if (r === undefined || r === null) return [a];
      if (m.type === "pre-prepare") return [{ type: "broadcast", message: resign(ctx, { ...m, block: r.block }) }];
      if (m.type === "prepare") return [{ type: "broadcast", message: resign(ctx, { ...m, blockHash: r.block.hash }) }];
      return [a];
    });
  };
}
