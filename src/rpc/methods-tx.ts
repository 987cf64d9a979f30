// Tx methods: tx, tx_search, broadcast_tx_async/_sync/_commit, broadcast_tx_batch,
// unconfirmed_txs, num_unconfirmed_txs. As in CometBFT, a tx the application refuses is a
// *result* (non-zero `code`, `log`, codespace "triad"), while a request the server cannot read
// (bad base64, wrong types) is a JSON-RPC error; a full mempool is a JSON-RPC error (-32002)
// because it says nothing about the tx.
import { TriadError } from "../chain/errors.js";
import { sha256 } from "../chain/hash.js";
import { toHex } from "../chain/encoding.js";
import { checkTxCode } from "./check-codes.js";
import { RpcError, invalidParams, notFound } from "./errors.js";
import { CODESPACE, base64, resultTx, txResultJson } from "./format.js";
import { refuseWhileSyncing, type MethodContext, type MethodDef, type RpcEnv } from "./method-context.js";
import type { SubmitResult, TxQuery } from "./node-api.js";
import { bytesString, checkPage, optionalBool, optionalEnum, optionalInt, paging, requiredBytes, requiredHash, hashString, type Params } from "./params.js";
import { parseQuery } from "./query.js";
import { linkAbort } from "../linked-abort.js";
import type {
  BroadcastTriadJson,
  ResultBroadcastTx,
  ResultBroadcastTxBatch,
  ResultBroadcastTxCommit,
  ResultTx,
  ResultTxSearch,
  ResultUnconfirmedTxs,
  TxResultJson,
} from "./types.js";

type Outcome =
  | { readonly ok: true; readonly id: string; readonly triad: BroadcastTriadJson }
  | { readonly ok: false; readonly id: string; readonly code: number; readonly log: string; readonly triad: BroadcastTriadJson };

function refusal(id: string, err: TriadError): Outcome {
  const details = { ...err.details };
  return { ok: false, id, code: checkTxCode(err.code), log: err.message, triad: { status: "rejected", error: err.code, details } };
}

/**
 * Submit raw tx bytes. `inBatch`: a full mempool is then one item's refusal, not the whole
 * request's error, so the client still learns which txs of the batch got in. A plain value when
 * the node answered without IO, so a batch does not await per tx.
 */
function submit(env: RpcEnv, bytes: Uint8Array, inBatch: boolean): Outcome | Promise<Outcome> {
  let r: SubmitResult | Promise<SubmitResult>;
  try {
    r = env.api.submitTx(bytes);
  } catch (err) {
    return refused(err, bytes, inBatch);
  }
  if (r instanceof Promise) return r.then(accepted, (err: unknown) => refused(err, bytes, inBatch));
  return accepted(r);
}

function accepted(r: SubmitResult): Outcome {
  return { ok: true, id: r.id, triad: r.height === undefined ? { status: r.status } : { status: r.status, height: r.height } };
}

function refused(err: unknown, bytes: Uint8Array, inBatch: boolean): Outcome {
  if (!(err instanceof TriadError)) throw err;
  // Else the hash of the bytes as sent: what CometBFT reports, and the tx id whenever they decode.
  const id = typeof err.details.id === "string" ? err.details.id : toHex(sha256(bytes));
  // A resubmission is not an error: the client learns the tx is in hand (idempotent submit).
  if (err.code === "ALREADY_KNOWN") return { ok: true, id, triad: { status: "known" } };
  if (err.code === "MEMPOOL_FULL" && !inBatch) throw new RpcError("MEMPOOL_FULL", { reason: err.message, ...err.details });
  return refusal(id, err);
}

// CometBFT's ResultBroadcastTx.data is a byte string that Triad never fills: empty bytes print
// as "" there, never null.
function broadcastResult(o: Outcome): ResultBroadcastTx {
  if (o.ok) return { code: 0, data: "", log: "", codespace: "", hash: o.id.toUpperCase(), triad: o.triad };
  return { code: o.code, data: "", log: o.log, codespace: CODESPACE, hash: o.id.toUpperCase(), triad: o.triad };
}

function checkTxJson(o: Outcome): TxResultJson {
  const r = broadcastResult(o);
  return { code: r.code, data: null, log: r.log, info: "", gas_wanted: "0", gas_used: "0", events: [], codespace: r.codespace };
}

function txBytes(p: Params, ctx: MethodContext): Uint8Array {
  // The body limit already bounds the tx; oversize txs below it get a TX_TOO_LARGE result.
  return requiredBytes(p, "tx", ctx.env.limits.maxBodyBytes, ctx);
}

