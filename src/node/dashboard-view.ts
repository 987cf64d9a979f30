// `triad_dashboard` over a running node: its own status, the next height's validators with their
// seal participation, the last blocks with when this process appended them, and the journal's
// events after the page's cursor. A page polls it once a second, so what costs store reads (the
// window of the last 100 blocks) is read once per block and kept, and the per-validator counts
// are computed once per head height.
import { type BlockStore, type StoredBlock, type ValidatorId } from "../chain/index.js";
import type {
  ConsensusInfo,
  DashboardBlock,
  DashboardInfo,
  DashboardValidator,
  MempoolInfo,
  NodeStatus,
  PeerInfo,
  TriadStatusInfo,
} from "../rpc/node-api.js";
import type { ConsensusJournal } from "./consensus-journal.js";

/** Blocks whose seals count toward a validator's participation. */
export const SEAL_WINDOW_BLOCKS = 100;
/** Blocks the dashboard lists. */
export const DASHBOARD_BLOCKS = 50;

/** What the view reads of the node's API (TriadNodeApi fits it). */
export interface DashboardSource {
  status(): NodeStatus;
  triadStatus(): TriadStatusInfo;
  consensusState(): ConsensusInfo;
  mempool(): MempoolInfo;
  peers(): readonly PeerInfo[];
}

export interface DashboardViewOptions {
  readonly chainId: string;
  readonly selection: "poa" | "dbft";
  /** This node's key (hex). */
  readonly self: ValidatorId;
}

export interface DashboardViewDeps {
  readonly store: BlockStore;
  readonly journal: ConsensusJournal;
  readonly source: DashboardSource;
  /** Validator ids (hex keys) this node has a libp2p connection to. */
  connectedKeys(): Iterable<ValidatorId>;
}

interface BlockSummary {
  readonly height: number;
  readonly hash: string;
  readonly proposer: ValidatorId;
  readonly txs: number;
  readonly view: number;
  readonly bytes: number;
  readonly timestamp: number;
  /** Who signed this node's stored seal of the block. */
  readonly signers: ReadonlySet<ValidatorId>;
}

interface Participation {
  readonly last: number | null;
  readonly sealed: number;
}

export class DashboardView {
  /** Summaries of the last ≤ 100 blocks, by height. */
  private readonly window = new Map<number, BlockSummary>();
  private participation: { head: number; byValidator: Map<ValidatorId, Participation> } | null = null;
  /** One fill at a time: concurrent pages share it instead of reading the same blocks twice. */
  private filling: Promise<void> | null = null;

  constructor(
    private readonly options: DashboardViewOptions,
    private readonly deps: DashboardViewDeps,
  ) {}

  /** Called for every appended block: its summary needs no store read later. */
  blockAppended(stored: StoredBlock): void {
    const s = summarize(stored);
    this.window.set(s.height, s);
    this.trim(s.height);
  }

  async read(since: number): Promise<DashboardInfo> {
    const head = this.deps.store.head().height;
    await this.fill(head);
    const { source, journal } = this.deps;
    const status = source.status();
    const triad = source.triadStatus();
    const consensus = source.consensusState();
    const mempool = source.mempool();
    const page = journal.since(since);
    const faultsReported = Object.values(triad.faultsReported).reduce((a, b) => a + b, 0);
    const vc = triad.viewChanges;
    return {
      node: {
        moniker: status.moniker,
        validator_id: status.validatorId,
        peer_id: status.nodeId,
        chain_id: this.options.chainId,
        selection: this.options.selection,
        version: status.version,
        height: status.height,
        view: status.view,
        phase: triad.phase,
        primary: consensus.primary,
        role: triad.role,
        byzantine: [...triad.byzantine],
        syncing: status.syncing,
        uptime_ms: triad.uptimeMs,
        peers: source.peers().length,
        mempool: { txs: mempool.txs, bytes: mempool.bytes },
        view_changes: { timeout: vc.timeout ?? 0, join: vc.join ?? 0, "bad-proposal": vc["bad-proposal"] ?? 0, entered: vc.entered ?? 0 },
        faults_reported: faultsReported,
        messages_refused: triad.messagesRefused,
        now_ms: journal.now(),
      },
      validators: this.validators(status.height, consensus.primary, triad.faultsByPeer),
      blocks: this.blocks(status.height),
      events: page.events,
      next_since: page.next,
    };
  }

