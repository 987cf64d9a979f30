// Starts an RpcServer on 127.0.0.1:0 over a FakeNode and talks to it with plain fetch and ws,
// so the tests see exactly the bytes a client would.
import { pino } from "pino";
import { WebSocket } from "ws";
import { RpcServer, type RpcAddress, type RpcServerOptions } from "../../src/rpc/server.js";
import { FakeNode } from "./fake-node.js";

export interface RpcHarness {
  readonly node: FakeNode;
  readonly server: RpcServer;
  readonly address: RpcAddress;
  /** POST a raw body; returns status and parsed JSON (or null for an empty body). */
  post(body: string, headers?: Record<string, string>): Promise<{ status: number; json: unknown; text: string }>;
  /** One request; returns the whole JSON-RPC response object. */
  rpc(method: string, params?: unknown, id?: number | string): Promise<RpcResponse>;
  /** One request; returns `result`, failing the test if the node answered an error. */
  result<T = Record<string, unknown>>(method: string, params?: unknown): Promise<T>;
  close(): Promise<void>;
}

export interface RpcResponse {
  readonly jsonrpc: "2.0";
  readonly id: unknown;
  readonly result?: unknown;
  readonly error?: { readonly code: number; readonly message: string; readonly data?: Record<string, unknown> };
}

export const silentLogger = pino({ level: "silent" });

export async function startRpc(options: RpcServerOptions = {}, node = new FakeNode()): Promise<RpcHarness> {
  const server = new RpcServer({ port: 0, wsPingIntervalMs: 0, ...options }, { api: node, logger: silentLogger });
  const address = await server.start();
  const post = async (body: string, headers: Record<string, string> = {}): Promise<{ status: number; json: unknown; text: string }> => {
    const res = await fetch(address.url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });
    const text = await res.text();
    return { status: res.status, json: text === "" ? null : (JSON.parse(text) as unknown), text };
  };
  let nextId = 1;
  const rpc = async (method: string, params?: unknown, id: number | string = nextId++): Promise<RpcResponse> => {
    const { json } = await post(JSON.stringify({ jsonrpc: "2.0", id, method, ...(params === undefined ? {} : { params }) }));
    return json as RpcResponse;
  };
  const result = async <T>(method: string, params?: unknown): Promise<T> => {
    const r = await rpc(method, params);
    if (r.error !== undefined) throw new Error(`${method} failed: ${JSON.stringify(r.error)}`);
    return r.result as T;
  };
  return { node, server, address, post, rpc, result, close: () => server.stop() };
}

/** A WebSocket client that collects every message. */
export class WsProbe {
  readonly messages: RpcResponse[] = [];
  private waiters: { pred: (m: RpcResponse) => boolean; resolve: (m: RpcResponse) => void }[] = [];

  private constructor(readonly socket: WebSocket) {
    socket.on("message", (data) => {
      const msg = JSON.parse(String(data)) as RpcResponse;
      this.messages.push(msg);
      this.waiters = this.waiters.filter((w) => {
        if (!w.pred(msg)) return true;
        w.resolve(msg);
        return false;
      });
    });
  }

  static async open(url: string): Promise<WsProbe> {
    const socket = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      socket.once("open", () => resolve());
      socket.once("error", reject);
    });
    return new WsProbe(socket);
  }

  /** The next message (already received or not) satisfying `pred`. */
  next(pred: (m: RpcResponse) => boolean, timeoutMs = 5000): Promise<RpcResponse> {
    const seen = this.messages.find(pred);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("timed out waiting for a WebSocket message")), timeoutMs);
      this.waiters.push({
        pred,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      });
    });
  }

  async call(id: number | string, method: string, params?: unknown): Promise<RpcResponse> {
    this.socket.send(JSON.stringify({ jsonrpc: "2.0", id, method, ...(params === undefined ? {} : { params }) }));
    return this.next((m) => m.id === id && (m.error !== undefined || !isEvent(m)));
  }

  events(id: number | string): RpcResponse[] {
    return this.messages.filter((m) => m.id === id && isEvent(m));
  }

  close(): void {
    this.socket.close();
  }
}

export function isEvent(m: RpcResponse): boolean {
  const r = m.result as { query?: unknown } | undefined;
  return r !== undefined && typeof r.query === "string";
}
