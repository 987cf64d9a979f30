// @ts-check
// The dashboard's model: pure functions from what the nodes answered (their `triad_dashboard`
// snapshots, and network.json on the testnet's page) to what the page shows: validator rows with
// roles, the network height, recent blocks and the chart series. No DOM, no clock (the caller
// passes `nowMs`), so vitest runs it in node with fixtures.

/** @typedef {import("./shapes.js").DashboardSnapshot} DashboardSnapshot */
/** @typedef {import("./shapes.js").NetworkInfo} NetworkInfo */
/** @typedef {import("./shapes.js").BlockSummary} BlockSummary */

/** A node that has not answered for this long counts as down: a paused process never answers. */
export const DOWN_AFTER_MS = 3000;
/** Node mode: a validator not connected and absent from the seals of this many recent blocks is down. */
export const RECENT_SEAL_BLOCKS = 10;
/** Blocks the page keeps (the nodes send at most 50 each). */
export const MAX_BLOCKS = 50;
/** Throughput is txs per second over this sliding window of block timestamps. */
export const THROUGHPUT_WINDOW_MS = 10_000;

/** @typedef {"primary" | "backup" | "byzantine" | "down" | "observer"} Role */

/**
 * What the page knows of one node's RPC: its last answer and when it came.
 * @typedef {Object} NodeFeed
 * @property {string} name
 * @property {DashboardSnapshot | null} snapshot
 * @property {number | null} answeredAtMs
 * @property {boolean} connected
 */

/**
 * One row of the validators table.
 * @typedef {Object} ValidatorRow
 * @property {string} key        unique per row (a twin shares its validator id with its original)
 * @property {string} validator  hex validator id ("" when unknown)
 * @property {string} name
 * @property {Role} role
 * @property {number | null} height
 * @property {number | null} view
 * @property {string | null} phase
 * @property {string} status     why the role: "running", "stopped", "no answer", "connected", …
 * @property {string[]} behaviours  Byzantine behaviours, declared or reported
 * @property {number | null} peers
 * @property {number} faults     faults reported against it (the most any honest node counted)
 * @property {boolean} self
 */

/**
 * @typedef {Object} ValidatorsView
 * @property {ValidatorRow[]} rows
 * @property {number | null} height  the network height: the highest any answering node reports
 * @property {string | null} primary hex id of the current primary
 * @property {number | null} view    the view the primary's reporters are in
 */

/**
 * @param {NodeFeed | undefined} feed
 * @param {number} nowMs
 */
export function isAnswering(feed, nowMs) {
  return feed !== undefined && feed.connected && feed.snapshot !== null && feed.answeredAtMs !== null && nowMs - feed.answeredAtMs <= DOWN_AFTER_MS;
}

/**
 * The primary most reporters agree on; a tie goes to the reporter furthest ahead (height, then
 * view), since a lagging node may still name the primary of an old view.
 * @param {readonly { primary: string | null, height: number, view: number }[]} reports
 * @returns {{ primary: string, view: number } | null}
 */
export function majorityPrimary(reports) {
  /** @type {Map<string, { count: number, height: number, view: number }>} */
  const tally = new Map();
  for (const r of reports) {
    if (r.primary === null || r.primary === "") continue;
    const t = tally.get(r.primary) ?? { count: 0, height: -1, view: -1 };
    t.count += 1;
    if (r.height > t.height || (r.height === t.height && r.view > t.view)) {
      t.height = r.height;
      t.view = r.view;
    }
    tally.set(r.primary, t);
  }
  /** @type {{ primary: string, view: number } | null} */
  let best = null;
  let bestKey = { count: 0, height: -1, view: -1 };
  for (const [primary, t] of tally) {
    const better = t.count > bestKey.count || (t.count === bestKey.count && (t.height > bestKey.height || (t.height === bestKey.height && t.view > bestKey.view)));
    if (better) {
      best = { primary, view: t.view };
      bestKey = t;
    }
  }
  return best;
}

/**
 * Network mode: one row per network.json node. Down (stopped, paused or not answering) wins over
 * everything; Byzantine (behaviours declared by the testnet or the node itself, or a twin) wins
 * over primary/backup; the primary is the one most answering honest nodes report.
 * @param {NetworkInfo} network
 * @param {ReadonlyMap<string, NodeFeed>} feeds by node name
 * @param {number} nowMs
 * @returns {ValidatorsView}
 */
