// @ts-check
// The timeline: each node's journal events (view changes, faults, perturbations), kept per node
// behind its `since` cursor, merged with the testnet's own perturbations into one list, newest
// first. Pure: the page feeds it snapshots; tests feed it fixtures.

/** @typedef {import("./shapes.js").DashboardSnapshot} DashboardSnapshot */
/** @typedef {import("./shapes.js").JournalEvent} JournalEvent */
/** @typedef {import("./shapes.js").NetworkPerturbation} NetworkPerturbation */

/** Events kept per node (the node's own ring holds 1,000). */
export const MAX_EVENTS_PER_NODE = 500;
/** Entries the merged timeline shows. */
export const MAX_TIMELINE = 200;
/** Reports of one fault against one peer within this bucket are one entry. */
export const FAULT_BUCKET_MS = 5000;

/**
 * One node's events, read through its cursor. A node that restarted starts its journal again at
 * seq 1: seen as its uptime going back or its cursor falling behind ours, it opens a new epoch and
 * is read again from 0, so its old and new events keep apart.
 */
export class EventJournal {
  /** @param {number} [limit] */
  constructor(limit = MAX_EVENTS_PER_NODE) {
    this.limit = limit;
    /** @type {{ epoch: number, event: JournalEvent }[]} */
    this.events = [];
    this.epoch = 0;
    this.since = 0;
    this.lastUptimeMs = -1;
    /** @type {Set<string>} */
    this.seen = new Set();
  }

  /**
   * Takes a snapshot's events. Returns true if it saw a restart (then the next read starts at 0).
   * @param {Pick<DashboardSnapshot, "events" | "next_since"> & { node: { uptime_ms: number } }} snapshot
   */
  add(snapshot) {
    const restarted = snapshot.node.uptime_ms < this.lastUptimeMs || snapshot.next_since < this.since;
    this.lastUptimeMs = snapshot.node.uptime_ms;
    if (restarted) {
      this.epoch += 1;
      this.since = 0;
      this.seen.clear();
    }
    for (const event of snapshot.events) {
      const key = `${this.epoch}:${event.seq}`;
      if (this.seen.has(key)) continue;
      this.seen.add(key);
      this.events.push({ epoch: this.epoch, event });
    }
    if (this.events.length > this.limit) {
      for (const { epoch, event } of this.events.splice(0, this.events.length - this.limit)) this.seen.delete(`${epoch}:${event.seq}`);
    }
    if (!restarted) this.since = Math.max(this.since, snapshot.next_since);
    return restarted;
  }
}

/**
 * One line of the timeline.
 * @typedef {Object} TimelineItem
 * @property {string} key
 * @property {"view-change" | "fault" | "perturbation"} kind
 * @property {number} at_ms   the earliest report
 * @property {string} title   e.g. "view change → view 3 at height 12"
 * @property {string} detail  reasons, reporters, details
 * @property {number} count   reports merged into it
 */

/**
 * Merges the nodes' journals and the testnet's perturbations: a view change every node went
 * through is one entry (with its reasons and who saw it), repeated reports of one fault against
 * one peer within FAULT_BUCKET_MS are one entry with a count.
 * @param {ReadonlyMap<string, EventJournal>} journals by node name
 * @param {readonly NetworkPerturbation[]} perturbations
 * @param {(id: string | null) => string} nameOf
 * @returns {TimelineItem[]}
 */
export function mergeTimeline(journals, perturbations, nameOf) {
  /** @type {Map<string, TimelineItem & { reasons: Set<string>, reporters: Set<string>, details: Set<string> }>} */
  const items = new Map();
  /**
   * @param {string} key
   * @param {TimelineItem["kind"]} kind
   * @param {number} at
   * @param {string} title
   * @param {string} reporter
   * @param {string} [reason]
   * @param {string} [detail]
   */
  const put = (key, kind, at, title, reporter, reason, detail) => {
    let item = items.get(key);
    if (item === undefined) {
      item = { key, kind, at_ms: at, title, detail: "", count: 0, reasons: new Set(), reporters: new Set(), details: new Set() };
      items.set(key, item);
    }
    item.at_ms = Math.min(item.at_ms, at);
    item.count += 1;
    item.reporters.add(reporter);
    if (reason !== undefined && reason !== "") item.reasons.add(reason);
    if (detail !== undefined && detail !== "" && item.details.size < 3) item.details.add(detail);
  };
  for (const [name, journal] of journals) {
    for (const { epoch, event } of journal.events) {
      if (event.kind === "view-change") {
        put(`vc:${event.height}:${event.view}`, "view-change", event.at_ms, `view change → view ${event.view} at height ${event.height}`, name, event.reason);
      } else if (event.kind === "fault") {
        const bucket = Math.floor(event.at_ms / FAULT_BUCKET_MS);
        put(`f:${event.peer}:${event.fault}:${bucket}`, "fault", event.at_ms, `fault: ${event.fault} by ${nameOf(event.peer)}`, name, undefined, event.detail);
      } else {
        const target = event.peer === null ? "" : ` ${nameOf(event.peer)}`;
        put(`p:${name}:${epoch}:${event.seq}`, "perturbation", event.at_ms, `${event.action}${target} (on ${name})`, name, undefined, event.detail);
      }
    }
  }
  for (const p of perturbations) put(`n:${p.seq}`, "perturbation", p.at_ms, `${p.action} ${p.node}`, "testnet");
  return [...items.values()]
    .sort((a, b) => b.at_ms - a.at_ms || a.key.localeCompare(b.key))
    .slice(0, MAX_TIMELINE)
    .map(({ reasons, reporters, details, ...item }) => {
      const parts = [];
      if (reasons.size > 0) parts.push(`reason: ${[...reasons].join(", ")}`);
      if (item.kind !== "perturbation" || !reporters.has("testnet")) parts.push(`reported by ${[...reporters].sort().join(", ")}${item.count > reporters.size ? ` (×${item.count})` : ""}`);
      if (details.size > 0) parts.push([...details].join("; "));
      return { ...item, detail: parts.join(" · ") };
    });
}
