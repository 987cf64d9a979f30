// Issue 11, item 6: admission. 100 peer keys from a fixed seed, none of them in the allow-list,
// each dial a real host over TCP (a real Noise handshake, so the gater sees the authenticated
// key); every one is refused, none gets a stream through, and an allowed validator still
// connects and is answered afterwards. (A PoA validator voted out is disconnected and refused
// from the height its removal takes effect: test/p2p/voted-out.test.ts. A refused node backs
// off its redials: test/p2p/redial.test.ts.)
import { noise } from "@chainsafe/libp2p-noise";
import { yamux } from "@chainsafe/libp2p-yamux";
import { tcp } from "@libp2p/tcp";
import { multiaddr } from "@multiformats/multiaddr";
import { lpStream } from "it-length-prefixed-stream";
import { createLibp2p, type Libp2p } from "libp2p";
import { afterAll, describe, expect, it } from "vitest";
import "../../../src/polyfill.js";
import { keyPairFromSecret, sha256, toHex, utf8, type ValidatorId } from "../../../src/chain/index.js";
import { libp2pPrivateKey, syncProtocol } from "../../../src/p2p/index.js";
import { CHAIN_ID, guard, key, startHost, validatorIds, type TestHost } from "../../p2p/helpers.js";

const INTRUDERS = 100;
const SEED = "triad-admission-seed-11";
/** Dials in flight at once: enough to overlap handshakes, few enough for a loaded 2-core machine. */
const PARALLEL = 10;

function intruderSeed(i: number): Uint8Array {
  return sha256(utf8(`${SEED}/${i}`));
}

async function pollUntil(what: string, check: () => boolean): Promise<void> {
  await guard(
    (async () => {
      while (!check()) await new Promise((r) => setTimeout(r, 5));
    })(),
    what,
  );
}

describe("admission by key", () => {
  const hosts: TestHost[] = [];
  afterAll(async () => {
    await Promise.all(hosts.map((h) => h.host.stop()));
  });

  it(`refuses ${INTRUDERS} random keys (fixed seed) dialling a real host, and still admits a validator`, async () => {
    const members = new Set(validatorIds);
    const seenRefused = new Set<ValidatorId>();
    const target = await startHost({
      key: key(0),
      isAllowed: (id) => {
        if (members.has(id)) return true;
        seenRefused.add(id);
        return false;
      },
    });
    hosts.push(target);
    const addr = multiaddr(target.host.multiaddrs()[0]!);
    const intruderIds = Array.from({ length: INTRUDERS }, (_, i) => toHex(keyPairFromSecret(intruderSeed(i)).publicKey));
    expect(new Set(intruderIds).size).toBe(INTRUDERS);
    expect(intruderIds.some((id) => members.has(id))).toBe(false);

    let streamsOpened = 0;
    const attempt = async (i: number): Promise<void> => {
      const node: Libp2p = await createLibp2p({
        privateKey: await libp2pPrivateKey(intruderSeed(i)),
        addresses: { listen: [] },
        transports: [tcp()],
        connectionEncrypters: [noise()],
        streamMuxers: [yamux()],
      });
      try {
        // The Noise initiator finishes first, so the dial itself may resolve; the target then
        // closes the connection at its gater. Either way no stream may get through.
        const conn = await node.dial(addr).catch(() => null);
        if (conn !== null) {
          const stream = await conn.newStream(syncProtocol(CHAIN_ID)).catch(() => null);
          if (stream !== null) {
            // A status request (tag 0): an answer would mean the stream got through.
            const lp = lpStream(stream);
            const answer = await lp
              .write(Uint8Array.of(0))
              .then(async () => guard(lp.read(), `intruder ${i}'s stream to end`))
              .catch(() => null);
            if (answer !== null) streamsOpened++;
            stream.abort(new Error("done"));
          }
          await pollUntil(`intruder ${i}'s connection to close`, () => node.getConnections().length === 0);
        }
      } finally {
        await node.stop();
      }
    };
    for (let next = 0; next < INTRUDERS; next += PARALLEL) {
      await Promise.all(Array.from({ length: Math.min(PARALLEL, INTRUDERS - next) }, async (_, k) => attempt(next + k)));
    }

    // Every key reached the gater (after its handshake) and was refused there.
    await pollUntil("the target to have judged every intruder", () => intruderIds.every((id) => seenRefused.has(id)));
    expect(streamsOpened).toBe(0);
    expect(target.host.connectedPeers().filter((id) => !members.has(id))).toEqual([]);
    expect(target.host.libp2p.getConnections().length).toBe(0);
    // The host still admits a validator, and answers it.
    const peer = await startHost({ key: key(1), peers: [target.host.multiaddrs()[0]!] });
    hosts.push(peer);
    const head = await guard(peer.host.status(target.id), "the validator's status answer");
    expect(head.height).toBe(0);
    expect(target.host.connectedPeers()).toEqual([peer.id]);
  }, 240_000);
});
