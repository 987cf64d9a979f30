// A real node started with `--byzantine`: the simulator's behaviour filters (src/byzantine) over
// this node's own store, signer, selection and genesis. Time is real here: `later` is a timer
// into the node's consensus transport, and the view-change timeout is the effective one. Every
// Byzantine process of a network draws the same AttackPlan from (seed, all Byzantine ids), so a
// coordinated attack (split-brain, conflicting-votes after equivocate) tells each honest replica
// the same story whichever Byzantine process it hears it from.
import { type BlockStore, type SignDomain, type ValidatorId, type ValidatorSet } from "../chain/index.js";
import type { Action, PrePrepare, ValidatorSelection } from "../consensus/index.js";
import { AttackPlan, behaviourFilter, checkNodeBehaviours, Prng, twinBlock, type BehaviourContext, type BehaviourName, type SimActionFilter } from "../byzantine/index.js";

export interface NodeByzantineOptions {
  readonly behaviours: readonly BehaviourName[];
  readonly seed: number;
  /** Every Byzantine validator of the network (this one included or not: it is added). */
  readonly peers: readonly ValidatorId[];
}

export interface ByzantineNodeDeps {
  readonly chainId: string;
  readonly self: ValidatorId;
  /** The genesis validators, by index. */
  readonly genesisValidators: readonly ValidatorId[];
  readonly store: Pick<BlockStore, "head" | "validatorsAt">;
  readonly selection: Pick<ValidatorSelection, "primary">;
  readonly sign: (domain: SignDomain, chainId: string, payload: Uint8Array) => Uint8Array;
  readonly signRaw: (message: Uint8Array) => Uint8Array;
  readonly verify: BehaviourContext["verify"];
  /** Sends of an action `later` releases (the node's consensus transport). */
  readonly transport: { broadcast(message: Extract<Action, { type: "broadcast" }>["message"]): void; send(to: ValidatorId, message: Extract<Action, { type: "send" }>["message"]): void };
  readonly viewChangeTimeoutMs: number;
}

/** The largest one-way delay a behaviour plans around on 127.0.0.1 or a LAN (slow-primary). */
export const NODE_MAX_DELAY_MS = 50;
/** Delayed sends held at once; beyond it `later` drops (a delayed PBFT message is retransmitted). */
const MAX_PENDING_LATER = 1_000;

export class ByzantineNode {
  readonly plan: AttackPlan;
  readonly filter: SimActionFilter;
  readonly behaviours: readonly BehaviourName[];
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private stopped = false;

  constructor(options: NodeByzantineOptions, deps: ByzantineNodeDeps) {
    checkNodeBehaviours(options.behaviours);
    this.behaviours = [...options.behaviours];
    const root = new Prng(options.seed);
    const byzantine = [...new Set([...options.peers, deps.self])].sort();
    // Who hides a prepared certificate as new primary is known for this process only: the
    // contract passes the other Byzantine ids, not their behaviours.
    const hiders = options.behaviours.includes("adversarial-newview") ? [deps.self] : [];
    this.plan = new AttackPlan(root.fork("attack-plan"), byzantine, hiders);
    const store = deps.store;
    const setAt = (height: number): ValidatorSet | null => (height >= 1 && height <= store.head().height + 1 ? store.validatorsAt(height) : null);
    const ctx: BehaviourContext = {
      chainId: deps.chainId,
      self: deps.self,
      validators: deps.genesisValidators,
      prng: root.fork(`behaviour-${deps.self}`),
      plan: this.plan,
      members: (height) => setAt(height)?.members ?? null,
      primary: (height, view) => {
        const set = setAt(height);
        return set === null ? null : deps.selection.primary(set, height, view);
      },
      verify: deps.verify,
      sign: deps.sign,
      signRaw: deps.signRaw,
      later: (delayMs, action) => this.later(delayMs, action, deps.transport),
      viewChangeTimeoutMs: deps.viewChangeTimeoutMs,
      maxDelayMs: NODE_MAX_DELAY_MS,
    };
    const inner = behaviourFilter(options.behaviours, ctx);
    this.filter = (actions, input) => {
      if (input.type === "message" && input.message.type === "pre-prepare") this.learnStory(input.message, deps.self);
      return inner(actions, input);
    };
  }

  /**
   * In the simulator every Byzantine node reads one AttackPlan object, so a Byzantine backup
   * knows the two blocks its equivocating ally told. Processes share no memory: a Byzantine
   * backup learns the story from the pre-prepare its Byzantine primary sent it (story A, which
   * `equivocate` sends to side 1 and to the other Byzantine nodes) and derives B as the primary
   * did (its twin), so its votes follow the same split. A story already told stands.
   */
  private learnStory(m: PrePrepare, self: ValidatorId): void {
    if (m.from === self || !this.plan.isByzantine(m.from) || this.plan.story(m.height, m.view) !== undefined) return;
    this.plan.tell(m.height, m.view, { a: m.block, b: twinBlock(m.block) });
  }

  /** What the behaviours did so far, by "behaviour:act". */
  acted(): Record<string, number> {
    return Object.fromEntries([...this.plan.acted.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));
  }

  /** Cancel the delayed sends (node stop). */
  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private later(delayMs: number, action: Action, transport: ByzantineNodeDeps["transport"]): void {
    if (this.stopped || this.timers.size >= MAX_PENDING_LATER) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (this.stopped) return;
      if (action.type === "broadcast") transport.broadcast(action.message);
      else if (action.type === "send") transport.send(action.to, action.message);
    }, Math.max(0, delayMs));
    this.timers.add(timer);
  }
}

