// A seeded governance client: it changes the validator set `changes` times in a run with the
// chain's own txs, as the validators' operators (PoA) or the token holders (DBFT) would, and
// keeps every set it aims for within the fault budget: Byzantine members plus members that never
// come online stay at most f of the new set, so liveness stays possible. One change at a time:
// the next is planned only once the last one took effect and every tx sent for it is in a block
// (a stale vote included later must never pass a change nobody planned).
//
// PoA: the members vote (each with its own key) to add or remove one key; kinds: add a validator
// that comes online (an observer slot until then), add one that never comes online, remove the
// primary of the next height, remove the offline one, remove another member.
// DBFT: one funded voter's ballot names the weighted candidates W; every epoch boundary seats W
// and the standby (genesis) validators keep the other seats. Kinds: elect an online candidate,
// elect one that stays offline, unelect one. Zero-weight registrants (keys that sort low, as an
// attacker's would) register along the way and must never get a seat.
import {
  faultTolerance,
  MIN_VALIDATORS,
  toHex,
  type KeyPair,
  type StateView,
  type ValidatorId,
  type ValidatorSet,
} from "../chain/index.js";
import { dbftCandidateKey, dbftRegisterKind, dbftVoteKey, dbftVoteKind, poaVoteKey, poaVoteKind, readPoaMembers, type ValidatorSelection } from "../consensus/selection/index.js";
import { decodeIdList } from "../consensus/selection/id-list.js";
import type { Prng } from "../byzantine/prng.js";
import { offer, SimWallet, type TxSink } from "./wallet.js";

export const POA_CHANGE_KINDS = ["add-online", "add-offline", "remove-primary", "remove-offline", "remove-validator"] as const;
export const DBFT_CHANGE_KINDS = ["elect-online", "elect-offline", "unelect"] as const;
export type SetChangeKind = (typeof POA_CHANGE_KINDS)[number] | (typeof DBFT_CHANGE_KINDS)[number];

/** What the client reads of the most advanced honest replica. */
export interface GovernanceView {
  readonly height: number;
  readonly state: StateView;
  /** The set in force at height + 1. */
  readonly next: ValidatorSet;
}

export interface GovernanceClientOptions {
  readonly chainId: string;
  readonly selection: ValidatorSelection;
  readonly changes: number;
  /** Kinds to try in order (a kind the budget or the set rules out falls back to a drawn one). */
  readonly kinds?: readonly SetChangeKind[];
  /** Keys that may vote in PoA when members: the genesis validators and the online extras. */
  readonly voters: readonly KeyPair[];
  readonly byzantine: ReadonlySet<ValidatorId>;
  /** Honest validators down for good (an --outage): as faulty as a Byzantine one for the budget, and never vote. */
  readonly down?: ReadonlySet<ValidatorId>;
  /** Extra validators with a slot (they come online), and keys that never come online. */
  readonly onlineExtras: readonly KeyPair[];
  readonly offline: readonly KeyPair[];
  /** DBFT: the funded account whose ballot decides, and the zero-weight registrants. */
  readonly dbftVoter: KeyPair | null;
  readonly registrants: readonly KeyPair[];
  readonly names: ReadonlyMap<ValidatorId, string>;
  readonly resendMs: number;
}

interface Change {
  readonly kind: SetChangeKind;
  readonly text: string;
  /** PoA: the proposal and who votes for it. */
  readonly action?: "add" | "remove";
  readonly target?: ValidatorId;
  readonly voters?: readonly ValidatorId[];
  /** DBFT: the ballot (the weighted candidates) it aims for. */
  readonly ballot?: readonly ValidatorId[];
}

export class GovernanceClient {
  /** One line per change that took effect (kind, target, the height whose set shows it), and per registration. */
  readonly log: string[] = [];
  /** Changes that took effect. */
  done = 0;
  private readonly registered = new Set<ValidatorId>();
  private readonly senders = new Map<ValidatorId, SimWallet>();
  private readonly offline: ReadonlySet<ValidatorId>;
  private readonly onlineExtras: readonly ValidatorId[];
  private readonly registrants: readonly ValidatorId[];
  private current: Change | null = null;
  private waitUntil = 0;
  /** DBFT: the ballot in force (what the voter last had included). */
  private ballot: readonly ValidatorId[] = [];
  private readonly used = new Set<SetChangeKind>();

