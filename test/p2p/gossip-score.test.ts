// Issue 11, hole 7: a peer that keeps publishing invalid consensus gossip must be scored down,
// graylisted and disconnected; an honest peer keeps its mesh place and its messages arrive. The
// peers dial each other by address (no direct peers), so gossipsub forms a real mesh.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toHex, utf8 } from "../../src/chain/index.js";
import { consensusTopic, GOSSIP_SCORE } from "../../src/p2p/index.js";
import { CHAIN_ID, key, prepare, startHost, STALE_BELOW, until, type TestHost } from "./helpers.js";

const TOPIC = consensusTopic(CHAIN_ID);

describe("gossip peer scores", () => {
  let receiver: TestHost;
  let honest: TestHost;
  let spammer: TestHost;

  beforeAll(async () => {
    receiver = await startHost({ key: key(0) });
    honest = await startHost({ key: key(1) });
    spammer = await startHost({ key: key(2) });
    const addr = receiver.host.libp2p.getMultiaddrs()[0]!;
    await honest.host.libp2p.dial(addr);
    await spammer.host.libp2p.dial(addr);
    const pubsub = receiver.host.libp2p.services.pubsub;
    const mesh = (): string[] => (pubsub as unknown as { getMeshPeers(t: string): string[] }).getMeshPeers(TOPIC);
    await until(
      "the receiver's mesh to take both peers",
      () => mesh().includes(honest.host.peerId.toString()) && mesh().includes(spammer.host.peerId.toString()),
      [pubsub as unknown as EventTarget],
      ["gossipsub:heartbeat", "gossipsub:graft", "subscription-change"],
    );
    await until("the spammer to see the receiver on the topic", () => spammer.host.topicPeers("consensus").includes(receiver.id), [spammer.host.libp2p.services.pubsub as unknown as EventTarget], ["subscription-change"]);
  });

  afterAll(async () => {
    await Promise.all([receiver, honest, spammer].map((h) => h?.host.stop()));
  });

  it("graylists and disconnects a peer that keeps sending invalid messages, and keeps the honest one", async () => {
    const pubsub = receiver.host.libp2p.services.pubsub;
    const spamPeer = spammer.host.peerId;
    // Distinct garbage (distinct message ids), each REJECTed by the receiver's topic validator.
    for (let i = 0; i < 40; i++) await spammer.host.libp2p.services.pubsub.publish(TOPIC, utf8(`not a consensus message ${i}`));
    await until("the spammer to be disconnected", () => !receiver.host.connectedPeers().includes(spammer.id), [receiver.host.libp2p as unknown as EventTarget], ["peer:disconnect"]);

    // Ten rejects in quick succession are what it takes to cross the graylist threshold.
    const rejected = receiver.invalid.items.filter((e) => e.from === spammer.id && e.result === "reject");
    expect(rejected.length).toBeGreaterThanOrEqual(10);
    expect(10 * 10 * GOSSIP_SCORE.invalidMessageDeliveriesWeight).toBeLessThanOrEqual(GOSSIP_SCORE.graylistThreshold);
    // Refused by the score check (one refusal, no stream strikes), for its cool-down.
    expect(receiver.host.penalties.isRefused(spammer.id)).toBe(true);
    expect(receiver.host.penalties.bans).toBe(1);
    expect(receiver.host.penalties.strikes).toBe(0);
    // The score is retained after the disconnect; it decays by 0.9 a second from far below zero.
    expect((pubsub as unknown as { getScore(id: string): number }).getScore(spamPeer.toString())).toBeLessThan(0);
    // A new connection from the spammer is refused by the gater: no request gets through.
    await expect(spammer.host.status(receiver.id)).rejects.toThrow();
    expect(receiver.host.connectedPeers()).not.toContain(spammer.id);

    // The honest peer is untouched: still connected, still in the mesh, its messages delivered.
    expect(receiver.host.connectedPeers()).toContain(honest.id);
    expect((pubsub as unknown as { getScore(id: string): number }).getScore(honest.host.peerId.toString())).toBeGreaterThanOrEqual(0);
    expect((pubsub as unknown as { getMeshPeers(t: string): string[] }).getMeshPeers(TOPIC)).toContain(honest.host.peerId.toString());
    const m = prepare(key(1), STALE_BELOW + 1, { tag: "after-spam" });
    await honest.host.publishConsensus(m);
    const got = await receiver.consensus.next("the honest peer's prepare", (e) => e.message.type === "prepare" && toHex(e.message.blockHash) === toHex(m.blockHash));
    expect(got.from).toBe(honest.id);
  });
});
