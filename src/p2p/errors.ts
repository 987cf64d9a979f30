// Operating errors of the p2p layer. Bad bytes from a peer surface here as a typed error the
// node can act on (try another peer, report a fault), never as a crash or an untyped throw.
import { TriadError } from "../chain/index.js";

export type P2PErrorCode =
  /** A peer address or id we were given (config, caller) is not an ed25519 libp2p peer. */
  | "BAD_PEER"
  /** The peer answered, but not with what the protocol allows: garbage, wrong order, over a cap. */
  | "BAD_RESPONSE"
  /** The peer answered with an error frame (it refused or failed the request). */
  | "PEER_ERROR"
  /** The peer refused the request under its per-peer sync limits: not a fault; wait and ask again. */
  | "RATE_LIMITED"
  /** The caller's request is outside what the protocol allows (height 0, count 0 …). */
  | "BAD_REQUEST"
  /** The caller's AbortSignal fired, or the request timed out. */
  | "ABORTED"
  /** Could not open a connection or stream to the peer (gated, unreachable, protocol missing). */
  | "UNREACHABLE"
  /** The stream failed midway (reset, closed early). */
  | "STREAM_FAILED"
  /** A message to publish is over the topic's size limit. */
  | "MESSAGE_TOO_LARGE"
  /** A peer was disconnected for misbehaving and is refused until its cool-down ends. */
  | "PEER_REFUSED"
  /** The host is not running. */
  | "NOT_STARTED";

export class P2PError extends TriadError<P2PErrorCode> {}
