// Helpers for the driver's unit tests: the fixture chain (PoA, dev keys) over memory stores, a
// fake Transport that records what goes out and serves blocks from another store, and a Driver
// (or its parts) wired the way the node and the simulator wire it.
import { Mempool, MEMPOOL_DEFAULTS, VerifyCache, type BlockStore, type ValidatorId, type VoteRecord } from "../../../src/chain/index.js";
import type { ConsensusMessage } from "../../../src/consensus/index.js";
import { chainRegistry, poaSelection } from "../../../src/consensus/selection/index.js";
import { Driver, type DriverDeps, type DriverOptions } from "../../../src/driver/driver.js";
import type { PeerHead, SealedBlock, Transport } from "../../../src/driver/transport.js";
import { MemoryBlockStore, MemoryVoteStore } from "../../../src/store/memory.js";
import { chainFixture, nextAppend, type ChainFixture } from "../../fixtures/chain-fixture.js";

export const registry = chainRegistry(poaSelection);

/** A memory block store opened on the fixture's genesis, with `blocks` fixture blocks appended. */
export async function storeWith(fx: ChainFixture, blocks = 0, txs = 2): Promise<MemoryBlockStore> {
  const store = new MemoryBlockStore();
  await store.open(fx.init);
  for (let i = 0; i < blocks; i++) await store.append(nextAppend(fx, store, { txs }));
  return store;
}

/** Sealed blocks `from..to` of a store. */
export async function sealedRange(store: BlockStore, from: number, to: number): Promise<SealedBlock[]> {
  const out: SealedBlock[] = [];
  for (let h = from; h <= to; h++) {
    const stored = await store.getBlock(h);
    if (stored === undefined) break;
    out.push({ block: stored.block, seal: stored.seal });
  }
  return out;
}

export interface FetchCall {
  readonly peers: readonly ValidatorId[];
  readonly from: number;
  readonly count: number;
}

/** "phase@height/view", as the GatedVoteStore writes it in the log. */
export function label(message: ConsensusMessage): string {
  return `${message.type}@${message.height}/${message.type === "view-change" ? message.newView : message.view}`;
}

/** A Transport that records sends and serves fetches from `source` (when set). */
export class FakeTransport implements Transport {
  readonly sent: { to: ValidatorId | null; message: ConsensusMessage }[] = [];
  readonly fetches: FetchCall[] = [];
  source: BlockStore | null = null;
  fetchError: Error | null = null;
  /** Shared with a GatedVoteStore, to see the order of writes and sends. */
  log: string[] | null = null;
  /** What peerHeads answers: peer → height (a peer missing here did not answer). */
  heads: Record<ValidatorId, number> = {};
  headChecks = 0;

  broadcast(message: ConsensusMessage): void {
    this.sent.push({ to: null, message });
    this.log?.push(`send ${label(message)}`);
  }

  send(to: ValidatorId, message: ConsensusMessage): void {
    this.sent.push({ to, message });
    this.log?.push(`send ${label(message)}`);
  }

  async fetchBlocks(peers: readonly ValidatorId[], fromHeight: number, count: number): Promise<readonly SealedBlock[]> {
    this.fetches.push({ peers, from: fromHeight, count });
    if (this.fetchError !== null) throw this.fetchError;
    if (this.source === null) return [];
    return sealedRange(this.source, fromHeight, Math.min(this.source.head().height, fromHeight + count - 1));
  }

  async peerHeads(): Promise<readonly PeerHead[]> {
    this.headChecks++;
    return Object.entries(this.heads).map(([peer, height]) => ({ peer, height }));
  }
}

/** A VoteStore whose writes complete only when the test releases them, and that logs them. */
export class GatedVoteStore extends MemoryVoteStore {
  private pending: (() => void)[] = [];
  gated = true;

  constructor(private readonly log: string[]) {
    super();
  }

  override async record(record: VoteRecord): Promise<void> {
    this.log.push(`record-start ${record.phase}@${record.height}/${record.view}`);
    if (this.gated) await new Promise<void>((release) => this.pending.push(release));
    await super.record(record);
    this.log.push(`recorded ${record.phase}@${record.height}/${record.view}`);
  }