function broadcastAsync(p: Params, ctx: MethodContext): ResultBroadcastTx {
  const bytes = txBytes(p, ctx);
  refuseWhileSyncing(ctx.env);
  const id = toHex(sha256(bytes));
  // CometBFT's async mode answers whatever CheckTx says: a refusal is only logged here.
  const logged = (o: Outcome): void => {
    if (!o.ok) ctx.env.logger.debug({ tx: o.id, error: o.triad.error }, "async broadcast refused");
  };
  const failed = (err: unknown): void => ctx.env.logger.debug({ tx: id, err: (err as Error).message }, "async broadcast failed");
  try {
    const o = submit(ctx.env, bytes, false);
    if (o instanceof Promise) o.then(logged, failed);
    else logged(o);
  } catch (err) {
    failed(err);
  }
  return { code: 0, data: "", log: "", codespace: "", hash: id.toUpperCase(), triad: { status: "submitted" } };
}

async function broadcastSync(p: Params, ctx: MethodContext): Promise<ResultBroadcastTx> {
  const bytes = txBytes(p, ctx);
  refuseWhileSyncing(ctx.env);
  return broadcastResult(await submit(ctx.env, bytes, false));
}

async function broadcastCommit(p: Params, ctx: MethodContext): Promise<ResultBroadcastTxCommit> {
  const { env } = ctx;
  const bytes = txBytes(p, ctx);
  refuseWhileSyncing(env);
  if (env.pendingCommits >= env.limits.maxPendingCommits) {
    throw new RpcError("TOO_MANY", { reason: "too many broadcast_tx_commit calls are waiting; use broadcast_tx_sync and poll `tx`", limit: env.limits.maxPendingCommits });
  }
  env.pendingCommits++;
  try {
    const o = await submit(env, bytes, false);
    const check = checkTxJson(o);
    if (!o.ok) return { check_tx: check, tx_result: {}, hash: o.id.toUpperCase(), height: "0", triad: o.triad };
    const link = linkAbort([ctx.signal], env.limits.commitTimeoutMs);
    let loc;
    try {
      // Also covers "committed": the node resolves at once for a tx already in a block.
      loc = await env.api.waitForTx(o.id, link.signal);
    } catch (err) {
      if (link.timedOut) {
        throw new RpcError("TIMEOUT", {
          reason: "timed out waiting for the tx to be included in a block; it may still be; poll `tx`",
          hash: o.id.toUpperCase(),
          timeoutMs: env.limits.commitTimeoutMs,
        });
      }
      if (ctx.signal.aborted) throw new RpcError("INTERNAL", { reason: "request cancelled (client gone or server stopping)" });
      throw err;
    } finally {
      link.done();
    }
    return {
      check_tx: check,
      tx_result: txResultJson(loc.receipt),
      hash: o.id.toUpperCase(),
      height: String(loc.height),
      triad: { ...o.triad, height: loc.height },
    };
  } finally {
    env.pendingCommits--;
  }
}

async function broadcastBatch(p: Params, ctx: MethodContext): Promise<ResultBroadcastTxBatch> {
  const { env } = ctx;
  const raw = p.txs;
  if (!Array.isArray(raw)) throw invalidParams("txs", "must be an array of base64 txs");
  if (raw.length === 0) throw invalidParams("txs", "must not be empty");
  if (raw.length > env.limits.maxTxsPerBatch) {
    throw new RpcError("RANGE_TOO_LARGE", { param: "txs", reason: `at most ${env.limits.maxTxsPerBatch} txs per batch`, limit: env.limits.maxTxsPerBatch, got: raw.length });
  }
  // Decode every tx before submitting any: a malformed batch changes nothing.
  const all = raw.map((t, i) => bytesString(t, `txs[${i}]`, env.limits.maxBodyBytes, ctx));
  refuseWhileSyncing(env);
  const results: ResultBroadcastTx[] = [];
  // In order, one at a time: a sender's later nonces depend on its earlier txs being pooled.
  // Awaited only when the node needed IO for that tx (a stale nonce looked up in the store).
  for (const bytes of all) {
    const o = submit(env, bytes, true);
    results.push(broadcastResult(o instanceof Promise ? await o : o));
  }
  return { results };
}

async function tx(p: Params, ctx: MethodContext): Promise<ResultTx> {
  const id = requiredHash(p, "hash");
  if (optionalBool(p, "prove") === true) throw invalidParams("prove", "Triad does not serve tx Merkle proofs");
  const loc = await ctx.env.api.getTx(id);
  if (loc === undefined) throw notFound("tx", { hash: id.toUpperCase() });
  return resultTx(loc, ctx.env.api.describeTx?.bind(ctx.env.api));
}

interface SearchPlan {
  readonly hash?: string;
  readonly query: TxQuery;
}

