// triad_dashboard's data over a TriadNodeApi on an in-memory store: the validators of the next
// height with their seal participation, the last blocks with this process's append timing, and
// the journal's events.
import { describe, expect, it } from "vitest";
import { pino } from "pino";
import { Mempool, MEMPOOL_DEFAULTS, type StoredBlock } from "../../../src/chain/index.js";
import { poaSelection } from "../../../src/consensus/selection/index.js";
import { ConsensusJournal } from "../../../src/node/consensus-journal.js";
import { DASHBOARD_BLOCKS, SEAL_WINDOW_BLOCKS } from "../../../src/node/dashboard-view.js";
import { TriadNodeApi } from "../../../src/node/node-api.js";
import { RecentTxIndex } from "../../../src/node/tx-index.js";
import { MemoryBlockStore } from "../../../src/store/memory.js";
import { chainFixture, nextAppend } from "../../fixtures/chain-fixture.js";

const logger = pino({ level: "silent" });

async function harness(options: { connected?: number[]; journal?: boolean } = {}) {
  const fx = chainFixture();
  const store = new MemoryBlockStore();
  await store.open(fx.init);
  const clock = { t: 2_000_000_000_000, now: () => clock.t };
  const journal = new ConsensusJournal(clock);
  const mempool = new Mempool({ chainId: fx.chainId, ...MEMPOOL_DEFAULTS }, { registry: fx.registry, state: () => store.state() });
  const api = new TriadNodeApi(
    { genesis: fx.genesis, moniker: "unit", version: "9.9.9", nodeId: "12D3KooWtest", nodeKey: fx.validatorId(0) },
    {
      store,
      mempool,
      registry: fx.registry,
      selection: poaSelection,
      txIndex: new RecentTxIndex(3),
      network: {
        listenAddrs: () => [],
        connections: () => (options.connected ?? []).map((i) => ({ peerId: `peer-${i}`, key: fx.validatorId(i), addr: `/ip4/127.0.0.1/tcp/${i}`, outbound: true })),
        publishTx: () => undefined,
      },
      consensus: () => null,
      syncing: () => false,
      triad: () => ({
        byzantine: [],
        uptimeMs: 42,
        viewChanges: { timeout: 2, join: 1, "bad-proposal": 0, entered: 3 },
        faultsReported: { equivocation: 2, "bad-signature": 1 },
        faultsByPeer: { [fx.validatorId(2)]: 3 },
        messagesRefused: 5,
        byzantineActs: {},
        peersRefused: [],
        peerBans: 0,
      }),
      ...(options.journal === false ? {} : { journal }),
      logger,
    },
  );
  /** Append without telling the API or the journal: a block of an earlier process. */
  const appendQuietly = async (): Promise<void> => {
    await store.append(nextAppend(fx, store, { txs: 1 }));
  };
  /** Append as the node does: journal (driver event) then the API. */
  const append = async (source: "consensus" | "sync" = "consensus"): Promise<StoredBlock> => {
    const input = nextAppend(fx, store, { txs: 1 });
    await store.append(input);
    const stored = { block: input.block, seal: input.seal, receipts: input.receipts };
    clock.t = input.block.header.timestamp + 250;
    journal.onAppended(stored, source);
    api.blockAppended(stored);
    return stored;
  };
  return { fx, store, api, journal, clock, append, appendQuietly };
}

