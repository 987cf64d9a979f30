// Shared fixtures for the p2p tests: dev keys, signed messages, a block store stub and hosts on
// 127.0.0.1 with port 0. Waits are on events and promises; the only timer is a failure guard
// that turns a hang into a readable error.
import { pino } from "pino";
import {
  commitPayload,
  decodeSignedTx,
  devKeyPair,
  isMember,
  makeBlock,
  makeSeal,
  sha256,
  signTx,
  toHex,
  transferKind,
  txRoot,
  utf8,
  validatorSet,
  validatorsHash,
  type ChainHead,
  type KeyPair,
  type SignedTx,
  type StoredBlock,
  type ValidatorId,
} from "../../src/chain/index.js";
import { Signer } from "../../src/chain/signature.js";
import { votePayload, type ConsensusMessage, type Prepare } from "../../src/consensus/messages.js";
import { P2PHost, type InvalidGossip, type P2PHostOptions, type SyncStore } from "../../src/p2p/index.js";

export const CHAIN_ID = "triad-p2p-test";
export const logger = pino({ level: "silent" });

export const validatorKeys: KeyPair[] = [0, 1, 2, 3].map((i) => devKeyPair(`validator-${i}`));
export const validatorIds: ValidatorId[] = validatorKeys.map((k) => toHex(k.publicKey));
export const validators = validatorSet(validatorIds);
export const intruderKey = devKeyPair("intruder");
export const intruderId = toHex(intruderKey.publicKey);

/** Messages below this height are stale for every test host. */
export const STALE_BELOW = 3;

export function key(i: number): KeyPair {
  return validatorKeys[i]!;
}

export function prepare(signerKey: KeyPair, height: number, options: { from?: ValidatorId; tag?: string } = {}): Prepare {
  const blockHash = sha256(utf8(`block-${height}-${options.tag ?? ""}`));
  const signature = new Signer(signerKey.secretKey).signDomain("prepare", CHAIN_ID, votePayload(height, 0, blockHash));
  return { type: "prepare", chainId: CHAIN_ID, height, view: 0, blockHash, from: options.from ?? toHex(signerKey.publicKey), signature };
}

export function transfer(nonce: number): SignedTx {
  const account = devKeyPair("account-0");
  const payload = transferKind.encode({ to: devKeyPair("sink").publicKey, amount: 5n });
  return signTx({ chainId: CHAIN_ID, from: account.publicKey, nonce, kind: "transfer", payload }, account.secretKey);
}

// ---- waiting ------------------------------------------------------------------------------------

