// Byzantine behaviours as filters on a correct replica's actions (DESIGN.md §1): the replica runs
// the real protocol, and the filter drops, alters, duplicates, delays or adds messages on their
// way out. A behaviour signs only with its own validator's key: `forge` shows that a message
// claiming to be from someone else cannot carry a valid signature. `twins` is no filter; the
// cluster runs two honest drivers with one key (see cluster.ts).
import {
  decodeSignedTx,
  encodeSignedTx,
  makeBlock,
  signingBytes,
  toHex,
  txRoot,
  txSigningPayload,
  type Block,
  type SignDomain,
  type SignedTx,
  type ValidatorId,
} from "../chain/index.js";
import type { Action, Input } from "../consensus/io.js";
import { MAX_VIEW, signedPayload, type ConsensusMessage, type NewView, type PrePrepare, type ViewChange } from "../consensus/messages.js";
import type { BehaviourName } from "./byzantine-spec.js";
import type { Prng } from "./prng.js";

/** The same shape as the driver's ActionFilter. */
export type SimActionFilter = (actions: readonly Action[], input: Input) => readonly Action[];

export interface BehaviourContext {
  readonly chainId: string;
  readonly self: ValidatorId;
  /** The genesis validators, by index (what a Byzantine node knows of its peers). */
  readonly validators: readonly ValidatorId[];
  readonly prng: Prng;
  /** Sign with this validator's own key (never anyone else's). */
  sign(domain: SignDomain, chainId: string, payload: Uint8Array): Uint8Array;
  /** Sign raw bytes with this validator's own key (for txs it makes up). */
  signRaw(message: Uint8Array): Uint8Array;
  /** Run a broadcast or send later, through this node's transport (slow-primary). */
  later(delayMs: number, action: Action): void;
  /** The base view-change timeout in virtual ms. */
  readonly viewChangeTimeoutMs: number;
  /** The largest one-way network delay in ms. */
  readonly maxDelayMs: number;
}

type Behaviour = (actions: readonly Action[], input: Input) => readonly Action[];

/** Compose the named behaviours (in order) into one filter; twins contributes nothing here. */
export function behaviourFilter(names: readonly BehaviourName[], ctx: BehaviourContext): SimActionFilter {
  const stages: Behaviour[] = [];
  for (const name of names) {
    const make = FACTORIES[name];
    if (make !== null) stages.push(make(ctx));
  }
  return (actions, input) => {
    let out = actions;
    for (const stage of stages) out = stage(out, input);
    return out;
  };
}

const FACTORIES: Readonly<Record<BehaviourName, ((ctx: BehaviourContext) => Behaviour) | null>> = {
  silent: () => silent,
  equivocate,
  "conflicting-votes": conflictingVotes,
  forge,
  "invalid-block": invalidBlock,
  replay,
  "prepare-as-commit": prepareAsCommit,
  "viewchange-spam": viewChangeSpam,
  "lying-newview": lyingNewView,
  "slow-primary": slowPrimary,
  twins: null,
};

// ---- helpers ------------------------------------------------------------------------------------

function isOutgoing(a: Action): a is Extract<Action, { type: "broadcast" | "send" }> {
  return a.type === "broadcast" || a.type === "send";
}

function resign<M extends ConsensusMessage>(ctx: BehaviourContext, m: M, chainId = m.chainId): M {
  const unsigned = { ...m, chainId };
  return { ...unsigned, signature: ctx.sign(m.type, chainId, signedPayload(unsigned)) };
}

type Halves = [ValidatorId[], ValidatorId[]];

/**
 * The other validators split in two random halves, the same split for every message of one
 * (height, view): repeated messages keep telling each half its own story.
 */
function splitter(ctx: BehaviourContext): (height: number, view: number) => Halves {
  const splits = new Map<string, Halves>();
  return (height, view) => {
    const key = `${height}/${view}`;
    let split = splits.get(key);
    if (split === undefined) {
      const peers = ctx.prng.shuffle(ctx.validators.filter((v) => v !== ctx.self));
      const cut = Math.ceil(peers.length / 2);
      split = [peers.slice(0, cut), peers.slice(cut)];
      splits.set(key, split);
      if (splits.size > 64) splits.delete(splits.keys().next().value!);
    }
    return split;
  };
}

function sendAll(to: readonly ValidatorId[], message: ConsensusMessage): Action[] {
  return to.map((peer) => ({ type: "send", to: peer, message }));
}

/** A different block for the same slot: same txs, timestamp + 1, so it is just as valid. */
function twinBlock(block: Block, bump = 1): Block {
  return makeBlock({ ...block.header, timestamp: block.header.timestamp + bump }, block.txs);
}

function randomHash(ctx: BehaviourContext): Uint8Array {
  return ctx.prng.bytes(32);
}

/** Keeps what a Byzantine node has learned: where the protocol is, and recent messages. */
class Memory {
  height = 1;
  view = 0;
  readonly recent: ConsensusMessage[] = [];
  /** Block hashes proposed per "height/view", from anyone. */
  readonly proposals = new Map<string, Uint8Array[]>();

  constructor(private readonly limit = 64) {}

