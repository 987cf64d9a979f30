// The sync server's per-peer budget over real libp2p streams: one peer over many connections is
// served at most its bucket, another peer is unaffected, a peer's requests past its concurrency
// cap are refused, and the honest syncer (Syncer over the node's ConsensusTransport) still catches
// up under the limit by backing off on RATE_LIMITED. The server's clock is simulated: the tests
// move it (the honest client's back-off moves it too), so every count is exact.
import type { Connection } from "@libp2p/interface";
import { multiaddr } from "@multiformats/multiaddr";
import { lpStream } from "it-length-prefixed-stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StoredBlock } from "../../src/chain/index.js";
import { Syncer } from "../../src/driver/syncer.js";
import type { SealedBlock } from "../../src/driver/transport.js";
import { ConsensusTransport } from "../../src/node/consensus-transport.js";
import { decodeSyncFrame, encodeSyncRequest, MAX_SYNC_FRAME_BYTES } from "../../src/p2p/sync-codec.js";
import { SYNC_RATE_LIMITED, syncProtocol, type ConsensusCheck, type SyncStore } from "../../src/p2p/index.js";
import { buildChain, CHAIN_ID, guard, key, logger, startHost, stubStore, type TestHost } from "./helpers.js";

const CHAIN_LENGTH = 200;
/**
 * 65 tokens a second, 130 at most: exactly two full 64-block responses (each costs 64 + 1). Two
 * at once: a sequential client never has more, even when the server releases a slot a little
 * after the client read the answer.
 */
const RATE = { blocksPerSecond: 65, burstBlocks: 130, maxConcurrentPerPeer: 2 };

/** One request on one given connection, answered as "blocks:N" or "refused:CODE". */
async function ask(conn: Connection, fromHeight: number, count: number): Promise<string> {
  const stream = await conn.newStream(syncProtocol(CHAIN_ID));
  const lp = lpStream(stream, { maxDataLength: MAX_SYNC_FRAME_BYTES });
  await lp.write(encodeSyncRequest({ type: "blocks", fromHeight, count }));
  await stream.closeWrite();
  let blocks = 0;
  for (;;) {
    const frame = decodeSyncFrame((await lp.read()).subarray());
    if (frame.type === "block") blocks++;
    else if (frame.type === "end") break;
    else if (frame.type === "error") {
      await stream.close();
      return `refused:${frame.code}`;
    } else throw new Error(`unexpected ${frame.type}`);
  }
  await stream.close();
  return `blocks:${blocks}`;
}