export function networkRows(network, feeds, nowMs) {
  /** @type {{ primary: string | null, height: number, view: number }[]} */
  const reports = [];
  let height = /** @type {number | null} */ (null);
  for (const n of network.nodes) {
    const snap = feeds.get(n.name)?.snapshot ?? null;
    if (snap === null || !isAnswering(feeds.get(n.name), nowMs) || n.state !== "running") continue;
    const node = snap.node;
    height = Math.max(height ?? 0, node.height);
    if (behavioursOf(n.byzantine, node.byzantine).length === 0 && n.twin_of === null) reports.push({ primary: node.primary, height: node.height, view: node.view });
  }
  const primary = majorityPrimary(reports);
  // Faults reported against each validator: the most any honest answering node counted.
  /** @type {Map<string, number>} */
  const faultsAgainst = new Map();
  for (const n of network.nodes) {
    const snap = feeds.get(n.name)?.snapshot ?? null;
    if (snap === null || n.byzantine.length > 0 || n.twin_of !== null || snap.node.byzantine.length > 0) continue;
    for (const v of snap.validators) faultsAgainst.set(v.address, Math.max(faultsAgainst.get(v.address) ?? 0, v.faults));
  }
  const rows = network.nodes.map((n) => {
    const feed = feeds.get(n.name);
    const snap = feed?.snapshot ?? null;
    const answering = isAnswering(feed, nowMs);
    const behaviours = behavioursOf(n.byzantine, snap?.node.byzantine ?? []);
    const observer = snap !== null ? snap.node.role === "observer" : n.role === "observer";
    /** @type {Role} */
    let role;
    if (n.state !== "running" || !answering) role = "down";
    else if (behaviours.length > 0 || n.twin_of !== null) role = "byzantine";
    else if (observer) role = "observer";
    else role = primary !== null && n.id === primary.primary ? "primary" : "backup";
    const status = n.state !== "running" ? n.state : !feed?.connected ? "not connected" : !answering ? "no answer" : snap?.node.syncing ? "syncing" : "running";
    return {
      key: n.name,
      validator: n.id,
      name: n.name,
      role,
      height: snap?.node.height ?? null,
      view: snap?.node.view ?? null,
      phase: snap?.node.phase ?? null,
      status,
      behaviours: n.twin_of !== null ? [...behaviours, `twin of ${n.twin_of}`] : behaviours,
      peers: snap?.node.peers ?? null,
      faults: faultsAgainst.get(n.id) ?? 0,
      self: false,
    };
  });
  return { rows, height, primary: primary?.primary ?? null, view: primary?.view ?? null };
}

/**
 * Node mode: rows from the node's own validator list. Height, view and phase are known for the
 * node itself; for the others the last height they sealed. A validator is down when the node is
 * not connected to it and it is absent from the recent seals; Byzantine when faults are reported
 * against it (or, for the node itself, when it runs behaviours).
 * @param {DashboardSnapshot | null} snapshot
 * @param {boolean} answering whether the node itself answers
 * @returns {ValidatorsView}
 */
export function nodeRows(snapshot, answering) {
  if (snapshot === null) return { rows: [], height: null, primary: null, view: null };
  const node = snapshot.node;
  /** @type {ValidatorRow[]} */
  const rows = snapshot.validators.map((v) => {
    const recent = v.last_sealed_height !== null && node.height - v.last_sealed_height <= RECENT_SEAL_BLOCKS;
    const behaviours = v.self ? node.byzantine : [];
    /** @type {Role} */
    let role;
    if (v.self ? !answering : !v.connected && !recent) role = "down";
    else if (v.faults > 0 || behaviours.length > 0) role = "byzantine";
    else role = v.primary ? "primary" : "backup";
    const status = v.self ? (answering ? (node.syncing ? "syncing" : "this node") : "no answer") : v.connected ? "connected" : recent ? "sealing, not connected" : "not connected";
    return {
      key: v.address,
      validator: v.address,
      name: v.self ? node.moniker : shortId(v.address),
      role,
      height: v.self ? node.height : v.last_sealed_height,
      view: v.self ? node.view : null,
      phase: v.self ? node.phase : null,
      status,
      behaviours,
      peers: v.self ? node.peers : null,
      faults: v.faults,
      self: v.self,
    };
  });
  if (!snapshot.validators.some((v) => v.self)) {
    // An observer's page: the node itself is not in the set, but it is what the page watches.
    const id = node.validator_id ?? node.peer_id;
    rows.push({
      key: id,
      validator: node.validator_id ?? "",
      name: node.moniker,
      role: answering ? (node.byzantine.length > 0 ? "byzantine" : "observer") : "down",
      height: node.height,
      view: node.view,
      phase: node.phase,
      status: answering ? "this node" : "no answer",
      behaviours: node.byzantine,
      peers: node.peers,
      faults: 0,
      self: true,
    });
  }
  const primary = snapshot.validators.find((v) => v.primary)?.address ?? node.primary;
  return { rows, height: node.height, primary, view: node.view };
}

/**
 * @param {readonly string[]} declared
 * @param {readonly string[]} reported
 */
function behavioursOf(declared, reported) {
  return [...new Set([...declared, ...reported])];
}

