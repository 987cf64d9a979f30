// @ts-check
// A small JSON-RPC 2.0 client over one WebSocket: calls with a per-request timeout, CometBFT
// event subscriptions (events reuse the subscribe request's id), and reconnection with a doubling
// backoff that re-subscribes. A paused process accepts the TCP connection and then never
// answers: the connect and request timeouts are what tell the page it is down.

/** Requests in flight per socket; more are refused at once (the page polls, it never queues). */
const MAX_PENDING = 16;
/** Timeouts in a row after which the socket is dropped and opened again (a half-open connection). */
const MAX_TIMEOUTS_IN_A_ROW = 3;

/**
 * Delay before reconnect attempt `attempt` (0-based): base · 2^attempt, capped.
 * @param {number} attempt
 * @param {number} [baseMs]
 * @param {number} [capMs]
 */
export function backoffMs(attempt, baseMs = 500, capMs = 8000) {
  return Math.min(capMs, baseMs * 2 ** Math.min(attempt, 16));
}

/**
 * @typedef {Object} RpcSocketOptions
 * @property {number} [timeoutMs]   per request, and for the connection to open. Default 3000.
 * @property {() => void} [onChange] called when the connection opens or closes
 * @property {{ new (url: string): WebSocket }} [WebSocketImpl] default: the browser's WebSocket
 */

export class RpcSocket {
  /**
   * @param {string} url ws://host:port/websocket
   * @param {RpcSocketOptions} [options]
   */
  constructor(url, options = {}) {
    this.url = url;
    this.timeoutMs = options.timeoutMs ?? 3000;
    this.onChange = options.onChange ?? (() => {});
    this.WebSocketImpl = options.WebSocketImpl ?? WebSocket;
    /** @type {WebSocket | null} */
    this.ws = null;
    this.connected = false;
    this.stopped = true;
    this.attempt = 0;
    this.nextId = 1;
    this.timeoutsInARow = 0;
    /** @type {Map<number, { resolve: (v: unknown) => void, reject: (e: Error) => void, timer: ReturnType<typeof setTimeout> }>} */
    this.pending = new Map();
    /** Subscriptions to restore after a reconnect, by query. @type {Map<string, (event: unknown) => void>} */
    this.subscriptions = new Map();
    /** Event handlers by the subscribe request's id on the current connection. @type {Map<number, (event: unknown) => void>} */
    this.eventHandlers = new Map();
    /** @type {ReturnType<typeof setTimeout> | null} */
    this.retryTimer = null;
  }

  start() {
    if (!this.stopped) return;
    this.stopped = false;
    this.open();
  }

  stop() {
    this.stopped = true;
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.drop("stopped");
  }

  /**
   * @param {string} method
   * @param {Record<string, unknown>} [params]
   * @returns {Promise<unknown>}
   */
  call(method, params = {}) {
    const ws = this.ws;
    if (!this.connected || ws === null) return Promise.reject(new Error("not connected"));
    if (this.pending.size >= MAX_PENDING) return Promise.reject(new Error("too many requests in flight"));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${method}: no answer in ${this.timeoutMs} ms`));
        this.timeoutsInARow += 1;
        if (this.timeoutsInARow >= MAX_TIMEOUTS_IN_A_ROW && this.ws === ws) this.drop("not answering");
      }, this.timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      ws.send(JSON.stringify({ jsonrpc: "2.0", id, method, params }));
    });
  }

  /**
   * Subscribes now if connected, and again after every reconnect.
   * @param {string} query e.g. "tm.event='NewBlock'"
   * @param {(event: unknown) => void} onEvent
   */
  subscribe(query, onEvent) {
    this.subscriptions.set(query, onEvent);
    if (this.connected) this.sendSubscribe(query, onEvent);
  }

  /** @private */
  open() {
    /** @type {WebSocket} */
    let ws;
    try {
      ws = new this.WebSocketImpl(this.url);
    } catch (_err) {
      this.scheduleRetry();
      return;
    }
    this.ws = ws;
    const connectTimer = setTimeout(() => {
      if (this.ws === ws && !this.connected) this.drop("connect timeout");
    }, this.timeoutMs);
    ws.onopen = () => {
      clearTimeout(connectTimer);
      if (this.ws !== ws) return;
      this.connected = true;
      this.attempt = 0;
      this.timeoutsInARow = 0;
      for (const [query, onEvent] of this.subscriptions) this.sendSubscribe(query, onEvent);
      this.onChange();
    };
    ws.onmessage = (msg) => {
      if (this.ws === ws) this.onMessage(String(msg.data));
    };
    ws.onclose = () => {
      clearTimeout(connectTimer);
      if (this.ws === ws) this.drop("closed");
    };
    ws.onerror = () => {};
  }

  /**
   * @private
   * @param {string} query
   * @param {(event: unknown) => void} onEvent
   */
  sendSubscribe(query, onEvent) {
    const id = this.nextId;
    // The reply and every later event carry this id; the handler stays until the socket closes.
    this.eventHandlers.set(id, onEvent);
    this.call("subscribe", { query }).catch(() => this.eventHandlers.delete(id));
  }

  /**
   * @private
   * @param {string} text
   */
  onMessage(text) {
    /** @type {{ id?: unknown, result?: unknown, error?: { message?: string, data?: unknown } }} */
    let msg;
    try {
      msg = JSON.parse(text);
    } catch (_err) {
      return;
    }
    if (typeof msg !== "object" || msg === null || typeof msg.id !== "number") return;
    const waiting = this.pending.get(msg.id);
    if (waiting !== undefined) {
      this.pending.delete(msg.id);
      clearTimeout(waiting.timer);
      this.timeoutsInARow = 0;
      if (msg.error !== undefined) waiting.reject(new Error(String(msg.error.message ?? "error")));
      else waiting.resolve(msg.result);
      return;
    }
    const handler = this.eventHandlers.get(msg.id);
    const result = /** @type {{ query?: unknown } | undefined} */ (msg.result);
    if (handler !== undefined && typeof result === "object" && result !== null && result.query !== undefined) handler(result);
  }

  /**
   * Closes the current socket, fails what it had in flight, and (unless stopped) retries later.
   * @private
   * @param {string} why
   */
  drop(why) {
    const ws = this.ws;
    const wasConnected = this.connected;
    this.ws = null;
    this.connected = false;
    this.eventHandlers.clear();
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new Error(why));
    }
    this.pending.clear();
    if (ws !== null) {
      ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
      try {
        ws.close();
      } catch (_err) {
        // closing a socket that never opened may throw in some browsers; it is gone either way
      }
    }
    if (wasConnected) this.onChange();
    if (!this.stopped) this.scheduleRetry();
  }

  /** @private */
  scheduleRetry() {
    if (this.retryTimer !== null || this.stopped) return;
    const delay = backoffMs(this.attempt++);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (!this.stopped) this.open();
    }, delay);
  }
}
