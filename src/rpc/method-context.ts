// What a method handler sees: the node's API, the server's limits and per-call context, plus
// the helpers every group uses to resolve heights and load blocks the same way.
import type { Logger } from "pino";
import type { StoredBlock } from "../chain/block-store.js";
import { RpcError } from "./errors.js";
import type { NodeApi } from "./node-api.js";
import type { Params } from "./params.js";
import type { EventQuery } from "./query.js";

export interface RpcLimits {
  readonly maxBodyBytes: number;
  readonly maxBatchLength: number;
  readonly maxSubscriptionsPerClient: number;
  readonly maxClients: number;
  readonly commitTimeoutMs: number;
  /** Concurrent broadcast_tx_commit calls waiting for their block. */
  readonly maxPendingCommits: number;
  /** Txs in one broadcast_tx_batch. */
  readonly maxTxsPerBatch: number;
  /** Block metas in one `blockchain` answer (CometBFT: 20). */
  readonly maxBlockchainRange: number;
  /** Blocks in one `triad_blocks` answer. */
  readonly maxBlocksRange: number;
  /** Page size cap of tx_search, validators and unconfirmed_txs (CometBFT: 100). */
  readonly maxPerPage: number;
  /** Bytes of one answer (a single response, or a whole batch's). */
  readonly maxResponseBytes: number;
}

/** What every handler shares: the node, the limits, and state that outlives one request. */
export interface RpcEnv {
  readonly api: NodeApi;
  readonly limits: RpcLimits;
  readonly logger: Logger;
  /** `tcp://host:port` the server listens on, for status' `rpc_address`. */
  rpcAddress(): string;
  /** broadcast_tx_commit calls now waiting. */
  pendingCommits: number;
  /** Block 1 never changes once it exists, so `status` reads it once. */
  earliest: StoredBlock | undefined;
}

export type RequestId = string | number | null;

/** A WebSocket connection's subscriptions, as subscribe/unsubscribe act on them. */
export interface WsSession {
  /** Throws RpcError when the query is already subscribed or the client is at its limit. */
  subscribe(query: EventQuery, requestId: RequestId): void;
  /** Throws RpcError NOT_FOUND when there is no such subscription. */
  unsubscribe(queryText: string): void;
  unsubscribeAll(): void;
}

/** Per call. */
export interface MethodContext {
  readonly env: RpcEnv;
  /** Arrived as `GET /method?args`: byte params may also be 0x-hex. */
  readonly uri: boolean;
  /** Aborted when the client goes away or the server stops. */
  readonly signal: AbortSignal;
  /** The WebSocket connection the call came on; null over HTTP. */
  readonly ws: WsSession | null;
  readonly requestId: RequestId;
}

export interface MethodDef {
  readonly name: string;
  /** Parameter names in positional order. */
  readonly params: readonly string[];
  handler(params: Params, ctx: MethodContext): unknown;
}

/** `height` param resolved against the head: absent means the head; 1..head only. */
export async function resolveHeight(env: RpcEnv, height: number | undefined): Promise<number> {
  const head = (await env.api.status()).height;
  if (height === undefined) {
    if (head === 0) throw new RpcError("NOT_FOUND", { reason: "no block has been appended yet", head });
    return head;
  }
  if (height > head) throw new RpcError("NOT_FOUND", { reason: `height ${height} is above the head height ${head}`, height, head });
  return height;
}

export async function loadBlock(env: RpcEnv, height: number): Promise<StoredBlock> {
  const stored = await env.api.getBlock(height);
  // resolveHeight said the block exists: a missing one is the store's fault, not the client's.
  if (stored === undefined) throw new RpcError("NOT_FOUND", { reason: `block ${height} not found`, height });
  return stored;
}

/**
 * Refuse tx submission while the node catches up: its state is behind, nonce checks would lie.
 * Reads one flag (not the full status): it runs on every submission.
 */
export function refuseWhileSyncing(env: RpcEnv): void {
  if (env.api.syncing()) throw new RpcError("SYNCING", { reason: "the node is catching up; submit to a synced node or retry later" });
}
