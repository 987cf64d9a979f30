// TriadClient: a typed JSON-RPC client for a Triad node. Calls go over HTTP with `fetch`;
// subscriptions over one lazily opened WebSocket. Txs are signed locally with @noble/curves
// (signTx), so a secret key never leaves the process. Without an explicit nonce the client asks
// the node for the account's `pending_nonce` (committed nonce plus its pooled txs), so txs
// sent one after another get consecutive nonces; several txs signed before any is broadcast
// need explicit nonces.
import type { WebSocket as WsSocket } from "ws";
import { kvDeleteKind, kvPutKind, transferKind } from "../chain/builtin-kinds.js";
import { fromHex, utf8 } from "../chain/encoding.js";
import { keyPairFromSecret, type KeyPair } from "../chain/keys.js";
import { signTx, type SignedTx } from "../chain/tx.js";
import type { JsonValue } from "./node-api.js";
import type {
  ResultAccount,
  ResultBlock,
  ResultBlockchain,
  ResultBroadcastTx,
  ResultBroadcastTxBatch,
  ResultBroadcastTxCommit,
  ResultCommit,
  ResultConsensusState,
  ResultEvent,
  ResultGenesis,
  ResultKv,
  ResultNetInfo,
  ResultStatus,
  ResultTx,
  ResultTriadBlocks,
  ResultTxSearch,
  ResultUnconfirmedTxs,
  ResultValidators,
} from "./types.js";

export type * from "./types.js";
export { CHECK_TX_CODES, checkTxCodeName } from "./check-codes.js";
export { RPC_ERROR_CODES } from "./errors.js";

export interface TriadClientOptions {
  /** The node's RPC address, e.g. "http://127.0.0.1:26657". */
  readonly url: string;
  /** Default: `url` with ws(s):// and path /websocket. */
  readonly wsUrl?: string;
  /** The chain txs are signed for; read once from `status` when not given. */
  readonly chainId?: string;
  /** Per HTTP call. Default 60 s (broadcast_tx_commit waits up to the node's 30 s). */
  readonly timeoutMs?: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly fetch?: typeof fetch;
}

/** A JSON-RPC error answered by the node: `code` from the table in src/rpc/README.md. */
export class TriadRpcError extends Error {
  override readonly name = "TriadRpcError";
  constructor(
    readonly code: number,
    message: string,
    readonly data: unknown,
    readonly method: string,
  ) {
    super(`${method}: ${message} (${code})${data === undefined ? "" : ` ${JSON.stringify(data)}`}`);
  }
}

export type BroadcastMode = "async" | "sync" | "commit";

/** A secret key (the 32-byte ed25519 seed) or a key pair. */
export type SigningKey = KeyPair | Uint8Array;

export interface SignOptions {
  readonly key: SigningKey;
  /** Default: the account's pending nonce, from the node. */
  readonly nonce?: number;
}

export interface TransferOptions extends SignOptions {
  /** Recipient account id (hex) or public key. */
  readonly to: string | Uint8Array;
  readonly amount: bigint | number | string;
}

export interface KvPutOptions extends SignOptions {
  readonly kvKey: string;
  readonly value: Uint8Array | string;
}

export interface KvDeleteOptions extends SignOptions {
  readonly kvKey: string;
}

export interface TxSearchOptions {
  readonly page?: number;
  readonly perPage?: number;
  readonly order?: "asc" | "desc";
}

export interface ClientSubscription {
  readonly query: string;
  /** Unsubscribe (the socket closes with the client). */
  close(): Promise<void>;
}

interface JsonRpcReply {
  readonly id?: unknown;
  readonly result?: unknown;
  readonly error?: { readonly code: number; readonly message: string; readonly data?: unknown };
}

function toKeyPair(key: SigningKey): KeyPair {
  return key instanceof Uint8Array ? keyPairFromSecret(key) : key;
}

/** fetch's error when the connection was reset or closed before any response arrived. */
function isStaleSocket(err: unknown): boolean {
  const cause = err instanceof Error ? (err.cause as { code?: unknown } | undefined) : undefined;
  const code = typeof cause?.code === "string" ? cause.code : "";
  return err instanceof TypeError && ["ECONNRESET", "EPIPE", "UND_ERR_SOCKET"].includes(code);
}

function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

export class TriadClient {
  private readonly url: string;
  private readonly wsUrl: string;
  private readonly timeoutMs: number;
  private readonly fetchImpl: typeof fetch;
  private chain: string | undefined;
  private nextId = 1;
  private socket: Promise<WsSocket> | null = null;
  private readonly pending = new Map<number, { resolve: (r: JsonRpcReply) => void; reject: (e: Error) => void }>();
  private readonly listeners = new Map<number, { readonly onEvent: (event: ResultEvent) => void; readonly onClose?: (err: Error) => void }>();

  constructor(private readonly options: TriadClientOptions) {
    this.url = options.url;
    this.wsUrl = options.wsUrl ?? `${options.url.replace(/^http/, "ws").replace(/\/$/, "")}/websocket`;
    this.timeoutMs = options.timeoutMs ?? 60_000;
    this.fetchImpl = options.fetch ?? fetch;
    this.chain = options.chainId;
  }

