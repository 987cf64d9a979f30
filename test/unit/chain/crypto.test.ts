import { describe, expect, it } from "vitest";
import { ed25519 } from "@noble/curves/ed25519.js";
import { createHash } from "node:crypto";
import { signingBytes, SIGN_DOMAINS } from "../../../src/chain/domain.js";
import { fromHex, toHex, Writer } from "../../../src/chain/encoding.js";
import { sha256 } from "../../../src/chain/hash.js";
import {
  devKeyPair,
  generateKeyPair,
  keyPairFromSecret,
  nobleSign,
  nobleSignDomain,
  nobleVerify,
  parsePublicKey,
  publicKeyHex,
} from "../../../src/chain/keys.js";
import { Signer, verify, verifyDomain } from "../../../src/chain/signature.js";
import { DecodeError } from "../../../src/chain/errors.js";
import { Prng } from "../../fixtures/prng.js";

const TEST_1024_MESSAGE =
  "08b8b2b733424243760fe426a4b54908632110a66c2f6591eabd3345e3e4eb98fa6e264bf09efe12ee50f8f54e9f77b1e355f6c50544e23fb1433ddf73be84d879de7c0046dc4996d9e773f4bc9efe5738829adb26c81b37c93a1b270b20329d658675fc6ea534e0810a4432826bf58c941efb65d57a338bbd2e26640f89ffbc1a858efcb8550ee3a5e1998bd177e93a7363c344fe6b199ee5d02e82d522c4feba15452f80288a821a579116ec6dad2b3b310da903401aa62100ab5d1a36553e06203b33890cc9b832f79ef80560ccb9a39ce767967ed628c6ad573cb116dbefefd75499da96bd68a8a97b928a8bbc103b6621fcde2beca1231d206be6cd9ec7aff6f6c94fcd7204ed3455c68c83f4a41da4af2b74ef5c53f1d8ac70bdcb7ed185ce81bd84359d44254d95629e9855a94a7c1958d1f8ada5d0532ed8a5aa3fb2d17ba70eb6248e594e1a2297acbbb39d502f1a8c6eb6f1ce22b3de1a1f40cc24554119a831a9aad6079cad88425de6bde1a9187ebb6092cf67bf2b13fd65f27088d78b7e883c8759d2c4f5c65adb7553878ad575f9fad878e80a0c9ba63bcbcc2732e69485bbc9c90bfbd62481d9089beccf80cfe2df16a2cf65bd92dd597b0707e0917af48bbb75fed413d238f5555a7a569d80c3414a8d0859dc65a46128bab27af87a71314f318c782b23ebfe808b82b0ce26401d2e22f04d83d1255dc51addd3b75a2b1ae0784504df543af8969be3ea7082ff7fc9888c144da2af58429ec96031dbcad3dad9af0dcbaaaf268cb8fcffead94f3c7ca495e056a9b47acdb751fb73e666c6c655ade8297297d07ad1ba5e43f1bca32301651339e22904cc8c42f58c30c04aafdb038dda0847dd988dcda6f3bfd15c4b4c4525004aa06eeff8ca61783aacec57fb3d1f92b0fe2fd1a85f6724517b65e614ad6808d6f6ee34dff7310fdc82aebfd904b01e1dc54b2927094b2db68d6f903b68401adebf5a7e08d78ff4ef5d63653a65040cf9bfd4aca7984a74d37145986780fc0b16ac451649de6188a7dbdf191f64b5fc5e2ab47b57f7f7276cd419c17a3ca8e1b939ae49e488acba6b965610b5480109c8b17b80e1b7b750dfc7598d5d5011fd2dcc5600a32ef5b52a1ecc820e308aa342721aac0943bf6686b64b2579376504ccc493d97e6aed3fb0f9cd71a43dd497f01f17c0e2cb3797aa2a2f256656168e6c496afc5fb93246f6b1116398a346f1a641f3b041e989f7914f90cc2c7fff357876e506b50d334ba77c225bc307ba537152f3f1610e4eafe595f6d9d90d11faa933a15ef1369546868a7f3a45a96768d40fd9d03412c091c6315cf4fde7cb68606937380db2eaaa707b4c4185c32eddcdd306705e4dc1ffc872eeee475a64dfac86aba41c0618983f8741c5ef68d3a101e8a3b8cac60c905c15fc910840b94c00a0b9d0";

