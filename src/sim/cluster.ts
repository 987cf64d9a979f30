// N simulated nodes, each the production Driver around the production Replica, over memory stores
// (they model the disk: they survive a crash), a mempool, a transport onto the virtual network,
// and a virtual clock. One event runs at a time and the cluster waits for the driver it touched
// to go idle before the next, so every run is a pure function of the seed.
//
// A "slot" is one running copy: a validator, one of the two copies of a twin (same key, own
// stores), or a replica outside the set (an observer, or a validator a run adds later). Crash =
// drop the Driver with its queue and mempool; restart = a new Driver on the same stores.
// Messages and sync go through virtual-transport.ts.
import { isMember, MEMPOOL_DEFAULTS, Mempool, toHex, validatorSet, type KeyPair, type SignedTx, type Signer, type ValidatorSet, type VerifyCache } from "../chain/index.js";
import type { Action, Input } from "../consensus/io.js";
import { Driver, type DriverEvents } from "../driver/driver.js";
import { AttackPlan } from "../byzantine/attack-plan.js";
import { behaviourFilter, type BehaviourContext, type SimActionFilter } from "../byzantine/behaviours/index.js";
import type { ByzantineSpec } from "../byzantine/byzantine-spec.js";
import { SimClient } from "./client.js";
import { EventQueue } from "./event-queue.js";
import type { GovernanceClient } from "./governance-client.js";
import type { InvariantChecker } from "./invariants.js";
import type { VirtualNetwork } from "./network.js";
import type { Prng } from "../byzantine/prng.js";
import { simSigner, type SimGenesis } from "./sim-genesis.js";
import { Slot, type SimEvent } from "./slot.js";
import { VirtualTransport, type TransportCounters } from "./virtual-transport.js";

export { Slot, type SimEvent } from "./slot.js";

export interface ClusterOptions {
  readonly genesis: SimGenesis;
  readonly byzantine: ByzantineSpec;
  readonly network: VirtualNetwork;
  readonly prng: Prng;
  readonly checker: InvariantChecker;
  /** Shared by every replica (they all verify the same votes) and the checker. */
  readonly verifyCache: VerifyCache;
  /** Virtual ms between client events (0: no client). */
  readonly clientIntervalMs: number;
  /**
   * Honest slots beyond the genesis validators: validators a run may add (observers until the set
   * includes them) and observers. Index and name as the summary shows them.
   */
  readonly extraSlots?: readonly { readonly pair: KeyPair; readonly index: number; readonly name: string }[];
  /** Submits the txs that change the validator set, at each client event. */
  readonly governance?: GovernanceClient | null;
  /** The client's random DBFT votes (off when the governance client owns the ballots). */
  readonly dbftVotes?: boolean;
}

export interface ClusterCounters extends TransportCounters {
  /** Faults honest replicas reported about peers, by kind (evidence the behaviours bite). */
  readonly faultsReported: Map<string, number>;
  /** "height/view" pairs honest replicas moved to (view > 0). */
  readonly views: Set<string>;
}

/** Thrown out of an honest driver: a broken assertion stopped the node. */
export interface HaltedNode {
  readonly index: number;
  readonly error: string;
}

export class Cluster {
  readonly queue = new EventQueue<SimEvent>();
  readonly slots: Slot[] = [];
  readonly counters: ClusterCounters = { messages: 0, undecodable: 0, syncRequests: 0, syncServedForged: 0, syncServedBad: 0, faultsReported: new Map(), views: new Set() };
  readonly halted: HaltedNode[] = [];
  /** The one attack plan of the run, shared by every Byzantine node. */
  readonly plan: AttackPlan;
  private readonly transport: VirtualTransport;
  private readonly client: SimClient;
  private readonly tickMs: number;
  private readonly genesisTime: number;
  private readonly prng: Prng;
  private readonly tearPrng: Prng;
  /** The liveness phase: crash events still in the queue, and torn crashes pending, are void. */
  private crashesOff = false;
  /** Head heights of crashed slots, read just before their stores closed. */
  private readonly lastHeads = new Map<number, number>();

