// The p2p layer's pure parts, without a network: identity mapping, the gater's decisions, the
// gossip verdicts, the tx batch codec, and configuration errors.
import { generateKeyPair } from "@libp2p/crypto/keys";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import { describe, expect, it } from "vitest";
import { DecodeError, isMember, MAX_TX_BYTES, toHex, utf8, verifyDomain, Writer, type SignDomain } from "../../src/chain/index.js";
import { encodeMessage } from "../../src/consensus/messages.js";
import {
  checkConsensusData,
  createConnectionGater,
  decodeTxBatch,
  encodeTxBatch,
  MAX_TX_BATCH_TXS,
  libp2pPrivateKey,
  P2PError,
  P2PHost,
  parsePeer,
  peerIdFromValidatorId,
  validatorIdFromPeerId,
  type ConsensusCheck,
} from "../../src/p2p/index.js";
import { ownedBytes } from "../../src/p2p/wire-bytes.js";
import { CHAIN_ID, emptyStore, intruderId, intruderKey, key, logger, prepare, STALE_BELOW, transfer, validatorIds, validators } from "./helpers.js";

const check: ConsensusCheck = {
  chainId: CHAIN_ID,
  isValidator: (id) => isMember(validators, id),
  isStale: (m) => m.height < STALE_BELOW,
  verify: verifyDomain,
};

describe("identity", () => {
  it("maps a validator key to the PeerId libp2p derives from the same seed, and back", async () => {
    const fromSeed = peerIdFromPrivateKey(await libp2pPrivateKey(key(0).secretKey));
    const fromId = peerIdFromValidatorId(validatorIds[0]!);
    expect(fromId.equals(fromSeed)).toBe(true);
    expect(fromId.toString()).toMatch(/^12D3KooW/);
    expect(validatorIdFromPeerId(fromSeed)).toBe(validatorIds[0]);
    expect(parsePeer(fromId.toString()).equals(fromId)).toBe(true);
    expect(parsePeer(validatorIds[0]!).equals(fromId)).toBe(true);
  });

  it("refuses keys that are not 32-byte ed25519", async () => {
    const secp = peerIdFromPrivateKey(await generateKeyPair("secp256k1"));
    expect(() => validatorIdFromPeerId(secp)).toThrow(P2PError);
    expect(() => peerIdFromValidatorId(`${validatorIds[0]!}00`)).toThrow();
    expect(() => parsePeer("not-a-peer")).toThrow(P2PError);
  });
});

describe("connection gater", () => {
  const allowed = new Set(validatorIds);
  const gater = createConnectionGater((id) => allowed.has(id));
  const member = peerIdFromValidatorId(validatorIds[1]!);
  const intruder = peerIdFromValidatorId(intruderId);
  const conn = {} as never;

  it("admits allowed keys and denies others on the authenticated hooks", async () => {
    expect(await gater.denyDialPeer!(member)).toBe(false);
    expect(await gater.denyInboundEncryptedConnection!(member, conn)).toBe(false);
    expect(await gater.denyOutboundEncryptedConnection!(member, conn)).toBe(false);
    expect(await gater.denyDialPeer!(intruder)).toBe(true);
    expect(await gater.denyInboundEncryptedConnection!(intruder, conn)).toBe(true);
    expect(await gater.denyOutboundEncryptedConnection!(intruder, conn)).toBe(true);
    expect(await gater.denyInboundRelayedConnection!(member, member)).toBe(true);
  });

  it("denies non-ed25519 peers and fails closed when the allow-list throws", async () => {
    const secp = peerIdFromPrivateKey(await generateKeyPair("secp256k1"));
    expect(await gater.denyInboundEncryptedConnection!(secp, conn)).toBe(true);
    const broken = createConnectionGater(() => {
      throw new Error("validator set unavailable");
    });
    expect(await broken.denyInboundEncryptedConnection!(member, conn)).toBe(true);
  });
});

