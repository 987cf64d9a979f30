// The testnet supervisor's control endpoint: process faults (kill, restart, pause, resume) of a
// running `triad testnet`, for `triad net` in another process. A small JSON API on 127.0.0.1,
// POST only, refusing anyone not on the loopback address; its URL goes into testnet.json.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { PROCESS_ACTIONS, type ProcessAction, type ProcessControl, type ProcessState } from "./net-control.js";

export interface ControlTarget extends ProcessControl {
  /** Node names the supervisor runs. */
  names(): readonly string[];
  state(name: string): ProcessState;
}

const MAX_BODY_BYTES = 4096;

export class ControlServer {
  private server: Server | null = null;

  constructor(private readonly target: ControlTarget) {}

  /** Listen on 127.0.0.1 with a free port; returns the URL. */
  async start(): Promise<string> {
    const server = createServer((req, res) => void this.handle(req, res));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server === null) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const reply = (status: number, body: unknown): void => {
      res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
    };
    try {
      const remote = req.socket.remoteAddress ?? "";
      if (remote !== "127.0.0.1" && remote !== "::1" && remote !== "::ffff:127.0.0.1") return reply(403, { error: "only from 127.0.0.1" });
      if (req.method !== "POST") return reply(405, { error: "POST only" });
      const action = (req.url ?? "/").replace(/^\//, "").replace(/\?.*$/, "");
      const body = await readJson(req);
      if (action === "status") {
        return reply(200, { nodes: Object.fromEntries(this.target.names().map((n) => [n, this.target.state(n)])) });
      }
      if (!(PROCESS_ACTIONS as readonly string[]).includes(action)) return reply(404, { error: `no action ${JSON.stringify(action)}; actions: status, ${PROCESS_ACTIONS.join(", ")}` });
      const node = body.node;
      if (typeof node !== "string" || !this.target.names().includes(node)) {
        return reply(404, { error: `no node ${JSON.stringify(node)}; nodes: ${this.target.names().join(", ")}` });
      }
      await this.target[action as ProcessAction](node);
      reply(200, { node, action, state: this.target.state(node) });
    } catch (err) {
      reply(500, { error: (err as Error).message });
    }
  }
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new Error("request body too large");
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return {};
  const value = JSON.parse(Buffer.concat(chunks).toString("utf8")) as unknown;
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