/** Reject after `ms` with `what`: a guard so a hang fails with a message, never a synchronisation. */
export async function guard<T>(promise: Promise<T>, what: string, ms = 20_000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Resolve once `check()` holds, re-checking whenever one of `events` fires on one of `targets`. */
export async function until(what: string, check: () => boolean, targets: EventTarget[], events: string[]): Promise<void> {
  if (check()) return;
  const listeners: Array<() => void> = [];
  try {
    await guard(
      new Promise<void>((resolve) => {
        const recheck = (): void => {
          if (check()) resolve();
        };
        for (const t of targets) {
          for (const e of events) {
            t.addEventListener(e, recheck);
            listeners.push(() => t.removeEventListener(e, recheck));
          }
        }
        recheck();
      }),
      what,
    );
  } finally {
    for (const remove of listeners) remove();
  }
}

/** Collects what a host delivers and lets a test wait for a matching entry. */
export class Inbox<T> {
  readonly items: T[] = [];
  private waiters: Array<{ match: (item: T) => boolean; resolve: (item: T) => void }> = [];

  push(item: T): void {
    this.items.push(item);
    this.waiters = this.waiters.filter((w) => {
      if (!w.match(item)) return true;
      w.resolve(item);
      return false;
    });
  }

  async next(what: string, match: (item: T) => boolean): Promise<T> {
    const found = this.items.find(match);
    if (found !== undefined) return found;
    return guard(new Promise<T>((resolve) => this.waiters.push({ match, resolve })), what);
  }
}

// ---- hosts --------------------------------------------------------------------------------------

export interface TestHost {
  readonly host: P2PHost;
  readonly id: ValidatorId;
  readonly consensus: Inbox<{ message: ConsensusMessage; from: ValidatorId }>;
  readonly txs: Inbox<{ tx: SignedTx; from: ValidatorId }>;
  readonly invalid: Inbox<InvalidGossip>;
}

export interface TestHostInit {
  readonly key: KeyPair;
  readonly peers?: readonly string[];
  readonly listen?: string;
  readonly isAllowed?: (id: ValidatorId) => boolean;
  readonly store?: SyncStore;
  readonly sync?: P2PHostOptions["sync"];
  readonly txRelay?: P2PHostOptions["txRelay"];
  /** Who our relayTx sends to; default the four validators. */
  readonly relayTargets?: () => readonly ValidatorId[];
  /** Further host options (limits under test). */
  readonly options?: Partial<P2PHostOptions>;
  /** The sync server's rate-limit clock (default Date.now). */
  readonly syncClock?: () => number;
}

export const emptyStore: SyncStore = {
  head: () => ({ height: 0, hash: new Uint8Array(32), timestamp: 0 }),
  getBlock: async () => undefined,
};

export async function startHost(init: TestHostInit): Promise<TestHost> {
  const consensus = new Inbox<{ message: ConsensusMessage; from: ValidatorId }>();
  const txs = new Inbox<{ tx: SignedTx; from: ValidatorId }>();
  const invalid = new Inbox<InvalidGossip>();
  const members = new Set(validatorIds);
  const host = new P2PHost(
    {
      chainId: CHAIN_ID,
      secretKey: init.key.secretKey,
      listen: [init.listen ?? "/ip4/127.0.0.1/tcp/0"],
      peers: init.peers ?? [],
      inboundConnectionThreshold: 100,
      // Fast redial so the restart test converges quickly; no test waits on these timers.
      redialIntervalMs: 250,
      reconnectRetryIntervalMs: 100,
      sync: init.sync,
      txRelay: init.txRelay,
      ...init.options,
    },
    {
      logger,
      isAllowed: init.isAllowed ?? ((id) => members.has(id)),
      isValidator: (id) => isMember(validators, id),
      isStale: (m) => m.height < STALE_BELOW,
      onConsensusMessage: (message, from) => consensus.push({ message, from }),
      onTx: (bytes, from) => txs.push({ tx: decodeSignedTx(bytes), from }),
      relayTargets: init.relayTargets ?? (() => validatorIds),
      onInvalid: (event) => invalid.push(event),
      store: init.store ?? emptyStore,
      syncClock: init.syncClock,
    },
  );
  await host.start();
  return { host, id: toHex(init.key.publicKey), consensus, txs, invalid };
}

/** Resolve once `a` holds a connection to each of `peers` and sees them on the consensus topic. */
export async function meshed(a: TestHost, peers: readonly ValidatorId[]): Promise<void> {
  const node = a.host.libp2p;
  const has = (list: ValidatorId[]): boolean => peers.every((p) => list.includes(p));
  await until(
    `${a.id.slice(0, 8)} to connect to and see the topics of ${peers.length} peers`,
    () => has(a.host.connectedPeers()) && has(a.host.topicPeers("consensus")),
    [node, node.services.pubsub as unknown as EventTarget],
    ["peer:connect", "peer:identify", "subscription-change"],
  );
}

// ---- a block store stub ------------------------------------------------------------------------

/** `count` real blocks on an empty chain, each with a seal of commit signatures from 3 of the 4 validators. */
export function buildChain(count: number): StoredBlock[] {
  const signers = [0, 1, 2].map((i) => new Signer(key(i).secretKey));
  const vHash = validatorsHash(validators);
  const out: StoredBlock[] = [];
  let parentHash: Uint8Array = sha256(utf8("genesis"));
  for (let height = 1; height <= count; height++) {
    const block = makeBlock(
      {
        chainId: CHAIN_ID,
        height,
        view: 0,
        parentHash,
        timestamp: 1_700_000_000_000 + height * 1000,
        proposer: validatorIds[height % 4]!,
        txRoot: txRoot([]),
        stateRoot: sha256(utf8(`state-${height}`)),
        validatorsHash: vHash,
      },
      [],
    );
    const payload = commitPayload(height, 0, block.hash);
    const seal = makeSeal(height, 0, block.hash, signers.map((s) => ({ validator: s.id, signature: s.signDomain("commit", CHAIN_ID, payload) })));
    out.push({ block, seal, receipts: [] });
    parentHash = block.hash;
  }
  return out;
}

export function stubStore(chain: readonly StoredBlock[], options: { failAt?: number } = {}): SyncStore {
  return {
    head: (): ChainHead => {
      const last = chain[chain.length - 1]!;
      return { height: last.block.header.height, hash: last.block.hash, timestamp: last.block.header.timestamp };
    },
    getBlock: async (height) => {
      if (height === options.failAt) throw new Error(`disk error at ${height}`);
      return chain[height - 1];
    },
  };
}
