// @ts-check
// Renders the model into the page. Text goes in through textContent only (the data comes from
// other processes; a moniker is not markup). Rows are reused by key so a live update does not
// rebuild the table under the reader's eyes.

/** @typedef {import("./model.js").ValidatorRow} ValidatorRow */
/** @typedef {import("./model.js").BlockRow} BlockRow */
/** @typedef {import("./timeline.js").TimelineItem} TimelineItem */

/** Blocks the table shows (the model keeps more for the charts). */
const BLOCKS_SHOWN = 15;

/** The text beside each role's colour: the colour is never the only sign. */
const ROLE_LABELS = { primary: "primary", backup: "backup", byzantine: "Byzantine", down: "down", observer: "observer" };

/**
 * @param {string} tag
 * @param {Record<string, string>} [attrs]
 * @param {string} [text]
 */
export function el(tag, attrs = {}, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

/** @param {string} id */
function byId(id) {
  const e = document.getElementById(id);
  if (e === null) throw new Error(`the page has no #${id}`);
  return e;
}

/**
 * @param {string} id
 * @param {string} text
 */
export function setText(id, text) {
  const e = byId(id);
  if (e.textContent !== text) e.textContent = text;
}

/** @param {number | null | undefined} n */
function num(n) {
  return n === null || n === undefined ? "—" : String(n);
}

/** @param {number} ms */
export function clock(ms) {
  const d = new Date(ms);
  return `${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}:${String(d.getSeconds()).padStart(2, "0")}`;
}

/**
 * @param {HTMLTableRowElement} tr
 * @param {string} field
 * @param {string} text
 */
function setCell(tr, field, text) {
  const cell = tr.querySelector(`[data-field="${field}"]`);
  if (cell !== null && cell.textContent !== text) cell.textContent = text;
}

/** @param {readonly ValidatorRow[]} rows */
export function renderValidators(rows) {
  const tbody = byId("validators").querySelector("tbody");
  if (tbody === null) return;
  /** @type {Map<string, HTMLTableRowElement>} */
  const existing = new Map();
  for (const tr of Array.from(tbody.querySelectorAll("tr"))) existing.set(tr.dataset.key ?? "", tr);
  rows.forEach((row, i) => {
    let tr = existing.get(row.key);
    existing.delete(row.key);
    if (tr === undefined) {
      tr = /** @type {HTMLTableRowElement} */ (el("tr", { "data-key": row.key }));
      const nameCell = el("td", { "data-field": "name" });
      tr.append(nameCell);
      const roleCell = el("td");
      roleCell.append(el("span", { class: "badge", "data-field": "role" }));
      tr.append(roleCell);
      for (const f of ["height", "view", "phase", "peers", "status", "notes"]) tr.append(el("td", { "data-field": f, class: f === "height" || f === "view" || f === "peers" ? "num" : "" }));
    }
    tr.dataset.validator = row.validator;
    tr.dataset.node = row.name;
    if (tr.dataset.role !== row.role) tr.dataset.role = row.role;
    tr.classList.toggle("self", row.self);
    setCell(tr, "name", row.name);
    setCell(tr, "role", ROLE_LABELS[row.role]);
    setCell(tr, "height", num(row.height));
    setCell(tr, "view", num(row.view));
    setCell(tr, "phase", row.phase ?? "—");
    setCell(tr, "peers", num(row.peers));
    setCell(tr, "status", row.status);
    const notes = [];
    if (row.behaviours.length > 0) notes.push(row.behaviours.join(", "));
    if (row.faults > 0) notes.push(`${row.faults} fault${row.faults === 1 ? "" : "s"} reported against it`);
    setCell(tr, "notes", notes.join(" · "));
    tr.title = row.validator;
    if (tbody.children[i] !== tr) tbody.insertBefore(tr, tbody.children[i] ?? null);
  });
  for (const tr of existing.values()) tr.remove();
}

/**
 * @param {readonly BlockRow[]} blocks newest first
 * @param {(id: string | null) => string} nameOf
 */
export function renderBlocks(blocks, nameOf) {
  const tbody = byId("blocks").querySelector("tbody");
  if (tbody === null) return;
  const rows = blocks.slice(0, BLOCKS_SHOWN).map((b) => {
    const tr = el("tr", { "data-height": String(b.height) });
    if (b.conflict) tr.classList.add("conflict");
    tr.append(
      el("td", { class: "num" }, String(b.height)),
      el("td", { class: "hash", title: b.hash }, `${b.hash.slice(0, 10)}…${b.conflict ? " (conflicting hashes!)" : ""}`),
      el("td", {}, nameOf(b.proposer)),
      el("td", { class: "num" }, String(b.txs)),
      el("td", { class: "num" }, String(b.view)),
      el("td", { class: "num" }, b.latency_ms === null ? "—" : `${Math.round(b.latency_ms)} ms`),
      el("td", { class: "num" }, clock(b.timestamp_ms)),
    );
    return tr;
  });
  if (rows.length === 0) {
    const tr = el("tr", { class: "empty" });
    tr.append(el("td", { colspan: "7" }, "no blocks yet"));
    rows.push(tr);
  }
  tbody.replaceChildren(...rows);
}

/** @param {readonly TimelineItem[]} items newest first */
export function renderTimeline(items) {
  const list = byId("timeline");
  const lis = items.map((item) => {
    const li = el("li", { "data-kind": item.kind });
    li.append(el("time", {}, clock(item.at_ms)), el("span", { class: "kind" }, item.kind), el("span", { class: "title" }, item.title));
    if (item.detail !== "") li.append(el("span", { class: "detail" }, item.detail));
    return li;
  });
  if (lis.length === 0) lis.push(el("li", { class: "empty" }, "no view changes, faults or perturbations yet"));
  list.replaceChildren(...lis);
}