describe("sync server rate limits", () => {
  const chain: StoredBlock[] = buildChain(CHAIN_LENGTH);
  const clock = { t: 1_000_000 };
  const hosts: TestHost[] = [];
  let server!: TestHost;
  let greedy!: TestHost;
  let other!: TestHost;

  beforeAll(async () => {
    server = await startHost({ key: key(0), store: stubStore(chain), sync: { rateLimit: RATE }, syncClock: () => clock.t });
    const peers = [server.host.multiaddrs()[0]!];
    greedy = await startHost({ key: key(1), peers });
    other = await startHost({ key: key(2), peers });
    hosts.push(server, greedy, other);
  });

  afterAll(async () => {
    await Promise.all(hosts.map((h) => h.host.stop()));
  });

  it("serves one peer at most its budget over many connections; another peer is unaffected", async () => {
    const addr = multiaddr(server.host.multiaddrs()[0]!);
    const conns: Connection[] = [];
    for (let i = 0; i < 4; i++) conns.push(await greedy.host.libp2p.dial(addr, { force: true }));
    expect(new Set(conns.map((c) => c.id)).size).toBe(4);

    const answers: string[] = [];
    for (let i = 0; i < 12; i++) answers.push(await ask(conns[i % 4]!, 1 + (i % 3) * 64, 64));
    const served = answers.filter((a) => a.startsWith("blocks:")).reduce((n, a) => n + Number(a.slice(7)), 0);
    expect(served).toBe(128);
    expect(answers.slice(0, 2)).toEqual(["blocks:64", "blocks:64"]);
    expect(answers.slice(2)).toEqual(Array(10).fill(`refused:${SYNC_RATE_LIMITED}`));
    expect(server.host.syncRefused.rate).toBe(10);

    // Another peer has its own bucket.
    expect((await other.host.fetchBlocks(server.id, 1, 64)).length).toBe(64);
    // The refusal reaches the library client as a typed error.
    await expect(greedy.host.fetchBlocks(server.id, 1, 64)).rejects.toMatchObject({ code: "RATE_LIMITED" });

    // A second refills 65 tokens: one more full response, and no more.
    clock.t += 1_000;
    expect(await ask(conns[0]!, 1, 64)).toBe("blocks:64");
    expect(await ask(conns[1]!, 65, 64)).toBe(`refused:${SYNC_RATE_LIMITED}`);
    // Short requests are charged what they get (plus one), so the tail of the chain fits.
    clock.t += 200;
    expect(await ask(conns[2]!, 193, 64)).toBe("blocks:8");
  });

  it("refuses a peer's request past its concurrency cap, whatever connection it comes on", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let entered!: () => void;
    const inside = new Promise<void>((resolve) => (entered = resolve));
    const slow: SyncStore = {
      head: () => stubStore(chain).head(),
      getBlock: async (height) => {
        if (height === 1) {
          entered();
          await gate;
        }
        return chain[height - 1];
      },
    };
    const gated = await startHost({ key: key(3), store: slow, sync: { rateLimit: { ...RATE, burstBlocks: 10_000, maxConcurrentPerPeer: 1 } }, syncClock: () => clock.t });
    hosts.push(gated);
    const addr = multiaddr(gated.host.multiaddrs()[0]!);
    const a = await greedy.host.libp2p.dial(addr, { force: true });
    const b = await greedy.host.libp2p.dial(addr, { force: true });
    const first = ask(a, 1, 10);
    await guard(inside, "the first request to reach the store");
    expect(await ask(b, 20, 10)).toBe(`refused:${SYNC_RATE_LIMITED}`);
    expect(gated.host.syncRefused.busy).toBe(1);
    release();
    expect(await first).toBe("blocks:10");
  });

  it("lets the honest syncer catch up under the limit: it backs off on RATE_LIMITED and asks again", async () => {
    // `other` took one response above and a second has passed since: its bucket is full (130).
    let slept = 0;
    const transport = new ConsensusTransport(
      { chainId: CHAIN_ID },
      {
        host: other.host,
        isAllowed: () => true,
        check: {} as ConsensusCheck,
        validators: () => [],
        onMessage: () => undefined,
        logger,
        // The back-off moves the server's clock: the wait is what refills the bucket.
        sleep: async (ms) => {
          slept += ms;
          clock.t += ms;
        },
      },
    );
    const appended: SealedBlock[] = [];
    const head = () => ({ height: appended.length, hash: new Uint8Array(32), timestamp: 0 });
    const syncer = new Syncer(
      { syncBatchBlocks: 64 },
      {
        store: { head },
        transport,
        importBatch: async (blocks) => {
          for (const b of blocks) if (b.block.header.height === appended.length + 1) appended.push(b);
        },
      },
    );
    syncer.start();
    syncer.sync([server.id]);
    await guard(syncer.idle(), "the sync to end");
    expect(appended.length).toBe(CHAIN_LENGTH);
    expect(appended.map((b) => b.block.id)).toEqual(chain.map((s) => s.block.id));
    // Batches of 64, 64, 64 and 8 cost 65, 65, 65 and 9: the third waits 250 + 500 + 1000 ms
    // (16, 33 and 65 tokens back) for its 65.
    expect(slept).toBe(1_750);
  });
});