describe("TriadNodeApi.dashboard", () => {
  it("lists the next height's validators: primary, self, connected, seal participation and faults", async () => {
    const h = await harness({ connected: [1, 3] });
    for (let i = 0; i < 5; i++) await h.append();
    const d = await h.api.dashboard(0);
    const primary = d.node.primary;
    expect(d.validators.map((v) => v.address)).toEqual(h.store.validatorsAt(6).members);
    // The fixture's seals hold the first quorum (3) of the 4 sorted members.
    const members = h.store.validatorsAt(6).members;
    for (const [i, v] of d.validators.entries()) {
      expect(v.power).toBe(1);
      expect(v.primary).toBe(v.address === primary);
      expect(v.self).toBe(v.address === h.fx.validatorId(0));
      expect(v.recent_blocks).toBe(5);
      if (i < 3) expect([v.last_sealed_height, v.sealed_recent]).toEqual([5, 5]);
      else expect([v.last_sealed_height, v.sealed_recent]).toEqual([null, 0]);
      expect(v.faults).toBe(v.address === h.fx.validatorId(2) ? 3 : 0);
    }
    const connected = (i: number): boolean => d.validators.find((v) => v.address === h.fx.validatorId(i))!.connected;
    expect([connected(0), connected(1), connected(2), connected(3)]).toEqual([true, true, false, true]);
    expect(members.filter((id) => id === primary)).toHaveLength(1);
  });

  it("answers the node part of the contract", async () => {
    const h = await harness();
    await h.append();
    const d = await h.api.dashboard(0);
    expect(d.node).toEqual({
      moniker: "unit",
      validator_id: h.fx.validatorId(0),
      peer_id: "12D3KooWtest",
      chain_id: h.fx.chainId,
      selection: "poa",
      version: "9.9.9",
      height: 1,
      view: 0,
      phase: "idle",
      primary: d.node.primary,
      role: d.node.primary === h.fx.validatorId(0) ? "primary" : "backup",
      byzantine: [],
      syncing: false,
      uptime_ms: 42,
      peers: 0,
      mempool: { txs: 0, bytes: 0 },
      view_changes: { timeout: 2, join: 1, "bad-proposal": 0, entered: 3 },
      faults_reported: 3,
      messages_refused: 5,
      now_ms: h.clock.t,
    });
  });

  it("lists the last 50 blocks, newest last: this process's appends with their latency and source, older ones from the store with nulls", async () => {
    const h = await harness();
    for (let i = 0; i < 55; i++) await h.appendQuietly();
    await h.append("sync");
    const last = await h.append("consensus");
    const d = await h.api.dashboard(0);
    expect(d.blocks).toHaveLength(DASHBOARD_BLOCKS);
    expect(d.blocks.map((b) => b.height)).toEqual(Array.from({ length: 50 }, (_, i) => 8 + i));
    const newest = d.blocks.at(-1)!;
    expect(newest).toEqual({
      height: 57,
      hash: last.block.id,
      proposer: last.block.header.proposer,
      txs: 1,
      view: 0,
      bytes: last.block.bytes.length,
      timestamp_ms: last.block.header.timestamp,
      appended_ms: last.block.header.timestamp + 250,
      latency_ms: 250,
      source: "consensus",
    });
    expect(d.blocks.at(-2)).toMatchObject({ height: 56, latency_ms: 250, source: "sync" });
    expect(d.blocks[0]).toMatchObject({ height: 8, appended_ms: null, latency_ms: null, source: null });
    expect(d.blocks[0]!.bytes).toBeGreaterThan(0);
  });

  it("counts seals over the last 100 blocks only, read once from the store after a start", async () => {
    const h = await harness();
    for (let i = 0; i < 120; i++) await h.appendQuietly();
    let reads = 0;
    const getBlock = h.store.getBlock.bind(h.store);
    h.store.getBlock = (height: number) => {
      reads++;
      return getBlock(height);
    };
    const d = await h.api.dashboard(0);
    expect(reads).toBe(SEAL_WINDOW_BLOCKS);
    expect(d.validators[0]).toMatchObject({ recent_blocks: 100, sealed_recent: 100, last_sealed_height: 120 });
    await h.api.dashboard(0);
    await h.append();
    const again = await h.api.dashboard(0);
    // The new block came with its append: no read.
    expect(reads).toBe(SEAL_WINDOW_BLOCKS);
    expect(again.validators[0]).toMatchObject({ recent_blocks: 100, last_sealed_height: 121 });
  });

  it("gives the journal's events after the cursor and the next cursor", async () => {
    const h = await harness();
    h.journal.onAction({ type: "view-changed", height: 1, view: 1, reason: "timeout" });
    h.journal.perturbation("net-fault", null, "both block=true (every peer)");
    const first = await h.api.dashboard(0);
    expect(first.events.map((e) => e.kind)).toEqual(["view-change", "perturbation"]);
    expect(first.next_since).toBe(2);
    const second = await h.api.dashboard(first.next_since);
    expect(second.events).toEqual([]);
    expect(second.next_since).toBe(2);
    expect(first.blocks).toEqual([]);
    expect(first.validators.every((v) => v.recent_blocks === 0 && v.last_sealed_height === null)).toBe(true);
  });

  it("is refused when the node keeps no journal", async () => {
    const h = await harness({ journal: false });
    expect(() => h.api.dashboard(0)).toThrow(/not wired/);
  });
});
