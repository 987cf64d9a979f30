// What gossipsub drops without a word, counted and charged to the peer. Its read loop swallows an
// undecodable RPC (garbage, or a frame over a decode limit such as 10,000 SUBSCRIBEs) and an
// over-size frame kills the peer's stream while the connection stays up (P2P-NOTES §3); RPCs
// naming topics outside allowedTopics are skipped. None of it touches the peer's score, so a
// peer could send such frames forever. This guard takes over the read loop of each inbound
// gossip stream (the same decode limits, then gossipsub's own handleReceivedRpc) and reports each
// such frame, so the host can count it and strike or refuse the sender.
import type { GossipsubEvents } from "@chainsafe/libp2p-gossipsub";
import { RPC } from "@chainsafe/libp2p-gossipsub/message";
import type { PeerId, PubSub } from "@libp2p/interface";
import type { Uint8ArrayList } from "uint8arraylist";

/** Why a gossip RPC frame was refused; the reason text starts with the metric's reason. */
export type BadRpcKind = "malformed" | "oversize" | "off-topic";

export interface GossipGuardHooks {
  onBadRpc(peer: PeerId, kind: BadRpcKind, reason: string): void;
}

/** gossipsub's decodeRpcLimits, as the protobuf decoder takes them. */
export interface GossipDecodeLimits {
  readonly maxSubscriptions: number;
  readonly maxMessages: number;
  readonly maxIhaveMessageIDs: number;
  readonly maxIwantMessageIDs: number;
  readonly maxIdontwantMessageIDs: number;
  readonly maxControlMessages: number;
  readonly maxPeerInfos: number;
}

/** The gossipsub members the guard wraps (runtime methods; TypeScript marks one private). */
interface GossipsubInternals {
  pipePeerReadStream(peerId: PeerId, source: AsyncIterable<Uint8ArrayList | Uint8Array>): Promise<void>;
  handlePeerReadStreamError(err: unknown, peerId: PeerId): void;
  handleReceivedRpc(from: PeerId, rpc: RPC): Promise<void>;
}

/**
 * Install the guard on a gossipsub instance before it starts (no stream may be read unguarded).
 * Returns false when the instance lacks the expected methods (another gossipsub version): then
 * nothing is installed and the caller should say so.
 */
export function guardGossipsub(pubsub: PubSub<GossipsubEvents>, allowedTopics: readonly string[], limits: GossipDecodeLimits, hooks: GossipGuardHooks): boolean {
  const ps = pubsub as unknown as GossipsubInternals;
  if (typeof ps.pipePeerReadStream !== "function" || typeof ps.handleReceivedRpc !== "function" || typeof ps.handlePeerReadStreamError !== "function") return false;
  const allowed = new Set(allowedTopics);
  const handle = ps.handleReceivedRpc.bind(ps);
  const decodeLimits = {
    limits: {
      subscriptions: limits.maxSubscriptions,
      messages: limits.maxMessages,
      control$: {
        ihave: limits.maxIhaveMessageIDs,
        iwant: limits.maxIwantMessageIDs,
        graft: limits.maxControlMessages,
        prune: limits.maxControlMessages,
        prune$: { peers: limits.maxPeerInfos },
        idontwant: limits.maxControlMessages,
        idontwant$: { messageIDs: limits.maxIdontwantMessageIDs },
      },
    },
  };
  const report = (peer: PeerId, kind: BadRpcKind, reason: string): void => {
    try {
      hooks.onBadRpc(peer, kind, reason);
    } catch {
      // the host's bookkeeping must never break the read loop
    }
  };
  ps.pipePeerReadStream = async (peerId, source) => {
    try {
      for await (const frame of source) {
        let rpc: RPC;
        try {
          rpc = RPC.decode(frame, decodeLimits);
        } catch (err) {
          report(peerId, "malformed", `malformed: gossip rpc of ${frame.length} bytes: ${(err as Error).message}`);
          continue;
        }
        const offTopic = rpc.subscriptions.filter((s) => s.topic != null && !allowed.has(s.topic)).length + rpc.messages.filter((m) => !allowed.has(m.topic)).length;
        if (offTopic > 0) report(peerId, "off-topic", `off-topic: gossip rpc names ${offTopic} subscriptions or messages on topics we do not carry`);
        // Not awaited, as gossipsub's own loop does (awaitRpcHandler off): a slow validation
        // must not stall the stream. handleReceivedRpc catches per message; this is the backstop.
        handle(peerId, rpc).catch(() => undefined);
      }
    } catch (err) {
      const name = (err as Error).name ?? "";
      if (name.startsWith("InvalidDataLength") || name.startsWith("InvalidMessageLength")) {
        report(peerId, "oversize", `oversize: gossip rpc frame: ${(err as Error).message}`);
      }
      ps.handlePeerReadStreamError(err, peerId);
    }
  };
  return true;
}
