// @ts-check
// The page's entry. It asks for network.json (relative): the testnet's control server answers
// it, so the page watches the whole network (one WebSocket per node); a node's RPC server does
// not, so the page watches that node alone (its own /websocket). Each node is asked for
// `triad_dashboard` about once a second, and at once when it announces a new block.

import { RpcSocket } from "./rpc-socket.js";
import { isAnswering, latencySeries, mergeBlocks, namer, networkRows, nodeRows, throughputSeries } from "./model.js";
import { EventJournal, mergeTimeline } from "./timeline.js";
import { renderBlocks, renderTimeline, renderValidators, setText } from "./view.js";
import { TimeChart } from "./charts.js";

/** @typedef {import("./shapes.js").DashboardSnapshot} DashboardSnapshot */
/** @typedef {import("./shapes.js").NetworkInfo} NetworkInfo */
/** @typedef {import("./model.js").NodeFeed} NodeFeed */

const POLL_MS = 1000;
const NETWORK_POLL_MS = 2000;
/** A fast chain announces several blocks a second: ask each node at most this often. */
const MIN_POLL_GAP_MS = 300;

/** One node the page watches: its socket, its last answer and its journal. */
class LiveFeed {
  /**
   * @param {string} name
   * @param {string} wsUrl
   * @param {() => void} onUpdate
   */
  constructor(name, wsUrl, onUpdate) {
    this.name = name;
    this.wsUrl = wsUrl;
    this.onUpdate = onUpdate;
    /** @type {DashboardSnapshot | null} */
    this.snapshot = null;
    /** @type {number | null} */
    this.answeredAtMs = null;
    this.journal = new EventJournal();
    this.inFlight = false;
    this.again = false;
    this.lastPollMs = 0;
    /** @type {ReturnType<typeof setTimeout> | null} */
    this.deferred = null;
    this.socket = new RpcSocket(wsUrl, {
      onChange: () => {
        if (this.socket.connected) this.poll();
        this.onUpdate();
      },
    });
    this.socket.subscribe("tm.event='NewBlock'", () => this.poll());
    this.socket.start();
  }

  get connected() {
    return this.socket.connected;
  }

  /** @returns {NodeFeed} */
  feed() {
    return { name: this.name, snapshot: this.snapshot, answeredAtMs: this.answeredAtMs, connected: this.connected };
  }

  poll() {
    if (!this.socket.connected) return;
    if (this.inFlight) {
      this.again = true;
      return;
    }
    const wait = this.lastPollMs + MIN_POLL_GAP_MS - Date.now();
    if (wait > 0) {
      this.deferred ??= setTimeout(() => {
        this.deferred = null;
        this.poll();
      }, wait);
      return;
    }
    this.lastPollMs = Date.now();
    this.inFlight = true;
    this.socket
      .call("triad_dashboard", { since: this.journal.since })
      .then((result) => {
        const snapshot = /** @type {DashboardSnapshot} */ (result);
        this.snapshot = snapshot;
        this.answeredAtMs = Date.now();
        // A restart shows as a cursor past the node's journal: read it again from the start.
        if (this.journal.add(snapshot)) this.again = true;
      })
      .catch(() => {})
      .finally(() => {
        this.inFlight = false;
        this.onUpdate();
        if (this.again) {
          this.again = false;
          this.poll();
        }
      });
  }

  stop() {
    if (this.deferred !== null) clearTimeout(this.deferred);
    this.socket.stop();
  }
}

/** Coalesces renders to one per frame. */
function renderer(/** @type {() => void} */ render) {
  let queued = false;
  return () => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => {
      queued = false;
      render();
    });
  };
}

/** @returns {Promise<NetworkInfo | null>} */
async function fetchNetwork() {
  try {
    const res = await fetch("network.json", { cache: "no-store" });
    if (!res.ok) return null;
    const body = /** @type {NetworkInfo} */ (await res.json());
    return Array.isArray(body.nodes) ? body : null;
  } catch (_err) {
    return null;
  }
}

function charts() {
  const throughput = new TimeChart(/** @type {HTMLElement} */ (document.getElementById("chart-throughput")), { label: "tx/s", unit: "tx/s", stroke: "#2563eb", fill: "rgba(37, 99, 235, 0.10)" });
  const latency = new TimeChart(/** @type {HTMLElement} */ (document.getElementById("chart-latency")), { label: "commit latency", unit: "ms", stroke: "#c2410c", fill: "rgba(194, 65, 12, 0.08)" });
  return { throughput, latency };
}

/**
 * @param {import("./model.js").BlockRow[]} blocks
 * @param {ReturnType<typeof charts>} chartSet
 */
