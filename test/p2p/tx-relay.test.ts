// The tx relay over real libp2p on 127.0.0.1: batching under load, the bounded per-peer queue,
// canonical framing at the receiver (a bad frame costs the sender its stream, not the receiver
// its health), the allow-list on the stream, and a fresh stream after a failed one.
import { lpStream } from "it-length-prefixed-stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devKeyPair, toHex, utf8, Writer, type SignedTx } from "../../src/chain/index.js";
import { encodeTxBatch, MAX_TX_BATCH_FRAME_BYTES, txRelayProtocol, type P2PHost } from "../../src/p2p/index.js";
import { CHAIN_ID, guard, key, meshed, startHost, transfer, validatorIds, type TestHost } from "./helpers.js";

/** Distinct signed txs (the relay never looks inside: any canonical tx bytes do). */
function txs(from: number, count: number): SignedTx[] {
  return Array.from({ length: count }, (_, i) => transfer(from + i));
}

const PROTOCOL = txRelayProtocol(CHAIN_ID);

/** Open the relay protocol by hand, as a misbehaving peer would. */
async function rawStream(from: P2PHost, to: P2PHost) {
  const stream = await from.libp2p.dialProtocol(to.peerId, PROTOCOL);
  return { stream, lp: lpStream(stream, { maxDataLength: 4 * MAX_TX_BATCH_FRAME_BYTES }) };
}

async function statsReach(h: TestHost, what: string, check: (s: P2PHost["txRelayStats"]) => boolean): Promise<void> {
  // The counters move inside stream handlers: poll them on the event loop, bounded by guard().
  await guard(
    (async () => {
      while (!check(h.host.txRelayStats)) await new Promise((r) => setImmediate(r));
    })(),
    what,
  );
}

