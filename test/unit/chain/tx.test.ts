import { describe, expect, it } from "vitest";
import {
  builtinRegistry,
  kvDeleteKind,
  kvPutKind,
  MAX_KV_KEY_BYTES,
  MAX_KV_VALUE_BYTES,
  transferKind,
} from "../../../src/chain/builtin-kinds.js";
import { toHex, utf8, Writer } from "../../../src/chain/encoding.js";
import { DecodeError, TriadError, TxError, type TxErrorCode } from "../../../src/chain/errors.js";
import { sha256 } from "../../../src/chain/hash.js";
import { devKeyPair, nobleSign } from "../../../src/chain/keys.js";
import { signingBytes } from "../../../src/chain/domain.js";
import {
  decodeSignedTx,
  encodeSignedTx,
  MAX_PAYLOAD_BYTES,
  MAX_TX_BYTES,
  signTx,
  TX_VERSION,
  txSigningPayload,
  verifyTx,
  type UnsignedTx,
} from "../../../src/chain/tx.js";
import { TxRegistry } from "../../../src/chain/tx-registry.js";

const CHAIN = "triad-test";
const alice = devKeyPair("alice");
const bob = devKeyPair("bob");

function transferTx(nonce = 0, amount = 5n, chainId = CHAIN): UnsignedTx {
  return { chainId, from: alice.publicKey, nonce, kind: "transfer", payload: transferKind.encode({ to: bob.publicKey, amount }) };
}

function expectCode<C extends string>(fn: () => unknown, cls: new (...args: never[]) => TriadError<C>, code: C): TriadError<C> {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(cls);
  expect((caught as TriadError<C>).code).toBe(code);
  return caught as TriadError<C>;
}

const expectTxError = (fn: () => unknown, code: TxErrorCode): TriadError => expectCode(fn, TxError, code);

/** Hand-build a signed tx encoding, so tests can produce what the writer never would. */
function rawTx(parts: { version?: number; chainId?: string; nonceBytes?: Uint8Array; kind?: string; payload?: Uint8Array; sig?: Uint8Array }): Uint8Array {
  const w = new Writer()
    .u8(parts.version ?? TX_VERSION)
    .string(parts.chainId ?? CHAIN)
    .fixed(alice.publicKey, 32);
  if (parts.nonceBytes) w.raw(parts.nonceBytes);
  else w.uint(0);
  return w
    .string(parts.kind ?? "transfer")
    .bytes(parts.payload ?? transferKind.encode({ to: bob.publicKey, amount: 1n }))
    .fixed(parts.sig ?? new Uint8Array(64), 64)
    .finish();
}