  override async recordAll(records: readonly VoteRecord[]): Promise<void> {
    const what = records.map((r) => `${r.phase}@${r.height}/${r.view}`).join(" + ");
    this.log.push(`record-start ${what}`);
    if (this.gated) await new Promise<void>((release) => this.pending.push(release));
    await super.recordAll(records);
    for (const r of records) this.log.push(`recorded ${r.phase}@${r.height}/${r.view}`);
  }

  get waiting(): number {
    return this.pending.length;
  }

  releaseAll(): void {
    for (const release of this.pending.splice(0)) release();
  }
}

export interface DriverSetup {
  readonly fx: ChainFixture;
  readonly store: MemoryBlockStore;
  readonly votes: MemoryVoteStore;
  readonly mempool: Mempool;
  readonly transport: FakeTransport;
  readonly driver: Driver;
  readonly clock: { now(): number };
}

/** A started Driver for validator `selfIndex` of `fx` (null: an observer). */
export async function driverSetup(
  fx: ChainFixture,
  options: { self?: number | null; votes?: MemoryVoteStore; store?: MemoryBlockStore; driver?: Partial<DriverOptions>; deps?: Partial<DriverDeps> } = {},
): Promise<DriverSetup> {
  const store = options.store ?? (await storeWith(fx));
  const votes = options.votes ?? new MemoryVoteStore();
  const self = options.self === undefined ? 0 : options.self;
  const selfId = self === null ? null : fx.validatorId(self);
  const cache = new VerifyCache();
  let driverRef: Driver | null = null;
  const mempool = new Mempool(
    { chainId: fx.chainId, ...MEMPOOL_DEFAULTS },
    { registry, state: () => store.state(), verify: cache.verifyDomain, onAdded: (poolSize) => driverRef?.txAdded(poolSize) },
  );
  const transport = new FakeTransport();
  // Block timestamps of the fixture run a second apart from the genesis time: stay past them.
  const clock = { now: () => store.head().timestamp + 1_000 };
  const signer = selfId === null ? null : fx.signers.get(selfId)!;
  const driver = new Driver(
    { chainId: fx.chainId, self: selfId, params: fx.genesis.consensus, ...options.driver },
    {
      store,
      votes,
      mempool,
      selection: poaSelection,
      registry,
      crypto: {
        sign: (domain, payload) => {
          if (signer === null) throw new Error("an observer signs nothing");
          return signer.signDomain(domain, fx.chainId, payload);
        },
        verify: (domain, payload, signature, signerId) => cache.verify(domain, fx.chainId, payload, signature, signerId),
      },
      transport,
      clock,
      ...options.deps,
    },
  );
  await driver.start();
  driverRef = driver;
  return { fx, store, votes, mempool, transport, driver, clock };
}

export { chainFixture, nextAppend, type ChainFixture };

/**
 * n drivers over FakeTransports, wired by `deliver()`: every message sent so far goes to its
 * recipients in send order (broadcast: all the others), each receiver's driver run to idle,
 * until nothing new is sent. Deterministic: no timers, one input at a time.
 */
export async function driverCluster(fx: ChainFixture, options: { votes?: (index: number) => MemoryVoteStore | undefined } = {}) {
  const n = fx.genesis.validators.length;
  const nodes: DriverSetup[] = [];
  for (let i = 0; i < n; i++) nodes.push(await driverSetup(fx, { self: i, votes: options.votes?.(i) }));
  const cursors = nodes.map(() => 0);
  const deliver = async (): Promise<number> => {
    let delivered = 0;
    for (;;) {
      let moved = false;
      for (const [i, node] of nodes.entries()) {
        while (cursors[i]! < node.transport.sent.length) {
          const { to, message } = node.transport.sent[cursors[i]!++]!;
          moved = true;
          for (const [j, target] of nodes.entries()) {
            if (j === i || (to !== null && fx.validatorId(j) !== to)) continue;
            target.driver.submit({ type: "message", message });
            delivered++;
            await target.driver.idle();
          }
        }
      }
      if (!moved) return delivered;
    }
  };
  const tickAll = async (): Promise<void> => {
    for (const node of nodes) {
      node.driver.submit({ type: "tick" });
      await node.driver.idle();
    }
  };
  return { nodes, deliver, tickAll };
}
