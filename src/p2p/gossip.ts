// Gossip of consensus messages. Payloads are signed at the application level (every consensus
// message carries its sender's signature), so gossipsub runs StrictNoSign and the topic validator
// decides what propagates: nothing unauthenticated is forwarded or delivered. Txs do not travel
// here: the tx relay (tx-relay.ts) sends them in batches straight to the validators.
import type { GossipsubEvents, GossipsubMessage, GossipsubOpts } from "@chainsafe/libp2p-gossipsub";
import type { TopicScoreParams } from "@chainsafe/libp2p-gossipsub/score";
import { TopicValidatorResult, type Message, type PeerId, type PubSub } from "@libp2p/interface";
import type { Multiaddr } from "@multiformats/multiaddr";
import type { Logger } from "pino";
import { fromHex, sha256, utf8, verifyDomain, type ValidatorId } from "../chain/index.js";
import { decodeMessage, encodeMessage, MAX_MESSAGE_BYTES, signedPayload, type ConsensusMessage } from "../consensus/messages.js";
import { P2PError } from "./errors.js";
import type { FaultDecision, FaultLayer } from "./fault-layer.js";
import { tryValidatorIdFromPeerId } from "./identity.js";
import { ownedBytes } from "./wire-bytes.js";

export function consensusTopic(chainId: string): string {
  return `/triad/${chainId}/consensus/1`;
}

/**
 * Cap on one gossipsub RPC frame: the largest message plus room for protobuf framing and
 * piggybacked control. Every node must use the same value: an over-limit frame silently kills
 * the receiver's stream from that sender (P2P-NOTES §3).
 */
export const GOSSIP_MAX_RPC_BYTES = MAX_MESSAGE_BYTES + 64 * 1024;

/** Most entries of each kind one gossip RPC may hold (gossipsub's decodeRpcLimits, all Infinity by default). */
export const GOSSIP_DECODE_LIMITS = {
  maxSubscriptions: 64,
  maxMessages: 512,
  maxIhaveMessageIDs: 5000,
  maxIwantMessageIDs: 5000,
  maxIdontwantMessageIDs: 5000,
  maxControlMessages: 256,
  maxPeerInfos: 16,
} as const;

/** Same shape as chain's verifyDomain, so the node can pass a cached verifier shared with the core. */
export type VerifyDomainFn = typeof verifyDomain;

export type GossipKind = "consensus";

export type GossipVerdict<T> =
  | { readonly result: "accept"; readonly value: T }
  | { readonly result: "reject" | "ignore"; readonly reason: string };

export interface ConsensusCheck {
  readonly chainId: string;
  /** Is `id` a validator for this message (the node may look at message.height)? */
  isValidator(id: ValidatorId, message: ConsensusMessage): boolean;
  /** Too old to matter (below the head, an old view …): dropped without penalty. */
  isStale(message: ConsensusMessage): boolean;
  verify: VerifyDomainFn;
}

/**
 * Decide a consensus message's fate. Cheap checks run first and the signature last, so a flood
 * of stale or non-member messages costs no signature verifications.
 */
export function checkConsensusData(data: Uint8Array, check: ConsensusCheck): GossipVerdict<ConsensusMessage> {
  if (data.length > MAX_MESSAGE_BYTES) return { result: "reject", reason: `oversize: ${data.length} bytes` };
  let m: ConsensusMessage;
  try {
    m = decodeMessage(data);
  } catch (err) {
    return { result: "reject", reason: `malformed: ${(err as Error).message}` };
  }
  if (m.chainId !== check.chainId) return { result: "reject", reason: `wrong chain ${JSON.stringify(m.chainId)}` };
  if (check.isStale(m)) return { result: "ignore", reason: `stale ${m.type}` };
  if (!check.isValidator(m.from, m)) return { result: "reject", reason: `${m.type} from non-member ${m.from}` };
  if (!check.verify(m.type, check.chainId, signedPayload(m), m.signature, fromHex(m.from))) {
    return { result: "reject", reason: `bad signature on ${m.type} from ${m.from}` };
  }
  return { result: "accept", value: m };
}