describe("signed tx envelope", () => {
  it("signTx → encode → decodeSignedTx round trips every field", () => {
    const tx = signTx(transferTx(3), alice.secretKey);
    const decoded = decodeSignedTx(tx.bytes);
    expect(decoded.chainId).toBe(CHAIN);
    expect(decoded.from).toEqual(alice.publicKey);
    expect(decoded.nonce).toBe(3);
    expect(decoded.kind).toBe("transfer");
    expect(decoded.payload).toEqual(tx.payload);
    expect(decoded.signature).toEqual(tx.signature);
    expect(decoded.bytes).toEqual(tx.bytes);
    expect(decoded.hash).toEqual(tx.hash);
    expect(decoded.id).toBe(tx.id);
    expect(decoded.sender).toBe(toHex(alice.publicKey));
    expect(encodeSignedTx(decoded, decoded.signature)).toEqual(tx.bytes);
  });

  it("the hash is sha256 of the canonical bytes and stable across signings", () => {
    const a = signTx(transferTx(1), alice.secretKey);
    const b = signTx(transferTx(1), alice.secretKey);
    expect(a.hash).toEqual(sha256(a.bytes));
    expect(a.id).toBe(toHex(a.hash));
    expect(b.id).toBe(a.id); // ed25519 is deterministic
    expect(signTx(transferTx(2), alice.secretKey).id).not.toBe(a.id);
    expect(decodeSignedTx(a.bytes).id).toBe(a.id);
  });

  it("the signature covers the 'tx' domain, the chain id and the body", () => {
    const tx = signTx(transferTx(0), alice.secretKey);
    expect(tx.signature).toEqual(nobleSign(signingBytes("tx", CHAIN, txSigningPayload(tx)), alice.secretKey));
    expect(tx.bytes.subarray(0, tx.bytes.length - 64)).toEqual(txSigningPayload(tx));
  });

  it("verifyTx accepts a good tx, signed by noble, checked by OpenSSL", () => {
    expect(() => verifyTx(decodeSignedTx(signTx(transferTx(0), alice.secretKey).bytes), CHAIN)).not.toThrow();
  });

  it("verifyTx rejects another chain (WRONG_CHAIN)", () => {
    const tx = signTx(transferTx(0), alice.secretKey);
    const e = expectTxError(() => verifyTx(tx, "triad-other"), "WRONG_CHAIN");
    expect(e.details).toMatchObject({ expected: "triad-other", actual: CHAIN });
  });

  it("verifyTx rejects any flipped bit in the tx (BAD_SIGNATURE past the chain id)", () => {
    const tx = signTx(transferTx(0), alice.secretKey);
    const chainEnd = 2 + CHAIN.length; // version, chain id length prefix, chain id
    let badSignatures = 0;
    for (let bit = 0; bit < tx.bytes.length * 8; bit++) {
      const bytes = Uint8Array.from(tx.bytes);
      bytes[bit >> 3]! ^= 1 << (bit & 7);
      let decoded;
      try {
        decoded = decodeSignedTx(bytes);
      } catch (err) {
        expect(err).toBeInstanceOf(TriadError); // a structural break is a typed decode error
        continue;
      }
      if (bit >> 3 < chainEnd) {
        expect(() => verifyTx(decoded, CHAIN)).toThrow(TxError);
      } else {
        expectTxError(() => verifyTx(decoded, CHAIN), "BAD_SIGNATURE");
        badSignatures++;
      }
    }
    expect(badSignatures).toBeGreaterThan(500);
  });

  it("verifyTx rejects a tx whose sender is not the signer (BAD_SIGNATURE)", () => {
    const unsigned = { ...transferTx(0), from: bob.publicKey };
    const tx = signTx(unsigned, alice.secretKey);
    expectTxError(() => verifyTx(decodeSignedTx(tx.bytes), CHAIN), "BAD_SIGNATURE");
  });

  it("a tx re-labelled to another chain does not verify there", () => {
    const tx = signTx(transferTx(0), alice.secretKey);
    const relabelled = decodeSignedTx(encodeSignedTx({ ...tx, chainId: "triad-other" }, tx.signature));
    expectTxError(() => verifyTx(relabelled, "triad-other"), "BAD_SIGNATURE");
  });

  it("decode rejects trailing bytes", () => {
    const tx = signTx(transferTx(0), alice.secretKey);
    const e = expectCode(() => decodeSignedTx(Uint8Array.of(...tx.bytes, 0)), DecodeError, "TRAILING_BYTES");
    expect(e.details.trailing).toBe(1);
  });

  it("decode rejects truncation", () => {
    const tx = signTx(transferTx(0), alice.secretKey);
    for (const n of [0, 1, 10, tx.bytes.length - 1]) {
      expectCode(() => decodeSignedTx(tx.bytes.subarray(0, n)), DecodeError, "TRUNCATED");
    }
  });

  it("decode rejects oversize input before parsing (TX_TOO_LARGE)", () => {
    const e = expectTxError(() => decodeSignedTx(new Uint8Array(MAX_TX_BYTES + 1)), "TX_TOO_LARGE");
    expect(e.details).toMatchObject({ size: MAX_TX_BYTES + 1, limit: MAX_TX_BYTES });
  });

  it("decode rejects a non-minimal nonce varint (NON_CANONICAL)", () => {
    expect(decodeSignedTx(rawTx({ nonceBytes: Uint8Array.of(5) })).nonce).toBe(5);
    expectCode(() => decodeSignedTx(rawTx({ nonceBytes: Uint8Array.of(0x85, 0x00) })), DecodeError, "NON_CANONICAL");
  });

  it("decode keeps a leading BOM in the chain id or kind instead of silently dropping it", () => {
    // Before the BOM fix the decoder silently dropped U+FEFF; now it keeps it, so the tx
    // round trips as written and is simply for another chain / an unknown kind.
    const tx = decodeSignedTx(rawTx({ chainId: `\uFEFF${CHAIN}`, kind: "\uFEFFtransfer" }));
    expect(tx.chainId).toBe(`\uFEFF${CHAIN}`);
    expect(tx.kind).toBe("\uFEFFtransfer");
    expectTxError(() => verifyTx(tx, CHAIN), "WRONG_CHAIN");
    expectTxError(() => builtinRegistry().decodePayload(tx), "UNKNOWN_KIND");
  });

  it("decode rejects an unknown version, an oversize chain id and an oversize kind", () => {
    expectTxError(() => decodeSignedTx(rawTx({ version: 2 })), "BAD_PAYLOAD");
    expectCode(() => decodeSignedTx(rawTx({ chainId: "c".repeat(65) })), DecodeError, "OVERSIZE");
    expectCode(() => decodeSignedTx(rawTx({ kind: "k".repeat(33) })), DecodeError, "OVERSIZE");
  });

  it("signTx refuses what no node would decode", () => {
    expectTxError(() => signTx({ ...transferTx(0), from: new Uint8Array(31) }, alice.secretKey), "BAD_PAYLOAD");
    expectTxError(() => signTx({ ...transferTx(0), nonce: -1 }, alice.secretKey), "BAD_NONCE");
    expectTxError(() => signTx({ ...transferTx(0), nonce: 1.5 }, alice.secretKey), "BAD_NONCE");
    expectTxError(() => signTx({ ...transferTx(0), kind: "" }, alice.secretKey), "UNKNOWN_KIND");
    expectTxError(() => signTx({ ...transferTx(0), kind: "k".repeat(33) }, alice.secretKey), "UNKNOWN_KIND");
    expectTxError(() => signTx({ ...transferTx(0), payload: new Uint8Array(MAX_PAYLOAD_BYTES + 1) }, alice.secretKey), "TX_TOO_LARGE");
    expectTxError(() => signTx({ ...transferTx(0), chainId: "c".repeat(65) }, alice.secretKey), "WRONG_CHAIN");
  });

  it("a maximal tx (64-byte chain id, largest payload, large nonce) round trips within MAX_TX_BYTES", () => {
    const unsigned: UnsignedTx = {
      chainId: "c".repeat(64),
      from: alice.publicKey,
      nonce: Number.MAX_SAFE_INTEGER,
      kind: "k".repeat(32),
      payload: new Uint8Array(MAX_PAYLOAD_BYTES).fill(0xab),
    };
    const tx = signTx(unsigned, alice.secretKey);
    expect(tx.bytes.length).toBeLessThanOrEqual(MAX_TX_BYTES);
    const decoded = decodeSignedTx(tx.bytes);
    expect(decoded.id).toBe(tx.id);
    expect(() => verifyTx(decoded, "c".repeat(64))).not.toThrow();
  });
});

