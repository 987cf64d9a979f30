// Keys and signing with @noble/curves: key generation everywhere, and signing in the client
// (pure JavaScript, so it also runs in browsers). Verification on the node's hot paths uses
// OpenSSL through ./signature.ts; both are proven to agree in the tests.
import { ed25519 } from "@noble/curves/ed25519.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { fromHex, toHex, utf8 } from "./encoding.js";
import { signingBytes, type SignDomain } from "./domain.js";

export const PUBLIC_KEY_BYTES = 32;
export const SECRET_KEY_BYTES = 32;
export const SIGNATURE_BYTES = 64;

/** An ed25519 key pair: `secretKey` is the 32-byte seed (RFC 8032), `publicKey` 32 bytes. */
export interface KeyPair {
  readonly publicKey: Uint8Array;
  readonly secretKey: Uint8Array;
}

export function generateKeyPair(): KeyPair {
  const secretKey = ed25519.utils.randomSecretKey();
  return { secretKey, publicKey: ed25519.getPublicKey(secretKey) };
}

export function keyPairFromSecret(secretKey: Uint8Array): KeyPair {
  if (secretKey.length !== SECRET_KEY_BYTES) throw new RangeError(`ed25519 secret key must be ${SECRET_KEY_BYTES} bytes`);
  return { secretKey: Uint8Array.from(secretKey), publicKey: ed25519.getPublicKey(secretKey) };
}

/**
 * INSECURE development keys, derivable by anyone from a label: seed = sha256("triad-insecure-dev-key/" + label).
 * The example genesis files and the tests use them; never use them for a real network.
 */
export function devKeyPair(label: string): KeyPair {
  return keyPairFromSecret(sha256(utf8(`triad-insecure-dev-key/${label}`)));
}

export function nobleSign(message: Uint8Array, secretKey: Uint8Array): Uint8Array {
  return ed25519.sign(message, secretKey);
}

export function nobleVerify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  try {
    // zip215 off: RFC 8032 strict (canonical encodings, no small-order keys), which is what
    // ./signature.ts enforces on the OpenSSL path; ZIP-215 would accept keys OpenSSL-side rejects.
    return ed25519.verify(signature, message, publicKey, { zip215: false });
  } catch {
    return false;
  }
}

/** Sign a domain-separated payload with noble (the client's path). */
export function nobleSignDomain(domain: SignDomain, chainId: string, payload: Uint8Array, secretKey: Uint8Array): Uint8Array {
  return nobleSign(signingBytes(domain, chainId, payload), secretKey);
}

export type Hex = string;

export function publicKeyHex(pair: KeyPair): Hex {
  return toHex(pair.publicKey);
}

export function parsePublicKey(hex: string): Uint8Array {
  return fromHex(hex, PUBLIC_KEY_BYTES);
}