/**
 * Peer scoring on the consensus topic: only invalid messages (the topic validator's REJECT) count.
 * Gossipsub squares a peer's decaying count of them and weighs it: 10 rejects in quick succession
 * give -100 × 4 = -400, below the graylist. The count decays by 0.9 a second, so a peer must keep
 * a rate of about 2 rejects a second to stay there; an honest peer's rare reject (a message
 * racing a validator-set change) decays away. The mesh and delivery terms stay off: validators
 * are few and reach each other directly, so delivery counts would punish the quiet ones.
 */
export const GOSSIP_SCORE = {
  invalidMessageDeliveriesWeight: -4,
  invalidMessageDeliveriesDecay: 0.9,
  gossipThreshold: -100,
  publishThreshold: -200,
  /** Below it gossipsub ignores the peer's RPCs, and the host disconnects it (GossipDeps.onGraylisted). */
  graylistThreshold: -400,
} as const;

function consensusTopicScore(): TopicScoreParams {
  return {
    topicWeight: 1,
    timeInMeshWeight: 0,
    timeInMeshQuantum: 1000,
    timeInMeshCap: 0,
    firstMessageDeliveriesWeight: 0,
    firstMessageDeliveriesDecay: 0.5,
    firstMessageDeliveriesCap: 0,
    meshMessageDeliveriesWeight: 0,
    meshMessageDeliveriesDecay: 0.5,
    meshMessageDeliveriesCap: 0,
    meshMessageDeliveriesThreshold: 0,
    meshMessageDeliveriesWindow: 0,
    meshMessageDeliveriesActivation: 1000,
    meshFailurePenaltyWeight: 0,
    meshFailurePenaltyDecay: 0.5,
    invalidMessageDeliveriesWeight: GOSSIP_SCORE.invalidMessageDeliveriesWeight,
    invalidMessageDeliveriesDecay: GOSSIP_SCORE.invalidMessageDeliveriesDecay,
  };
}

export interface GossipPeer {
  readonly id: PeerId;
  readonly addrs: Multiaddr[];
}

/**
 * gossipsub options for a Triad network. Exported so every node builds the same ones: peers
 * with a different signature policy or RPC limit cannot talk to each other.
 */
export function gossipsubOptions(chainId: string, directPeers: readonly GossipPeer[]): Partial<GossipsubOpts> {
  return {
    globalSignaturePolicy: "StrictNoSign",
    // Content-hash ids: the same payload relayed by different peers is one message.
    msgIdFn: (msg: Message) => sha256(utf8(msg.topic), msg.data),
    ignoreDuplicatePublishError: true,
    allowPublishToZeroTopicPeers: true,
    emitSelf: false,
    // Validation is synchronous (topicValidators), so a message is forwarded only once accepted.
    asyncValidation: false,
    // Validators are few and known: they get every message, not just the mesh's share.
    directPeers: [...directPeers],
    fallbackToFloodsub: false,
    allowedTopics: [consensusTopic(chainId)],
    maxInboundDataLength: GOSSIP_MAX_RPC_BYTES,
    // Per-peer send queue (default unbounded): a peer that stops reading loses messages (PBFT
    // recovers through view change and sync) instead of growing our heap without limit.
    maxOutboundBufferSize: 16 * 1024 * 1024,
    // The defaults are all Infinity: a peer could make us decode an unbounded control message.
    // (The host's gossip guard decodes with these same limits and charges the peer for a miss.)
    decodeRpcLimits: { ...GOSSIP_DECODE_LIMITS },
    scoreParams: {
      // Admission is by key (the gater), not by IP: a local testnet puts every node on
      // 127.0.0.1, and past 10 peers per IP the default colocation penalty graylists them all.
      IPColocationFactorWeight: 0,
      topics: { [consensusTopic(chainId)]: consensusTopicScore() },
    },
    scoreThresholds: {
      gossipThreshold: GOSSIP_SCORE.gossipThreshold,
      publishThreshold: GOSSIP_SCORE.publishThreshold,
      graylistThreshold: GOSSIP_SCORE.graylistThreshold,
    },
  };
}

/** A message that failed validation: for logs, metrics and fault reports. */
export interface InvalidGossip {
  readonly kind: GossipKind;
  readonly result: "reject" | "ignore";
  readonly reason: string;
  /** The peer that relayed it to us (not necessarily its author). */
  readonly from: ValidatorId | null;
}

export interface GossipOptions {
  readonly chainId: string;
}