/** RFC 8032 section 7.1 test vectors for Ed25519. */
const RFC8032 = [
  {
    name: "TEST 1",
    secretKey: "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
    publicKey: "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
    message: "",
    signature:
      "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
  },
  {
    name: "TEST 2",
    secretKey: "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
    publicKey: "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
    message: "72",
    signature:
      "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
  },
  {
    name: "TEST 3",
    secretKey: "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
    publicKey: "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
    message: "af82",
    signature:
      "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
  },
  {
    name: "TEST 1024",
    secretKey: "f5e5767cf153319517630f226876b86c8160cc583bc013744c6bf255f5cc0ee5",
    publicKey: "278117fc144c72340f67d0f2316e8386ceffbf2b2428c9c51fef7c597f1d426e",
    message: TEST_1024_MESSAGE,
    signature:
      "0aab4c900501b3e24d7cdf4663326a3a87df5e4843b2cbdb67cbf6e460fec350aa5371b1508f9f4528ecea23c436d94b5e8fcd4f681e30a6ac00a9704a188a03",
  },
  {
    name: "TEST SHA(abc)",
    secretKey: "833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42",
    publicKey: "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
    message:
      "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
    signature:
      "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b58909351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704",
  },
] as const;

function flipBit(bytes: Uint8Array, bit: number): Uint8Array {
  const out = Uint8Array.from(bytes);
  out[bit >> 3]! ^= 1 << (bit & 7);
  return out;
}

describe("RFC 8032 section 7.1 vectors", () => {
  it("the TEST 1024 message is the 1023-byte message and SHA(abc) is sha512('abc')", () => {
    expect(fromHex(TEST_1024_MESSAGE)).toHaveLength(1023);
    expect(RFC8032[4].message).toBe(createHash("sha512").update("abc").digest("hex"));
  });

  for (const v of RFC8032) {
    describe(v.name, () => {
      const secretKey = fromHex(v.secretKey, 32);
      const publicKey = fromHex(v.publicKey, 32);
      const message = fromHex(v.message);
      const signature = fromHex(v.signature, 64);

      it("noble: derives the public key, signs exactly, verifies", () => {
        expect(toHex(keyPairFromSecret(secretKey).publicKey)).toBe(v.publicKey);
        expect(toHex(nobleSign(message, secretKey))).toBe(v.signature);
        expect(nobleVerify(signature, message, publicKey)).toBe(true);
      });

      it("OpenSSL: Signer derives the public key, signs exactly, verify accepts", () => {
        const signer = new Signer(secretKey);
        expect(toHex(signer.publicKey)).toBe(v.publicKey);
        expect(signer.id).toBe(v.publicKey);
        expect(toHex(signer.sign(message))).toBe(v.signature);
        expect(verify(signature, message, publicKey)).toBe(true);
      });

      it("both reject a tampered message, signature or key", () => {
        const badMessage = message.length === 0 ? Uint8Array.of(0) : flipBit(message, 0);
        const badSignature = flipBit(signature, 7);
        const badS = flipBit(signature, 300);
        const otherKey = fromHex(RFC8032[(RFC8032.indexOf(v) + 1) % RFC8032.length]!.publicKey);
        for (const ok of [nobleVerify, verify]) {
          expect(ok(signature, badMessage, publicKey)).toBe(false);
          expect(ok(badSignature, message, publicKey)).toBe(false);
          expect(ok(badS, message, publicKey)).toBe(false);
          expect(ok(signature, message, otherKey)).toBe(false);
        }
      });
    });
  }
});