describe("tx registry and built-in kinds", () => {
  const registry = builtinRegistry();

  function signed(kind: string, payload: Uint8Array) {
    return signTx({ chainId: CHAIN, from: alice.publicKey, nonce: 0, kind, payload }, alice.secretKey);
  }

  it("lists the built-in kinds and refuses to register one twice", () => {
    expect(registry.names()).toEqual(["kv.delete", "kv.put", "transfer"]);
    expect(registry.has("transfer")).toBe(true);
    expect(() => builtinRegistry().register(transferKind)).toThrow(/already registered/);
  });

  it("decodes valid payloads of every built-in kind", () => {
    expect(registry.decodePayload(signed("transfer", transferKind.encode({ to: bob.publicKey, amount: 10n })))).toEqual({
      to: bob.publicKey,
      amount: 10n,
    });
    expect(registry.decodePayload(signed("kv.put", kvPutKind.encode({ key: "k", value: Uint8Array.of(1) })))).toEqual({
      key: "k",
      value: Uint8Array.of(1),
    });
    expect(registry.decodePayload(signed("kv.delete", kvDeleteKind.encode({ key: "k" })))).toEqual({ key: "k" });
  });

  it("rejects an unknown kind (UNKNOWN_KIND)", () => {
    const e = expectTxError(() => registry.decodePayload(signed("mint", new Uint8Array(0))), "UNKNOWN_KIND");
    expect(e.details).toMatchObject({ kind: "mint", known: ["kv.delete", "kv.put", "transfer"] });
    expectTxError(() => registry.get("mint"), "UNKNOWN_KIND");
    expectTxError(() => new TxRegistry().get("transfer"), "UNKNOWN_KIND");
  });

  it("rejects a transfer of amount 0 (BAD_PAYLOAD)", () => {
    const e = expectTxError(() => registry.decodePayload(signed("transfer", transferKind.encode({ to: bob.publicKey, amount: 0n }))), "BAD_PAYLOAD");
    expect(e.details).toMatchObject({ kind: "transfer", reason: "INVALID_VALUE" });
  });

  it("rejects malformed transfer payloads", () => {
    const good = transferKind.encode({ to: bob.publicKey, amount: 1n });
    expectTxError(() => registry.decodePayload(signed("transfer", good.subarray(0, 32))), "BAD_PAYLOAD");
    expectTxError(() => registry.decodePayload(signed("transfer", Uint8Array.of(...good, 0))), "BAD_PAYLOAD");
    const nonMinimal = new Writer().fixed(bob.publicKey, 32).raw(Uint8Array.of(0x81, 0x00)).finish();
    const e = expectTxError(() => registry.decodePayload(signed("transfer", nonMinimal)), "BAD_PAYLOAD");
    expect(e.details.reason).toBe("NON_CANONICAL");
    expectTxError(() => registry.decodePayload(signed("transfer", new Uint8Array(43))), "TX_TOO_LARGE");
  });

  it("rejects a kv key that is empty or longer than 256 bytes (BAD_PAYLOAD)", () => {
    expectTxError(() => registry.decodePayload(signed("kv.put", kvPutKind.encode({ key: "", value: Uint8Array.of(1) }))), "BAD_PAYLOAD");
    expectTxError(() => registry.decodePayload(signed("kv.delete", kvDeleteKind.encode({ key: "" }))), "BAD_PAYLOAD");
    const longKey = "k".repeat(MAX_KV_KEY_BYTES + 1);
    expectTxError(() => registry.decodePayload(signed("kv.put", kvPutKind.encode({ key: longKey, value: Uint8Array.of(1) }))), "BAD_PAYLOAD");
    expectTxError(() => registry.decodePayload(signed("kv.delete", kvDeleteKind.encode({ key: longKey }))), "BAD_PAYLOAD");
    // The limit is in UTF-8 bytes: 86 three-byte characters are 258 bytes.
    expectTxError(() => registry.decodePayload(signed("kv.delete", kvDeleteKind.encode({ key: "日".repeat(86) }))), "BAD_PAYLOAD");
    // Exactly 256 bytes is fine, as is the largest value.
    const maxKey = "k".repeat(MAX_KV_KEY_BYTES);
    expect(registry.decodePayload(signed("kv.put", kvPutKind.encode({ key: maxKey, value: new Uint8Array(MAX_KV_VALUE_BYTES) })))).toMatchObject({
      key: maxKey,
    });
    expect(registry.decodePayload(signed("kv.delete", kvDeleteKind.encode({ key: maxKey })))).toEqual({ key: maxKey });
  });

  it("rejects a kv value over 16 KiB", () => {
    expectTxError(
      () => registry.decodePayload(signed("kv.put", kvPutKind.encode({ key: "k", value: new Uint8Array(MAX_KV_VALUE_BYTES + 1) }))),
      "BAD_PAYLOAD",
    );
  });

  it("toJSON renders payloads and tolerates garbage", () => {
    expect(registry.toJSON(signed("transfer", transferKind.encode({ to: bob.publicKey, amount: 12n })))).toEqual({
      to: toHex(bob.publicKey),
      amount: "12",
    });
    expect(registry.toJSON(signed("kv.put", kvPutKind.encode({ key: "a", value: utf8("hi") })))).toEqual({ key: "a", value: "aGk=" });
    expect(registry.toJSON(signed("transfer", Uint8Array.of(1)))).toEqual({});
    expect(registry.toJSON(signed("mint", Uint8Array.of(1)))).toEqual({});
  });
});