export interface GossipDeps {
  readonly pubsub: PubSub<GossipsubEvents>;
  readonly logger: Logger;
  isValidator(id: ValidatorId, message: ConsensusMessage): boolean;
  isStale(message: ConsensusMessage): boolean;
  /** Defaults to chain's verifyDomain; pass the node's cached verifier to share work with the core. */
  readonly verify?: VerifyDomainFn;
  /** An accepted consensus message; `from` is the relaying peer, the author is `message.from`. */
  onConsensusMessage(message: ConsensusMessage, from: ValidatorId): void | Promise<void>;
  onInvalid?(event: InvalidGossip): void;
  /**
   * A connected peer's score fell below GOSSIP_SCORE.graylistThreshold (checked each heartbeat).
   * gossipsub only ignores such a peer (and never a direct peer): the host disconnects it.
   */
  onGraylisted?(peer: PeerId, score: number): void;
  /** Connected peers, to check their scores (the host's libp2p getPeers). */
  connectedPeers?(): readonly PeerId[];
  /** Injected faults, applied by propagation source: a dropped or blocked message is IGNOREd. */
  readonly faults?: FaultLayer;
}

export class GossipRouter {
  readonly consensusTopic: string;
  private readonly log: Logger;
  private readonly check: ConsensusCheck;
  // Validated payloads, keyed by the gossipsub Message object: the validator and the delivery
  // event see the same object, so each payload is decoded (and verified) exactly once.
  private readonly accepted = new WeakMap<Message, ConsensusMessage>();
  // A fault's delay or duplicate, decided in the validator and carried out at delivery.
  private readonly faulted = new WeakMap<Message, { from: ValidatorId; decision: FaultDecision }>();
  private started = false;
  private subscribed = true;

  constructor(
    options: GossipOptions,
    private readonly deps: GossipDeps,
  ) {
    this.consensusTopic = consensusTopic(options.chainId);
    this.log = deps.logger.child({ module: "p2p", component: "gossip" });
    this.check = {
      chainId: options.chainId,
      isValidator: (id, m) => deps.isValidator(id, m),
      isStale: (m) => deps.isStale(m),
      verify: deps.verify ?? verifyDomain,
    };
  }

  start(): void {
    if (this.started) return;
    const { pubsub } = this.deps;
    pubsub.topicValidators.set(this.consensusTopic, (peer, msg) => this.validate("consensus", peer, msg));
    pubsub.addEventListener("gossipsub:message", this.onMessage);
    pubsub.addEventListener("gossipsub:heartbeat", this.onHeartbeat);
    if (this.subscribed) pubsub.subscribe(this.consensusTopic);
    this.started = true;
  }

  /**
   * Take consensus gossip or not. Observers do; a validator gets its peers' messages over the
   * consensus streams and only publishes to the topic (so observers get them), as a second copy
   * of each message would cost it gossipsub's whole receive path for nothing.
   */
  setSubscribed(on: boolean): void {
    if (on === this.subscribed) return;
    this.subscribed = on;
    if (!this.started) return;
    if (on) this.deps.pubsub.subscribe(this.consensusTopic);
    else this.deps.pubsub.unsubscribe(this.consensusTopic);
  }

  stop(): void {
    if (!this.started) return;
    this.started = false;
    const { pubsub } = this.deps;
    pubsub.removeEventListener("gossipsub:message", this.onMessage);
    pubsub.removeEventListener("gossipsub:heartbeat", this.onHeartbeat);
    pubsub.topicValidators.delete(this.consensusTopic);
    try {
      if (this.subscribed) pubsub.unsubscribe(this.consensusTopic);
    } catch {
      // gossipsub throws when already stopped; the subscription died with it.
    }
  }

  /**
   * Publish one of our consensus messages; resolves to how many peers it was sent to. Bytes
   * already seen within gossipsub's seenTTL (2 min) are dropped silently: a re-broadcast of the
   * same signed message is not a retransmission.
   */
  async publishConsensus(message: ConsensusMessage): Promise<number> {
    return this.publishConsensusBytes(encodeMessage(message));
  }

  /** publishConsensus for a message the caller already encoded (encodeMessage's bytes). */
  async publishConsensusBytes(bytes: Uint8Array): Promise<number> {
    return this.publish(this.consensusTopic, bytes, MAX_MESSAGE_BYTES);
  }

  /** Peers known to be subscribed to a topic (validator ids). */
  topicPeers(kind: GossipKind): ValidatorId[] {
    const topic = { consensus: this.consensusTopic }[kind];
    return this.deps.pubsub.getSubscribers(topic).flatMap((p) => tryValidatorIdFromPeerId(p) ?? []);
  }

