// The Prometheus endpoint: its own HTTP listener (never the RPC port, so metrics can be
// scraped from a network the RPC is not exposed to and vice versa). GET /metrics only;
// anything else is 404 (405 for another method on /metrics).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Metrics } from "./metrics.js";

export interface MetricsServerOptions {
  /** Default 127.0.0.1: metrics reveal the validator set and timing, so expose them on purpose. */
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port: number;
}

export interface MetricsServerDeps {
  readonly metrics: Metrics;
  readonly logger?: { warn(obj: object, msg?: string): void };
}

export class MetricsServer {
  private server: Server | null = null;

  constructor(
    private readonly options: MetricsServerOptions,
    private readonly deps: MetricsServerDeps,
  ) {}

  /** Listen; resolves to the URL of /metrics with the bound port. */
  async start(): Promise<string> {
    if (this.server !== null) throw new Error("metrics server already started");
    const server = createServer((req, res) => this.handle(req, res));
    // A scraper holds one connection; no reason to keep idle ones around for long.
    server.keepAliveTimeout = 5_000;
    server.headersTimeout = 10_000;
    server.requestTimeout = 10_000;
    this.server = server;
    const host = this.options.host ?? "127.0.0.1";
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen({ host, port: this.options.port }, () => {
        server.off("error", reject);
        resolve();
      });
    });
    const address = server.address() as AddressInfo;
    const shown = address.address === "0.0.0.0" || address.address === "::" ? "127.0.0.1" : address.family === "IPv6" ? `[${address.address}]` : address.address;
    return `http://${shown}:${address.port}/metrics`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server === null) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? "/").split("?")[0];
    if (path !== "/metrics") {
      res.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("not found: only /metrics is served here\n");
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD", "content-type": "text/plain; charset=utf-8" }).end("method not allowed\n");
      return;
    }
    const metrics = this.deps.metrics;
    metrics.text().then(
      (text) => {
        res.writeHead(200, { "content-type": metrics.contentType, "cache-control": "no-store" });
        res.end(req.method === "HEAD" ? undefined : text);
      },
      (err: unknown) => {
        this.deps.logger?.warn({ err }, "collecting metrics failed");
        res.writeHead(500, { "content-type": "text/plain; charset=utf-8" }).end("collecting metrics failed\n");
      },
    );
  }
}
