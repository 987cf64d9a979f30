// Permissioned admission: only peers whose ed25519 key the node currently allows (validator set
// ∪ configured observers ∪ known followers) get a connection. The decision is made on the
// Noise-authenticated PeerId (the Encrypted hooks); denyDialPeer only saves a pointless dial,
// because the id it sees is the one the caller asked for, not the one that answered.
import type { ConnectionGater, MultiaddrConnection, PeerId } from "@libp2p/interface";
import type { ValidatorId } from "../chain/index.js";
import { tryValidatorIdFromPeerId } from "./identity.js";
import type { PendingInbound } from "./pending-inbound.js";

/** The node's admission rule; called on every connection, so keep it a cheap lookup. */
export type AllowList = (id: ValidatorId) => boolean;

/** True when `peerId` is an ed25519 peer whose key the allow-list admits. */
export function isPeerAllowed(isAllowed: AllowList, peerId: PeerId): boolean {
  const id = tryValidatorIdFromPeerId(peerId);
  if (id === null) return false;
  try {
    return isAllowed(id);
  } catch {
    // A throwing allow-list must fail closed, not open (and never crash the upgrader).
    return false;
  }
}

/** `pending`: the per-IP cap on inbound handshakes in progress (none when absent). */
export function createConnectionGater(isAllowed: AllowList, pending?: PendingInbound): ConnectionGater {
  const deny = (peerId: PeerId): boolean => !isPeerAllowed(isAllowed, peerId);
  return {
    denyDialPeer: deny,
    denyInboundConnection: (maConn: MultiaddrConnection) => pending?.deny(maConn) ?? false,
    denyInboundEncryptedConnection: (peerId: PeerId, maConn: MultiaddrConnection) => {
      // Noise is done: the connection has a key, so it no longer counts against its address.
      pending?.settle(maConn);
      return deny(peerId);
    },
    denyOutboundEncryptedConnection: deny,
    // Checked again after the muxer is negotiated: the allow-list may have shrunk meanwhile.
    denyInboundUpgradedConnection: deny,
    denyOutboundUpgradedConnection: deny,
    // No circuit relay in a permissioned network: every peer is reached directly.
    denyInboundRelayReservation: () => true,
    denyOutboundRelayedConnection: () => true,
    denyInboundRelayedConnection: () => true,
  };
}