  private async publish(topic: string, data: Uint8Array, limit: number): Promise<number> {
    if (!this.started) throw new P2PError("NOT_STARTED", "gossip is not running");
    // Refuse here rather than let receivers drop it: an over-limit frame also costs us the
    // receiver's stream (P2P-NOTES §3).
    if (data.length > limit) {
      throw new P2PError("MESSAGE_TOO_LARGE", `message of ${data.length} bytes exceeds ${limit} on ${topic}`, { size: data.length, limit, topic });
    }
    const result = await this.deps.pubsub.publish(topic, data);
    return result.recipients.length;
  }

  private validate(kind: GossipKind, peer: PeerId, msg: Message): TopicValidatorResult {
    const faults = this.deps.faults;
    if (faults?.active === true) {
      const source = tryValidatorIdFromPeerId(peer);
      if (source !== null) {
        const decision = faults.decide(source, "in");
        // Not the sender's fault: IGNORE forwards nothing and costs the relay no score.
        if (decision.copies === 0) return TopicValidatorResult.Ignore;
        if (decision.copies !== 1 || decision.delayMs !== 0) this.faulted.set(msg, { from: source, decision });
      }
    }
    let verdict: GossipVerdict<ConsensusMessage>;
    try {
      verdict = checkConsensusData(ownedBytes(msg.data), this.check);
    } catch (err) {
      // A throwing dependency is our bug, not the peer's: drop without penalising the relay.
      this.log.error({ err, kind }, "gossip validation failed");
      verdict = { result: "ignore", reason: `validator error: ${(err as Error).message}` };
    }
    if (verdict.result === "accept") {
      this.accepted.set(msg, verdict.value);
      return TopicValidatorResult.Accept;
    }
    const from = tryValidatorIdFromPeerId(peer);
    this.log.debug({ kind, from, result: verdict.result, reason: verdict.reason }, "gossip message not accepted");
    try {
      this.deps.onInvalid?.({ kind, result: verdict.result, reason: verdict.reason, from });
    } catch (err) {
      this.log.error({ err }, "onInvalid handler threw");
    }
    return verdict.result === "reject" ? TopicValidatorResult.Reject : TopicValidatorResult.Ignore;
  }

  // An EventTarget listener that throws is rethrown by Node as an uncaught exception, so every
  // handler call is fenced here.
  private readonly onMessage = (evt: CustomEvent<GossipsubMessage>): void => {
    const { msg, propagationSource } = evt.detail;
    const value = this.accepted.get(msg);
    if (value === undefined) return; // not ours to deliver (another topic, or never validated)
    this.accepted.delete(msg);
    const from = tryValidatorIdFromPeerId(propagationSource);
    if (from === null) return; // the gater admits only ed25519 peers; unreachable in practice
    const faulted = this.faulted.get(msg);
    if (faulted !== undefined && this.deps.faults !== undefined) {
      this.faulted.delete(msg);
      this.deps.faults.apply(faulted.from, faulted.decision, () => this.deliver(value, from, msg.topic));
      return;
    }
    this.deliver(value, from, msg.topic);
  };

  /** A peer's gossipsub score (0 when the router does not score). */
  score(peer: PeerId): number {
    const pubsub = this.deps.pubsub as unknown as { getScore?: (id: string) => number };
    return typeof pubsub.getScore === "function" ? pubsub.getScore(peer.toString()) : 0;
  }

  private readonly onHeartbeat = (): void => {
    const onGraylisted = this.deps.onGraylisted;
    if (onGraylisted === undefined || this.deps.connectedPeers === undefined) return;
    try {
      for (const peer of this.deps.connectedPeers()) {
        const score = this.score(peer);
        if (score < GOSSIP_SCORE.graylistThreshold) onGraylisted(peer, score);
      }
    } catch (err) {
      this.log.error({ err }, "gossip score check failed");
    }
  };

  private deliver(value: ConsensusMessage, from: ValidatorId, topic: string): void {
    try {
      const done = this.deps.onConsensusMessage(value, from);
      if (done instanceof Promise) done.catch((err: unknown) => this.log.error({ err, topic }, "gossip handler failed"));
    } catch (err) {
      this.log.error({ err, topic }, "gossip handler threw");
    }
  }
}
