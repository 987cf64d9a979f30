// JSON-RPC over plain node:http with keep-alive sockets: the load generator's sending path.
// Cheaper per call than fetch (undici), and the sockets stay open between batches, so a run
// measures the node's RPC, not TCP handshakes.
import { Agent, request } from "node:http";

export class KeepAlivePoster {
  private readonly agent: Agent;
  private readonly url: URL;
  private nextId = 1;

  constructor(
    url: string,
    private readonly timeoutMs = 30_000,
    maxSockets = 16,
  ) {
    this.url = new URL(url);
    this.agent = new Agent({ keepAlive: true, maxSockets });
  }

  /** POST a JSON body, resolve with the response text (any HTTP status). */
  post(body: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const req = request(
        { host: this.url.hostname, port: this.url.port, path: this.url.pathname, method: "POST", agent: this.agent, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) }, timeout: this.timeoutMs },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
          res.on("error", reject);
        },
      );
      req.on("timeout", () => req.destroy(new Error(`no answer from ${this.url.host} within ${this.timeoutMs} ms`)));
      req.on("error", reject);
      req.end(body);
    });
  }

  /** One JSON-RPC call; throws on a JSON-RPC error. */
  async call<T>(method: string, params: Record<string, unknown>): Promise<T> {
    const text = await this.post(JSON.stringify({ jsonrpc: "2.0", id: this.nextId++, method, params }));
    const reply = JSON.parse(text) as { result?: T; error?: { code: number; message: string } };
    if (reply.error !== undefined) throw new Error(`${method}: ${reply.error.message} (${reply.error.code})`);
    return reply.result as T;
  }

  /** Several calls in one JSON-RPC batch (at most the server's batch length); results in order. */
  async batch<T>(method: string, params: readonly Record<string, unknown>[]): Promise<T[]> {
    const first = this.nextId;
    this.nextId += params.length;
    const text = await this.post(JSON.stringify(params.map((p, i) => ({ jsonrpc: "2.0", id: first + i, method, params: p }))));
    const replies = JSON.parse(text) as { id: number; result?: T; error?: { code: number; message: string } }[];
    if (!Array.isArray(replies)) throw new Error(`${method} batch: ${text.slice(0, 200)}`);
    const byId = new Map(replies.map((r) => [r.id, r]));
    return params.map((_, i) => {
      const r = byId.get(first + i);
      if (r === undefined || r.error !== undefined) throw new Error(`${method}: ${r?.error?.message ?? "no answer in the batch"}`);
      return r.result as T;
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
