// The p2p layer's public surface: the libp2p host, its consensus gossip topic and validator, the
// tx relay, the connection gater and the block sync protocol.
export { P2PError, type P2PErrorCode } from "./errors.js";
export { libp2pPrivateKey, parsePeer, peerIdFromValidatorId, tryValidatorIdFromPeerId, validatorIdFromPeerId } from "./identity.js";
export {
  ANY_PEER,
  FAULT_LIMITS,
  FaultLayer,
  faultSeedOf,
  type FaultCounters,
  type FaultDecision,
  type FaultDirection,
  type FaultEntry,
  type FaultLayerOptions,
  type FaultSpec,
  type LinkDirection,
  type LinkFault,
} from "./fault-layer.js";
export { createConnectionGater, isPeerAllowed, type AllowList } from "./gater.js";
export { PendingInbound } from "./pending-inbound.js";
export { PENALTY_DEFAULTS, PeerPenalties, type PenaltyOptions } from "./peer-penalties.js";
export {
  checkConsensusData,
  consensusTopic,
  GOSSIP_DECODE_LIMITS,
  GOSSIP_MAX_RPC_BYTES,
  GOSSIP_SCORE,
  GossipRouter,
  gossipsubOptions,
  type ConsensusCheck,
  type GossipDeps,
  type GossipKind,
  type GossipOptions,
  type GossipVerdict,
  type InvalidGossip,
  type VerifyDomainFn,
} from "./gossip.js";
export { SYNC_DEFAULTS, SYNC_RATE_LIMITED, SyncProtocol, syncProtocol, type SyncDeps, type SyncedBlock, type SyncOptions, type SyncSettings, type SyncStore } from "./sync-protocol.js";
export { SYNC_RATE_LIMIT_DEFAULTS, SyncRateLimiter, type SyncGrant, type SyncRateLimitOptions } from "./sync-rate-limit.js";
export { MAX_SYNC_FRAME_BYTES, type SyncFrame, type SyncRequest } from "./sync-codec.js";
export { P2P_HOST_DEFAULTS, P2PHost, type P2PHostDeps, type P2PHostOptions, type P2PServices, type RedialScheduler } from "./host.js";
export { REDIAL_BACKOFF_DEFAULTS, RedialBackoff, type RedialBackoffOptions, type RedialClock } from "./redial-backoff.js";
export { TX_RELAY_DEFAULTS, TxRelay, txRelayProtocol, type TxRelayDeps, type TxRelayOptions, type TxRelayStats } from "./tx-relay.js";
export { guardGossipsub, type BadRpcKind, type GossipDecodeLimits, type GossipGuardHooks } from "./gossip-guard.js";
export { checkItem, FrameRefusedError, GuardedFrameReader, type FrameGuard } from "./frame-reader.js";
export { decodeTxBatch, encodeTxBatch, MAX_TX_BATCH_BYTES, MAX_TX_BATCH_FRAME_BYTES, MAX_TX_BATCH_TXS } from "./tx-batch-codec.js";
