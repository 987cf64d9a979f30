// CometBFT's p2p.DefaultNodeInfo and p2p.ConnectionStatus (v0.38), as status and net_info show
// them. Triad's node is a libp2p host, not an MConnection: what it does not track (channels,
// byte counts and rates) is printed as CometBFT prints an empty or zero value, never made up.
import { BLOCK_PROTOCOL_VERSION, P2P_PROTOCOL_VERSION, rfc3339 } from "./format.js";
import type { PeerInfo } from "./node-api.js";
import type { ConnectionStatusJson, FlowStatusJson, NodeInfoJson } from "./types.js";

/** CometBFT's zero time, printed for a start it does not know. */
const ZERO_TIME = "0001-01-01T00:00:00Z";

export const PROTOCOL_VERSION_JSON = { p2p: P2P_PROTOCOL_VERSION, block: BLOCK_PROTOCOL_VERSION, app: "0" } as const;

export interface NodeInfoFields {
  readonly id: string;
  readonly listenAddr: string;
  readonly network: string;
  /** CometBFT's version field: the RPC version spoken ("" when not known, for a peer). */
  readonly version: string;
  readonly moniker: string;
  readonly txIndex: string;
  readonly rpcAddress: string;
  readonly peerId: string;
  /** Triad's own software version ("" when not known, for a peer). */
  readonly triadVersion: string;
}

export function nodeInfoJson(f: NodeInfoFields): NodeInfoJson {
  return {
    protocol_version: PROTOCOL_VERSION_JSON,
    id: f.id,
    listen_addr: f.listenAddr,
    network: f.network,
    version: f.version,
    // CometBFT lists its reactors' channel ids here as hex; Triad's streams are libp2p protocols.
    channels: "",
    moniker: f.moniker,
    other: { tx_index: f.txIndex, rpc_address: f.rpcAddress, peer_id: f.peerId, triad_version: f.triadVersion },
  };
}

/** Milliseconds → a Go time.Duration (nanoseconds) as CometBFT's JSON prints int64: a decimal string. */
function nanos(ms: number): string {
  return String(BigInt(Math.max(0, Math.floor(ms))) * 1_000_000n);
}

/**
 * A peer's connection_status. Known: how long the connection has been open (Duration, and the
 * monitors' Start and Duration) and that it is open (Active). Not tracked by Triad, so zero: the
 * bytes, samples, rates and idle time of each direction. No channels (see nodeInfoJson).
 */
export function connectionStatusJson(peer: PeerInfo, nowMs: number): ConnectionStatusJson {
  const known = peer.connectedAt !== undefined;
  const duration = known ? nanos(nowMs - peer.connectedAt) : "0";
  const monitor: FlowStatusJson = {
    Start: known ? rfc3339(peer.connectedAt) : ZERO_TIME,
    Bytes: "0",
    Samples: "0",
    InstRate: "0",
    CurRate: "0",
    AvgRate: "0",
    PeakRate: "0",
    BytesRem: "0",
    Duration: duration,
    Idle: "0",
    TimeRem: "0",
    Progress: 0,
    Active: true,
  };
  return { Duration: duration, SendMonitor: monitor, RecvMonitor: monitor, Channels: [] };
}
