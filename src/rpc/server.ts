// The JSON-RPC 2.0 server: HTTP `POST /` (single and batch requests), CometBFT-style URI
// requests (`GET /block?height=5`, `GET /health`), and WebSocket on `/websocket` with event
// subscriptions. json-rpc-2.0's JSONRPCServer dispatches; this file owns what it does not:
// strict request validation, limits (body, batch, clients, subscriptions, message size),
// enabled-method filtering, and mapping every error to a JSON-RPC error at the edge.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { Duplex } from "node:stream";
import { JSONRPCServer, createJSONRPCErrorResponse, type JSONRPCResponse } from "json-rpc-2.0";
import type { Logger } from "pino";
import { WebSocketServer, type WebSocket } from "ws";
import { serveDashboard } from "../dashboard/index.js";
import { RpcError, isExpectedError, toRpcErrorObject } from "./errors.js";
import { BodyTooLarge, readBody, rejectBody, respond } from "./http-body.js";
import { MAX_JSON_DEPTH, nestsDeeperThan } from "./json-depth.js";
import type { MethodContext, MethodDef, RequestId, RpcEnv, RpcLimits } from "./method-context.js";
import { allMethods } from "./methods.js";
import type { NetFaultControl } from "./methods-unsafe.js";
import type { NodeApi } from "./node-api.js";
import { DEFAULT_ALLOWED_HOSTS, DEFAULT_CORS_ALLOWED_ORIGINS, OriginPolicy } from "./origin-policy.js";
import { namedParams } from "./params.js";
import { EventHub, WsClient, wsMethods } from "./subscriptions.js";
import { serveMessages } from "./ws-messages.js";

export interface RpcServerOptions {
  /** Default 127.0.0.1: the RPC is not exposed beyond the machine unless asked. */
  readonly host?: string;
  /** 0 picks a free port. Default 26657 (CometBFT's). */
  readonly port?: number;
  /** Default 1 MiB. */
  readonly maxBodyBytes?: number;
  /**
   * Bytes of one answer: a single response, or all of a batch's together. A larger one is
   * replaced by -32009, and a batch's requests past the limit are not run. Default 32 MiB.
   */
  readonly maxResponseBytes?: number;
  /** Requests in one batch. Default 100. */
  readonly maxBatchLength?: number;
  /** Default 10. */
  readonly maxSubscriptionsPerClient?: number;
  /** WebSocket clients at once. Default 100. */
  readonly maxClients?: number;
  /** When set, only these methods answer; the rest get -32006. */
  readonly enabledMethods?: ReadonlySet<string> | readonly string[];
  /** How long broadcast_tx_commit waits for the block. Default 30 s. */
  readonly commitTimeoutMs?: number;
  /** Default 1000. */
  readonly maxPendingCommits?: number;
  /** Txs in one broadcast_tx_batch. Default 100. */
  readonly maxTxsPerBatch?: number;
  /** Largest WebSocket message accepted. Default maxBodyBytes. */
  readonly maxWsPayloadBytes?: number;
  /** Bytes queued to a WebSocket client before it is dropped as not reading. Default 4 MiB. */
  readonly maxWsBufferedBytes?: number;
  /** WebSocket ping period; a client that misses a pong is dropped. Default 30 s; 0 disables. */
  readonly wsPingIntervalMs?: number;
  /** Open TCP connections (HTTP and WebSocket). Default 1000. */
  readonly maxConnections?: number;
  /** Open TCP connections from one IP address; more are closed on accept. Default 100. */
  readonly maxConnectionsPerIp?: number;
  /** A request's headers must arrive within this (slow-loris). Default 10 s. */
  readonly headersTimeoutMs?: number;
  /** A whole request (headers and body) must arrive within this. Default 30 s. */
  readonly requestTimeoutMs?: number;
  /** Origins a browser page may call from ("*": any). Default: localhost pages on any port. */
  readonly corsAllowedOrigins?: readonly string[];
  /** Host header names accepted ("*": any), besides the bound address. Default: loopback names. */
  readonly allowedHosts?: readonly string[];
}