describe("noble and OpenSSL agree", () => {
  it("on 200 seeded random keys and messages, signing with either and verifying with both", () => {
    const prng = new Prng(0x7121ad);
    for (let i = 0; i < 200; i++) {
      const secretKey = prng.bytes(32);
      const message = prng.bytes(prng.int(300));
      const pair = keyPairFromSecret(secretKey);
      const signer = new Signer(secretKey);
      expect(signer.publicKey).toEqual(pair.publicKey);

      const sigNoble = nobleSign(message, secretKey);
      const sigSsl = signer.sign(message);
      // Ed25519 is deterministic: both libraries produce the same signature.
      expect(sigSsl).toEqual(sigNoble);
      expect(verify(sigNoble, message, pair.publicKey)).toBe(true);
      expect(nobleVerify(sigSsl, message, pair.publicKey)).toBe(true);

      const tamperedMessage = message.length === 0 ? Uint8Array.of(prng.int(256)) : flipBit(message, prng.int(message.length * 8));
      const tamperedSig = flipBit(sigNoble, prng.int(512));
      const tamperedKey = flipBit(pair.publicKey, prng.int(256));
      expect(verify(sigNoble, tamperedMessage, pair.publicKey)).toBe(false);
      expect(nobleVerify(sigSsl, tamperedMessage, pair.publicKey)).toBe(false);
      expect(verify(tamperedSig, message, pair.publicKey)).toBe(false);
      expect(nobleVerify(tamperedSig, message, pair.publicKey)).toBe(false);
      expect(verify(sigNoble, message, tamperedKey)).toBe(false);
      expect(nobleVerify(sigSsl, message, tamperedKey)).toBe(false);
    }
  });

  it("both reject wrong lengths without throwing", () => {
    const kp = devKeyPair("len");
    const msg = Uint8Array.of(1, 2, 3);
    const sig = nobleSign(msg, kp.secretKey);
    for (const ok of [nobleVerify, verify]) {
      expect(ok(sig.subarray(0, 63), msg, kp.publicKey)).toBe(false);
      expect(ok(new Uint8Array(65), msg, kp.publicKey)).toBe(false);
      expect(ok(sig, msg, kp.publicKey.subarray(0, 31))).toBe(false);
      expect(ok(sig, msg, new Uint8Array(33))).toBe(false);
    }
  });

  it("both reject S + L (signature malleability)", () => {
    const kp = devKeyPair("malleable");
    const msg = Uint8Array.of(9);
    const sig = nobleSign(msg, kp.secretKey);
    const L = 2n ** 252n + 27742317777372353535851937790883648493n;
    let s = 0n;
    for (let i = 63; i >= 32; i--) s = (s << 8n) | BigInt(sig[i]!);
    s += L;
    const mall = Uint8Array.from(sig);
    for (let i = 32; i < 64; i++) {
      mall[i] = Number(s & 0xffn);
      s >>= 8n;
    }
    expect(verify(mall, msg, kp.publicKey)).toBe(false);
    expect(nobleVerify(mall, msg, kp.publicKey)).toBe(false);
  });

  it("both reject small-order public keys, which would let anyone 'sign' any message", () => {
    // The identity point: with R = identity and S = 0 the cofactorless equation holds for
    // every message, and OpenSSL on its own accepts it.
    const identity = fromHex("01" + "00".repeat(31));
    const forged = new Uint8Array(64);
    forged.set(identity, 0);
    const msg = new Writer().string("steal the funds").finish();
    expect(verify(forged, msg, identity)).toBe(false);
    expect(nobleVerify(forged, msg, identity)).toBe(false);

    // All eight torsion points, in both sign-bit forms.
    const torsion = ed25519.Point.fromHex("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a");
    let p = ed25519.Point.ZERO;
    for (let i = 0; i < 8; i++) {
      const enc = p.toBytes();
      expect(p.isSmallOrder()).toBe(true);
      for (const key of [enc, flipBit(enc, 255)]) {
        const r = new Uint8Array(64);
        r.set(enc, 0);
        expect(verify(r, msg, key)).toBe(false);
        expect(nobleVerify(r, msg, key)).toBe(false);
      }
      p = p.add(torsion);
    }
    expect(p.equals(ed25519.Point.ZERO)).toBe(true);

    // Non-canonical y = p + 1 encodes the identity as well.
    const nonCanonicalIdentity = fromHex("ee" + "ff".repeat(30) + "7f");
    expect(verify(forged, msg, nonCanonicalIdentity)).toBe(false);
    expect(nobleVerify(forged, msg, nonCanonicalIdentity)).toBe(false);
  });
});