  observe(actions: readonly Action[], input: Input): void {
    if (input.type === "block-appended" && input.height + 1 > this.height) {
      this.height = input.height + 1;
      this.view = 0;
    }
    if (input.type === "message") this.remember(input.message);
    for (const a of actions) {
      if (a.type === "view-changed" && a.height >= this.height) {
        this.height = a.height;
        this.view = Math.max(this.view, a.view);
      }
      if (isOutgoing(a)) this.remember(a.message);
    }
  }

  private remember(m: ConsensusMessage): void {
    if (m.type === "pre-prepare") {
      const key = `${m.height}/${m.view}`;
      const list = this.proposals.get(key) ?? [];
      if (!list.some((h) => toHex(h) === m.block.id)) list.push(m.block.hash);
      this.proposals.set(key, list);
      if (this.proposals.size > this.limit) this.proposals.delete(this.proposals.keys().next().value!);
    }
    this.recent.push(m);
    if (this.recent.length > this.limit) this.recent.shift();
  }
}

// ---- the behaviours -----------------------------------------------------------------------------

function silent(actions: readonly Action[]): readonly Action[] {
  return actions.filter((a) => !isOutgoing(a));
}

/** As primary: a second valid block for the same (height, view) to one half, the original to the other. */
function equivocate(ctx: BehaviourContext): Behaviour {
  const halves = splitter(ctx);
  return (actions) =>
    actions.flatMap((a): Action[] => {
      if (a.type !== "broadcast" || a.message.type !== "pre-prepare" || a.message.from !== ctx.self) return [a];
      const original = a.message;
      const other = resign(ctx, { ...original, block: twinBlock(original.block) });
      const [left, right] = halves(original.height, original.view);
      return [...sendAll(left, original), ...sendAll(right, other)];
    });
}

/** Prepares and commits for another block hash to half of the peers, validly signed. */
function conflictingVotes(ctx: BehaviourContext): Behaviour {
  const memory = new Memory();
  const halves = splitter(ctx);
  /** The other hash we vote for per "height/view", and whether it is a real proposal. */
  const chosen = new Map<string, { hash: Uint8Array; real: boolean }>();
  const otherHash = (height: number, view: number, ours: Uint8Array): Uint8Array => {
    const key = `${height}/${view}`;
    const kept = chosen.get(key);
    if (kept?.real === true) return kept.hash;
    // A block another (equivocating) primary proposed for this slot beats a made-up hash.
    const known = (memory.proposals.get(key) ?? []).filter((h) => toHex(h) !== toHex(ours));
    if (known.length === 0 && kept !== undefined) return kept.hash;
    const next = known.length > 0 ? { hash: ctx.prng.pick(known), real: true } : { hash: randomHash(ctx), real: false };
    chosen.set(key, next);
    if (chosen.size > 64) chosen.delete(chosen.keys().next().value!);
    return next.hash;
  };
  return (actions, input) => {
    memory.observe(actions, input);
    return actions.flatMap((a): Action[] => {
      if (a.type !== "broadcast" || (a.message.type !== "prepare" && a.message.type !== "commit")) return [a];
      const m = a.message;
      const blockHash = otherHash(m.height, m.view, m.blockHash);
      const other = resign(ctx, { ...m, blockHash });
      const [left, right] = halves(m.height, m.view);
      return [...sendAll(left, m), ...sendAll(right, other)];
    });
  };
}

/** Messages in other validators' names: our signature under their id, or theirs on another payload. */
function forge(ctx: BehaviourContext): Behaviour {
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

const INVALID_BLOCK_KINDS = ["bad-parent", "bad-tx", "wrong-state-root", "wrong-height", "wrong-proposer"] as const;

/** As primary: proposals that break a block rule, with a valid pre-prepare signature. */
function invalidBlock(ctx: BehaviourContext): Behaviour {
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
        return makeBlock({ ...h, parentHash: randomHash(ctx) }, block.txs);
      case "bad-tx": {
        const txs = [...block.txs, badTx()];
        return makeBlock({ ...h, txRoot: txRoot(txs) }, txs);
      }
      case "wrong-state-root":
        return makeBlock({ ...h, stateRoot: randomHash(ctx) }, block.txs);
      case "wrong-height":
        return makeBlock({ ...h, height: h.height + 1 }, block.txs);
      case "wrong-proposer":
        return makeBlock({ ...h, proposer: ctx.prng.pick(ctx.validators.filter((v) => v !== ctx.self)) }, block.txs);
    }
  };
  return (actions) =>
    actions.map((a): Action => {
      if (a.type !== "broadcast" || a.message.type !== "pre-prepare" || a.message.from !== ctx.self) return a;
      return { type: "broadcast", message: resign(ctx, { ...a.message, block: corrupt(a.message.block) }) };
    });
}

/** Old heights, old views and other chains: re-sent now and then on ticks. */
function replay(ctx: BehaviourContext): Behaviour {
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
function prepareAsCommit(): Behaviour {
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
function viewChangeSpam(ctx: BehaviourContext): Behaviour {
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
function lyingNewView(ctx: BehaviourContext): Behaviour {
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
function slowPrimary(ctx: BehaviourContext): Behaviour {
  const delay = Math.max(0, Math.floor(ctx.viewChangeTimeoutMs * 0.8) - 2 * ctx.maxDelayMs);
  return (actions) =>
    actions.filter((a) => {
      if (a.type !== "broadcast" || a.message.from !== ctx.self) return true;
      if (a.message.type !== "pre-prepare" && a.message.type !== "new-view") return true;
      ctx.later(delay, a);
      return false;
    });
}