export interface RpcServerDeps {
  readonly api: NodeApi;
  readonly logger: Logger;
  /** Aborting it stops the server. */
  readonly signal?: AbortSignal;
  /** The node's fault layer, given only when started with --unsafe: serves unsafe_net_*. */
  readonly unsafe?: NetFaultControl;
}

export interface RpcAddress {
  readonly host: string;
  readonly port: number;
  /** http://host:port */
  readonly url: string;
  /** ws://host:port/websocket */
  readonly wsUrl: string;
}

interface CallParams {
  readonly uri: boolean;
  readonly signal: AbortSignal;
  readonly ws: WsClient | null;
  readonly requestId: RequestId;
}

/** How a request or message arrived; the request id is added per request. */
type Transport = Omit<CallParams, "requestId">;

const MiB = 1024 * 1024;


function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isRequestId(id: unknown): id is RequestId {
  return typeof id === "string" || (typeof id === "number" && Number.isFinite(id)) || id === null;
}

/** bigint never reaches JSON.stringify unconverted (error details may carry one). */
function stringify(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
}

/** -32009 for the request `id`: its answer (or its batch's) would pass `limit` bytes. */
function tooLarge(id: RequestId, limit: number, reason: string, got?: number): JSONRPCResponse {
  return errorResponse(id, new RpcError("RESPONSE_TOO_LARGE", { reason, limit, ...(got === undefined ? {} : { got }) }));
}

/** A response as text; a result that cannot be serialised (a cycle from the node) becomes -32603. */
function responseText(response: JSONRPCResponse): string {
  try {
    return stringify(response);
  } catch {
    return stringify(errorResponse(response.id, new RpcError("INTERNAL", { reason: "the result could not be serialised" })));
  }
}

function errorResponse(id: RequestId, err: RpcError): JSONRPCResponse {
  return createJSONRPCErrorResponse(id, err.code, err.message, err.data);
}

export class RpcServer {
  private readonly limits: RpcLimits & {
    readonly maxWsPayloadBytes: number;
    readonly maxWsBufferedBytes: number;
    readonly maxConnectionsPerIp: number;
    readonly headersTimeoutMs: number;
    readonly requestTimeoutMs: number;
  };
  /** Open TCP connections by remote address, for maxConnectionsPerIp. */
  private readonly connectionsByIp = new Map<string, number>();
  private readonly host: string;
  private readonly port: number;
  private readonly enabled: ReadonlySet<string> | null;
  private readonly logger: Logger;
  private readonly env: RpcEnv;
  private readonly methods = new Map<string, MethodDef>();
  private readonly rpc: JSONRPCServer<CallParams>;
  private readonly hub: EventHub;
  /** In-flight HTTP requests, aborted on stop (not AbortSignal.any on a long-lived signal: Node 20 leaks those). */
  private readonly inFlight = new Set<AbortController>();
  private stopped = false;
  private readonly wsClients = new Map<WebSocket, WsClient>();
  private http: Server | null = null;
  private wss: WebSocketServer | null = null;
  private pingTimer: NodeJS.Timeout | null = null;
  private bound: RpcAddress | null = null;
  private readonly awaitingPong = new WeakSet<WebSocket>();
  private readonly signal: AbortSignal | undefined;
  private readonly policy: OriginPolicy;