  private validators(head: number, primary: ValidatorId, faultsByPeer: Readonly<Record<string, number>>): DashboardValidator[] {
    const set = this.deps.store.validatorsAt(head + 1);
    const connected = new Set(this.deps.connectedKeys());
    const counts = this.participationAt(head);
    const recent = this.windowSize(head);
    return set.members.map((id) => {
      const p = counts.get(id);
      const self = id === this.options.self;
      return {
        address: id,
        // PBFT counts every member's vote the same (quorum = floor((n + f) / 2) + 1 members).
        power: 1,
        primary: id === primary,
        self,
        // A node is always reachable from itself; the page marks a validator down on this.
        connected: self || connected.has(id),
        last_sealed_height: p?.last ?? null,
        sealed_recent: p?.sealed ?? 0,
        recent_blocks: recent,
        faults: faultsByPeer[id] ?? 0,
      };
    });
  }

  private blocks(head: number): DashboardBlock[] {
    const timing = new Map(this.deps.journal.appendedBlocks().map((t) => [t.height, t]));
    const out: DashboardBlock[] = [];
    for (let h = Math.max(1, head - DASHBOARD_BLOCKS + 1); h <= head; h++) {
      const s = this.window.get(h);
      if (s === undefined) continue;
      const t = timing.get(h);
      out.push({
        height: s.height,
        hash: s.hash,
        proposer: s.proposer,
        txs: s.txs,
        view: s.view,
        bytes: s.bytes,
        timestamp_ms: s.timestamp,
        appended_ms: t?.appended_ms ?? null,
        latency_ms: t === undefined ? null : t.appended_ms - s.timestamp,
        source: t?.source ?? null,
      });
    }
    return out;
  }

  private windowSize(head: number): number {
    let n = 0;
    for (let h = Math.max(1, head - SEAL_WINDOW_BLOCKS + 1); h <= head; h++) if (this.window.has(h)) n++;
    return n;
  }

  private participationAt(head: number): Map<ValidatorId, Participation> {
    if (this.participation?.head === head) return this.participation.byValidator;
    const byValidator = new Map<ValidatorId, Participation>();
    for (let h = Math.max(1, head - SEAL_WINDOW_BLOCKS + 1); h <= head; h++) {
      const s = this.window.get(h);
      if (s === undefined) continue;
      for (const id of s.signers) {
        const p = byValidator.get(id);
        byValidator.set(id, { last: h, sealed: (p?.sealed ?? 0) + 1 });
      }
    }
    this.participation = { head, byValidator };
    return byValidator;
  }

  /** Read from the store the blocks of the window not yet summarized (after a start: all of them). */
  private async fill(head: number): Promise<void> {
    while (this.filling !== null) await this.filling;
    const missing: number[] = [];
    for (let h = Math.max(1, head - SEAL_WINDOW_BLOCKS + 1); h <= head; h++) if (!this.window.has(h)) missing.push(h);
    if (missing.length === 0) return;
    this.filling = (async () => {
      const loaded = await Promise.all(missing.map((h) => this.deps.store.getBlock(h)));
      for (const stored of loaded) if (stored !== undefined) this.window.set(stored.block.header.height, summarize(stored));
      this.trim(this.deps.store.head().height);
      this.participation = null;
    })();
    try {
      await this.filling;
    } finally {
      this.filling = null;
    }
  }

  private trim(head: number): void {
    for (const h of this.window.keys()) if (h <= head - SEAL_WINDOW_BLOCKS) this.window.delete(h);
  }
}

function summarize(stored: StoredBlock): BlockSummary {
  const { block, seal } = stored;
  const h = block.header;
  return {
    height: h.height,
    hash: block.id,
    proposer: h.proposer,
    txs: block.txs.length,
    view: h.view,
    bytes: block.bytes.length,
    timestamp: h.timestamp,
    signers: new Set(seal.commits.map((c) => c.validator)),
  };
}