  constructor(
    private readonly prng: Prng,
    private readonly options: GovernanceClientOptions,
  ) {
    const keys = [...options.voters, ...options.onlineExtras, ...options.offline, ...options.registrants, ...(options.dbftVoter === null ? [] : [options.dbftVoter])];
    for (const pair of keys) this.senders.set(toHex(pair.publicKey), new SimWallet(pair));
    this.offline = new Set(options.offline.map((k) => toHex(k.publicKey)));
    this.onlineExtras = options.onlineExtras.map((k) => toHex(k.publicKey));
    this.registrants = options.registrants.map((k) => toHex(k.publicKey));
  }

  /** One client event. */
  step(now: number, view: GovernanceView, sinks: readonly TxSink[]): void {
    if (sinks.length === 0) return;
    const send = (id: ValidatorId, kind: string, payload: Uint8Array): void => this.send(id, kind, payload, now, view.state, sinks);
    // Txs still pending are offered again, whatever the phase.
    for (const [id, wallet] of this.senders) {
      const pending = wallet.inFlight(view.state);
      if (pending !== null) send(id, pending.kind, pending.payload);
    }
    if (this.options.selection.name === "dbft") this.registerDue(view, send);
    if (this.current === null) {
      if (this.done >= this.options.changes || view.height < this.waitUntil || this.pending(view.state)) return;
      this.current = this.options.selection.name === "poa" ? this.planPoa(view) : this.planDbft(view);
      if (this.current === null) return;
    }
    const c = this.current;
    if (this.options.selection.name === "poa") {
      const members = readPoaMembers(view.state) ?? view.next.members;
      const passed = c.action === "add" ? members.includes(c.target!) : !members.includes(c.target!);
      if (!passed) {
        for (const voter of c.voters!) {
          if (view.state.get(poaVoteKey(c.action!, c.target!, voter)) !== undefined) continue;
          send(voter, poaVoteKind.kind, poaVoteKind.encode({ action: c.action!, validator: Buffer.from(c.target!, "hex") }));
        }
        return;
      }
    } else {
      const voter = toHex(this.options.dbftVoter!.publicKey);
      const bytes = view.state.get(dbftVoteKey(voter));
      const cast = bytes === undefined ? [] : ballotOf(bytes);
      if (cast.join() !== [...c.ballot!].sort().join()) {
        if (c.ballot!.every((id) => view.state.get(dbftCandidateKey(id)) !== undefined)) {
          send(voter, dbftVoteKind.kind, dbftVoteKind.encode({ candidates: c.ballot!.map((id) => Buffer.from(id, "hex")) }));
        }
        return;
      }
      // Cast: it takes effect at the next epoch boundary.
      const seated = c.ballot!.every((id) => view.next.members.includes(id));
      const unseated = [...this.onlineExtras, ...this.offline].every((id) => c.ballot!.includes(id) || !view.next.members.includes(id));
      if (!seated || !unseated) return;
      this.ballot = c.ballot!;
    }
    this.log.push(`${c.text} (in force from height ${view.height + 1})`);
    this.done++;
    this.used.add(c.kind);
    this.current = null;
    this.waitUntil = view.height + this.prng.int(2);
  }

  private pending(state: StateView): boolean {
    for (const wallet of this.senders.values()) if (wallet.inFlight(state) !== null) return true;
    return false;
  }

  private name(id: ValidatorId): string {
    return this.options.names.get(id) ?? id.slice(0, 8);
  }

  /** Byzantine and offline members at most f of `members` (and no fewer members than the minimum). */
  private withinBudget(members: readonly ValidatorId[]): boolean {
    if (members.length < MIN_VALIDATORS) return false;
    const faulty = members.filter((m) => this.options.byzantine.has(m) || this.offline.has(m) || this.isDown(m)).length;
    return faulty <= faultTolerance(members.length);
  }

  private isDown(id: ValidatorId): boolean {
    return this.options.down?.has(id) ?? false;
  }

  private choose<K extends SetChangeKind>(eligible: ReadonlyMap<K, () => Change>): Change | null {
    if (eligible.size === 0) return null;
    const scripted = this.options.kinds?.[this.done];
    if (scripted !== undefined && eligible.has(scripted as K)) return eligible.get(scripted as K)!();
    const fresh = [...eligible.keys()].filter((k) => !this.used.has(k));
    return eligible.get(this.prng.pick(fresh.length > 0 ? fresh : [...eligible.keys()]))!();
  }

