// Who may talk to the RPC from a browser. A web page the operator opens can reach 127.0.0.1:
// over WebSocket (no CORS there at all) it could read every event, and with DNS rebinding
// (attacker.example re-resolved to 127.0.0.1) it can POST as a same-origin page. So, as
// CometBFT's `cors_allowed_origins`, a request that carries an `Origin` must come from an allowed
// origin, and every request's `Host` must name this node (a rebinding page sends its own name).
// Requests without `Origin` (curl, cosmjs in node, our own client) are not from a browser page
// and pass the origin check.
import type { IncomingMessage, ServerResponse } from "node:http";
import { createJSONRPCErrorResponse } from "json-rpc-2.0";
import type { Logger } from "pino";
import { RpcError } from "./errors.js";
import { respond } from "./http-body.js";

/** Localhost pages on any port, over http or https (the testnet dashboard, a local dev app). */
export const DEFAULT_CORS_ALLOWED_ORIGINS: readonly string[] = ["http", "https"].flatMap((scheme) =>
  ["127.0.0.1", "localhost", "[::1]"].flatMap((host) => [`${scheme}://${host}`, `${scheme}://${host}:*`]),
);

/** Loopback names; the server adds the address it is bound to. */
export const DEFAULT_ALLOWED_HOSTS: readonly string[] = ["localhost", "127.0.0.1", "::1"];

/** Most entries in either list, and longest entry: config is local, but nothing grows unbounded. */
export const MAX_POLICY_ENTRIES = 256;
const MAX_ENTRY_CHARS = 256;

export class OriginPolicy {
  private readonly anyOrigin: boolean;
  private readonly origins: readonly RegExp[];
  private readonly anyHost: boolean;
  private readonly hosts: ReadonlySet<string>;
  /** Bound to 0.0.0.0 or ::: every address of the machine is "the bound address". */
  private readonly anyIpLiteral: boolean;

  /**
   * `origins`: exact origins, `*` alone for all, or patterns with `*` for any run of characters
   * other than `/` (`http://localhost:*`, `https://*.example.com`). `hosts`: host names or IP
   * literals without port, `*` alone for all. `boundHost`: the address the server listens on.
   */
  constructor(origins: readonly string[], hosts: readonly string[], boundHost: string) {
    for (const [what, list] of [["cors_allowed_origins", origins], ["allowed_hosts", hosts]] as const) {
      if (list.length > MAX_POLICY_ENTRIES) throw new RangeError(`rpc ${what}: at most ${MAX_POLICY_ENTRIES} entries`);
      for (const entry of list) {
        if (entry.length === 0 || entry.length > MAX_ENTRY_CHARS) throw new RangeError(`rpc ${what}: entries are 1 to ${MAX_ENTRY_CHARS} characters`);
      }
    }
    this.anyOrigin = origins.includes("*");
    this.origins = origins.filter((o) => o !== "*").map(originPattern);
    this.anyHost = hosts.includes("*");
    const bound = normaliseHost(boundHost);
    this.anyIpLiteral = bound === "0.0.0.0" || bound === "::";
    this.hosts = new Set([...hosts.map(normaliseHost), ...(this.anyIpLiteral ? [] : [bound])]);
  }

  /**
   * An HTTP request's Host and Origin checks and CORS: false when it was answered here (refused
   * with 403, or a preflight). An allowed page's responses name its origin.
   */
  admitHttp(req: IncomingMessage, res: ServerResponse, log: Logger): boolean {
    const refusal = this.refusal(req, log);
    if (refusal !== null) {
      respond(res, 403, JSON.stringify(createJSONRPCErrorResponse(null, refusal.code, refusal.message, refusal.data)));
      return false;
    }
    const origin = req.headers.origin;
    if (origin !== undefined) {
      res.setHeader("Access-Control-Allow-Origin", origin);
      res.setHeader("Vary", "Origin");
    }
    if (req.method !== "OPTIONS") return true;
    res.setHeader("Allow", "GET, POST, OPTIONS");
    if (origin !== undefined) {
      res.setHeader("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
      res.setHeader("Access-Control-Allow-Headers", "Content-Type, Accept, Origin, X-Requested-With");
      res.setHeader("Access-Control-Max-Age", "600");
    }
    res.statusCode = 204;
    res.end();
    return false;
  }

  /** Why a request (HTTP or a WebSocket upgrade) is refused for its Host or Origin, or null. */
  refusal(req: IncomingMessage, log: Logger): RpcError | null {
    const { host, origin } = req.headers;
    if (!this.hostAllowed(host)) {
      log.debug({ host }, "refusing a request: Host not allowed");
      return new RpcError("INVALID_REQUEST", { reason: `Host ${JSON.stringify(host)} is not allowed (rpc.allowed_hosts)`, host });
    }
    if (!this.originAllowed(origin, host)) {
      log.debug({ origin }, "refusing a request: Origin not allowed");
      return new RpcError("INVALID_REQUEST", { reason: `Origin ${JSON.stringify(origin)} is not allowed (rpc.cors_allowed_origins)`, origin });
    }
    return null;
  }

  /** No Origin header (not a browser page), or an allowed one, or the page's own origin. */
  originAllowed(origin: string | undefined, host: string | undefined): boolean {
    if (origin === undefined || this.anyOrigin) return true;
    const o = origin.toLowerCase();
    if (this.origins.some((re) => re.test(o))) return true;
    // Same origin: a page this server served (its own dashboard) under a Host that passed hostAllowed.
    if (host !== undefined) {
      try {
        const url = new URL(o);
        if ((url.protocol === "http:" || url.protocol === "https:") && url.host === new URL(`http://${host.toLowerCase()}`).host) return true;
      } catch {
        return false;
      }
    }
    return false;
  }

  /** A Host header naming this node; none at all (an HTTP/1.0 tool) passes: browsers always send it. */
  hostAllowed(host: string | undefined): boolean {
    if (host === undefined || this.anyHost) return true;
    const name = hostName(host);
    if (name === null) return false;
    if (this.hosts.has(name)) return true;
    // DNS rebinding needs a name to re-resolve; an IP literal is the address itself.
    return this.anyIpLiteral && isIpLiteral(name);
  }
}

function originPattern(entry: string): RegExp {
  const escaped = entry
    .toLowerCase()
    .split("*")
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
    .join("[^/]*");
  return new RegExp(`^${escaped}$`);
}

/** "Example.COM" → "example.com"; "[::1]" → "::1". */
function normaliseHost(host: string): string {
  const h = host.toLowerCase();
  return h.startsWith("[") && h.endsWith("]") ? h.slice(1, -1) : h;
}

/** The host part of a Host header ("name:port", "[v6]:port"), normalised; null if malformed. */
function hostName(header: string): string | null {
  try {
    const url = new URL(`http://${header}`);
    if (url.pathname !== "/" || url.search !== "" || url.username !== "" || url.password !== "") return null;
    return normaliseHost(url.hostname);
  } catch {
    return null;
  }
}

function isIpLiteral(name: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(name) || name.includes(":");
}