describe("tx relay between three validators", () => {
  const hosts: TestHost[] = [];
  const followers = new Set<string>();
  const isAllowed = (id: string): boolean => validatorIds.includes(id) || followers.has(id);

  beforeAll(async () => {
    for (let i = 0; i < 3; i++) {
      const peers = hosts.map((h) => h.host.multiaddrs()[0]!);
      // Host 0 has a small queue, for the drop test; validator 3 never starts (not connected: skipped).
      hosts.push(await startHost({ key: key(i), peers, isAllowed, txRelay: i === 0 ? { maxQueuedTxs: 10 } : undefined }));
    }
    await Promise.all(hosts.map((h, i) => meshed(h, validatorIds.slice(0, 3).filter((_, j) => j !== i))));
  });

  afterAll(async () => {
    await Promise.all(hosts.map((h) => h.host.stop()));
  });

  it("sends a burst in a few batches, every tx to every connected validator, in order", async () => {
    const sender = hosts[1]!;
    const burst = txs(1000, 1500);
    const before = { ...sender.host.txRelayStats };
    // Once the first tx is in, let one event-loop turn pass: a frame of 512 txs is admitted in
    // chunks with turns between them, so the turn comes long before the frame is done.
    const receiver = hosts[0]!;
    const base = receiver.txs.items.length;
    const atNextTurn = receiver.txs
      .next("the burst's first tx", (e) => e.tx.id === burst[0]!.id)
      .then(() => new Promise<number>((resolve) => setImmediate(() => resolve(receiver.txs.items.length - base))));
    for (const tx of burst) expect(sender.host.relayTx(tx.bytes)).toBe(2);
    const admittedBeforeTurn = await atNextTurn;
    expect(admittedBeforeTurn).toBeGreaterThan(0);
    expect(admittedBeforeTurn).toBeLessThanOrEqual(64);
    for (const h of [hosts[0]!, hosts[2]!]) {
      await h.txs.next("the burst's last tx", (e) => e.tx.id === burst[burst.length - 1]!.id);
      const got = h.txs.items.filter((e) => e.from === sender.id).map((e) => e.tx.id);
      expect(got.slice(-burst.length)).toEqual(burst.map((t) => t.id));
    }
    const s = sender.host.txRelayStats;
    expect(s.sentTxs - before.sentTxs).toBe(2 * burst.length);
    expect(s.dropped).toBe(before.dropped);
    // Relayed in one synchronous run, the burst leaves in full batches of at most 512: 512 + 512 + 476.
    expect(s.sentBatches - before.sentBatches).toBe(2 * 3);
  });

  it("drops and counts what does not fit a peer's queue", async () => {
    const sender = hosts[0]!;
    const burst = txs(5000, 100);
    const before = { ...sender.host.txRelayStats };
    for (const tx of burst) sender.host.relayTx(tx.bytes);
    // Per peer: ten wait for the write, the other 90 are dropped.
    expect(sender.host.txRelayStats.dropped - before.dropped).toBe(2 * 90);
    const last = burst[9]!;
    await Promise.all([hosts[1]!, hosts[2]!].map((h) => h.txs.next("the last queued tx", (e) => e.tx.id === last.id)));
    for (const h of [hosts[1]!, hosts[2]!]) {
      const got = new Set(h.txs.items.map((e) => e.tx.id));
      expect(burst.filter((t) => got.has(t.id)).map((t) => t.id)).toEqual(burst.slice(0, 10).map((t) => t.id));
    }
  });

  it("rejects a malformed frame and the stream it came on, and keeps serving the peer", async () => {
    const [a, b] = [hosts[2]!, hosts[1]!];
    const before = a.host.txRelayStats.badFrames;
    const bad = [
      utf8("not a batch"),
      encodeTxBatch([]),
      Uint8Array.of(...encodeTxBatch([transfer(7000).bytes]), 0),
      new Writer().uint(1).uint(MAX_TX_BATCH_FRAME_BYTES).finish(),
    ];
    for (const frame of bad) {
      const { stream, lp } = await rawStream(b.host, a.host);
      await lp.write(frame);
      // The receiver resets the stream: our read of it fails instead of waiting forever.
      await expect(guard(lp.read(), "the reset")).rejects.toThrow();
      stream.abort(new Error("done"));
    }
    // Over the frame limit: refused before it is decoded.
    const { stream, lp } = await rawStream(b.host, a.host);
    await lp.write(new Uint8Array(MAX_TX_BATCH_FRAME_BYTES + 1)).catch(() => undefined);
    await expect(guard(lp.read(), "the reset")).rejects.toThrow();
    stream.abort(new Error("done"));
    await statsReach(a, "five bad frames", (s) => s.badFrames === before + 5);
    expect(a.txs.items.some((e) => e.tx.id === transfer(7000).id)).toBe(false);

    // The relay's own stream from b is untouched, and b's txs still arrive.
    const tx = transfer(7001);
    b.host.relayTx(tx.bytes);
    await a.txs.next("a good tx after the bad frames", (e) => e.tx.id === tx.id && e.from === b.id);
  });

  it("opens a fresh stream after its stream fails", async () => {
    const [sender, receiver] = [hosts[1]!, hosts[2]!];
    const first = transfer(8000);
    sender.host.relayTx(first.bytes);
    await receiver.txs.next("the first tx", (e) => e.tx.id === first.id);
    // Kill the relay's stream under it, from the receiving side.
    const conns = receiver.host.libp2p.getConnections(sender.host.peerId);
    const inbound = conns.flatMap((c) => c.streams).filter((s) => s.protocol === PROTOCOL);
    expect(inbound.length).toBeGreaterThan(0);
    for (const s of inbound) s.abort(new Error("test: stream killed"));
    const outbound = sender.host.libp2p
      .getConnections(receiver.host.peerId)
      .flatMap((c) => c.streams)
      .filter((s) => s.protocol === PROTOCOL);
    await statsReach(sender, "the reset to reach the sender", () => outbound.every((s) => s.status !== "open"));
    const before = sender.host.txRelayStats.dropped;
    const next = transfer(8001);
    sender.host.relayTx(next.bytes);
    await receiver.txs.next("a tx over a fresh stream", (e) => e.tx.id === next.id);
    expect(sender.host.txRelayStats.dropped).toBe(before);
  });

  it("refuses the stream to a connected peer the allow-list no longer admits", async () => {
    const followerKey = devKeyPair("relay-follower");
    const fid = toHex(followerKey.publicKey);
    followers.add(fid);
    const a = hosts[0]!;
    const follower = await startHost({ key: followerKey, peers: [a.host.multiaddrs()[0]!], isAllowed: () => true });
    try {
      await meshed(follower, [a.id]);
      // Still connected (no enforceAllowList yet), but no longer admitted: the stream is refused.
      followers.delete(fid);
      const before = a.host.txRelayStats.refusedStreams;
      const tx = transfer(9000);
      follower.host.relayTx(tx.bytes);
      await statsReach(a, "a refused stream", (s) => s.refusedStreams === before + 1);
      expect(a.txs.items.some((e) => e.tx.id === tx.id)).toBe(false);
    } finally {
      await follower.host.stop();
    }
  });
});