  /** Any method by name; throws TriadRpcError with the node's error code. */
  async call<T = unknown>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    const id = this.nextId++;
    const post = (): Promise<Response> =>
      this.fetchImpl(this.url, {
        method: "POST",
        headers: { "content-type": "application/json", ...this.options.headers },
        body: JSON.stringify({ jsonrpc: "2.0", id, method, params }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    let response: Response;
    try {
      response = await post();
    } catch (err) {
      // A pooled keep-alive socket the node closed as idle just as this request went out: the
      // request never reached the node, so sending it once more on a fresh socket is safe. fetch
      // retries only idempotent methods by itself, and JSON-RPC is POST. Broadcasts are left
      // alone: the caller decides whether to resend a tx.
      if (!isStaleSocket(err) || method.startsWith("broadcast_tx")) throw err;
      response = await post();
    }
    const text = await response.text();
    let reply: JsonRpcReply;
    try {
      reply = JSON.parse(text) as JsonRpcReply;
    } catch {
      throw new Error(`${method}: HTTP ${response.status} with a body that is not JSON`);
    }
    if (reply.error !== undefined) throw new TriadRpcError(reply.error.code, reply.error.message, reply.error.data, method);
    if (!response.ok) throw new Error(`${method}: HTTP ${response.status}`);
    return reply.result as T;
  }

  // ---- reads ----

  health(): Promise<Record<string, never>> {
    return this.call("health");
  }
  status(): Promise<ResultStatus> {
    return this.call("status");
  }
  netInfo(): Promise<ResultNetInfo> {
    return this.call("net_info");
  }
  /** The head block when `height` is omitted. */
  block(height?: number): Promise<ResultBlock> {
    return this.call("block", height === undefined ? {} : { height: String(height) });
  }
  blockByHash(hash: string): Promise<ResultBlock> {
    return this.call("block_by_hash", { hash });
  }
  blockchain(minHeight?: number, maxHeight?: number): Promise<ResultBlockchain> {
    return this.call("blockchain", { minHeight: String(minHeight ?? 0), maxHeight: String(maxHeight ?? 0) });
  }
  /** Up to the node's limit (100) of blocks from `minHeight` on, ascending, clipped to its head. */
  blocks(minHeight: number, maxHeight?: number): Promise<ResultTriadBlocks> {
    return this.call("triad_blocks", { min_height: minHeight, max_height: maxHeight ?? 0 });
  }
  commit(height?: number): Promise<ResultCommit> {
    return this.call("commit", height === undefined ? {} : { height: String(height) });
  }
  validators(height?: number, page?: number, perPage?: number): Promise<ResultValidators> {
    return this.call("validators", { height: height?.toString(), page: page?.toString(), per_page: perPage?.toString() });
  }
  genesis(): Promise<ResultGenesis> {
    return this.call("genesis");
  }
  consensusState(): Promise<ResultConsensusState> {
    return this.call("consensus_state");
  }
  tx(hash: string): Promise<ResultTx> {
    return this.call("tx", { hash });
  }
  txSearch(query: string, options: TxSearchOptions = {}): Promise<ResultTxSearch> {
    return this.call("tx_search", { query, page: options.page?.toString(), per_page: options.perPage?.toString(), order_by: options.order });
  }
  unconfirmedTxs(limit?: number): Promise<ResultUnconfirmedTxs> {
    return this.call("unconfirmed_txs", limit === undefined ? {} : { limit: String(limit) });
  }
  numUnconfirmedTxs(): Promise<ResultUnconfirmedTxs> {
    return this.call("num_unconfirmed_txs");
  }
  account(id: string): Promise<ResultAccount> {
    return this.call("triad_account", { id });
  }
  /** The raw value, or null when the key is not set. */
  async kv(key: string): Promise<Uint8Array | null> {
    const r = await this.call<ResultKv>("triad_kv", { key });
    return r.value === null ? null : new Uint8Array(Buffer.from(r.value, "base64"));
  }
  poaPendingVotes(): Promise<JsonValue> {
    return this.call("poa_getPendingVotes");
  }
  dbftCandidates(): Promise<JsonValue> {
    return this.call("dbft_getCandidates");
  }
  signerMetrics(): Promise<JsonValue> {
    return this.call("consensus_getSignerMetrics");
  }

  async chainId(): Promise<string> {
    this.chain ??= (await this.status()).node_info.network;
    return this.chain;
  }

  /** The nonce the next tx from `id` should carry (its committed nonce plus its pooled txs). */
  async nextNonce(id: string): Promise<number> {
    return (await this.account(id)).pending_nonce;
  }

  // ---- signing ----

  /** Sign a tx of any registered kind with a payload already encoded. */
  async raw(kind: string, payload: Uint8Array, options: SignOptions): Promise<SignedTx> {
    const pair = toKeyPair(options.key);
    const from = pair.publicKey;
    const [chainId, nonce] = await Promise.all([
      this.chainId(),
      options.nonce ?? this.nextNonce(Buffer.from(from).toString("hex")),
    ]);
    return signTx({ chainId, from, nonce, kind, payload }, pair.secretKey);
  }

  transfer(options: TransferOptions): Promise<SignedTx> {
    const to = typeof options.to === "string" ? fromHex(options.to.toLowerCase(), 32) : options.to;
    const payload = transferKind.encode({ to, amount: BigInt(options.amount) });
    return this.raw(transferKind.kind, payload, options);
  }

  kvPut(options: KvPutOptions): Promise<SignedTx> {
    const value = typeof options.value === "string" ? utf8(options.value) : options.value;
    return this.raw(kvPutKind.kind, kvPutKind.encode({ key: options.kvKey, value }), options);
  }

  kvDelete(options: KvDeleteOptions): Promise<SignedTx> {
    return this.raw(kvDeleteKind.kind, kvDeleteKind.encode({ key: options.kvKey }), options);
  }

  // ---- broadcasting ----

  /**
   * Send a signed tx. A refusal by the node's mempool is a result with a non-zero `code` (see
   * CHECK_TX_CODES), not an exception; a resubmission answers code 0 with `triad.status`
   * "known" or "committed".
   */
  broadcast(tx: SignedTx | Uint8Array, mode: "commit"): Promise<ResultBroadcastTxCommit>;
  broadcast(tx: SignedTx | Uint8Array, mode?: "async" | "sync"): Promise<ResultBroadcastTx>;
  broadcast(tx: SignedTx | Uint8Array, mode: BroadcastMode = "sync"): Promise<ResultBroadcastTx | ResultBroadcastTxCommit> {
    const bytes = tx instanceof Uint8Array ? tx : tx.bytes;
    return this.call(`broadcast_tx_${mode}`, { tx: toBase64(bytes) });
  }

  /** Many txs in one request, submitted in order; one result per tx. */
  broadcastBatch(txs: readonly (SignedTx | Uint8Array)[]): Promise<ResultBroadcastTxBatch> {
    return this.call("broadcast_tx_batch", { txs: txs.map((t) => toBase64(t instanceof Uint8Array ? t : t.bytes)) });
  }

  // ---- subscriptions (WebSocket) ----

  /**
   * Subscribe to events, e.g. "tm.event='NewBlock'" or "tm.event='Tx' AND tx.sender='…'".
   * `onClose` is called if the connection drops: the subscription is gone then (no resubscribe).
   */
  async subscribe(query: string, onEvent: (event: ResultEvent) => void, onClose?: (err: Error) => void): Promise<ClientSubscription> {
    const id = this.nextId++;
    this.listeners.set(id, onClose === undefined ? { onEvent } : { onEvent, onClose });
    try {
      await this.wsCall(id, "subscribe", { query });
    } catch (err) {
      this.listeners.delete(id);
      throw err;
    }
    return {
      query,
      close: async () => {
        this.listeners.delete(id);
        await this.wsCall(this.nextId++, "unsubscribe", { query });
      },
    };
  }

  /** Close the WebSocket, if one was opened. */
  async close(): Promise<void> {
    const socket = this.socket;
    this.socket = null;
    if (socket === null) return;
    const ws = await socket.catch(() => null);
    ws?.close();
  }

  private async wsCall(id: number, method: string, params: Record<string, unknown>): Promise<unknown> {
    const ws = await this.connect();
    const reply = await new Promise<JsonRpcReply>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      ws.send(JSON.stringify({ jsonrpc: "2.0", id, method, params }));
    });
    if (reply.error !== undefined) throw new TriadRpcError(reply.error.code, reply.error.message, reply.error.data, method);
    return reply.result;
  }