const SEARCH_KEYS = "tx.hash, tx.height and tx.sender (with =), optionally with tm.event='Tx'";

function searchPlan(text: unknown): SearchPlan {
  const q = parseQuery(text);
  let hash: string | undefined;
  let sender: string | undefined;
  let height: number | undefined;
  const clash = (key: string): RpcError => invalidParams("query", `${key} appears twice`);
  for (const c of q.conditions) {
    const unsupported = invalidParams("query", `unsupported condition ${c.key} ${c.op}; tx_search supports ${SEARCH_KEYS}`);
    if (c.op !== "=") throw unsupported;
    switch (c.key) {
      case "tm.event":
        if (c.value !== "Tx") throw invalidParams("query", "tx_search only finds Tx events");
        break;
      case "tx.hash":
        if (hash !== undefined) throw clash(c.key);
        hash = hashString(String(c.value), "query");
        break;
      case "tx.sender": {
        if (sender !== undefined) throw clash(c.key);
        const s = String(c.value).toLowerCase();
        if (!/^[0-9a-f]{64}$/.test(s)) throw invalidParams("query", "tx.sender must be a 32-byte account id in hex");
        sender = s;
        break;
      }
      case "tx.height": {
        if (height !== undefined) throw clash(c.key);
        const h = Number(c.value);
        if (!Number.isSafeInteger(h) || h < 1) throw invalidParams("query", "tx.height must be a positive integer");
        height = h;
        break;
      }
      default:
        throw unsupported;
    }
  }
  if (hash === undefined && sender === undefined && height === undefined) throw invalidParams("query", `needs at least one of ${SEARCH_KEYS}`);
  const query: TxQuery = { ...(sender === undefined ? {} : { sender }), ...(height === undefined ? {} : { height }) };
  return hash === undefined ? { query } : { hash, query };
}

async function txSearch(p: Params, ctx: MethodContext): Promise<ResultTxSearch> {
  const { env } = ctx;
  const plan = searchPlan(p.query);
  if (optionalBool(p, "prove") === true) throw invalidParams("prove", "Triad does not serve tx Merkle proofs");
  const { page, perPage } = paging(p, env.limits.maxPerPage);
  const order = (optionalEnum(p, "order_by", ["asc", "desc", ""]) || "asc") as "asc" | "desc";
  const describe = env.api.describeTx?.bind(env.api);
  if (plan.hash !== undefined) {
    const loc = await env.api.getTx(plan.hash);
    const hit =
      loc !== undefined &&
      (plan.query.sender === undefined || loc.tx.sender === plan.query.sender) &&
      (plan.query.height === undefined || loc.height === plan.query.height);
    const total = hit ? 1 : 0;
    checkPage(page, perPage, total);
    return { txs: hit && page === 1 ? [resultTx(loc, describe)] : [], total_count: String(total) };
  }
  const found = await env.api.searchTxs(plan.query, { offset: (page - 1) * perPage, limit: perPage, order });
  checkPage(page, perPage, found.total);
  return { txs: found.txs.slice(0, perPage).map((loc) => resultTx(loc, describe)), total_count: String(found.total) };
}

async function unconfirmedTxs(p: Params, ctx: MethodContext): Promise<ResultUnconfirmedTxs> {
  const { api, limits } = ctx.env;
  const limit = Math.min(optionalInt(p, "limit", 0) || 30, limits.maxPerPage);
  const [info, txs] = await Promise.all([api.mempool(), api.pendingTxs(limit)]);
  return { n_txs: String(txs.length), total: String(info.txs), total_bytes: String(info.bytes), txs: txs.slice(0, limit).map((t) => base64(t.bytes)) };
}

export function txMethods(): MethodDef[] {
  return [
    { name: "tx", params: ["hash", "prove"], handler: tx },
    { name: "tx_search", params: ["query", "prove", "page", "per_page", "order_by"], handler: txSearch },
    { name: "broadcast_tx_async", params: ["tx"], handler: broadcastAsync },
    { name: "broadcast_tx_sync", params: ["tx"], handler: broadcastSync },
    { name: "broadcast_tx_commit", params: ["tx"], handler: broadcastCommit },
    { name: "broadcast_tx_batch", params: ["txs"], handler: broadcastBatch },
    { name: "unconfirmed_txs", params: ["limit"], handler: unconfirmedTxs },
    {
      name: "num_unconfirmed_txs",
      params: [],
      handler: async (_p, { env }): Promise<ResultUnconfirmedTxs> => {
        const info = await env.api.mempool();
        return { n_txs: String(info.txs), total: String(info.txs), total_bytes: String(info.bytes), txs: null };
      },
    },
  ];
}
