// Serves the live dashboard's static files under /dashboard: the page in `public/` (plain
// ES modules, no build step) and uPlot from its npm package (no CDN). The node's RPC server and
// the testnet's control server both call `serveDashboard`; the page finds out which one it is
// on by asking for `network.json`, which only the testnet serves.
//
// Only files that exist when the server first serves are reachable, by exact name: a request
// path never reaches the file system, so `..` and friends have nothing to walk.
import { readdirSync, readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createRequire } from "node:module";
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const DASHBOARD_PATH = "/dashboard";

const PUBLIC_DIR = fileURLToPath(new URL("./public/", import.meta.url));

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
};

/**
 * The page reads only its own origin, plus the other nodes' RPC over WebSocket and HTTP on the
 * testnet's page. uPlot styles its elements through the CSSOM, which needs no 'unsafe-inline'
 * for scripts; inline style attributes it may set need it for styles.
 */
const SECURITY_HEADERS: Record<string, string> = {
  "content-security-policy":
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self' ws: wss: http: https:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "no-cache",
};

interface StaticFile {
  readonly body: Buffer;
  readonly type: string;
}

let files: ReadonlyMap<string, StaticFile> | null = null;

/** The files by their path under /dashboard/ ("" is the page itself). Loaded once. */
function dashboardFiles(): ReadonlyMap<string, StaticFile> {
  if (files !== null) return files;
  const map = new Map<string, StaticFile>();
  for (const name of readdirSync(PUBLIC_DIR)) {
    const type = CONTENT_TYPES[extname(name)];
    if (type === undefined || !/^[a-z0-9][a-z0-9.-]*$/.test(name)) continue;
    map.set(name, { body: readFileSync(join(PUBLIC_DIR, name)), type });
  }
  const index = map.get("index.html");
  if (index !== undefined) map.set("", index);
  const require = createRequire(import.meta.url);
  const uplotDist = join(require.resolve("uplot/package.json"), "..", "dist");
  map.set("vendor/uPlot.iife.min.js", { body: readFileSync(join(uplotDist, "uPlot.iife.min.js")), type: CONTENT_TYPES[".js"]! });
  map.set("vendor/uPlot.min.css", { body: readFileSync(join(uplotDist, "uPlot.min.css")), type: CONTENT_TYPES[".css"]! });
  files = map;
  return map;
}

/**
 * Answers a GET or HEAD under /dashboard and returns true; returns false (and writes nothing)
 * for any other path, so the caller goes on routing. `/dashboard` redirects to `/dashboard/` so
 * the page's relative URLs resolve under it.
 */
export function serveDashboard(req: IncomingMessage, res: ServerResponse): boolean {
  // The path as sent, not as URL would fold it: `/dashboard/../package.json` stays under
  // /dashboard (and matches no file: 404) instead of becoming another route's `/package.json`.
  const target = req.url ?? "/";
  const path = target.startsWith("/") ? target.replace(/[?#].*$/s, "") : new URL(target, "http://localhost").pathname;
  if (path !== DASHBOARD_PATH && !path.startsWith(`${DASHBOARD_PATH}/`)) return false;
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.writeHead(405, { allow: "GET, HEAD" }).end();
    return true;
  }
  if (path === DASHBOARD_PATH) {
    res.writeHead(308, { location: `${DASHBOARD_PATH}/` }).end();
    return true;
  }
  const file = dashboardFiles().get(path.slice(DASHBOARD_PATH.length + 1));
  if (file === undefined) {
    res.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("not found\n");
    return true;
  }
  res.writeHead(200, { ...SECURITY_HEADERS, "content-type": file.type, "content-length": file.body.length });
  res.end(req.method === "HEAD" ? undefined : file.body);
  return true;
}