  constructor(
    private readonly options: RpcServerOptions,
    deps: RpcServerDeps,
  ) {
    const maxBodyBytes = options.maxBodyBytes ?? MiB;
    this.limits = {
      maxBodyBytes,
      maxBatchLength: options.maxBatchLength ?? 100,
      maxSubscriptionsPerClient: options.maxSubscriptionsPerClient ?? 10,
      maxClients: options.maxClients ?? 100,
      commitTimeoutMs: options.commitTimeoutMs ?? 30_000,
      maxPendingCommits: options.maxPendingCommits ?? 1000,
      maxTxsPerBatch: options.maxTxsPerBatch ?? 100,
      maxBlockchainRange: 20,
      maxBlocksRange: 100,
      maxPerPage: 100,
      maxResponseBytes: options.maxResponseBytes ?? 32 * MiB,
      maxWsPayloadBytes: options.maxWsPayloadBytes ?? maxBodyBytes,
      maxWsBufferedBytes: options.maxWsBufferedBytes ?? 4 * MiB,
      maxConnectionsPerIp: options.maxConnectionsPerIp ?? 100,
      headersTimeoutMs: options.headersTimeoutMs ?? 10_000,
      requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
    };
    if (this.limits.headersTimeoutMs > this.limits.requestTimeoutMs) throw new RangeError("rpc headersTimeoutMs must not exceed requestTimeoutMs");
    for (const [key, value] of Object.entries(this.limits)) {
      if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`rpc ${key} must be a positive integer, got ${value}`);
    }
    this.host = options.host ?? "127.0.0.1";
    this.port = options.port ?? 26657;
    this.policy = new OriginPolicy(options.corsAllowedOrigins ?? DEFAULT_CORS_ALLOWED_ORIGINS, options.allowedHosts ?? DEFAULT_ALLOWED_HOSTS, this.host);
    this.enabled = options.enabledMethods === undefined ? null : new Set(options.enabledMethods);
    this.logger = deps.logger.child({ module: "rpc" });
    this.env = {
      api: deps.api,
      limits: this.limits,
      logger: this.logger,
      rpcAddress: () => (this.bound === null ? "" : `tcp://${this.bound.host}:${this.bound.port}`),
      pendingCommits: 0,
      earliest: undefined,
    };
    this.hub = new EventHub(this.env, this.logger);
    this.rpc = new JSONRPCServer<CallParams>({
      errorListener: (message, err) => {
        if (isExpectedError(err)) this.logger.debug({ err: (err as RpcError).data }, message);
        else this.logger.warn({ err }, message);
      },
    });
    this.rpc.mapErrorToJSONRPCErrorResponse = (id, err) => {
      const e = toRpcErrorObject(err);
      return createJSONRPCErrorResponse(id, e.code, e.message, e.data);
    };
    for (const def of [...allMethods(deps.unsafe), ...wsMethods()]) {
      this.methods.set(def.name, def);
      this.rpc.addMethod(def.name, (params, call) => {
        const ctx: MethodContext = { env: this.env, uri: call.uri, signal: call.signal, ws: call.ws, requestId: call.requestId };
        return def.handler(namedParams(params, def.params), ctx);
      });
    }
    this.signal = deps.signal;
    this.signal?.addEventListener("abort", () => void this.stop(), { once: true });
  }

  /** Bind and serve; resolves with the address actually bound (port 0 → the chosen port). */
  async start(): Promise<RpcAddress> {
    if (this.http !== null || this.stopped) throw new Error("an RpcServer starts once");
    this.signal?.throwIfAborted();
    // Slow-loris: Node's defaults let a request dribble its headers for 60 s and its body for
    // 300 s, checked every 30 s; a few hundred such sockets would hold every connection slot.
    const http = createServer(
      {
        headersTimeout: this.limits.headersTimeoutMs,
        requestTimeout: this.limits.requestTimeoutMs,
        connectionsCheckingInterval: Math.min(1000, this.limits.headersTimeoutMs),
      },
      (req, res) => this.onHttpRequest(req, res),
    );
    http.maxConnections = this.options.maxConnections ?? 1000;
    http.on("connection", (socket: Socket) => this.onConnectionOpened(socket));
    const wss = new WebSocketServer({ noServer: true, maxPayload: this.limits.maxWsPayloadBytes });
    http.on("upgrade", (req, socket, head) => this.onUpgrade(wss, req, socket, head));
    http.on("clientError", (err: NodeJS.ErrnoException, socket: Duplex) => {
      // A request cut off by headersTimeout/requestTimeout learns why, as with Node's default
      // handler; anything else unparseable is dropped without an answer.
      if (err.code === "ERR_HTTP_REQUEST_TIMEOUT" && socket.writable) socket.write("HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
      socket.destroy();
    });
    await new Promise<void>((resolve, reject) => {
      http.once("error", reject);
      http.listen(this.port, this.host, () => {
        http.off("error", reject);
        resolve();
      });
    });
    // Only a bound server counts as started: a failed listen (port taken) may be retried.
    this.http = http;
    this.wss = wss;
    const addr = http.address() as AddressInfo;
    const host = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
    this.bound = { host: addr.address, port: addr.port, url: `http://${host}:${addr.port}`, wsUrl: `ws://${host}:${addr.port}/websocket` };
    this.hub.start();
    const ping = this.options.wsPingIntervalMs ?? 30_000;
    if (ping > 0) {
      // A client that has not answered the previous ping by the next one is gone (half-open
      // TCP): drop it so it stops holding a client slot and its subscriptions.
      this.pingTimer = setInterval(() => {
        for (const socket of this.wsClients.keys()) {
          if (this.awaitingPong.has(socket)) {
            socket.terminate();
            continue;
          }
          this.awaitingPong.add(socket);
          socket.ping();
        }
      }, ping);
      this.pingTimer.unref();
    }
    this.logger.info({ url: this.bound.url }, "rpc listening");
    return this.bound;
  }

  get address(): RpcAddress | null {
    return this.bound;
  }

  /** Gauges for metrics and tests. */
  stats(): { readonly clients: number; readonly subscriptions: number; readonly pendingCommits: number } {
    let subscriptions = 0;
    for (const c of this.wsClients.values()) subscriptions += c.subscriptionCount;
    return { clients: this.wsClients.size, subscriptions, pendingCommits: this.env.pendingCommits };
  }

  async stop(): Promise<void> {
    const http = this.http;
    if (http === null) return;
    this.http = null;
    this.stopped = true;
    for (const controller of this.inFlight) controller.abort();
    this.inFlight.clear();
    if (this.pingTimer !== null) clearInterval(this.pingTimer);
    this.hub.stop();
    for (const socket of this.wsClients.keys()) {
      socket.close(1001, "server stopping");
      // A client that never answers the close handshake must not keep its socket open.
      setTimeout(() => socket.terminate(), 1000).unref();
    }
    this.wsClients.clear();
    this.wss?.close();
    await new Promise<void>((resolve) => {
      http.close(() => resolve());
      http.closeAllConnections();
    });
    this.logger.info("rpc stopped");
  }

  /** One remote address may hold at most maxConnectionsPerIp sockets: one client cannot take every slot. */
  private onConnectionOpened(socket: Socket): void {
    const ip = socket.remoteAddress ?? "";
    const open = this.connectionsByIp.get(ip) ?? 0;
    if (open >= this.limits.maxConnectionsPerIp) {
      this.logger.debug({ ip, open }, "refusing a connection: at the per-IP limit");
      socket.destroy();
      return;
    }
    this.connectionsByIp.set(ip, open + 1);
    socket.once("close", () => {
      const left = (this.connectionsByIp.get(ip) ?? 1) - 1;
      if (left <= 0) this.connectionsByIp.delete(ip);
      else this.connectionsByIp.set(ip, left);
    });
  }

  // ---- dispatch ----

  /** One request object → its response, or null for a notification. Never throws. */
  private async handleOne(request: unknown, call: Transport): Promise<JSONRPCResponse | null> {
    if (!isPlainObject(request)) return errorResponse(null, new RpcError("INVALID_REQUEST", { reason: "a request must be a JSON object" }));
    const hasId = "id" in request;
    const id = hasId && isRequestId(request.id) ? request.id : null;
    const invalid = (reason: string): JSONRPCResponse => errorResponse(id, new RpcError("INVALID_REQUEST", { reason }));
    if (hasId && !isRequestId(request.id)) return invalid("id must be a string, a number or null");
    if (request.jsonrpc !== "2.0") return invalid('jsonrpc must be "2.0"');
    if (typeof request.method !== "string") return invalid("method must be a string");
    if (request.params !== undefined && typeof request.params !== "object") return invalid("params must be an object or an array");
    const method = request.method;
    // A notification gets no answer, not even an error (JSON-RPC 2.0 §4.1); it still runs.
    const reply = (err: RpcError): JSONRPCResponse | null => (hasId ? errorResponse(id, err) : null);
    if (!this.methods.has(method)) return reply(new RpcError("METHOD_NOT_FOUND", { method }));
    if (this.enabled !== null && !this.enabled.has(method)) return reply(new RpcError("METHOD_NOT_ENABLED", { method, reason: `${method} is not enabled on this node` }));
    try {
      return await this.rpc.receive({ jsonrpc: "2.0", method, params: request.params, ...(hasId ? { id } : {}) }, { ...call, requestId: id });
    } catch (err) {
      this.logger.warn({ err, method }, "rpc dispatch failed");
      const e = toRpcErrorObject(err);
      return hasId ? createJSONRPCErrorResponse(id, e.code, e.message, e.data) : null;
    }
  }

  /** A request body or WebSocket message (single or batch) → the text to send back, or null. */
  private async handleText(text: string, call: Transport): Promise<string | null> {
    if (nestsDeeperThan(text, MAX_JSON_DEPTH)) {
      return stringify(errorResponse(null, new RpcError("PARSE_ERROR", { reason: `JSON nested deeper than ${MAX_JSON_DEPTH} levels`, limit: MAX_JSON_DEPTH })));
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      return stringify(errorResponse(null, new RpcError("PARSE_ERROR", { reason: (err as Error).message })));
    }
    if (!Array.isArray(parsed)) {
      const response = await this.handleOne(parsed, call);
      return response === null ? null : this.boundedText(response);
    }
    if (parsed.length === 0) return stringify(errorResponse(null, new RpcError("INVALID_REQUEST", { reason: "a batch must not be empty" })));
    if (parsed.length > this.limits.maxBatchLength) {
      return stringify(
        errorResponse(null, new RpcError("INVALID_REQUEST", { reason: `a batch holds at most ${this.limits.maxBatchLength} requests`, limit: this.limits.maxBatchLength, got: parsed.length })),
      );
    }
    // One after another, as CometBFT does: a batch costs its sender time, not the node 100
    // concurrent calls (a client's batches would otherwise starve everyone else's requests).
    // The answers are bounded together: once they reach maxResponseBytes, the rest are not run.
    const texts: string[] = [];
    let bytes = 2;
    let full = false;
    for (const request of parsed) {
      if (full) {
        // Answered as handleOne would address it: a notification gets nothing, a bad id null.
        if (isPlainObject(request) && !("id" in request)) continue;
        const id = isPlainObject(request) && isRequestId(request.id) ? request.id : null;
        texts.push(stringify(tooLarge(id, this.limits.maxResponseBytes, "the batch's earlier answers reached the limit; this request was not run")));
        continue;
      }
      const response = await this.handleOne(request, call);
      if (response === null) continue;
      let text = responseText(response);
      const size = Buffer.byteLength(text) + 1;
      if (bytes + size > this.limits.maxResponseBytes) {
        full = true;
        text = stringify(tooLarge(response.id, this.limits.maxResponseBytes, "with the batch's earlier answers this one is over the limit", size));
      } else bytes += size;
      texts.push(text);
    }
    // All notifications: nothing to send back (JSON-RPC 2.0 §6).
    return texts.length === 0 ? null : `[${texts.join(",")}]`;
  }

  // ---- HTTP ----

  private onHttpRequest(req: IncomingMessage, res: ServerResponse): void {
    if (!this.policy.admitHttp(req, res, this.logger)) return;
    const controller = new AbortController();
    this.inFlight.add(controller);
    // The client going away cancels what it waits for (broadcast_tx_commit).
    res.on("close", () => {
      this.inFlight.delete(controller);
      controller.abort();
    });
    const call: Transport = { uri: false, signal: controller.signal, ws: null };
    const url = new URL(req.url ?? "/", "http://localhost");
    // The live page (static files); its data comes over this server's WebSocket.
    if (serveDashboard(req, res)) return;
    if (req.method === "POST" && url.pathname === "/") {
      const limit = this.limits.maxBodyBytes;
      readBody(req, limit)
        .then((body) => this.handleText(body, call))
        .then((text) => respond(res, 200, text))
        .catch((err: unknown) => {
          if (err instanceof BodyTooLarge) {
            const error = new RpcError("BODY_TOO_LARGE", { reason: `the request body exceeds ${limit} bytes`, limit });
            rejectBody(req, res, stringify(errorResponse(null, error)));
            return;
          }
          this.logger.debug({ err: (err as Error).message }, "reading a request failed");
          respond(res, 400, stringify(errorResponse(null, new RpcError("INVALID_REQUEST", { reason: "could not read the request body" }))));
        });
      return;
    }
    if (req.method === "GET" && url.pathname !== "/" && url.pathname !== "/websocket") {
      void this.handleUri(url, { ...call, uri: true }).then(
        (text) => respond(res, 200, text),
        () => respond(res, 500, null),
      );
      return;
    }
    if (req.method === "GET" && url.pathname === "/") {
      respond(res, 200, stringify({ methods: [...this.methods.keys()].filter((m) => this.enabled?.has(m) ?? true).sort() }));
      return;
    }
    res.statusCode = url.pathname === "/" ? 405 : 404;
    res.setHeader("Allow", "GET, POST");
    res.end();
  }

  /** CometBFT's URI form: `GET /block?height=5`, quoted strings, id -1 in the answer. */
  private async handleUri(url: URL, call: Transport): Promise<string> {
    const method = url.pathname.slice(1);
    const params: Record<string, unknown> = {};
    for (const [key, value] of url.searchParams) {
      params[key] = value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
    }
    const response = await this.handleOne({ jsonrpc: "2.0", id: -1, method, params }, call);
    return response === null ? stringify(null) : this.boundedText(response);
  }

  /** One response as text, or -32009 in its place when it is over maxResponseBytes. */
  private boundedText(response: JSONRPCResponse): string {
    const text = responseText(response);
    const size = Buffer.byteLength(text);
    if (size <= this.limits.maxResponseBytes) return text;
    return stringify(tooLarge(response.id, this.limits.maxResponseBytes, "ask for less: a smaller range or page", size));
  }

  // ---- WebSocket ----

  private onUpgrade(wss: WebSocketServer, req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? "/", "http://localhost");
    const refuse = (status: string, err: RpcError | null): void => {
      const body = err === null ? "" : stringify(errorResponse(null, err));
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    };
    if (url.pathname !== "/websocket") return refuse("404 Not Found", null);
    if (this.http === null) return refuse("503 Service Unavailable", null);
    const forbidden = this.policy.refusal(req, this.logger);
    if (forbidden !== null) return refuse("403 Forbidden", forbidden);
    if (this.wsClients.size >= this.limits.maxClients) {
      this.logger.debug({ clients: this.wsClients.size }, "refusing a WebSocket client: at the limit");
      return refuse("503 Service Unavailable", new RpcError("TOO_MANY", { reason: `at most ${this.limits.maxClients} WebSocket clients`, limit: this.limits.maxClients }));
    }
    wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws));
  }

  private onConnection(socket: WebSocket): void {
    const client = new WsClient(
      socket,
      { maxSubscriptionsPerClient: this.limits.maxSubscriptionsPerClient, maxBufferedBytes: this.limits.maxWsBufferedBytes },
      this.logger,
    );
    this.wsClients.set(socket, client);
    this.hub.add(client);
    // The client's signal aborts when it closes, and stop() closes every client.
    const call: Transport = { uri: false, signal: client.signal, ws: client };
    serveMessages(socket, (text) => this.handleText(text, call), (out) => client.send(out));
    socket.on("pong", () => this.awaitingPong.delete(socket));
    socket.on("close", () => {
      this.wsClients.delete(socket);
      this.hub.remove(client);
    });
    socket.on("error", (err) => this.logger.debug({ err: err.message }, "WebSocket client error"));
  }
}
