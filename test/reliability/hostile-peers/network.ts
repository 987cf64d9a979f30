// A real consensus network in one process, for attacks by a hostile peer: three honest PoA
// validators and an observer (TriadNode: LevelDB in a temp dir, libp2p over TCP on 127.0.0.1),
// and the attacker, a bare P2PHost holding the fourth validator's key. The attacker is a member:
// the gaters admit it, so everything it sends reaches the code under attack. It runs no
// consensus, so the three honest validators are the quorum (n = 4, f = 1, q = 3) and every
// block is decided without it (its turns as primary end in a view change).
//
// Waits poll a condition (heights, counters, connections) and are bounded by a guard; nothing
// asserts on wall-clock time.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { devKeyPair, toHex, type Genesis, type KeyPair, type ValidatorId } from "../../../src/chain/index.js";
import type { Metrics, MessageType, RejectReason } from "../../../src/metrics/index.js";
import { configSchema } from "../../../src/node/config.js";
import type { ConsensusTransport } from "../../../src/node/consensus-transport.js";
import { buildGenesis } from "../../../src/node/genesis-builder.js";
import { TriadNode } from "../../../src/node/node.js";
import { P2PHost, peerIdFromValidatorId, type SyncStore } from "../../../src/p2p/index.js";

export const CHAIN_ID = "triad-hostile-peers";
export const logger = pino({ level: "silent" });

/** Fast timing: an empty block every 200 ms, a 1 s view-change timeout (the attacker's turns). */
const TIMING = { tickMs: 50, viewChangeTimeoutTicks: 20, maxViewChangeTimeoutTicks: 40, emptyBlockIntervalTicks: 4 };

/** What the tests read of a running node (private fields, read through one cast). */
export interface NodeInternals {
  readonly host: P2PHost;
  readonly transport: ConsensusTransport;
  readonly metrics: Metrics;
  readonly store: { head(): { height: number } };
}

export interface HonestNode {
  readonly name: string;
  readonly node: TriadNode;
  readonly key: KeyPair;
  readonly id: ValidatorId;
  readonly inner: NodeInternals;
}

export interface HostileNetwork {
  readonly genesis: Genesis;
  readonly validators: readonly HonestNode[];
  readonly observer: HonestNode;
  readonly attacker: P2PHost;
  readonly attackerKey: KeyPair;
  readonly attackerId: ValidatorId;
  stop(): Promise<void>;
}

export const observerKey = devKeyPair("hostile-observer");

const emptyStore: SyncStore = {
  head: () => ({ height: 0, hash: new Uint8Array(32), timestamp: 0 }),
  getBlock: async () => undefined,
};

/** Bounded wait on a condition, polled every few milliseconds. */
export async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function height(n: HonestNode): number {
  return n.inner.store.head().height;
}

/** Every node in `nodes` appends `blocks` more blocks than it holds now: commits continue. */
export async function commitsContinue(nodes: readonly HonestNode[], blocks = 3, timeoutMs = 60_000): Promise<void> {
  const start = nodes.map(height);
  await until(`${blocks} more blocks on ${nodes.map((n) => n.name).join(", ")} (from ${start.join(", ")})`, () => nodes.every((n, i) => height(n) >= start[i]! + blocks), timeoutMs);
}

/** triad_p2p_messages_rejected_total of one node, summed over the label values given. */
export async function rejected(n: HonestNode, filter: { type?: MessageType; reason?: RejectReason } = {}): Promise<number> {
  const values = (await n.inner.metrics.messagesRejected.get()).values;
  return values.filter((v) => (filter.type === undefined || v.labels.type === filter.type) && (filter.reason === undefined || v.labels.reason === filter.reason)).reduce((s, v) => s + v.value, 0);
}

export function connected(n: HonestNode, id: ValidatorId): boolean {
  return n.inner.host.connectedPeers().includes(id);
}

async function startNode(dir: string, name: string, genesis: Genesis, key: KeyPair, peers: readonly string[], observers: readonly ValidatorId[]): Promise<HonestNode> {
  const config = configSchema.parse({
    node: { moniker: name, log_level: "silent" },
    p2p: { listen: "/ip4/127.0.0.1/tcp/0", peers: [...peers], observers: [...observers] },
    rpc: { listen: "" },
    metrics: { listen: "127.0.0.1:0" },
  });
  const node = new TriadNode({ home: join(dir, name), genesis, key, config }, { logger });
  await node.start();
  return { name, node, key, id: toHex(key.publicKey), inner: node as unknown as NodeInternals };
}

export async function startHostileNetwork(): Promise<HostileNetwork> {
  const dir = await mkdtemp(join(tmpdir(), "triad-hostile-"));
  const built = buildGenesis({ selection: "poa", validators: 4, accounts: 2, dev: true, chainId: CHAIN_ID });
  const genesis: Genesis = { ...built.genesis, consensus: { ...built.genesis.consensus, ...TIMING } };
  const keys = built.keys.filter((k) => k.role === "validator").map((k) => k.pair);
  const observerId = toHex(observerKey.publicKey);
  const validators: HonestNode[] = [];
  const started: TriadNode[] = [];
  let attacker: P2PHost | null = null;
  const stop = async (): Promise<void> => {
    await attacker?.stop().catch(() => undefined);
    await Promise.all(started.map(async (n) => n.stop().catch(() => undefined)));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    // Each dials the ones before it; the gaters admit the set (and the observer) both ways.
    for (let i = 0; i < 3; i++) {
      const peers = validators.map((v) => v.node.info.p2p[0]!);
      const v = await startNode(dir, `validator-${i}`, genesis, keys[i]!, peers, [observerId]);
      validators.push(v);
      started.push(v.node);
    }
    const observer = await startNode(dir, "observer", genesis, observerKey, validators.map((v) => v.node.info.p2p[0]!), []);
    started.push(observer.node);
    const attackerKey = keys[3]!;
    const members = new Set(keys.map((k) => toHex(k.publicKey)));
    const host = new P2PHost(
      { chainId: CHAIN_ID, secretKey: attackerKey.secretKey, listen: ["/ip4/127.0.0.1/tcp/0"], peers: [...validators, observer].map((v) => v.node.info.p2p[0]!) },
      {
        logger,
        isAllowed: () => true,
        isValidator: (id) => members.has(id),
        isStale: () => false,
        onConsensusMessage: () => undefined,
        onTx: () => undefined,
        relayTargets: () => [],
        store: emptyStore,
      },
    );
    attacker = host;
    await host.start();
    const attackerId = toHex(attackerKey.publicKey);
    const net: HostileNetwork = { genesis, validators, observer, attacker: host, attackerKey, attackerId, stop };
    await until("the attacker to connect to every honest node", () => [...validators, observer].every((n) => connected(n, attackerId)));
    await until("the validators to connect to each other and the observer", () =>
      validators.every((v) => [...validators, observer].every((o) => o === v || connected(v, o.id))),
    );
    return net;
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * Let the attacker back in after a test got it refused: forget its strikes and cool-down at `n`
 * and dial again (the refusal is 60 s; the next attack should not wait for it).
 */
export async function pardon(net: HostileNetwork, n: HonestNode): Promise<void> {
  n.inner.host.penalties.pardon(net.attackerId);
  await until(`${n.name} to take the attacker back`, async () => {
    if (connected(n, net.attackerId)) return true;
    await net.attacker.libp2p.dial(peerIdFromValidatorId(n.id)).catch(() => undefined);
    return connected(n, net.attackerId);
  });
}
