// What a Byzantine behaviour knows and may do, and the helpers the behaviour families share. A
// behaviour signs only with its own validator's key; it may copy signatures that exist.
import { makeBlock, toHex, type Block, type SignDomain, type ValidatorId } from "../../chain/index.js";
import type { Action, Input } from "../../consensus/io.js";
import { signedPayload, type ConsensusMessage } from "../../consensus/messages.js";
import type { AttackPlan } from "../attack-plan.js";
import type { Prng } from "../prng.js";

/** The same shape as the driver's ActionFilter. */
export type SimActionFilter = (actions: readonly Action[], input: Input) => readonly Action[];

export type Behaviour = (actions: readonly Action[], input: Input) => readonly Action[];

export interface BehaviourContext {
  readonly chainId: string;
  readonly self: ValidatorId;
  /** The genesis validators, by index (what a Byzantine node knows of its peers). */
  readonly validators: readonly ValidatorId[];
  readonly prng: Prng;
  /** The run's one plan, shared by every Byzantine node (coordinated attacks). */
  readonly plan: AttackPlan;
  /** The validator set deciding `height` as this node's chain knows it, or null if not known yet. */
  members(height: number): readonly ValidatorId[] | null;
  /** The primary of (height, view) by the selection over members(height), or null. */
  primary(height: number, view: number): ValidatorId | null;
  /** Check anyone's signature (the view-changes an adversarial new primary picks from). */
  verify(domain: SignDomain, payload: Uint8Array, signature: Uint8Array, signer: ValidatorId): boolean;
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

export function isOutgoing(a: Action): a is Extract<Action, { type: "broadcast" | "send" }> {
  return a.type === "broadcast" || a.type === "send";
}

export function resign<M extends ConsensusMessage>(ctx: BehaviourContext, m: M, chainId = m.chainId): M {
  const unsigned = { ...m, chainId };
  return { ...unsigned, signature: ctx.sign(m.type, chainId, signedPayload(unsigned)) };
}

export function sendAll(to: readonly ValidatorId[], message: ConsensusMessage): Action[] {
  return to.map((peer) => ({ type: "send", to: peer, message }));
}

/** A different block for the same slot: same txs, timestamp + bump, so it is just as valid. */
export function twinBlock(block: Block, bump = 1): Block {
  return makeBlock({ ...block.header, timestamp: block.header.timestamp + bump }, block.txs, block.lastCommit);
}

export function randomHash(ctx: BehaviourContext): Uint8Array {
  return ctx.prng.bytes(32);
}

/** The members deciding `height`, falling back to the genesis validators. */
export function membersOf(ctx: BehaviourContext, height: number): readonly ValidatorId[] {
  return ctx.members(height) ?? ctx.validators;
}

/** Keeps what a Byzantine node has learned: where the protocol is, and recent messages. */
export class Memory {
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
