// verifyDomainAsync answers as verifyDomain does, weak keys included, off the main thread.
import { describe, expect, it } from "vitest";
import { devKeyPair, nobleSignDomain } from "../../../src/chain/keys.js";
import { verifyDomain, verifyDomainAsync } from "../../../src/chain/signature.js";

describe("verifyDomainAsync", () => {
  const k = devKeyPair("async");
  const payload = new Uint8Array([1, 2, 3]);
  const sig = nobleSignDomain("commit", "c", payload, k.secretKey);

  it("accepts a good signature and refuses a changed one, another domain or chain", async () => {
    expect(await verifyDomainAsync("commit", "c", payload, sig, k.publicKey)).toBe(true);
    const bad = Uint8Array.from(sig);
    bad[5] = bad[5]! ^ 1;
    expect(await verifyDomainAsync("commit", "c", payload, bad, k.publicKey)).toBe(false);
    expect(await verifyDomainAsync("prepare", "c", payload, sig, k.publicKey)).toBe(false);
    expect(await verifyDomainAsync("commit", "d", payload, sig, k.publicKey)).toBe(false);
    expect(await verifyDomainAsync("commit", "c", payload, sig.subarray(1), k.publicKey)).toBe(false);
  });

  it("refuses the identity key's all-zero signature, which OpenSSL alone would accept", async () => {
    const identity = new Uint8Array(32);
    identity[0] = 1;
    const zero = new Uint8Array(64);
    zero[0] = 1;
    expect(verifyDomain("commit", "c", payload, zero, identity)).toBe(false);
    expect(await verifyDomainAsync("commit", "c", payload, zero, identity)).toBe(false);
  });
});
