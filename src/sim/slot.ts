// One simulated process slot: a validator, one of the two copies of a twin (same key, own
// stores), a validator a run adds later (an observer until the set includes it) or an observer;
// and the events of the simulation's queue. The stores model the disk: they outlive the Driver,
// which a crash drops and a restart replaces.
import type { Mempool, Signer, ValidatorId } from "../chain/index.js";
import { MemoryBlockStore, MemoryVoteStore } from "../store/memory.js";
import type { Action } from "../consensus/io.js";
import type { ConsensusMessage } from "../consensus/messages.js";
import type { Driver } from "../driver/driver.js";
import type { BehaviourName } from "../byzantine/byzantine-spec.js";
import type { CheckedNode } from "./invariants.js";

export type SimEvent =
  | { readonly kind: "tick"; readonly slot: number; readonly epoch: number }
  | { readonly kind: "deliver"; readonly slot: number; readonly from: number; readonly message: ConsensusMessage }
  | { readonly kind: "later"; readonly slot: number; readonly epoch: number; readonly action: Action }
  | { readonly kind: "client" }
  | { readonly kind: "crash"; readonly slot: number; readonly torn: boolean }
  | { readonly kind: "crash-now"; readonly slot: number; readonly epoch: number }
  | { readonly kind: "restart"; readonly slot: number }
  /** Runner events: the phase switch, and a crash of a random honest node. */
  | { readonly kind: "liveness" }
  | { readonly kind: "chaos" };

export class Slot implements CheckedNode {
  readonly store = new MemoryBlockStore();
  readonly votes = new MemoryVoteStore();
  driver: Driver | null = null;
  mempool: Mempool | null = null;
  /** Bumped on every crash and restart: ticks and delayed actions of an old process are dropped. */
  epoch = 0;
  /** A torn crash is pending: the next step keeps only a prefix of its actions, then the node dies. */
  tearNext = false;
  dying = false;
  /** Stopped on an assertion: never restarted. */
  halted = false;
  crashes = 0;

  constructor(
    readonly slot: number,
    readonly index: number,
    readonly id: ValidatorId,
    readonly signer: Signer,
    readonly behaviours: readonly BehaviourName[],
    /** 0 or 1 for the two copies of a twin; null otherwise. */
    readonly twin: 0 | 1 | null,
    /** How traces and summaries name it: v<index> for a validator key, o<i> for an observer. */
    readonly name: string = `v${index}`,
  ) {}

  get honest(): boolean {
    return this.behaviours.length === 0;
  }

  get up(): boolean {
    return this.driver !== null;
  }
}
