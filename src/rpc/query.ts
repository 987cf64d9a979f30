// CometBFT's event query language, the subset Triad needs: conditions joined by AND, each
// `key op value` with op one of = < <= > >= CONTAINS, or `key EXISTS`; values are
// 'single-quoted strings' or numbers. Used by `subscribe` (matched against each event's
// attribute map) and by `tx_search` (mapped onto the node's index).
import { invalidParams } from "./errors.js";

/** CometBFT caps queries at 512 characters too; a query is parsed once per subscription. */
export const MAX_QUERY_LENGTH = 512;
const MAX_CONDITIONS = 16;

export type QueryOp = "=" | "<" | "<=" | ">" | ">=" | "CONTAINS" | "EXISTS";

export interface Condition {
  readonly key: string;
  readonly op: QueryOp;
  /** null for EXISTS. */
  readonly value: string | number | null;
}

export interface EventQuery {
  /** The query as the client sent it: events carry it back in `result.query`. */
  readonly text: string;
  readonly conditions: readonly Condition[];
}

/** An event's attributes, as in CometBFT's `events` map: `{"tm.event": ["Tx"], "tx.hash": [...]}`. */
export type EventAttributes = Readonly<Record<string, readonly string[]>>;

const TOKEN = /\s*(?:(AND\b)|(EXISTS\b)|(CONTAINS\b)|(<=|>=|=|<|>)|'([^']*)'|(-?[0-9]+(?:\.[0-9]+)?)(?![A-Za-z0-9_.])|([A-Za-z_][A-Za-z0-9_.-]*))/y;

type Token =
  | { readonly t: "and" }
  | { readonly t: "op"; readonly op: QueryOp }
  | { readonly t: "string"; readonly v: string }
  | { readonly t: "number"; readonly v: number }
  | { readonly t: "key"; readonly v: string };

function tokenize(text: string, param: string): Token[] {
  const out: Token[] = [];
  TOKEN.lastIndex = 0;
  let pos = 0;
  while (pos < text.length) {
    if (/^\s*$/.test(text.slice(pos))) break;
    TOKEN.lastIndex = pos;
    const m = TOKEN.exec(text);
    if (m === null) throw invalidParams(param, `unexpected input at position ${pos}`, { near: text.slice(pos, pos + 20) });
    pos = TOKEN.lastIndex;
    if (m[1] !== undefined) out.push({ t: "and" });
    else if (m[2] !== undefined) out.push({ t: "op", op: "EXISTS" });
    else if (m[3] !== undefined) out.push({ t: "op", op: "CONTAINS" });
    else if (m[4] !== undefined) out.push({ t: "op", op: m[4] as QueryOp });
    else if (m[5] !== undefined) out.push({ t: "string", v: m[5] });
    else if (m[6] !== undefined) out.push({ t: "number", v: Number(m[6]) });
    else out.push({ t: "key", v: m[7]! });
  }
  return out;
}

export function parseQuery(text: unknown, param = "query"): EventQuery {
  if (typeof text !== "string") throw invalidParams(param, "must be a string");
  if (text.length > MAX_QUERY_LENGTH) throw invalidParams(param, `must be at most ${MAX_QUERY_LENGTH} characters`, { length: text.length });
  const tokens = tokenize(text, param);
  if (tokens.length === 0) throw invalidParams(param, "is empty");
  const conditions: Condition[] = [];
  let i = 0;
  for (;;) {
    const key = tokens[i++];
    const op = tokens[i++];
    if (key?.t !== "key" || op?.t !== "op") throw invalidParams(param, "expected `key op value` or `key EXISTS`", { condition: conditions.length + 1 });
    if (op.op === "EXISTS") {
      conditions.push({ key: key.v, op: "EXISTS", value: null });
    } else {
      const value = tokens[i++];
      if (value?.t !== "string" && value?.t !== "number") throw invalidParams(param, `expected a 'string' or a number after ${key.v} ${op.op}`);
      if (op.op !== "=" && op.op !== "CONTAINS" && value.t !== "number") {
        throw invalidParams(param, `${op.op} compares numbers only`, { key: key.v });
      }
      conditions.push({ key: key.v, op: op.op, value: value.v });
    }
    if (conditions.length > MAX_CONDITIONS) throw invalidParams(param, `has more than ${MAX_CONDITIONS} conditions`);
    if (i === tokens.length) break;
    if (tokens[i++]?.t !== "and") throw invalidParams(param, "conditions must be joined with AND");
    if (i === tokens.length) throw invalidParams(param, "ends with AND");
  }
  return { text, conditions };
}

function conditionHolds(c: Condition, values: readonly string[] | undefined): boolean {
  if (values === undefined || values.length === 0) return false;
  if (c.op === "EXISTS") return true;
  return values.some((v) => {
    if (c.op === "CONTAINS") return v.includes(String(c.value));
    if (c.op === "=") return typeof c.value === "number" ? Number(v) === c.value : v === c.value;
    const n = Number(v);
    if (Number.isNaN(n) || typeof c.value !== "number") return false;
    switch (c.op) {
      case "<":
        return n < c.value;
      case "<=":
        return n <= c.value;
      case ">":
        return n > c.value;
      case ">=":
        return n >= c.value;
    }
  });
}

export function queryMatches(query: EventQuery, events: EventAttributes): boolean {
  return query.conditions.every((c) => conditionHolds(c, events[c.key]));
}