function renderCharts(blocks, chartSet) {
  const tput = throughputSeries(blocks);
  const lat = latencySeries(blocks);
  chartSet.throughput.update(tput);
  chartSet.latency.update(lat);
  const lastRate = [...tput[1]].reverse().find((v) => v !== null);
  setText("stat-throughput", lastRate === undefined || lastRate === null ? "—" : `${lastRate.toFixed(1)} tx/s`);
  const lats = lat[1].filter((v) => v !== null).slice(-10);
  setText("stat-latency", lats.length === 0 ? "—" : `${Math.round(lats.reduce((a, b) => a + b, 0) / lats.length)} ms`);
}

/** @param {NetworkInfo} first */
function startNetwork(first) {
  let network = first;
  /** @type {Map<string, LiveFeed>} */
  const feeds = new Map();
  const chartSet = charts();
  const render = renderer(() => {
    const now = Date.now();
    const feedMap = new Map([...feeds].map(([name, f]) => [name, f.feed()]));
    const view = networkRows(network, feedMap, now);
    const honestFirst = [...network.nodes].sort((a, b) => Number(a.byzantine.length > 0 || a.twin_of !== null) - Number(b.byzantine.length > 0 || b.twin_of !== null));
    const snapshots = honestFirst.map((n) => feeds.get(n.name)?.snapshot ?? null);
    const nameOf = namer(network, snapshots);
    const blocks = mergeBlocks(snapshots.map((s) => s?.blocks ?? []));
    renderHeader(network.chain_id, network.selection, `network · ${network.nodes.length} nodes`, view, view.rows.filter((r) => r.role !== "down").length, view.rows.length, nameOf);
    renderValidators(view.rows);
    renderBlocks(blocks, nameOf);
    renderCharts(blocks, chartSet);
    renderTimeline(mergeTimeline(new Map([...feeds].map(([name, f]) => [name, f.journal])), network.perturbations ?? [], nameOf));
    setText("updated", `updated ${new Date(now).toLocaleTimeString()}`);
  });
  const sync = () => {
    for (const [name, f] of feeds) {
      if (network.nodes.some((n) => n.name === name)) continue;
      f.stop();
      feeds.delete(name);
    }
    for (const n of network.nodes) {
      const f = feeds.get(n.name);
      if (f !== undefined && f.wsUrl === n.ws) continue;
      f?.stop();
      feeds.set(n.name, new LiveFeed(n.name, n.ws, render));
    }
    render();
  };
  sync();
  setInterval(() => {
    for (const f of feeds.values()) f.poll();
    render();
  }, POLL_MS);
  setInterval(() => {
    void fetchNetwork().then((next) => {
      if (next === null) return;
      network = next;
      sync();
    });
  }, NETWORK_POLL_MS);
}

function startNode() {
  const wsUrl = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/websocket`;
  const chartSet = charts();
  /** @type {LiveFeed} */
  const feed = new LiveFeed(location.host, wsUrl, () => render());
  const render = renderer(() => {
    const now = Date.now();
    const snap = feed.snapshot;
    const view = nodeRows(snap, isAnswering(feed.feed(), now));
    const nameOf = namer(null, [snap]);
    const blocks = mergeBlocks([snap?.blocks ?? []]);
    const up = view.rows.filter((r) => r.role !== "down").length;
    renderHeader(snap?.node.chain_id ?? "—", snap?.node.selection ?? "—", `node ${snap?.node.moniker ?? location.host}`, view, up, view.rows.length, nameOf);
    renderValidators(view.rows);
    renderBlocks(blocks, nameOf);
    renderCharts(blocks, chartSet);
    renderTimeline(mergeTimeline(new Map([[snap?.node.moniker ?? "this node", feed.journal]]), [], nameOf));
    setText("updated", `updated ${new Date(now).toLocaleTimeString()}`);
  });
  setInterval(() => {
    feed.poll();
    render();
  }, POLL_MS);
  render();
}

/**
 * @param {string} chainId
 * @param {string} selection
 * @param {string} scope
 * @param {import("./model.js").ValidatorsView} view
 * @param {number} up
 * @param {number} total
 * @param {(id: string | null) => string} nameOf
 */
function renderHeader(chainId, selection, scope, view, up, total, nameOf) {
  setText("chain-id", chainId);
  setText("selection", selection.toUpperCase());
  setText("scope", scope);
  setText("network-height", view.height === null ? "—" : String(view.height));
  setText("network-view", view.view === null ? "—" : String(view.view));
  setText("primary", view.primary === null ? "—" : nameOf(view.primary));
  setText("nodes-up", `${up} / ${total}`);
  document.title = `Triad · ${chainId} · height ${view.height ?? "—"}`;
}

void fetchNetwork().then((network) => {
  document.body.dataset.mode = network === null ? "node" : "network";
  if (network === null) startNode();
  else startNetwork(network);
});
