// Four validators over real libp2p on 127.0.0.1: gossip delivery, the tx relay, topic validation
// at the receivers, the gater refusing an unknown key, and redial after a peer restarts.
import type { Connection } from "@libp2p/interface";
import { multiaddr } from "@multiformats/multiaddr";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bytesEqual, devKeyPair, toHex, utf8 } from "../../src/chain/index.js";
import { encodeMessage, type ConsensusMessage } from "../../src/consensus/messages.js";
import { consensusTopic, P2PError, peerIdFromValidatorId } from "../../src/p2p/index.js";
import {
  CHAIN_ID,
  guard,
  intruderKey,
  key,
  meshed,
  prepare,
  startHost,
  transfer,
  validatorIds,
  until,
  type TestHost,
} from "./helpers.js";

const sameVote = (a: ConsensusMessage, b: ConsensusMessage): boolean =>
  a.type === "prepare" && b.type === "prepare" && a.from === b.from && a.height === b.height && bytesEqual(a.blockHash, b.blockHash) && bytesEqual(a.signature, b.signature);

describe("p2p gossip between four validators", () => {
  const hosts: TestHost[] = [];
  // The node's allow-list is "validators ∪ observers ∪ known followers"; followers come and go.
  const followers = new Set<string>();
  const isAllowed = (id: string): boolean => validatorIds.includes(id) || followers.has(id);
  let intruder: TestHost | null = null;
  let follower: TestHost | null = null;
  const others = (i: number): TestHost[] => hosts.filter((_, j) => j !== i);

  beforeAll(async () => {
    // Each host dials the ones started before it: one connection per pair, a full mesh.
    for (let i = 0; i < 4; i++) {
      const peers = hosts.map((h) => h.host.multiaddrs()[0]!);
      hosts.push(await startHost({ key: key(i), peers, isAllowed }));
    }
    await Promise.all(hosts.map((h, i) => meshed(h, validatorIds.filter((_, j) => j !== i))));
  });

  afterAll(async () => {
    await Promise.all([...hosts.map((h) => h.host.stop()), intruder?.host.stop(), follower?.host.stop()]);
  });

  it("derives the libp2p identity from the validator key", () => {
    hosts.forEach((h, i) => {
      expect(h.host.validatorId).toBe(validatorIds[i]);
      expect(h.host.libp2p.peerId.equals(peerIdFromValidatorId(validatorIds[i]!))).toBe(true);
      expect(h.host.multiaddrs()[0]).toMatch(new RegExp(`/p2p/${h.host.peerId.toString()}$`));
    });
  });

  it("delivers a signed prepare published by one validator to the other three", async () => {
    const vote = prepare(key(0), 10);
    await hosts[0]!.host.publishConsensus(vote);
    const got = await Promise.all(others(0).map((h) => h.consensus.next("the prepare", (e) => sameVote(e.message, vote))));
    for (const e of got) expect(e.message).toEqual(vote);
  });

  it("relays a client's tx straight to the other three validators, once each", async () => {
    const tx = transfer(0);
    expect(hosts[2]!.host.relayTx(tx.bytes)).toBe(3);
    const got = await Promise.all(others(2).map((h) => h.txs.next("the tx", (e) => e.tx.id === tx.id)));
    for (const e of got) {
      expect(e.tx.bytes).toEqual(tx.bytes);
      // Straight from the origin: nobody forwards a relayed tx.
      expect(e.from).toBe(validatorIds[2]);
    }
    expect(hosts[2]!.txs.items).toEqual([]);
  });

  it("rejects non-member, badly signed and malformed messages even when a member relays them, and ignores stale ones", async () => {
    const pubsub = hosts[0]!.host.libp2p.services.pubsub;
    const topic = consensusTopic(CHAIN_ID);
    const nonMember = prepare(intruderKey, 11);
    const forged = prepare(key(0), 11, { from: validatorIds[1], tag: "forged" }); // signed by 0, claims 1
    const otherChain = { ...prepare(key(0), 11, { tag: "chain" }), chainId: "other-chain" };
    const stale = prepare(key(0), 1);
    // Straight into gossipsub: the publisher's own checks are bypassed, the receivers decide.
    for (const m of [nonMember, forged, otherChain, stale]) await pubsub.publish(topic, encodeMessage(m));
    await pubsub.publish(topic, utf8("not a consensus message"));

    for (const h of others(0)) {
      for (const needle of ["non-member", "bad signature", "wrong chain", "malformed"]) {
        const e = await h.invalid.next(`a ${needle} reject`, (x) => x.reason.includes(needle));
        expect(e).toMatchObject({ kind: "consensus", result: "reject", from: validatorIds[0] });
      }
      const e = await h.invalid.next("a stale ignore", (x) => x.result === "ignore");
      expect(e.reason).toMatch(/stale/);
    }
    // A good message sent after the bad ones over the same streams: once it has arrived, the bad
    // ones were decided, and none of them may have been delivered.
    const sentinel = prepare(key(0), 12);
    await hosts[0]!.host.publishConsensus(sentinel);
    await Promise.all(others(0).map((h) => h.consensus.next("the sentinel", (e) => sameVote(e.message, sentinel))));
    for (const h of others(0)) {
      for (const bad of [nonMember, forged, otherChain, stale]) expect(h.consensus.items.some((e) => sameVote(e.message, bad))).toBe(false);
    }
  });

  it("refuses a peer whose key is not allowed, in both directions", async () => {
    intruder = await startHost({ key: intruderKey, isAllowed: () => true });
    const x = intruder.host.libp2p;
    const a = hosts[0]!;
    const target = multiaddr(a.host.multiaddrs()[0]!);

    // Noise finishes on the initiator first, so the intruder's dial may resolve before the
    // listener's gater closes the connection: accept either outcome, then wait for the close.
    const closed = new Promise<void>((resolve) => x.addEventListener("connection:close", () => resolve(), { once: true }));
    let conn: Connection | null = null;
    try {
      conn = await x.dial(target);
    } catch {
      conn = null;
    }
    if (conn !== null) await guard(closed, "the refused connection to close");
    expect(a.host.connectedPeers()).not.toContain(intruder.id);
    expect(await a.host.libp2p.peerStore.has(intruder.host.peerId)).toBe(false);

    // Outbound: the gater refuses to dial it at all.
    await expect(a.host.libp2p.dial(multiaddr(intruder.host.multiaddrs()[0]!))).rejects.toThrow();
    expect(a.host.connectedPeers()).not.toContain(intruder.id);

    // And gossip never reaches it.
    await hosts[1]!.host.publishConsensus(prepare(key(1), 13));
    hosts[1]!.host.relayTx(transfer(2).bytes);
    expect(intruder.host.connectedPeers()).toEqual([]);
    expect(intruder.consensus.items).toEqual([]);
    expect(intruder.txs.items).toEqual([]);
  });

  it("admits a follower while it is allowed, and drops it once it is not", async () => {
    const followerKey = devKeyPair("follower");
    followers.add(toHex(followerKey.publicKey));
    const a = hosts[1]!;
    follower = await startHost({ key: followerKey, peers: [a.host.multiaddrs()[0]!], isAllowed: () => true });
    await meshed(follower, [a.id]);
    // Its clients' txs reach the validator it is connected to; a validator's never reach it
    // (it is not in the set: observers propose nothing).
    const tx = transfer(3);
    expect(follower.host.relayTx(tx.bytes)).toBe(1);
    await a.txs.next("the follower's tx at a", (e) => e.tx.id === tx.id && e.from === follower!.id);
    expect(a.host.relayTx(transfer(4).bytes)).toBe(3);
    const sentinel = transfer(5);
    a.host.relayTx(sentinel.bytes);
    await Promise.all(others(1).map((h) => h.txs.next("the sentinel tx", (e) => e.tx.id === sentinel.id)));
    expect(follower.txs.items).toEqual([]);

    followers.delete(follower.id);
    const f = follower;
    await a.host.enforceAllowList();
    await until("the follower to be disconnected", () => !a.host.connectedPeers().includes(f.id), [a.host.libp2p], ["peer:disconnect"]);
    // And the gater now refuses it: a will not dial it (its inbound dials die at a's Encrypted hook).
    await expect(a.host.libp2p.dial(f.host.peerId)).rejects.toThrow(/gater/);
  });

  it("throws NOT_STARTED once stopped, and stop is idempotent", async () => {
    const spare = await startHost({ key: devKeyPair("spare") });
    await spare.host.stop();
    await spare.host.stop();
    await expect(spare.host.publishConsensus(prepare(key(3), 20))).rejects.toBeInstanceOf(P2PError);
    expect(spare.host.running).toBe(false);
  });

  it("redials a configured peer after it restarts", async () => {
    const old = hosts[0]!;
    const port = multiaddr(old.host.multiaddrs()[0]!).toOptions().port;
    await old.host.stop();
    // Same key, same address, and no configured peers of its own: only the others' redial can
    // reconnect it (the host's redial loop, with back-off).
    const reborn = await startHost({ key: key(0), listen: `/ip4/127.0.0.1/tcp/${port}`, isAllowed });
    hosts[0] = reborn;
    await meshed(reborn, validatorIds.slice(1));
    await Promise.all(others(0).map((h) => meshed(h, [validatorIds[0]!])));

    const vote = prepare(key(1), 14);
    await hosts[1]!.host.publishConsensus(vote);
    await reborn.consensus.next("the prepare after the restart", (e) => sameVote(e.message, vote));
  });
});