describe("domain separation", () => {
  const chain = "triad-test";
  const payload = new Writer().uint(7).uint(0).fixed(new Uint8Array(32).fill(1), 32).finish();
  const kp = devKeyPair("domain");
  const signer = new Signer(kp.secretKey);

  it("a prepare signature verifies only as prepare on its own chain", () => {
    const sig = signer.signDomain("prepare", chain, payload);
    expect(sig).toEqual(nobleSignDomain("prepare", chain, payload, kp.secretKey));
    expect(verifyDomain("prepare", chain, payload, sig, kp.publicKey)).toBe(true);
    expect(nobleVerify(sig, signingBytes("prepare", chain, payload), kp.publicKey)).toBe(true);
    expect(verifyDomain("commit", chain, payload, sig, kp.publicKey)).toBe(false);
    expect(verifyDomain("prepare", "triad-other", payload, sig, kp.publicKey)).toBe(false);
    expect(verifyDomain("prepare", chain, flipBit(payload, 0), sig, kp.publicKey)).toBe(false);
    for (const d of SIGN_DOMAINS) {
      if (d !== "prepare") expect(verifyDomain(d, chain, payload, sig, kp.publicKey)).toBe(false);
    }
  });

  it("signing bytes are distinct for every domain and unambiguous across field boundaries", () => {
    const seen = new Set<string>();
    for (const d of SIGN_DOMAINS) seen.add(toHex(signingBytes(d, chain, payload)));
    expect(seen.size).toBe(SIGN_DOMAINS.length);
    // Moving a byte between chain id and payload changes the bytes (length prefixes).
    expect(toHex(signingBytes("tx", "ab", Uint8Array.of(0x63)))).not.toBe(toHex(signingBytes("tx", "abc", new Uint8Array(0))));
  });
});

describe("keys", () => {
  it("devKeyPair is deterministic, label-specific and matches its documented derivation", () => {
    const a1 = devKeyPair("validator-0");
    const a2 = devKeyPair("validator-0");
    const b = devKeyPair("validator-1");
    expect(a1.secretKey).toEqual(a2.secretKey);
    expect(a1.publicKey).toEqual(a2.publicKey);
    expect(a1.publicKey).not.toEqual(b.publicKey);
    expect(a1.secretKey).toEqual(sha256(new TextEncoder().encode("triad-insecure-dev-key/validator-0")));
    expect(new Signer(a1.secretKey).publicKey).toEqual(a1.publicKey);
    expect(publicKeyHex(a1)).toBe(toHex(a1.publicKey));
    expect(parsePublicKey(publicKeyHex(a1))).toEqual(a1.publicKey);
  });

  it("generateKeyPair yields a consistent pair", () => {
    const kp = generateKeyPair();
    expect(kp.secretKey).toHaveLength(32);
    expect(keyPairFromSecret(kp.secretKey).publicKey).toEqual(kp.publicKey);
  });

  it("keyPairFromSecret copies the secret and rejects wrong lengths", () => {
    const secret = new Uint8Array(32).fill(5);
    const kp = keyPairFromSecret(secret);
    secret[0] = 99;
    expect(kp.secretKey[0]).toBe(5);
    expect(() => keyPairFromSecret(new Uint8Array(31))).toThrow(RangeError);
    expect(() => new Signer(new Uint8Array(33))).toThrow(RangeError);
  });

  it("parsePublicKey accepts only 32 bytes of lower-case hex", () => {
    const id = publicKeyHex(devKeyPair("x"));
    expect(() => parsePublicKey(id.toUpperCase())).toThrow(DecodeError);
    expect(() => parsePublicKey(id.slice(2))).toThrow(DecodeError);
    expect(() => parsePublicKey(`0x${id}`)).toThrow(DecodeError);
  });
});
