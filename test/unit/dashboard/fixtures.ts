// Fixtures in the shapes of issue 10's contract: a node's `triad_dashboard` result and the
// testnet's network.json.
import type { BlockSummary, DashboardSnapshot, NetworkInfo, NetworkNode } from "../../../src/dashboard/public/shapes.js";

export const IDS = ["a0", "b1", "c2", "d3"].map((p) => p.repeat(32));
export const NAMES = IDS.map((_, i) => `validator-${i}`);

export function block(height: number, overrides: Partial<BlockSummary> = {}): BlockSummary {
  return {
    height,
    hash: height.toString(16).padStart(64, "0"),
    proposer: IDS[height % 4]!,
    txs: 10,
    view: 0,
    bytes: 1000,
    timestamp_ms: 1_000_000 + height * 1000,
    appended_ms: 1_000_000 + height * 1000 + 100,
    latency_ms: 100,
    source: "consensus",
    ...overrides,
  };
}

/** Node i's answer: at `height`, naming validator `primary` as primary. */
export function snapshot(i: number, opts: { height?: number; view?: number; primary?: number; byzantine?: string[]; uptimeMs?: number } = {}): DashboardSnapshot {
  const height = opts.height ?? 10;
  const primary = opts.primary ?? 0;
  return {
    node: {
      moniker: NAMES[i]!,
      validator_id: IDS[i]!,
      peer_id: `12D3KooWpeer${i}`,
      chain_id: "triad-test",
      selection: "poa",
      version: "0.1.0",
      height,
      view: opts.view ?? 0,
      phase: "prepare",
      primary: IDS[primary]!,
      role: i === primary ? "primary" : "backup",
      byzantine: opts.byzantine ?? [],
      syncing: false,
      uptime_ms: opts.uptimeMs ?? 60_000,
      peers: 3,
      mempool: { txs: 0, bytes: 0 },
      view_changes: { timeout: 0, join: 0, "bad-proposal": 0, entered: 0 },
      faults_reported: 0,
      messages_refused: 0,
      now_ms: 2_000_000,
    },
    validators: IDS.map((address, j) => ({
      address,
      power: 1,
      primary: j === primary,
      self: j === i,
      connected: j !== i,
      last_sealed_height: height,
      sealed_recent: 50,
      recent_blocks: 50,
      faults: 0,
    })),
    blocks: [block(height - 1), block(height)],
    events: [],
    next_since: 0,
  };
}

export function networkNode(i: number, overrides: Partial<NetworkNode> = {}): NetworkNode {
  return { name: NAMES[i]!, role: "validator", id: IDS[i]!, rpc: `http://127.0.0.1:${26657 + i}`, ws: `ws://127.0.0.1:${26657 + i}/websocket`, metrics: null, byzantine: [], twin_of: null, state: "running", ...overrides };
}

export function network(nodes: NetworkNode[] = IDS.map((_, i) => networkNode(i))): NetworkInfo {
  return { chain_id: "triad-test", selection: "poa", now_ms: 2_000_000, nodes, perturbations: [] };
}