  private connect(): Promise<WsSocket> {
    this.socket ??= (async () => {
      // `ws` rather than a global WebSocket: Node 20 has none.
      const { WebSocket } = await import("ws");
      const ws = new WebSocket(this.wsUrl);
      ws.on("message", (data) => this.onMessage(String(data)));
      ws.on("close", (code) => {
        this.socket = null;
        const err = new Error(`WebSocket closed (${code})`);
        for (const p of this.pending.values()) p.reject(err);
        this.pending.clear();
        const dropped = [...this.listeners.values()];
        this.listeners.clear();
        for (const l of dropped) l.onClose?.(err);
      });
      await new Promise<void>((resolve, reject) => {
        ws.once("open", () => resolve());
        ws.once("error", reject);
      });
      return ws;
    })();
    return this.socket;
  }

  private onMessage(text: string): void {
    let msg: JsonRpcReply;
    try {
      msg = JSON.parse(text) as JsonRpcReply;
    } catch {
      return;
    }
    if (typeof msg.id !== "number") return;
    // Events reuse the subscribe request's id and carry `query`; the subscribe reply does not.
    const result = msg.result as Partial<ResultEvent> | undefined;
    if (result !== undefined && typeof result.query === "string" && result.data !== undefined) {
      this.listeners.get(msg.id)?.onEvent(result as ResultEvent);
      return;
    }
    const pending = this.pending.get(msg.id);
    if (pending !== undefined) {
      this.pending.delete(msg.id);
      pending.resolve(msg);
    }
  }
}