  constructor(private readonly options: ClusterOptions) {
    const g = options.genesis;
    this.tickMs = g.genesis.consensus.tickMs;
    this.genesisTime = g.init.genesisTimestamp;
    this.prng = options.prng.fork("cluster");
    this.tearPrng = options.prng.fork("tear");
    const byIndex = new Map(options.byzantine.map((b) => [b.index, b.behaviours]));
    const idOf = (index: number): string => toHex(g.validatorKeys[index]!.publicKey);
    const hiders = options.byzantine.filter((b) => b.behaviours.includes("adversarial-newview"));
    const lurers = options.byzantine.filter((b) => b.behaviours.includes("lone-decider"));
    const params = g.genesis.consensus;
    // Long enough for the others to finish a view change and decide without the silenced decider.
    const lureSilenceMs = 3 * params.viewChangeTimeoutTicks * params.tickMs + 20 * options.network.maxDelayMs;
    this.plan = new AttackPlan(
      options.prng.fork("attack-plan"),
      options.byzantine.map((b) => idOf(b.index)),
      hiders.map((b) => idOf(b.index)),
      {
        lurers: lurers.map((b) => idOf(b.index)),
        silenceMs: lureSilenceMs,
        primary: (members, height, view) => g.selection.primary(validatorSet(members), height, view),
      },
    );
    g.validatorKeys.forEach((pair, index) => {
      const id = toHex(pair.publicKey);
      const behaviours = byIndex.get(index) ?? [];
      const copies: (0 | 1 | null)[] = behaviours.includes("twins") ? [0, 1] : [null];
      for (const twin of copies) {
        this.slots.push(new Slot(this.slots.length, index, id, simSigner(pair), behaviours, twin));
      }
    });
    for (const extra of options.extraSlots ?? []) {
      this.slots.push(new Slot(this.slots.length, extra.index, toHex(extra.pair.publicKey), simSigner(extra.pair), [], null, extra.name));
    }
    this.addTwinLinks();
    this.transport = new VirtualTransport(this.slots, options.network, this.queue, options.prng.fork("sync"), this.counters, this.plan);
    this.client = new SimClient(options.prng.fork("client"), {
      chainId: g.chainId,
      selection: g.selection.name,
      accounts: g.accountKeys,
      validators: g.validatorKeys.map((k) => toHex(k.publicKey)),
      burst: 3,
      resendMs: 40 * this.tickMs,
      ...(options.dbftVotes === false ? { dbftVotes: false } : {}),
    });
  }

  /** Each copy of a twin is seen by (and sees) its own random half of the other slots only. */
  private addTwinLinks(): void {
    const linkPrng = this.options.prng.fork("twins");
    const sides = new Map<number, Set<number>>();
    for (const s of this.slots) {
      if (s.twin !== 0) continue;
      const sibling = this.slots.find((o) => o.index === s.index && o.twin === 1)!;
      const others = linkPrng.shuffle(this.slots.filter((o) => o.index !== s.index).map((o) => o.slot));
      const cut = Math.ceil(others.length / 2);
      sides.set(s.slot, new Set(others.slice(0, cut)));
      sides.set(sibling.slot, new Set(others.slice(cut)));
    }
    if (sides.size === 0) return;
    this.options.network.addRule((from, to) => {
      const a = sides.get(from);
      if (a !== undefined && !a.has(to)) return false;
      const b = sides.get(to);
      return b === undefined || b.has(from);
    });
  }

  get now(): number {
    return this.queue.now;
  }

  get verifyStats(): { hits: number; misses: number } {
    return { hits: this.options.verifyCache.hits, misses: this.options.verifyCache.misses };
  }

  honestSlots(): Slot[] {
    return this.slots.filter((s) => s.honest);
  }

  async start(): Promise<void> {
    for (const slot of this.slots) {
      await slot.store.open(this.options.genesis.init);
      await this.boot(slot);
    }
    if (this.options.clientIntervalMs > 0) this.queue.at(this.options.clientIntervalMs, { kind: "client" });
  }

  /** End of the safety phase: no more crashes (the runner restarts the crashed nodes). */
  stopCrashes(): void {
    this.crashesOff = true;
    for (const slot of this.slots) slot.tearNext = false;
  }

  // ---- one node's process -------------------------------------------------------------------

