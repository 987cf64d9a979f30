// Issue 11, hole 3: the direct consensus protocol read any frame up to ~3 MiB, whatever it held,
// and never penalised the sender. Now each frame is checked against the caps of the message types
// it carries before its bytes are read, every refusal is counted, and a sender past its strikes
// is disconnected and refused for a cool-down, while an honest validator's messages still arrive.
// Real libp2p on 127.0.0.1; waits are on events and counters, bounded by guard().
import { lpStream } from "it-length-prefixed-stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isMember, toHex, verifyDomain, Writer, type ValidatorId } from "../../src/chain/index.js";
import { encodeMessage, MESSAGE_TAGS, type ConsensusMessage } from "../../src/consensus/index.js";
import { Metrics } from "../../src/metrics/index.js";
import { consensusFrameGuard, consensusMessageCap } from "../../src/node/consensus-frame-guard.js";
import { ConsensusTransport, consensusStreamProtocol } from "../../src/node/consensus-transport.js";
import { CHAIN_ID, guard, Inbox, key, logger, prepare, STALE_BELOW, startHost, until, validatorIds, validators, type TestHost } from "./helpers.js";

const MAX_BLOCK_BYTES = 1024 * 1024;
const STRIKES = 5;
const PROTOCOL = consensusStreamProtocol(CHAIN_ID);

interface Node {
  readonly h: TestHost;
  readonly transport: ConsensusTransport;
  readonly got: Inbox<{ message: ConsensusMessage; from: ValidatorId }>;
  readonly metrics: Metrics;
}

async function startNode(i: number, peers: readonly string[]): Promise<Node> {
  const h = await startHost({ key: key(i), peers, options: { penalties: { strikes: STRIKES } } });
  const got = new Inbox<{ message: ConsensusMessage; from: ValidatorId }>();
  const metrics = new Metrics();
  const transport = new ConsensusTransport(
    { chainId: CHAIN_ID, maxBlockBytes: MAX_BLOCK_BYTES },
    {
      host: h.host,
      isAllowed: (id) => validatorIds.includes(id),
      check: { chainId: CHAIN_ID, isValidator: (id) => isMember(validators, id), isStale: (m) => m.height < STALE_BELOW, verify: verifyDomain },
      validators: () => validatorIds,
      onMessage: (message, from) => got.push({ message, from }),
      logger,
      metrics,
    },
  );
  await transport.start();
  return { h, transport, got, metrics };
}

/** A batch frame as the streams carry it: a count, then each item length-prefixed. */
function batch(items: readonly Uint8Array[]): Uint8Array {
  const w = new Writer(64).uint(items.length);
  for (const item of items) w.bytes(item);
  return w.finish();
}

async function reach(what: string, check: () => boolean): Promise<void> {
  await guard(
    (async () => {
      while (!check()) await new Promise((r) => setImmediate(r));
    })(),
    what,
  );
}

async function rejectedTotal(metrics: Metrics): Promise<number> {
  return (await metrics.messagesRejected.get()).values.reduce((sum, v) => sum + v.value, 0);
}

