// A node's local configuration: `config/config.toml` in its home, overridden by TRIAD_* env
// variables, overridden by command-line flags. Local settings only: anything every validator
// must agree on lives in the genesis file. Timeouts here tune liveness, never safety.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseToml, stringify as stringifyToml } from "smol-toml";
import { z } from "zod";
import { TriadError } from "../chain/index.js";
import { DEFAULT_ALLOWED_HOSTS, DEFAULT_CORS_ALLOWED_ORIGINS, MAX_POLICY_ENTRIES } from "../rpc/origin-policy.js";

const logLevel = z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]);
const hexKey = z.string().regex(/^[0-9a-f]{64}$/, "must be a 32-byte public key in lower-case hex");

export const configSchema = z
  .object({
    node: z
      .object({
        moniker: z.string().min(1).max(64).default("triad-node"),
        log_level: logLevel.default("info"),
        /** "json" always; "pretty" when stdout is a terminal; "auto" picks. */
        log_format: z.enum(["auto", "json", "pretty"]).default("auto"),
      })
      .strict()
      .default({ moniker: "triad-node", log_level: "info", log_format: "auto" }),
    p2p: z
      .object({
        listen: z.string().default("/ip4/127.0.0.1/tcp/26656"),
        /** Multiaddrs with /p2p/<peer id> of the peers to keep connections to. */
        peers: z.array(z.string()).max(1024).default([]),
        /** Non-validator peers (ids) admitted by the connection gater. */
        observers: z.array(hexKey).max(1024).default([]),
        /** Seed of the injected-fault draws (--unsafe only); absent: derived from the node key. */
        fault_seed: z.number().int().min(0).max(0xffffffff).optional(),
      })
      .strict()
      .default({ listen: "/ip4/127.0.0.1/tcp/26656", peers: [], observers: [] }),
    rpc: z
      .object({
        /** host:port; 127.0.0.1 unless you mean to expose the node. Empty disables RPC. */
        listen: z.string().default("127.0.0.1:26657"),
        max_body_bytes: z.number().int().min(1024).max(64 * 1024 * 1024).default(1024 * 1024),
        max_batch_length: z.number().int().min(1).max(10_000).default(100),
        /** Bytes of one answer (a response, or a whole batch's); more is answered -32009. */
        max_response_bytes: z.number().int().min(64 * 1024).max(1024 * 1024 * 1024).default(32 * 1024 * 1024),
        max_subscriptions_per_client: z.number().int().min(1).max(1000).default(10),
        max_clients: z.number().int().min(1).max(10_000).default(100),
        /** TCP connections from one IP address (HTTP and WebSocket). */
        max_connections_per_ip: z.number().int().min(1).max(100_000).default(100),
        /** Slow-loris bounds: a request's headers, and the whole request, must arrive within these. */
        headers_timeout_ms: z.number().int().min(100).max(600_000).default(10_000),
        request_timeout_ms: z.number().int().min(100).max(3_600_000).default(30_000),
        /** Bytes queued to a WebSocket client that does not read before it is dropped. */
        max_ws_buffered_bytes: z.number().int().min(1024).max(1024 * 1024 * 1024).default(4 * 1024 * 1024),
        /** Serve the unsafe_net_* fault-injection methods (CometBFT's rpc.unsafe). Test networks only. */
        unsafe: z.boolean().default(false),
        /** Origins whose pages may call the RPC (HTTP and WebSocket); "*" allows any. `*` in an entry matches any run but "/". */
        cors_allowed_origins: z.array(z.string().min(1).max(256)).max(MAX_POLICY_ENTRIES).default([...DEFAULT_CORS_ALLOWED_ORIGINS]),
        /** Host header names accepted besides the bound address (against DNS rebinding); "*" allows any. */
        allowed_hosts: z.array(z.string().min(1).max(256)).max(MAX_POLICY_ENTRIES).default([...DEFAULT_ALLOWED_HOSTS]),
      })
      .strict()
      .default({
        listen: "127.0.0.1:26657",
        max_body_bytes: 1024 * 1024,
        max_batch_length: 100,
        max_response_bytes: 32 * 1024 * 1024,
        max_subscriptions_per_client: 10,
        max_clients: 100,
        max_connections_per_ip: 100,
        headers_timeout_ms: 10_000,
        request_timeout_ms: 30_000,
        max_ws_buffered_bytes: 4 * 1024 * 1024,
        unsafe: false,
        cors_allowed_origins: [...DEFAULT_CORS_ALLOWED_ORIGINS],
        allowed_hosts: [...DEFAULT_ALLOWED_HOSTS],
      }),
    consensus: z
      .object({
        /** Overrides of the genesis consensus timing (0 = use the genesis value). */
        tick_ms: z.number().int().min(0).max(10_000).default(0),
        view_change_timeout_ticks: z.number().int().min(0).max(100_000).default(0),
        max_view_change_timeout_ticks: z.number().int().min(0).max(1_000_000).default(0),
        empty_block_interval_ticks: z.number().int().min(0).max(100_000).default(0),
      })
      .strict()
      .default({ tick_ms: 0, view_change_timeout_ticks: 0, max_view_change_timeout_ticks: 0, empty_block_interval_ticks: 0 }),
    mempool: z
      .object({
        max_txs: z.number().int().min(1).max(1_000_000).default(10_000),
        max_bytes: z.number().int().min(1024).max(1024 * 1024 * 1024).default(64 * 1024 * 1024),
      })
      .strict()
      .default({ max_txs: 10_000, max_bytes: 64 * 1024 * 1024 }),
    metrics: z
      .object({
        /** host:port of the Prometheus endpoint (GET /metrics); empty (the default) serves none. */
        listen: z.string().default(""),
      })
      .strict()
      .default({ listen: "" }),
  })
  .strict();