  private async boot(slot: Slot): Promise<void> {
    const g = this.options.genesis;
    slot.epoch++;
    slot.tearNext = false;
    slot.dying = false;
    // As in the node, the mempool wakes an idle primary; the client event then waits for that step.
    const mempool = new Mempool(
      { chainId: g.chainId, ...MEMPOOL_DEFAULTS },
      { registry: g.registry, state: () => slot.store.state(), onAdded: (poolSize) => slot.driver?.txAdded(poolSize) },
    );
    const behaviour = slot.honest ? null : behaviourFilter(slot.behaviours, this.behaviourContext(slot));
    const driver = new Driver(
      { chainId: g.chainId, self: slot.id, params: g.genesis.consensus },
      {
        store: slot.store,
        votes: slot.votes,
        mempool,
        selection: g.selection,
        registry: g.registry,
        crypto: {
          sign: (domain, payload) => slot.signer.signDomain(domain, g.chainId, payload),
          verify: (domain, payload, signature, signer) => this.options.verifyCache.verify(domain, g.chainId, payload, signature, signer),
        },
        transport: this.transport.for(slot),
        clock: { now: () => this.genesisTime + this.queue.now },
        filter: this.filterFor(slot, behaviour),
        events: this.eventsFor(slot),
      },
    );
    await driver.start();
    slot.driver = driver;
    slot.mempool = mempool;
    this.queue.after(1 + this.prng.int(this.tickMs), { kind: "tick", slot: slot.slot, epoch: slot.epoch });
  }

  private behaviourContext(slot: Slot): BehaviourContext {
    const g = this.options.genesis;
    const params = g.genesis.consensus;
    // What this node's own chain says of the set deciding a height (null beyond its next height).
    const setAt = (height: number): ValidatorSet | null => (slot.up && height >= 1 && height <= slot.store.head().height + 1 ? slot.store.validatorsAt(height) : null);
    return {
      chainId: g.chainId,
      self: slot.id,
      validators: g.validatorKeys.map((k) => toHex(k.publicKey)),
      prng: this.options.prng.fork(`behaviour-${slot.slot}`),
      plan: this.plan,
      members: (height: number) => setAt(height)?.members ?? null,
      primary: (height: number, view: number) => {
        const set = setAt(height);
        return set === null ? null : g.selection.primary(set, height, view);
      },
      verify: (domain, payload, signature, signer) => this.options.verifyCache.verify(domain, g.chainId, payload, signature, signer),
      sign: (domain: Parameters<Signer["signDomain"]>[0], chainId: string, payload: Uint8Array) => slot.signer.signDomain(domain, chainId, payload),
      signRaw: (message: Uint8Array) => slot.signer.sign(message),
      later: (delayMs: number, action: Action) => this.queue.after(delayMs, { kind: "later", slot: slot.slot, epoch: slot.epoch, action }),
      viewChangeTimeoutMs: params.viewChangeTimeoutTicks * params.tickMs,
      maxDelayMs: this.options.network.maxDelayMs,
    };
  }

  private filterFor(slot: Slot, behaviour: SimActionFilter | null): SimActionFilter {
    return (actions: readonly Action[], input: Input) => {
      if (slot.dying) return [];
      let out = behaviour === null ? actions : behaviour(actions, input);
      if (slot.tearNext && out.length > 0) {
        // The process dies part-way through this step: a prefix of its actions ran.
        out = out.slice(0, this.tearPrng.int(out.length));
        slot.tearNext = false;
        slot.dying = true;
      }
      return out;
    };
  }

  private eventsFor(slot: Slot): DriverEvents {
    const checker = this.options.checker;
    return {
      onAction: (action) => {
        if (!slot.honest) return;
        if (action.type === "report-fault") this.counters.faultsReported.set(action.fault, (this.counters.faultsReported.get(action.fault) ?? 0) + 1);
        if (action.type === "view-changed" && action.view > 0) this.counters.views.add(`${action.height}/${action.view}`);
        checker.onAction(slot, action);
      },
      onAppended: (stored) => {
        if (slot.honest) checker.onAppended(slot, stored);
      },
    };
  }

  // ---- events -------------------------------------------------------------------------------