describe("consensus stream frames", () => {
  let receiver: Node;
  let honest: Node;
  let attacker: TestHost;

  beforeAll(async () => {
    receiver = await startNode(0, []);
    const addr = receiver.h.host.multiaddrs()[0]!;
    honest = await startNode(1, [addr]);
    attacker = await startHost({ key: key(2), peers: [addr] });
    await until("both peers to connect", () => [honest.h.id, attacker.id].every((id) => receiver.h.host.connectedPeers().includes(id)), [receiver.h.host.libp2p as unknown as EventTarget], ["peer:connect"]);
  });

  afterAll(async () => {
    await Promise.all([receiver?.transport.stop(), honest?.transport.stop()]);
    await Promise.all([receiver, honest].map((n) => n?.h.host.stop()).concat(attacker?.host.stop()));
  });

  it("caps each message type: votes are tiny, a block-carrying message gets the genesis block limit", () => {
    const limits = { maxBlockBytes: MAX_BLOCK_BYTES, validators: 4 };
    const vote = encodeMessage(prepare(key(1), 1_000_000, { tag: "big" }));
    expect(vote.length).toBeLessThanOrEqual(consensusMessageCap(MESSAGE_TAGS.prepare, limits));
    expect(consensusMessageCap(MESSAGE_TAGS.prepare, limits)).toBeLessThan(512);
    expect(consensusMessageCap(MESSAGE_TAGS.commit, limits)).toBeLessThan(512);
    expect(consensusMessageCap(MESSAGE_TAGS["new-view"], limits)).toBeLessThan(8 * 1024);
    expect(consensusMessageCap(MESSAGE_TAGS["pre-prepare"], limits)).toBeGreaterThan(MAX_BLOCK_BYTES);
    expect(consensusMessageCap(MESSAGE_TAGS["pre-prepare"], limits)).toBeLessThan(MAX_BLOCK_BYTES + 4096);
    expect(consensusMessageCap(0, limits)).toBe(0);
    expect(consensusMessageCap(9, limits)).toBe(0);
    const frameCap = consensusFrameGuard(() => limits, 64, 256 * 1024).maxFrameBytes;
    expect(frameCap).toBeLessThan(2 * 1024 * 1024);
  });

  it("resets an oversize or lying stream before reading it, counts it, and disconnects the sender after its strikes", async () => {
    const stats = (): NonNullable<ConsensusTransport["streamStats"]> => receiver.transport.streamStats!;
    const bytesBefore = stats().receivedBytes;

    // 1. A 3 MiB frame of zeros: refused on its length prefix.
    const raw1 = await attacker.host.libp2p.dialProtocol(receiver.h.host.peerId, PROTOCOL);
    const w1 = lpStream(raw1).write(new Uint8Array(3 * 1024 * 1024));
    await reach("the oversize frame to be refused", () => stats().badFrames >= 1);
    // The receiver reset the stream: the sender's side sees it (its write ends either way).
    await reach("the sender's stream to be reset", () => raw1.status !== "open");
    await w1.catch(() => undefined);

    // 2. A 200 KB "prepare": the frame is under the frame cap, the item is over a vote's cap.
    const lie = new Uint8Array(200_000);
    lie[0] = MESSAGE_TAGS.prepare;
    const s2 = lpStream(await attacker.host.libp2p.dialProtocol(receiver.h.host.peerId, PROTOCOL));
    const w2 = s2.write(batch([lie]));
    await reach("the lying frame to be refused", () => stats().badFrames >= 2);
    await w2.catch(() => undefined);
    // Neither frame was read: far less than their 3.2 MB reached the reader.
    expect(stats().receivedBytes - bytesBefore).toBeLessThan(600 * 1024);
    expect(receiver.h.host.connectedPeers()).toContain(attacker.id);

    // 3. Small garbage that parses as frames but not as consensus messages: rejected one by one.
    const s3 = lpStream(await attacker.host.libp2p.dialProtocol(receiver.h.host.peerId, PROTOCOL));
    for (let i = 0; i < STRIKES; i++) {
      const junk = new Uint8Array(100).fill(i + 1);
      junk[0] = MESSAGE_TAGS.commit;
      await s3.write(batch([junk])).catch(() => undefined);
    }
    await until("the attacker to be disconnected", () => !receiver.h.host.connectedPeers().includes(attacker.id), [receiver.h.host.libp2p as unknown as EventTarget], ["peer:disconnect"]);
    expect(receiver.h.host.penalties.isRefused(attacker.id)).toBe(true);
    expect(receiver.transport.refused).toBeGreaterThanOrEqual(STRIKES);
    expect(await rejectedTotal(receiver.metrics)).toBe(receiver.transport.refused);
    await expect(attacker.host.status(receiver.h.id)).rejects.toThrow();

    // The honest validator is untouched and its messages still arrive.
    expect(receiver.h.host.connectedPeers()).toContain(honest.h.id);
    const m = prepare(key(1), STALE_BELOW + 2, { tag: "honest" });
    honest.transport.broadcast(m);
    const got = await receiver.got.next("the honest prepare", (e) => toHex(e.message.type === "prepare" ? e.message.blockHash : new Uint8Array()) === toHex(m.blockHash));
    expect(got.from).toBe(honest.h.id);
    expect(receiver.h.host.penalties.isRefused(honest.h.id)).toBe(false);
  });
});
