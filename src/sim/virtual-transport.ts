// The virtual network as a driver Transport: each message is encoded once and decoded once (what
// the wire would hand every receiver, so a message no peer could decode is dropped as gossip
// would), then every copy to every recipient goes through the network model into the event
// queue. fetchBlocks is answered at once from a reachable peer's store: it is read between
// events, so the answer is deterministic. A peer with the `forge` behaviour sometimes serves a
// seal with a forged signature, and a `bad-sync-server` peer lies (behaviours/bad-sync.ts): the
// importing driver must refuse both and still catch up from the others.
import type { Seal, ValidatorId } from "../chain/index.js";
import type { AttackPlan } from "../byzantine/attack-plan.js";
import { badSyncAnswer } from "../byzantine/behaviours/bad-sync.js";
import { decodeMessage, encodeMessage, type ConsensusMessage } from "../consensus/messages.js";
import type { PeerHead, SealedBlock, Transport } from "../driver/transport.js";
import type { EventQueue } from "./event-queue.js";
import type { VirtualNetwork } from "./network.js";
import type { Prng } from "../byzantine/prng.js";
import type { SimEvent, Slot } from "./slot.js";

export interface TransportCounters {
  /** Message copies sent (per recipient, before loss). */
  messages: number;
  undecodable: number;
  syncRequests: number;
  syncServedForged: number;
  /** Sync answers a bad-sync-server peer lied in (other heights, truncated, nothing, forged seal). */
  syncServedBad: number;
}

export class VirtualTransport {
  /** Until then Byzantine nodes hide from sync: a lone-decider lure is playing out. */
  private lureHiddenUntil = 0;
  private readonly slotsById = new Map<ValidatorId, Slot[]>();

  constructor(
    private readonly slots: readonly Slot[],
    private readonly network: VirtualNetwork,
    private readonly queue: EventQueue<SimEvent>,
    private readonly prng: Prng,
    private readonly counters: TransportCounters,
    private readonly plan: AttackPlan | null = null,
  ) {
    for (const slot of slots) {
      const list = this.slotsById.get(slot.id) ?? [];
      list.push(slot);
      this.slotsById.set(slot.id, list);
    }
  }

  /** The Transport one slot's driver uses. */
  for(slot: Slot): Transport {
    return {
      broadcast: (message) => this.send(slot, null, message),
      send: (to, message) => this.send(slot, to, message),
      fetchBlocks: (peers, fromHeight, count) => this.fetchBlocks(slot, peers, fromHeight, count),
      peerHeads: () => this.peerHeads(slot),
    };
  }

  /**
   * The heads of the slots `slot` can reach both ways now (a node's connected peers), read from
   * their stores between events, so the answer is deterministic. A twin's sibling shares its key
   * (it is not a peer). Every slot answers with its true head: a lying status is not modelled.
   */
  private async peerHeads(slot: Slot): Promise<readonly PeerHead[]> {
    const now = this.queue.now;
    return this.slots.filter((p) => p.id !== slot.id && this.answers(slot, p, now)).map((p) => ({ peer: p.id, height: p.store.head().height }));
  }

  /** Send to one validator id (every slot holding it: both copies of a twin), or to all when `to` is null. */
  send(from: Slot, to: ValidatorId | null, message: ConsensusMessage): void {
    let wire: ConsensusMessage;
    try {
      wire = decodeMessage(encodeMessage(message));
    } catch {
      // A Byzantine node's message no peer could decode (say, a view beyond MAX_VIEW).
      this.counters.undecodable++;
      return;
    }
    const targets = to === null ? this.slots : (this.slotsById.get(to) ?? []);
    const now = this.queue.now;
    this.silenceLuredDecider(from, wire, now);
    for (const target of targets) {
      if (target === from) continue;
      this.counters.messages++;
      for (const delay of this.network.plan(from.slot, target.slot, now)) {
        this.queue.at(now + delay, { kind: "deliver", slot: target.slot, from: from.slot, message: wire });
      }
    }
  }

  /**
   * The lone-decider attack's network half: a decider the plan lured for this (height, view) is
   * silenced as its commit goes out, so it decides on the commits it hears while nobody hears it.
   */
  private silenceLuredDecider(from: Slot, m: ConsensusMessage, now: number): void {
    if (this.plan === null || !this.plan.hasLurers || m.type !== "commit" || !from.honest || !from.up) return;
    let members: readonly ValidatorId[];
    try {
      members = from.store.validatorsAt(m.height).members;
    } catch {
      return;
    }
    if (!this.plan.lure(m.height, m.view, members).includes(from.id)) return;
    this.plan.count("lone-decider:silenced");
    this.network.silence(from.slot, now, now + this.plan.lureSilenceMs);
    this.lureHiddenUntil = Math.max(this.lureHiddenUntil, now + this.plan.lureSilenceMs);
  }

  /**
   * Does `peer` answer `slot`'s sync and head requests now: up and reachable both ways. While a
   * lure plays out, Byzantine nodes (which decided the lured block too) do not answer: the others
   * must not learn the decided block by sync.
   */
  private answers(slot: Slot, peer: Slot, now: number): boolean {
    if (!peer.up || !this.network.reachable(slot.slot, peer.slot, now) || !this.network.reachable(peer.slot, slot.slot, now)) return false;
    return peer.honest || now >= this.lureHiddenUntil;
  }

  private async fetchBlocks(slot: Slot, peers: readonly ValidatorId[], fromHeight: number, count: number): Promise<readonly SealedBlock[]> {
    this.counters.syncRequests++;
    const now = this.queue.now;
    const candidates = peers
      .flatMap((id) => this.slotsById.get(id) ?? [])
      .filter((p) => p !== slot && this.answers(slot, p, now));
    for (const peer of this.prng.shuffle(candidates)) {
      const head = peer.store.head().height;
      const lying = peer.behaviours.includes("bad-sync-server");
      // A lying server claims to be ahead whatever its head.
      if (head < fromHeight && !lying) continue;
      const out: SealedBlock[] = [];
      for (let h = fromHeight; h <= Math.min(head, fromHeight + count - 1); h++) {
        const stored = await peer.store.getBlock(h);
        if (stored === undefined) break;
        out.push({ block: stored.block, seal: stored.seal });
      }
      if (lying) {
        const getBlock = async (h: number): Promise<SealedBlock | undefined> => {
          const stored = await peer.store.getBlock(h);
          return stored === undefined ? undefined : { block: stored.block, seal: stored.seal };
        };
        const members = peer.store.validatorsAt(head + 1).members.length;
        const lie = await badSyncAnswer({ signer: peer.signer, head, getBlock }, fromHeight, out, members, this.prng);
        if (lie !== null) {
          this.counters.syncServedBad++;
          this.plan?.count(`bad-sync-server:${lie.kind}`);
          return lie.blocks;
        }
        if (head < fromHeight) continue;
      }
      if (peer.behaviours.includes("forge") && out.length > 0 && this.prng.chance(0.5)) {
        this.counters.syncServedForged++;
        out[0] = { block: out[0]!.block, seal: forgeSeal(out[0]!.seal, this.prng) };
      }
      return out;
    }
    return [];
  }
}

/** A seal with one commit signature replaced: what a forging peer serves during sync. */
function forgeSeal(seal: Seal, prng: Prng): Seal {
  if (seal.commits.length === 0) return seal;
  const i = prng.int(seal.commits.length);
  const commits = seal.commits.map((c, k) => (k === i ? { validator: c.validator, signature: prng.bytes(64) } : c));
  return { ...seal, commits };
}
