// Tx dissemination micro-benchmark: four libp2p hosts in one process on 127.0.0.1, host 0 hands
// client txs to the network and the other three count what arrives. Measures the transport alone:
// receivers decode each tx (what the mempool does first) but verify nothing, since a signature
// check costs the same whichever way the tx travelled. Prints one JSON object.
//   node --import tsx bench/tx-relay.ts [--txs 6000] [--idle 300] [--chunk 100]
// It runs against either dissemination: the tx relay (host.relayTx) or, on older trees, one
// gossipsub message per tx (host.publishTx); `mode` in the output says which one it measured.
import { performance } from "node:perf_hooks";
import { pino } from "pino";
import {
  decodeSignedTx,
  devKeyPair,
  encodeSignedTx,
  sha256,
  Signer,
  toHex,
  transferKind,
  txSigningPayload,
  utf8,
  type SignedTx,
  type UnsignedTx,
} from "../src/chain/index.js";
import { P2PHost } from "../src/p2p/index.js";

const CHAIN = "triad-bench-relay";

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i < 0 ? NaN : Number(process.argv[i + 1]);
  return Number.isFinite(v) && v > 0 ? v : fallback;
}

const TXS = arg("txs", 6000);
const IDLE = arg("idle", 300);
const CHUNK = arg("chunk", 100);

/** Distinct signed txs from 200 senders (OpenSSL signing: building them is not what we measure). */
function makeTxs(count: number, tag: string): SignedTx[] {
  const senders = Array.from({ length: 200 }, (_, i) => new Signer(sha256(utf8(`bench-${tag}-${i}`))));
  const payload = transferKind.encode({ to: devKeyPair("sink").publicKey, amount: 1n });
  const out: SignedTx[] = [];
  for (let i = 0; i < count; i++) {
    const k = senders[i % senders.length]!;
    const unsigned: UnsignedTx = { chainId: CHAIN, from: k.publicKey, nonce: Math.floor(i / senders.length), kind: "transfer", payload };
    out.push(decodeSignedTx(encodeSignedTx(unsigned, k.signDomain("tx", CHAIN, txSigningPayload(unsigned)))));
  }
  return out;
}

interface Receiver {
  count: number;
  waiters: Map<string, () => void>;
}

// The host API differs between the trees: call whichever dissemination this one has.
interface AnyHost {
  relayTx?: (bytes: Uint8Array) => number;
  publishTx?: (tx: SignedTx) => Promise<number>;
}

async function main(): Promise<void> {
  const keys = [0, 1, 2, 3].map((i) => devKeyPair(`validator-${i}`));
  const ids = keys.map((k) => toHex(k.publicKey));
  const logger = pino({ level: "silent" });
  const receivers: Receiver[] = keys.map(() => ({ count: 0, waiters: new Map() }));
  const hosts: P2PHost[] = [];
  for (let i = 0; i < 4; i++) {
    const r = receivers[i]!;
    const deps = {
      logger,
      isAllowed: (id: string) => ids.includes(id),
      isValidator: (id: string) => ids.includes(id),
      isStale: () => false,
      // The old gossip validator verified each tx; verification is not what this compares.
      verify: () => true,
      onConsensusMessage: () => undefined,
      relayTargets: () => ids,
      onTx: (tx: SignedTx | Uint8Array) => {
        const decoded = tx instanceof Uint8Array ? decodeSignedTx(tx) : tx;
        r.count++;
        r.waiters.get(decoded.id)?.();
      },
      store: { head: () => ({ height: 0, hash: new Uint8Array(32), timestamp: 0 }), getBlock: async () => undefined },
    };
    const host = new P2PHost(
      { chainId: CHAIN, secretKey: keys[i]!.secretKey, listen: ["/ip4/127.0.0.1/tcp/0"], peers: hosts.map((h) => h.multiaddrs()[0]!), inboundConnectionThreshold: 100 },
      deps as unknown as ConstructorParameters<typeof P2PHost>[1],
    );
    await host.start();
    hosts.push(host);
  }
  // Wait for the full mesh and the topic subscriptions (gossip needs them; the relay only connections).
  const origin = hosts[0]!;
  const anyOrigin = origin as unknown as AnyHost;
  const mode = typeof anyOrigin.relayTx === "function" ? "relay" : "gossip";
  const ready = (): boolean =>
    hosts.every((h, i) => ids.filter((_, j) => j !== i).every((p) => h.connectedPeers().includes(p))) &&
    (mode === "relay" || ids.slice(1).every((p) => origin.topicPeers("tx" as never).includes(p)));
  while (!ready()) await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, 500));

  const send = (tx: SignedTx): void => {
    if (mode === "relay") anyOrigin.relayTx!(tx.bytes);
    else void anyOrigin.publishTx!(tx).catch(() => undefined);
  };
  const others = receivers.slice(1);
  const arrivedEverywhere = (tx: SignedTx): Promise<void> =>
    Promise.all(
      others.map(
        (r) =>
          new Promise<void>((resolve) => {
            r.waiters.set(tx.id, () => {
              r.waiters.delete(tx.id);
              resolve();
            });
          }),
      ),
    ).then(() => undefined);

  // Idle latency: one tx at a time, each waits until all three validators have it.
  const idleTxs = makeTxs(IDLE, "idle");
  const lat: number[] = [];
  for (const tx of idleTxs) {
    const done = arrivedEverywhere(tx);
    const t0 = performance.now();
    send(tx);
    await done;
    lat.push(performance.now() - t0);
  }
  lat.sort((a, b) => a - b);
  const pct = (p: number): number => Number(lat[Math.min(lat.length - 1, Math.floor(p * lat.length))]!.toFixed(3));

  // Throughput: client txs arrive CHUNK per event-loop turn (an RPC batch each) as fast as the
  // origin takes them; the clock stops when every validator has every tx.
  const burst = makeTxs(TXS, "burst");
  const base = others.map((r) => r.count);
  const allIn = new Promise<void>((resolve) => {
    const check = (): void => {
      if (others.every((r, i) => r.count - base[i]! >= TXS)) resolve();
      else setImmediate(check);
    };
    check();
  });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < burst.length; i += CHUNK) {
    for (const tx of burst.slice(i, i + CHUNK)) send(tx);
    await new Promise((r) => setImmediate(r));
  }
  await Promise.race([allIn, new Promise((r) => setTimeout(r, 120_000))]);
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const delivered = others.map((r, i) => r.count - base[i]!);

  const relayStats = (origin as unknown as { txRelayStats?: unknown }).txRelayStats ?? null;
  await Promise.all(hosts.map((h) => h.stop()));
  console.log(
    JSON.stringify(
      {
        bench: "tx-dissemination",
        mode,
        hosts: 4,
        idle: { txs: IDLE, p50Ms: pct(0.5), p99Ms: pct(0.99), maxMs: Number(lat[lat.length - 1]!.toFixed(3)) },
        burst: {
          txs: TXS,
          chunk: CHUNK,
          delivered,
          wallMs: Number(wallMs.toFixed(1)),
          txsPerSec: Math.round((Math.min(...delivered) / wallMs) * 1000),
          // All four hosts share this process: CPU of sending, receiving and decoding, per tx.
          cpuMsPerTxAllHosts: Number((cpuMs / TXS).toFixed(4)),
          cpuMsPerTxPerReceiver: Number((cpuMs / TXS / 3).toFixed(4)),
        },
        relayStats,
        limitedBy: "one process on this machine hosts all four nodes: txsPerSec is what one core moves through the whole stack",
      },
      null,
      2,
    ),
  );
  process.exit(0);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