/**
 * A block as the page lists it, merged over the nodes that reported it.
 * @typedef {Object} BlockRow
 * @property {number} height
 * @property {string} hash
 * @property {string} proposer
 * @property {number} txs
 * @property {number} view
 * @property {number} bytes
 * @property {number} timestamp_ms
 * @property {number | null} latency_ms  the median of the nodes' commit latencies
 * @property {boolean} conflict          two nodes reported different hashes at this height
 */

/**
 * Merges the nodes' recent blocks by height, newest first, at most MAX_BLOCKS. Lists earlier in
 * `lists` win a hash conflict (put honest nodes first).
 * @param {readonly (readonly BlockSummary[])[]} lists
 * @returns {BlockRow[]}
 */
export function mergeBlocks(lists) {
  /** @type {Map<number, { row: BlockRow, latencies: number[] }>} */
  const byHeight = new Map();
  for (const list of lists) {
    for (const b of list) {
      const seen = byHeight.get(b.height);
      if (seen === undefined) {
        byHeight.set(b.height, {
          row: { height: b.height, hash: b.hash, proposer: b.proposer, txs: b.txs, view: b.view, bytes: b.bytes, timestamp_ms: b.timestamp_ms, latency_ms: null, conflict: false },
          latencies: b.latency_ms === null ? [] : [b.latency_ms],
        });
        continue;
      }
      if (seen.row.hash !== b.hash) {
        seen.row.conflict = true;
        continue;
      }
      if (b.latency_ms !== null) seen.latencies.push(b.latency_ms);
    }
  }
  const rows = [...byHeight.values()]
    .sort((a, b) => b.row.height - a.row.height)
    .slice(0, MAX_BLOCKS)
    .map(({ row, latencies }) => ({ ...row, latency_ms: median(latencies) }));
  return rows;
}

/**
 * @param {number[]} values
 * @returns {number | null}
 */
export function median(values) {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? /** @type {number} */ (s[mid]) : (/** @type {number} */ (s[mid - 1]) + /** @type {number} */ (s[mid])) / 2;
}

/**
 * Txs per second over a sliding window ending at each block's timestamp (uPlot's shape: x in
 * seconds, oldest first). Until the blocks span a whole window, the span so far is the window;
 * the first block has no rate.
 * @param {readonly BlockRow[]} blocks any order
 * @param {number} [windowMs]
 * @returns {[number[], (number | null)[]]}
 */
export function throughputSeries(blocks, windowMs = THROUGHPUT_WINDOW_MS) {
  const sorted = [...blocks].sort((a, b) => a.timestamp_ms - b.timestamp_ms || a.height - b.height);
  /** @type {number[]} */
  const xs = [];
  /** @type {(number | null)[]} */
  const ys = [];
  const first = sorted[0]?.timestamp_ms ?? 0;
  let start = 0;
  let sum = 0;
  for (let i = 0; i < sorted.length; i++) {
    const b = /** @type {BlockRow} */ (sorted[i]);
    sum += b.txs;
    while (start < i && /** @type {BlockRow} */ (sorted[start]).timestamp_ms <= b.timestamp_ms - windowMs) {
      sum -= /** @type {BlockRow} */ (sorted[start]).txs;
      start++;
    }
    const span = Math.min(windowMs, b.timestamp_ms - first);
    xs.push(b.timestamp_ms / 1000);
    ys.push(span > 0 ? round2((sum * 1000) / span) : null);
  }
  return [xs, ys];
}

/**
 * Commit latency per block (ms), oldest first; blocks from sync have none.
 * @param {readonly BlockRow[]} blocks
 * @returns {[number[], (number | null)[]]}
 */
export function latencySeries(blocks) {
  const sorted = [...blocks].sort((a, b) => a.timestamp_ms - b.timestamp_ms || a.height - b.height);
  return [sorted.map((b) => b.timestamp_ms / 1000), sorted.map((b) => b.latency_ms)];
}

/** @param {number} x */
function round2(x) {
  return Math.round(x * 100) / 100;
}

/**
 * "a1b2c3d4…" for a long hex id or hash.
 * @param {string} id
 * @param {number} [chars]
 */
export function shortId(id, chars = 8) {
  return id.length > chars + 1 ? `${id.slice(0, chars)}…` : id;
}

/**
 * Names for validator and peer ids: network.json's names, and each snapshot's own moniker.
 * @param {NetworkInfo | null} network
 * @param {readonly (DashboardSnapshot | null)[]} snapshots
 * @returns {(id: string | null) => string}
 */
export function namer(network, snapshots) {
  /** @type {Map<string, string>} */
  const names = new Map();
  for (const s of snapshots) {
    if (s === null) continue;
    if (s.node.validator_id !== null) names.set(s.node.validator_id, s.node.moniker);
    names.set(s.node.peer_id, s.node.moniker);
  }
  // network.json's own names win: a twin's snapshot shares its original's id.
  for (const n of network?.nodes ?? []) if (n.twin_of === null) names.set(n.id, n.name);
  return (id) => (id === null ? "—" : (names.get(id) ?? shortId(id)));
}