export type NodeConfig = z.infer<typeof configSchema>;

export class ConfigError extends TriadError<"INVALID_CONFIG"> {}

/** The files of a node's home directory (CometBFT's shape). */
export function homePaths(home: string) {
  return {
    home,
    configDir: join(home, "config"),
    config: join(home, "config", "config.toml"),
    genesis: join(home, "config", "genesis.json"),
    key: join(home, "config", "priv_validator_key.json"),
    data: join(home, "data"),
    chainDb: join(home, "data", "chain"),
  };
}

export function defaultConfig(): NodeConfig {
  return configSchema.parse({});
}

function issuesOf(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
}

/** Set `section.key` from a flat override map like {"p2p.listen": "..."} (values already typed). */
function applyOverrides(raw: Record<string, unknown>, overrides: Record<string, unknown>): void {
  for (const [path, value] of Object.entries(overrides)) {
    if (value === undefined) continue;
    const [section, key] = path.split(".");
    if (section === undefined || key === undefined) continue;
    // A file with `node = 5` has no table to set a key in: leave it for the schema to refuse
    // (a ConfigError naming the field), rather than throw a TypeError assigning into a number.
    const existing = raw[section];
    if (existing !== undefined && (typeof existing !== "object" || existing === null)) continue;
    const target = (raw[section] ??= {}) as Record<string, unknown>;
    target[key] = value;
  }
}

const ENV_KEYS: Readonly<Record<string, { path: string; type: "string" | "number" | "list" }>> = {
  TRIAD_MONIKER: { path: "node.moniker", type: "string" },
  TRIAD_LOG_LEVEL: { path: "node.log_level", type: "string" },
  TRIAD_LOG_FORMAT: { path: "node.log_format", type: "string" },
  TRIAD_P2P_LISTEN: { path: "p2p.listen", type: "string" },
  TRIAD_P2P_PEERS: { path: "p2p.peers", type: "list" },
  TRIAD_P2P_OBSERVERS: { path: "p2p.observers", type: "list" },
  TRIAD_RPC_LISTEN: { path: "rpc.listen", type: "string" },
  TRIAD_RPC_CORS_ALLOWED_ORIGINS: { path: "rpc.cors_allowed_origins", type: "list" },
  TRIAD_RPC_ALLOWED_HOSTS: { path: "rpc.allowed_hosts", type: "list" },
  TRIAD_METRICS_LISTEN: { path: "metrics.listen", type: "string" },
  TRIAD_TICK_MS: { path: "consensus.tick_ms", type: "number" },
  TRIAD_VIEW_CHANGE_TIMEOUT_TICKS: { path: "consensus.view_change_timeout_ticks", type: "number" },
};

export function envOverrides(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(ENV_KEYS)) {
    const v = env[name];
    if (v === undefined || v === "") continue;
    out[spec.path] = spec.type === "number" ? Number(v) : spec.type === "list" ? v.split(",").map((s) => s.trim()).filter(Boolean) : v;
  }
  return out;
}

/**
 * Load config.toml, then apply env (TRIAD_*), then flags (flat "section.key" map): later wins.
 * A bad file or value is a ConfigError naming the field.
 */
export function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env, flags: Record<string, unknown> = {}): NodeConfig {
  let raw: Record<string, unknown>;
  try {
    raw = parseToml(readFileSync(file, "utf8")) as Record<string, unknown>;
  } catch (err) {
    throw new ConfigError("INVALID_CONFIG", `cannot read ${file}: ${(err as Error).message}`, { file });
  }
  applyOverrides(raw, envOverrides(env));
  applyOverrides(raw, flags);
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError("INVALID_CONFIG", `${file}: ${issuesOf(parsed.error)}`, { file });
  return parsed.data;
}

export function writeConfig(file: string, config: NodeConfig): void {
  const header = "# Triad node configuration. Flags override TRIAD_* environment variables, which override this file.\n";
  writeFileSync(file, header + stringifyToml(config) + "\n", { mode: 0o644 });
}

/** "127.0.0.1:26657" → { host, port }. */
export function parseHostPort(listen: string, what = "rpc.listen"): { host: string; port: number } {
  const i = listen.lastIndexOf(":");
  const host = listen.slice(0, i);
  const port = Number(listen.slice(i + 1));
  if (i <= 0 || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError("INVALID_CONFIG", `${what} must be host:port, got ${JSON.stringify(listen)}`);
  }
  return { host, port };
}