describe("consensus gossip verdicts", () => {
  it("accepts a member's correctly signed message", () => {
    const m = prepare(key(2), 10);
    const v = checkConsensusData(encodeMessage(m), check);
    expect(v.result).toBe("accept");
    if (v.result === "accept") expect(v.value).toEqual(m);
  });

  it.each([
    ["malformed bytes", utf8("nope"), "reject", /malformed/],
    ["a non-member", encodeMessage(prepare(intruderKey, 10)), "reject", /non-member/],
    ["a forged sender", encodeMessage(prepare(key(0), 10, { from: validatorIds[1] })), "reject", /bad signature/],
    ["another chain", encodeMessage({ ...prepare(key(0), 10), chainId: "other" }), "reject", /wrong chain/],
    ["a stale message", encodeMessage(prepare(key(0), STALE_BELOW - 1)), "ignore", /stale/],
  ] as const)("%s: %s", (_name, data, result, reason) => {
    const v = checkConsensusData(data, check);
    expect(v.result).toBe(result);
    if (v.result !== "accept") expect(v.reason).toMatch(reason);
  });

  it("checks stale and membership before spending a signature verification", () => {
    const calls: SignDomain[] = [];
    const counting: ConsensusCheck = { ...check, verify: (d, ...rest) => (calls.push(d), verifyDomain(d, ...rest)) };
    checkConsensusData(encodeMessage(prepare(key(0), 1)), counting);
    checkConsensusData(encodeMessage(prepare(intruderKey, 10)), counting);
    expect(calls).toEqual([]);
    checkConsensusData(encodeMessage(prepare(key(0), 10)), counting);
    expect(calls).toEqual(["prepare"]);
  });

  it("uses the injected verifier (the node's cache)", () => {
    const v = checkConsensusData(encodeMessage(prepare(key(0), 10)), { ...check, verify: () => false });
    expect(v.result).toBe("reject");
  });
});

describe("tx batch codec", () => {
  const code = (bytes: Uint8Array): string | undefined => {
    try {
      decodeTxBatch(bytes);
      return undefined;
    } catch (err) {
      expect(err).toBeInstanceOf(DecodeError);
      return (err as DecodeError).code;
    }
  };

  it("round-trips a batch, each tx its own copy", () => {
    const txs = [transfer(0).bytes, transfer(1).bytes, transfer(2).bytes];
    const frame = encodeTxBatch(txs);
    const back = decodeTxBatch(frame);
    expect(back).toEqual(txs);
    back[0]![0] = back[0]![0]! ^ 1;
    expect(decodeTxBatch(frame)[0]).toEqual(txs[0]);
  });

  it("rejects an empty batch, too many txs, an empty or oversize tx, trailing and truncated bytes, and a non-minimal count", () => {
    const tx = transfer(0).bytes;
    expect(code(encodeTxBatch([]))).toBe("INVALID_VALUE");
    expect(code(new Writer().uint(MAX_TX_BATCH_TXS + 1).finish())).toBe("OVERSIZE");
    expect(code(new Writer().uint(1).bytes(new Uint8Array(0)).finish())).toBe("INVALID_VALUE");
    expect(code(new Writer().uint(1).bytes(new Uint8Array(MAX_TX_BYTES + 1)).finish())).toBe("OVERSIZE");
    expect(code(Uint8Array.of(...encodeTxBatch([tx]), 0))).toBe("TRAILING_BYTES");
    expect(code(encodeTxBatch([tx, tx]).subarray(0, 10))).toBe("TRUNCATED");
    expect(code(Uint8Array.of(0x81, 0x00, ...new Writer().bytes(tx).finish()))).toBe("NON_CANONICAL");
  });
});

describe("host configuration", () => {
  const deps = {
    logger,
    isAllowed: () => true,
    isValidator: () => true,
    isStale: () => false,
    onConsensusMessage: () => undefined,
    onTx: () => undefined,
    relayTargets: () => validatorIds,
    store: emptyStore,
  };
  const options = { chainId: CHAIN_ID, secretKey: key(0).secretKey, listen: ["/ip4/127.0.0.1/tcp/0"] };

  it("requires /p2p/<id> on peer addresses and skips its own", () => {
    expect(() => new P2PHost({ ...options, peers: ["/ip4/127.0.0.1/tcp/1"] }, deps)).toThrow(P2PError);
    const self = `/ip4/127.0.0.1/tcp/1/p2p/${peerIdFromValidatorId(validatorIds[0]!).toString()}`;
    expect(() => new P2PHost({ ...options, peers: [self] }, deps)).not.toThrow();
  });

  it("stop during start waits for it and leaves nothing running", async () => {
    const host = new P2PHost({ ...options, peers: [] }, deps);
    const starting = host.start();
    await host.stop();
    await starting;
    expect(host.running).toBe(false);
    expect(host.libp2p.status).toBe("stopped");
  });

  it("refuses calls before start", async () => {
    const host = new P2PHost({ ...options, peers: [] }, deps);
    await expect(host.fetchBlocks(validatorIds[1]!, 1, 1)).rejects.toMatchObject({ code: "NOT_STARTED" });
    expect(host.validatorId).toBe(toHex(key(0).publicKey));
  });
});

it("copies Buffers at the edge so decoded fields never alias a received frame", () => {
  const buf = Buffer.from([1, 2, 3]);
  const owned = ownedBytes(buf);
  expect(Buffer.isBuffer(owned)).toBe(false);
  expect(owned.buffer).not.toBe(buf.buffer);
  const plain = Uint8Array.of(1);
  expect(ownedBytes(plain)).toBe(plain);
});