  private planPoa(view: GovernanceView): Change | null {
    const members = readPoaMembers(view.state) ?? view.next.members;
    // Every honest member votes (more than half of any set within budget); a Byzantine one may.
    const voters = (): ValidatorId[] =>
      members.filter((m) => this.senders.has(m) && !this.offline.has(m) && !this.isDown(m) && (!this.options.byzantine.has(m) || this.prng.chance(0.5)));
    const eligible = new Map<SetChangeKind, () => Change>();
    const add = (kind: SetChangeKind, pool: readonly ValidatorId[], note: string): void => {
      const options = pool.filter((id) => !members.includes(id) && this.withinBudget([...members, id]));
      if (options.length > 0) eligible.set(kind, () => this.poaChange(kind, "add", this.prng.pick(options), voters(), note));
    };
    const remove = (kind: SetChangeKind, pool: readonly ValidatorId[], note: string): void => {
      const options = pool.filter((id) => members.includes(id) && this.withinBudget(members.filter((m) => m !== id)));
      if (options.length > 0) eligible.set(kind, () => this.poaChange(kind, "remove", this.prng.pick(options), voters(), note));
    };
    add("add-online", this.onlineExtras, "");
    add("add-offline", [...this.offline], " (never online)");
    remove("remove-primary", [this.options.selection.primary(view.next, view.height + 1, 0)], ` (primary of height ${view.height + 1})`);
    remove("remove-offline", [...this.offline], " (never online)");
    remove("remove-validator", members, "");
    return this.choose(eligible);
  }

  private poaChange(kind: SetChangeKind, action: "add" | "remove", target: ValidatorId, voters: readonly ValidatorId[], note: string): Change {
    return { kind, action, target, voters, text: `poa ${action} ${this.name(target)}${note}` };
  }

  /** DBFT: the extras register first; the zero-weight registrants, a few at each change. */
  private registerDue(view: GovernanceView, send: (id: ValidatorId, kind: string, payload: Uint8Array) => void): void {
    const per = Math.ceil(this.registrants.length / Math.max(1, this.options.changes));
    const due = [...this.onlineExtras, ...this.offline, ...this.registrants.slice(0, per * (this.done + 1))];
    for (const id of due) {
      if (view.state.get(dbftCandidateKey(id)) === undefined) send(id, dbftRegisterKind.kind, dbftRegisterKind.encode({}));
      else if (!this.registered.has(id)) {
        this.registered.add(id);
        const zero = this.registrants.includes(id) ? " (zero weight)" : "";
        this.log.push(`dbft registered ${this.name(id)}${zero} by height ${view.height}`);
      }
    }
  }

  private planDbft(view: GovernanceView): Change | null {
    const seats = view.next.members.length;
    const eligible = new Map<SetChangeKind, () => Change>();
    // The set keeps `seats` members whoever the standby fill keeps: count every Byzantine one in.
    const budget = (ballot: readonly ValidatorId[]): boolean =>
      ballot.length <= seats &&
      this.options.byzantine.size + (this.options.down?.size ?? 0) + ballot.filter((id) => this.offline.has(id)).length <= faultTolerance(seats);
    const elect = (kind: SetChangeKind, pool: readonly ValidatorId[], note: string): void => {
      const options = pool.filter((id) => !this.ballot.includes(id) && budget([...this.ballot, id]));
      if (options.length > 0) {
        eligible.set(kind, () => {
          const id = this.prng.pick(options);
          return { kind, ballot: [...this.ballot, id], text: `dbft elect ${this.name(id)}${note}` };
        });
      }
    };
    elect("elect-online", this.onlineExtras, "");
    elect("elect-offline", [...this.offline], " (never online)");
    if (this.ballot.length > 0) {
      eligible.set("unelect", () => {
        const id = this.prng.pick(this.ballot);
        return { kind: "unelect", ballot: this.ballot.filter((b) => b !== id), text: `dbft unelect ${this.name(id)}` };
      });
    }
    return this.choose(eligible);
  }

  private send(id: ValidatorId, kind: string, payload: Uint8Array, now: number, state: StateView, sinks: readonly TxSink[]): void {
    const tx = this.senders.get(id)?.next(now, state, this.options.resendMs, this.options.chainId, () => ({ kind, payload }));
    // To every validator: a governance tx is rare, and waiting for the one primary that holds it
    // would leave little of a short run under the new set. A refusal is offered again later.
    if (tx !== undefined && tx !== null) offer(tx, sinks);
  }
}

function ballotOf(bytes: Uint8Array): string[] {
  return [...decodeIdList(bytes, 256)].sort();
}
