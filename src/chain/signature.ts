// ed25519 sign/verify through OpenSSL (node:crypto): about 13k verifies/s here against noble's
// 0.9k, so every verification on the node's hot paths comes through this module.
import { createPrivateKey, createPublicKey, sign as nodeSign, verify as nodeVerify, type KeyObject } from "node:crypto";
import { signingBytes, type SignDomain } from "./domain.js";
import { PUBLIC_KEY_BYTES, SECRET_KEY_BYTES, SIGNATURE_BYTES } from "./keys.js";
import { toHex } from "./encoding.js";

// DER prefixes that wrap a raw ed25519 key as SPKI / PKCS#8 (RFC 8410).
const SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");
const PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");

// Parsing a key into a KeyObject costs about as much as a verify; validators are few, so cache.
const PUBLIC_KEY_CACHE_LIMIT = 4096;
const publicKeyCache = new Map<string, KeyObject>();

function publicKeyObject(publicKey: Uint8Array): KeyObject {
  const id = toHex(publicKey);
  let key = publicKeyCache.get(id);
  if (key === undefined) {
    key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, publicKey]), format: "der", type: "spki" });
    if (publicKeyCache.size >= PUBLIC_KEY_CACHE_LIMIT) {
      const oldest = publicKeyCache.keys().next().value;
      if (oldest !== undefined) publicKeyCache.delete(oldest);
    }
    publicKeyCache.set(id, key);
  }
  return key;
}

// Public keys OpenSSL would accept but RFC 8032 strict verification (and noble with zip215 off)
// rejects: the small-order points, in every encoding that fits in 32 bytes (compared with the
// sign bit masked off, as libsodium does), including the non-canonical y = p and y = p + 1.
// OpenSSL verifies the all-zero-S signature of the identity key for *any* message, so an
// account or validator with such a key could be impersonated by anyone.
const SMALL_ORDER_KEYS = [
  "0000000000000000000000000000000000000000000000000000000000000000",
  "0100000000000000000000000000000000000000000000000000000000000000",
  "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
  "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
  "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
].map((h) => Buffer.from(h, "hex"));

/** y >= p (2^255 - 19): an encoding RFC 8032 rejects but OpenSSL reduces and accepts. */
function isNonCanonicalY(publicKey: Uint8Array): boolean {
  if ((publicKey[31]! & 0x7f) !== 0x7f) return false;
  for (let i = 30; i >= 1; i--) if (publicKey[i] !== 0xff) return false;
  return publicKey[0]! >= 0xed;
}

function isWeakPublicKey(publicKey: Uint8Array): boolean {
  if (isNonCanonicalY(publicKey)) return true;
  for (const bad of SMALL_ORDER_KEYS) {
    let diff = (publicKey[31]! & 0x7f) ^ bad[31]!;
    for (let i = 0; i < 31; i++) diff |= publicKey[i]! ^ bad[i]!;
    if (diff === 0) return true;
  }
  return false;
}

export function verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.length !== SIGNATURE_BYTES || publicKey.length !== PUBLIC_KEY_BYTES) return false;
  if (isWeakPublicKey(publicKey)) return false;
  try {
    return nodeVerify(null, message, publicKeyObject(publicKey), signature);
  } catch {
    return false;
  }
}

export function verifyDomain(
  domain: SignDomain,
  chainId: string,
  payload: Uint8Array,
  signature: Uint8Array,
  publicKey: Uint8Array,
): boolean {
  return verify(signature, signingBytes(domain, chainId, payload), publicKey);
}

/** A signer holding its key as an OpenSSL KeyObject: the node's own signing path. */
export class Signer {
  readonly publicKey: Uint8Array;
  readonly id: string;
  private readonly key: KeyObject;

  constructor(secretKey: Uint8Array) {
    if (secretKey.length !== SECRET_KEY_BYTES) throw new RangeError(`ed25519 secret key must be ${SECRET_KEY_BYTES} bytes`);
    this.key = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, secretKey]), format: "der", type: "pkcs8" });
    const spki = createPublicKey(this.key).export({ format: "der", type: "spki" });
    this.publicKey = new Uint8Array(spki.subarray(spki.length - PUBLIC_KEY_BYTES));
    this.id = toHex(this.publicKey);
  }

  sign(message: Uint8Array): Uint8Array {
    return new Uint8Array(nodeSign(null, message, this.key));
  }

  signDomain(domain: SignDomain, chainId: string, payload: Uint8Array): Uint8Array {
    return this.sign(signingBytes(domain, chainId, payload));
  }
}

/**
 * `verifyDomain` on libuv's thread pool: many checks at once use every core (`triad check`
 * verifies thousands of seal signatures). Same rules, weak keys included.
 */
export function verifyDomainAsync(domain: SignDomain, chainId: string, payload: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): Promise<boolean> {
  if (signature.length !== SIGNATURE_BYTES || publicKey.length !== PUBLIC_KEY_BYTES || isWeakPublicKey(publicKey)) return Promise.resolve(false);
  return new Promise((resolve) => {
    try {
      nodeVerify(null, signingBytes(domain, chainId, payload), publicKeyObject(publicKey), signature, (err, ok) => resolve(err === null && ok));
    } catch {
      resolve(false);
    }
  });
}
