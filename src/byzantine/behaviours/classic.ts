// The first behaviour family: single-node misbehaviour that honest replicas catch by their first
// checks (signatures, domains, block rules, view bounds, new-view proofs) or by a timeout.
import {
  decodeSignedTx,
  encodeSignedTx,
  makeBlock,
  makeSeal,
  signingBytes,
  txRoot,
  txSigningPayload,
  type Block,
  type SignedTx,
} from "../../chain/index.js";
import type { Action } from "../../consensus/io.js";
import { MAX_VIEW, type NewView, type PrePrepare, type ViewChange } from "../../consensus/messages.js";
import { isOutgoing, Memory, randomHash, resign, twinBlock, type Behaviour, type BehaviourContext } from "./context.js";

export function silent(actions: readonly Action[]): readonly Action[] {
  return actions.filter((a) => !isOutgoing(a));
}

/** Messages in other validators' names: our signature under their id, or theirs on another payload. */
export function forge(ctx: BehaviourContext): Behaviour {
  const others = ctx.validators.filter((v) => v !== ctx.self);
  return (actions, input) => {
    const extra: Action[] = [];
    for (const a of actions) {
      if (a.type !== "broadcast") continue;
      const m = a.message;
      if (m.type === "prepare" || m.type === "commit") {
        // Our valid signature, someone else's name.
        extra.push({ type: "broadcast", message: { ...m, from: ctx.prng.pick(others) } });
      } else if (m.type === "pre-prepare" && m.from === ctx.self) {
        // A proposal "from" another validator for the next view, signed by us.
        extra.push({ type: "broadcast", message: { ...m, view: m.view + 1, from: ctx.prng.pick(others), block: twinBlock(m.block, 2) } });
      }
    }
    if (input.type === "message" && input.message.from !== ctx.self && ctx.prng.chance(0.3)) {
      const m = input.message;
      if (m.type === "prepare" || m.type === "commit") {
        // Their signature copied onto a different block hash.
        extra.push({ type: "broadcast", message: { ...m, blockHash: randomHash(ctx) } });
      } else if (m.type === "view-change") {
        // Their signature copied onto a higher view.
        extra.push({ type: "broadcast", message: { ...m, newView: m.newView + 1 } });
      } else if (m.type === "pre-prepare") {
        // Their signature on another block (same slot).
        extra.push({ type: "broadcast", message: { ...m, block: twinBlock(m.block, 3) } });
      }
    }
    return extra.length === 0 ? actions : [...actions, ...extra];
  };
}

const INVALID_BLOCK_KINDS = ["bad-parent", "bad-tx", "wrong-state-root", "wrong-height", "wrong-proposer", "bad-last-commit"] as const;

/** As primary: proposals that break a block rule, with a valid pre-prepare signature. */
export function invalidBlock(ctx: BehaviourContext): Behaviour {
  let nonce = 1_000_000;
  const badTx = (): SignedTx => {
    // A tx from our own key with a nonce far ahead of the account's: any block holding it is invalid.
    const unsigned = { chainId: ctx.chainId, from: Buffer.from(ctx.self, "hex"), nonce: nonce++, kind: "kv.put", payload: new Uint8Array([1, 107, 1, 118]) };
    const signature = ctx.signRaw(signingBytes("tx", ctx.chainId, txSigningPayload(unsigned)));
    return decodeSignedTx(encodeSignedTx(unsigned, signature));
  };
  const corrupt = (block: Block): Block => {
    const h = block.header;
    switch (ctx.prng.pick(INVALID_BLOCK_KINDS)) {
      case "bad-parent":
        return makeBlock({ ...h, parentHash: randomHash(ctx) }, block.txs, block.lastCommit);
      case "bad-tx": {
        const txs = [...block.txs, badTx()];
        return makeBlock({ ...h, txRoot: txRoot(txs) }, txs, block.lastCommit);
      }
      case "wrong-state-root":
        return makeBlock({ ...h, stateRoot: randomHash(ctx) }, block.txs, block.lastCommit);
      case "wrong-height":
        return makeBlock({ ...h, height: h.height + 1 }, block.txs, block.lastCommit);
      case "wrong-proposer":
        return makeBlock({ ...h, proposer: ctx.prng.pick(ctx.validators.filter((v) => v !== ctx.self)) }, block.txs, block.lastCommit);
      case "bad-last-commit": {
        // Claims a signer that did not sign (who signed steers the proposer standing): at height 1,
        // where there is none, a lastCommit at all is the lie.
        const last = block.lastCommit;
        const bogus = last === null ? [{ validator: ctx.self, signature: new Uint8Array(64) }] : last.commits.map((c, i) => (i === 0 ? { ...c, signature: new Uint8Array(64).fill(1) } : c));
        return makeBlock(h, block.txs, makeSeal(h.height - 1, last?.view ?? 0, h.parentHash, bogus));
      }
    }
  };
  return (actions) =>
    actions.map((a): Action => {
      if (a.type !== "broadcast" || a.message.type !== "pre-prepare" || a.message.from !== ctx.self) return a;
      return { type: "broadcast", message: resign(ctx, { ...a.message, block: corrupt(a.message.block) }) };
    });
}

