// A node's libp2p identity IS its validator key: the PeerId is derived from the same 32-byte
// ed25519 public key that signs consensus messages, so "who is on the other end of this Noise
// session" and "which validator is this" are one question with one answer.
import { generateKeyPairFromSeed, publicKeyFromRaw } from "@libp2p/crypto/keys";
import type { Ed25519PrivateKey, PeerId } from "@libp2p/interface";
import { peerIdFromPublicKey, peerIdFromString } from "@libp2p/peer-id";
import { fromHex, PUBLIC_KEY_BYTES, SECRET_KEY_BYTES, toHex, type ValidatorId } from "../chain/index.js";
import { P2PError } from "./errors.js";

/** The libp2p private key for a validator's 32-byte ed25519 seed (KeyPair.secretKey). */
export async function libp2pPrivateKey(secretKey: Uint8Array): Promise<Ed25519PrivateKey> {
  if (secretKey.length !== SECRET_KEY_BYTES) throw new RangeError(`ed25519 secret key must be ${SECRET_KEY_BYTES} bytes`);
  // Not privateKeyFromRaw: given 32 bytes it builds a secp256k1 key, and given seed‖pub it
  // does not check the public half (P2P-NOTES §1).
  return generateKeyPairFromSeed("Ed25519", secretKey);
}

export function peerIdFromValidatorId(id: ValidatorId): PeerId {
  // Exactly 32 bytes: publicKeyFromRaw would silently read 33 bytes as a secp256k1 key.
  const raw = fromHex(id, PUBLIC_KEY_BYTES);
  return peerIdFromPublicKey(publicKeyFromRaw(raw));
}

/** The validator id (hex ed25519 key) behind a PeerId; P2PError BAD_PEER for any other key type. */
export function validatorIdFromPeerId(peerId: PeerId): ValidatorId {
  const id = tryValidatorIdFromPeerId(peerId);
  if (id === null) throw new P2PError("BAD_PEER", `peer ${peerId.toString()} is not an ed25519 peer`, { peer: peerId.toString() });
  return id;
}

/** As validatorIdFromPeerId, but null instead of throwing: for gating, where "no" is the answer. */
export function tryValidatorIdFromPeerId(peerId: PeerId): ValidatorId | null {
  if (peerId.type !== "Ed25519") return null;
  const raw = peerId.publicKey.raw;
  return raw.length === PUBLIC_KEY_BYTES ? toHex(raw) : null;
}

/** Parse "12D3KooW…" or a 64-char hex validator id into a PeerId. */
export function parsePeer(peer: PeerId | string): PeerId {
  if (typeof peer !== "string") return peer;
  try {
    return /^[0-9a-f]{64}$/.test(peer) ? peerIdFromValidatorId(peer) : peerIdFromString(peer);
  } catch (err) {
    throw new P2PError("BAD_PEER", `not a peer id or validator id: ${peer.slice(0, 80)}`, { cause: String(err) });
  }
}
