// Block sync over real libp2p streams: a server answering from a block store stub with real
// blocks and seals, its caps, and a client that refuses whatever a rogue server sends.
import type { IncomingStreamData } from "@libp2p/interface";
import * as lp from "it-length-prefixed";
import { lpStream } from "it-length-prefixed-stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devKeyPair, encodeSeal, sealsEqual, toHex, verifySeal, type StoredBlock } from "../../src/chain/index.js";
import { decodeSyncFrame, encodeSyncFrame, encodeSyncRequest, type SyncFrame } from "../../src/p2p/sync-codec.js";
import { MAX_SYNC_FRAME_BYTES, P2PError, syncProtocol } from "../../src/p2p/index.js";
import { buildChain, CHAIN_ID, guard, key, startHost, stubStore, validatorIds, validators, type TestHost } from "./helpers.js";

const CHAIN_LENGTH = 70;

describe("p2p block sync", () => {
  const chain: StoredBlock[] = buildChain(CHAIN_LENGTH);
  const hosts: TestHost[] = [];
  let server!: TestHost; // the full store, default caps
  let small!: TestHost; // a small byte cap, and a store that fails at height 50
  let rogue!: TestHost; // its sync handler replaced by the test
  let client!: TestHost;
  /** What the rogue writes back: raw chunks (length-prefix frames with lp.encode.single), or nothing. */
  let rogueAnswer: (request: Uint8Array) => Uint8Array[] | "hang" = () => [];
  let rogueGotRequest: () => void = () => undefined;

  beforeAll(async () => {
    const blockFrame = encodeSyncFrame({ type: "block", block: chain[0]!.block.bytes, seal: encodeSeal(chain[0]!.seal) }).length;
    server = await startHost({ key: key(0), store: stubStore(chain) });
    small = await startHost({ key: key(1), store: stubStore(chain, { failAt: 50 }), sync: { maxResponseBytes: blockFrame * 3 } });
    rogue = await startHost({ key: key(2) });
    hosts.push(server, small, rogue);
    client = await startHost({ key: key(3), peers: hosts.map((h) => h.host.multiaddrs()[0]!) });
    hosts.push(client);

    const proto = syncProtocol(CHAIN_ID);
    await rogue.host.libp2p.unhandle(proto);
    await rogue.host.libp2p.handle(proto, ({ stream }: IncomingStreamData) => {
      void (async () => {
        const framed = lpStream(stream, { maxDataLength: 64 });
        const request = (await framed.read()).subarray();
        rogueGotRequest();
        const answer = rogueAnswer(request);
        if (answer === "hang") return;
        // Raw chunks, so a test can send what no honest encoder would (see `framed`).
        await stream.sink(answer);
        await stream.close();
      })().catch((err: unknown) => stream.abort(err as Error));
    });
  });

  afterAll(async () => {
    await Promise.all(hosts.map((h) => h.host.stop()));
  });

  it("answers status with the server's head", async () => {
    const head = await client.host.status(server.id);
    expect(head.height).toBe(CHAIN_LENGTH);
    expect(toHex(head.hash)).toBe(chain[CHAIN_LENGTH - 1]!.block.id);
  });

  it("returns a range of real blocks with their seals, in order", async () => {
    const got = await client.host.fetchBlocks(server.id, 5, 10);
    expect(got.map((b) => b.block.header.height)).toEqual([5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
    got.forEach(({ block, seal }, i) => {
      const want = chain[4 + i]!;
      expect(block.id).toBe(want.block.id);
      expect(block.bytes).toEqual(want.block.bytes);
      expect(sealsEqual(seal, want.seal)).toBe(true);
      // The client does not verify seals, but what it returns must be verifiable by the node.
      expect(() => verifySeal(seal, CHAIN_ID, validators, block.header.height, block.hash)).not.toThrow();
    });
  });

  it("caps the count per response, stops at the head, and returns nothing past it", async () => {
    const first = await client.host.fetchBlocks(server.host.peerId, 1, 1000);
    expect(first).toHaveLength(64);
    expect(first[63]!.block.header.height).toBe(64);
    const rest = await client.host.fetchBlocks(server.id, 65, 64);
    expect(rest.map((b) => b.block.header.height)).toEqual([65, 66, 67, 68, 69, 70]);
    expect(await client.host.fetchBlocks(server.id, 71, 10)).toEqual([]);
  });

  it("caps the bytes per response", async () => {
    const got = await client.host.fetchBlocks(small.id, 1, 64);
    expect(got.map((b) => b.block.header.height)).toEqual([1, 2, 3]);
  });

  it("answers a store failure on the first block with an error frame (PEER_ERROR)", async () => {
    await expect(client.host.fetchBlocks(small.id, 50, 5)).rejects.toMatchObject({ code: "PEER_ERROR" });
    // A failure after some blocks ends the range early instead; and the server survived both.
    expect((await client.host.fetchBlocks(small.id, 49, 2)).map((b) => b.block.header.height)).toEqual([49]);
    expect(await client.host.fetchBlocks(small.id, 10, 1)).toHaveLength(1);
  });

  it("refuses requests it can never satisfy without dialling", async () => {
    await expect(client.host.fetchBlocks(server.id, 0, 5)).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await expect(client.host.fetchBlocks(server.id, 1, 0)).rejects.toMatchObject({ code: "BAD_REQUEST" });
  });

  it("reports an unknown peer as UNREACHABLE", async () => {
    await expect(client.host.fetchBlocks(toHex(devKeyPair("nobody").publicKey), 1, 1)).rejects.toMatchObject({ code: "UNREACHABLE" });
  });

  it("answers a malformed request with BAD_REQUEST and keeps serving", async () => {
    const stream = await client.host.libp2p.dialProtocol(server.host.peerId, syncProtocol(CHAIN_ID));
    const raw = lpStream(stream, { maxDataLength: MAX_SYNC_FRAME_BYTES });
    await raw.write(Uint8Array.of(0xee, 0x01));
    const frame = decodeSyncFrame((await raw.read()).subarray());
    expect(frame).toMatchObject({ type: "error", code: "BAD_REQUEST" });
    await stream.close();
    expect(await client.host.fetchBlocks(server.id, 1, 2)).toHaveLength(2);
  });

  describe("a client facing a rogue server", () => {
    const block = (i: number): Uint8Array => encodeSyncFrame({ type: "block", block: chain[i - 1]!.block.bytes, seal: encodeSeal(chain[i - 1]!.seal) });
    const end: Uint8Array = encodeSyncFrame({ type: "end", headHeight: CHAIN_LENGTH });
    const cases: Array<[string, Array<Uint8Array>, string]> = [
      ["garbage frame", [Uint8Array.of(0x02, 0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2, 3)], "BAD_RESPONSE"],
      ["unknown frame tag", [Uint8Array.of(0x77), end], "BAD_RESPONSE"],
      ["a block with trailing bytes", [Uint8Array.from([...block(1), 0]), end], "BAD_RESPONSE"],
      ["the wrong height", [block(2), end], "BAD_RESPONSE"],
      ["a seal for another block", [encodeSyncFrame({ type: "block", block: chain[0]!.block.bytes, seal: encodeSeal(chain[1]!.seal) }), end], "BAD_RESPONSE"],
      ["more blocks than asked for", [block(1), block(2), block(3), end], "BAD_RESPONSE"],
      ["no end frame", [block(1)], "BAD_RESPONSE"],
      ["a status frame instead of blocks", [encodeSyncFrame({ type: "status", head: { height: 1, hash: chain[0]!.block.hash, timestamp: 0 } })], "BAD_RESPONSE"],
      ["an error frame", [encodeSyncFrame({ type: "error", code: "BUSY", message: "try later" })], "PEER_ERROR"],
    ];

    it.each(cases)("rejects %s with a typed error", async (_name, frames, code) => {
      rogueAnswer = () => frames.map((f) => lp.encode.single(f).subarray());
      const err = await client.host.fetchBlocks(rogue.id, 1, 2).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(P2PError);
      expect(err).toMatchObject({ code });
    });

    it("rejects a frame over the size limit on its length prefix alone", async () => {
      // Only a length prefix of ≈ 256 MiB is sent: the client must refuse without waiting for it.
      rogueAnswer = () => [Uint8Array.of(0xff, 0xff, 0xff, 0x7f)];
      await expect(client.host.fetchBlocks(rogue.id, 1, 1)).rejects.toMatchObject({ code: "BAD_RESPONSE" });
    });

    it("gives up with ABORTED when the caller's signal fires", async () => {
      const received = new Promise<void>((resolve) => (rogueGotRequest = resolve));
      rogueAnswer = () => "hang";
      const controller = new AbortController();
      const pending = client.host.fetchBlocks(rogue.id, 1, 1, controller.signal);
      await guard(received, "the rogue to receive the request");
      controller.abort(new Error("caller gave up"));
      await expect(pending).rejects.toMatchObject({ code: "ABORTED" });
    });
  });

  it("encodes requests canonically", () => {
    expect(encodeSyncRequest({ type: "blocks", fromHeight: 1, count: 2 })).toEqual(Uint8Array.of(2, 1, 2));
    const frames: SyncFrame[] = [{ type: "end", headHeight: 7 }, { type: "error", code: "X", message: "y" }];
    for (const f of frames) expect(decodeSyncFrame(encodeSyncFrame(f))).toEqual(f);
    expect(validatorIds).toHaveLength(4);
  });
});