  /** Run one node-level event; the runner handles "liveness" itself. */
  async handle(event: SimEvent): Promise<void> {
    switch (event.kind) {
      case "tick": {
        const slot = this.slots[event.slot]!;
        if (slot.driver === null || slot.epoch !== event.epoch) return;
        await this.run(slot, { type: "tick" });
        if (slot.epoch === event.epoch && slot.driver !== null) this.queue.after(this.tickMs, event);
        return;
      }
      case "deliver": {
        const slot = this.slots[event.slot]!;
        if (slot.driver === null) return;
        await this.run(slot, { type: "message", message: event.message });
        return;
      }
      case "later": {
        const slot = this.slots[event.slot]!;
        if (slot.driver === null || slot.epoch !== event.epoch) return;
        const a = event.action;
        if (a.type === "broadcast") this.transport.send(slot, null, a.message);
        else if (a.type === "send") this.transport.send(slot, a.to, a.message);
        return;
      }
      case "client": {
        // Wallets send to validators: an observer's (or a removed validator's) mempool never proposes.
        const reference = this.referenceSlot();
        if (!reference.up) {
          this.queue.after(this.options.clientIntervalMs, event);
          return;
        }
        const height = reference.store.head().height;
        const next = reference.store.validatorsAt(height + 1);
        const targets = this.honestSlots().filter((s) => s.mempool !== null && s.up && isMember(next, s.id));
        const sinks = targets.map((s) => ({ add: (tx: SignedTx) => s.mempool!.add(tx) }));
        const state = reference.store.state();
        this.client.step(this.queue.now, state, sinks);
        this.options.governance?.step(this.queue.now, { height, state, next }, sinks);
        // A mempool that filled up queued a txs-waiting input: its step runs now, at this time.
        for (const slot of targets) if (slot.driver !== null) await this.settle(slot);
        this.queue.after(this.options.clientIntervalMs, event);
        return;
      }
      case "crash": {
        const slot = this.slots[event.slot]!;
        if (slot.driver === null || this.crashesOff) return;
        if (!event.torn) {
          await this.crash(slot);
          return;
        }
        slot.tearNext = true;
        // If no step of it produces actions soon, it dies between steps instead.
        this.queue.after(5 * this.tickMs, { kind: "crash-now", slot: slot.slot, epoch: slot.epoch });
        return;
      }
      case "crash-now": {
        const slot = this.slots[event.slot]!;
        if (slot.driver !== null && slot.epoch === event.epoch && !this.crashesOff) await this.crash(slot);
        return;
      }
      case "restart":
        await this.restart(this.slots[event.slot]!);
        return;
      case "liveness":
      case "chaos":
        return;
    }
  }

  private async run(slot: Slot, input: Input): Promise<void> {
    slot.driver!.submit(input);
    await this.settle(slot);
  }

  /** Let the node finish what is queued; a node whose assertion fired, or that is dying, crashes. */
  private async settle(slot: Slot): Promise<void> {
    const driver = slot.driver!;
    try {
      await driver.idle();
    } catch (err) {
      // An assertion inside the node: it stops (DESIGN §5). The runner reports it.
      this.halted.push({ index: slot.index, error: err instanceof Error ? err.message : String(err) });
      slot.halted = true;
      await this.crash(slot);
      return;
    }
    if (slot.dying) await this.crash(slot);
  }

  async crash(slot: Slot): Promise<void> {
    const driver = slot.driver;
    if (driver === null) return;
    slot.driver = null;
    slot.mempool = null;
    slot.epoch++;
    slot.crashes++;
    await driver.stop().catch(() => undefined);
    this.lastHeads.set(slot.slot, slot.store.head().height);
    await slot.store.close();
  }

  async restart(slot: Slot): Promise<void> {
    if (slot.driver !== null || slot.halted) return;
    await slot.store.open(this.options.genesis.init);
    if (slot.honest) await this.options.checker.onRestart(slot);
    await this.boot(slot);
  }

  /** The most advanced honest replica that is up (for the client's nonces and the set in force). */
  private referenceSlot(): Slot {
    let best: Slot | null = null;
    for (const s of this.slots) {
      if (!s.honest || !s.up) continue;
      if (best === null || s.store.head().height > best.store.head().height) best = s;
    }
    return best ?? this.slots.find((s) => s.up) ?? this.slots[0]!;
  }

  /** A slot's head height, also while it is crashed (its store is closed then). */
  headOf(slot: Slot): number {
    return slot.up ? slot.store.head().height : (this.lastHeads.get(slot.slot) ?? 0);
  }
}
