// The testnet supervisor's control endpoint: process faults (kill, restart, pause, resume) of a
// running `triad testnet`, for `triad net` in another process, and the network's dashboard
// (`GET /dashboard/`, whose page reads `GET /dashboard/network.json` and then each node's RPC).
// A small JSON API on 127.0.0.1, refusing anyone not on the loopback address; its URL goes into
// testnet.json.
//
// A web page the user happens to have open can send requests here too. So the actions take
// only POSTs with `content-type: application/json` (a cross-origin page cannot send that without
// a CORS preflight, which this server never grants), and every request must name a loopback
// host (a DNS-rebinding page that resolves its own name to 127.0.0.1 would be same-origin).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { serveDashboard } from "../dashboard/index.js";
import type { TestnetManifest, TestnetNodeInfo } from "./manifest.js";
import { PROCESS_ACTIONS, type ProcessAction, type ProcessControl, type ProcessState } from "./net-control.js";

export interface ControlTarget extends ProcessControl {
  /** Node names the supervisor runs. */
  names(): readonly string[];
  state(name: string): ProcessState;
  /** The network as testnet.json describes it (the dashboard's node list). */
  readonly manifest: TestnetManifest;
}

export interface ControlServerOptions {
  /** The clock the perturbation journal stamps with (ms). Default Date.now. */
  readonly now?: () => number;
}

/** One process fault the control server carried out, as the network's dashboard lists it. */
export interface PerturbationEntry {
  readonly seq: number;
  readonly at_ms: number;
  readonly action: ProcessAction;
  readonly node: string;
}

/** `GET /dashboard/network.json`. */
export interface NetworkSnapshot {
  readonly chain_id: string;
  readonly selection: "poa" | "dbft";
  readonly now_ms: number;
  readonly nodes: readonly {
    readonly name: string;
    readonly role: string;
    readonly id: string;
    readonly rpc: string;
    readonly ws: string;
    readonly metrics: string | null;
    readonly byzantine: readonly string[];
    readonly twin_of: string | null;
    readonly state: ProcessState;
  }[];
  readonly perturbations: readonly PerturbationEntry[];
}

const MAX_BODY_BYTES = 4096;
/** Perturbations kept for the dashboard (oldest dropped first). */
export const MAX_PERTURBATIONS = 500;
export const NETWORK_JSON_PATH = "/dashboard/network.json";
const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);

export class ControlServer {
  private server: Server | null = null;
  private readonly perturbations: PerturbationEntry[] = [];
  private seq = 0;
  private readonly now: () => number;

  constructor(
    private readonly target: ControlTarget,
    options: ControlServerOptions = {},
  ) {
    this.now = options.now ?? Date.now;
  }

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

  /** What `GET /dashboard/network.json` answers. */
  network(): NetworkSnapshot {
    const m = this.target.manifest;
    return {
      chain_id: m.chainId,
      selection: m.selection,
      now_ms: this.now(),
      nodes: m.nodes.map((n) => ({
        name: n.name,
        role: n.role,
        id: n.id,
        rpc: n.rpc,
        ws: `${n.rpc.replace(/^http/, "ws").replace(/\/$/, "")}/websocket`,
        metrics: metricsOf(n),
        byzantine: [...(n.byzantine ?? [])],
        twin_of: n.twinOf ?? null,
        state: this.target.state(n.name),
      })),
      perturbations: [...this.perturbations],
    };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const reply = (status: number, body: unknown): void => {
      res.writeHead(status, { "content-type": "application/json", "cache-control": "no-cache" }).end(JSON.stringify(body));
    };
    try {
      const remote = req.socket.remoteAddress ?? "";
      if (remote !== "127.0.0.1" && remote !== "::1" && remote !== "::ffff:127.0.0.1") return reply(403, { error: "only from 127.0.0.1" });
      if (!LOOPBACK_HOSTS.has(hostName(req.headers.host))) return reply(403, { error: "the Host header must name 127.0.0.1 or localhost" });
      const path = new URL(req.url ?? "/", "http://127.0.0.1").pathname;
      if (path === NETWORK_JSON_PATH && (req.method === "GET" || req.method === "HEAD")) {
        res.writeHead(200, { "content-type": "application/json", "cache-control": "no-cache" });
        res.end(req.method === "HEAD" ? undefined : JSON.stringify(this.network()));
        return;
      }
      if (serveDashboard(req, res)) return;
      const action = path.replace(/^\//, "");
      if (req.method !== "POST") {
        const known = action === "status" || (PROCESS_ACTIONS as readonly string[]).includes(action);
        return known ? reply(405, { error: `POST only: ${action}` }) : reply(404, { error: "not found; the network's dashboard is at /dashboard/" });
      }
      if (!isJson(req.headers["content-type"])) return reply(415, { error: "content-type must be application/json" });
      let body: Record<string, unknown>;
      try {
        body = await readJson(req);
      } catch (err) {
        return reply(err instanceof RangeError ? 413 : 400, { error: (err as Error).message });
      }
      if (action === "status") {
        return reply(200, { nodes: Object.fromEntries(this.target.names().map((n) => [n, this.target.state(n)])) });
      }
      if (!(PROCESS_ACTIONS as readonly string[]).includes(action)) return reply(404, { error: `no action ${JSON.stringify(action)}; actions: status, ${PROCESS_ACTIONS.join(", ")}` });
      const node = body.node;
      if (typeof node !== "string" || !this.target.names().includes(node)) {
        return reply(404, { error: `no node ${JSON.stringify(node)}; nodes: ${this.target.names().join(", ")}` });
      }
      const at = this.now();
      await this.target[action as ProcessAction](node);
      this.record(at, action as ProcessAction, node);
      reply(200, { node, action, state: this.target.state(node) });
    } catch (err) {
      reply(500, { error: (err as Error).message });
    }
  }

  /** Stamped when the action was asked for (a restart takes seconds); written once it is done. */
  private record(at: number, action: ProcessAction, node: string): void {
    this.perturbations.push({ seq: ++this.seq, at_ms: at, action, node });
    if (this.perturbations.length > MAX_PERTURBATIONS) this.perturbations.splice(0, this.perturbations.length - MAX_PERTURBATIONS);
  }
}

/** The node's /metrics URL when the testnet gave it one (testnet.json's optional `metrics`). */
function metricsOf(node: TestnetNodeInfo): string | null {
  const url = (node as { metrics?: unknown }).metrics;
  return typeof url === "string" ? url : null;
}

function hostName(host: string | undefined): string {
  if (host === undefined) return "";
  const h = host.trim().toLowerCase();
  if (h.startsWith("[")) return h.slice(0, h.indexOf("]") + 1);
  const colon = h.lastIndexOf(":");
  return colon === -1 ? h : h.slice(0, colon);
}

function isJson(contentType: string | undefined): boolean {
  return contentType?.split(";")[0]?.trim().toLowerCase() === "application/json";
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new RangeError(`request body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return {};
  let value: unknown;
  try {
    value = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new SyntaxError("the body is not JSON");
  }
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