/** Old heights, old views and other chains: re-sent now and then on ticks. */
export function replay(ctx: BehaviourContext): Behaviour {
  const memory = new Memory(128);
  return (actions, input) => {
    memory.observe(actions, input);
    if (input.type !== "tick" || !ctx.prng.chance(0.15) || memory.recent.length === 0) return actions;
    const extra: Action[] = [];
    // Old messages verbatim (anyone's: they carry valid signatures for their old slot).
    for (let i = ctx.prng.range(1, 3); i > 0; i--) extra.push({ type: "broadcast", message: ctx.prng.pick(memory.recent.slice(0, Math.max(1, memory.recent.length - 8))) });
    // One of ours, validly re-signed for another chain.
    const ours = memory.recent.filter((m) => m.from === ctx.self);
    if (ours.length > 0) extra.push({ type: "broadcast", message: resign(ctx, ctx.prng.pick(ours), `${ctx.chainId}-other`) });
    return [...actions, ...extra];
  };
}

/** A prepare re-labelled as a commit (and back), signature kept: domain separation must refuse it. */
export function prepareAsCommit(): Behaviour {
  return (actions) =>
    actions.flatMap((a): Action[] => {
      if (a.type !== "broadcast") return [a];
      const m = a.message;
      if (m.type === "prepare") return [a, { type: "broadcast", message: { ...m, type: "commit" } }];
      if (m.type === "commit") return [a, { type: "broadcast", message: { ...m, type: "prepare" } }];
      return [a];
    });
}

/** Premature view-changes (next few views) and huge ones, validly signed, now and then on ticks. */
export function viewChangeSpam(ctx: BehaviourContext): Behaviour {
  const memory = new Memory(8);
  return (actions, input) => {
    memory.observe(actions, input);
    if (input.type !== "tick" || !ctx.prng.chance(0.2)) return actions;
    const views = [memory.view + ctx.prng.range(1, 3), ctx.prng.pick([MAX_VIEW - 1, MAX_VIEW, memory.view + 1000, 2 ** 40])];
    const spam = views.map((newView): Action => {
      const vc: ViewChange = { type: "view-change", chainId: ctx.chainId, height: memory.height, newView, prepared: null, preparedBlock: null, from: ctx.self, signature: new Uint8Array(64) };
      return { type: "broadcast", message: resign(ctx, vc) };
    });
    return [...actions, ...spam];
  };
}

/** As new primary: lie about the chosen block, drop view-changes with certificates, strip them. */
export function lyingNewView(ctx: BehaviourContext): Behaviour {
  /** "height/view" where we lied that nothing was prepared: the pre-prepare that follows must match the lie. */
  const liedEmpty = new Set<string>();
  const lie = (m: NewView): NewView => {
    const withCert = m.viewChanges.filter((vc) => vc.prepared !== null);
    const options: (() => NewView)[] = [
      () => ({ ...m, chosenBlockHash: m.chosenBlockHash === null ? randomHash(ctx) : null }),
      () => ({ ...m, viewChanges: m.viewChanges.filter((vc) => vc.prepared === null), chosenBlockHash: null }),
      // A view-change whose certificate we strip no longer matches its signer's signature.
      () => ({ ...m, viewChanges: m.viewChanges.map((vc) => ({ ...vc, prepared: null })), chosenBlockHash: null }),
    ];
    const lied = withCert.length > 0 ? ctx.prng.pick(options)() : options[0]!();
    if (lied.chosenBlockHash === null) liedEmpty.add(`${m.height}/${m.view}`);
    return resign(ctx, lied);
  };
  return (actions) =>
    actions.map((a): Action => {
      if (a.type !== "broadcast" || a.message.from !== ctx.self) return a;
      const m = a.message;
      if (m.type === "new-view") return { type: "broadcast", message: lie(m) };
      if (m.type === "pre-prepare" && liedEmpty.has(`${m.height}/${m.view}`)) {
        // The "fresh" block our lie calls for: a different hash from the prepared one.
        const fresh: PrePrepare = resign(ctx, { ...m, block: twinBlock(m.block, 5) });
        return { type: "broadcast", message: fresh };
      }
      return a;
    });
}

/** Proposals (pre-prepare, new-view) held back to just under the view-change timeout. */
export function slowPrimary(ctx: BehaviourContext): Behaviour {
  const delay = Math.max(0, Math.floor(ctx.viewChangeTimeoutMs * 0.8) - 2 * ctx.maxDelayMs);
  return (actions) =>
    actions.filter((a) => {
      if (a.type !== "broadcast" || a.message.from !== ctx.self) return true;
      if (a.message.type !== "pre-prepare" && a.message.type !== "new-view") return true;
      ctx.later(delay, a);
      return false;
    });
}
