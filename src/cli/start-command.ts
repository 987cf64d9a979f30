// `triad start`: run a node from its home until SIGINT or SIGTERM. Flags override TRIAD_*
// environment variables, which override config.toml (src/node/config.ts does the layering).
import { Command, InvalidArgumentError, Option } from "commander";
import { checkNodeBehaviours, parseBehaviourList, SimSpecError, type BehaviourName } from "../byzantine/index.js";
import { loadHome } from "../node/home.js";
import { createLogger } from "../node/logger.js";
import { triadVersion } from "../node/version.js";
import { parseList, parseValidatorIds } from "./node-options.js";
import { parseWholeNumber } from "./option-parsers.js";

interface StartOptions {
  home: string;
  moniker?: string;
  p2pListen?: string;
  rpcListen?: string;
  rpcCorsAllowedOrigins?: string[];
  rpcAllowedHosts?: string[];
  metricsListen?: string;
  peers?: string[];
  observers?: string[];
  logLevel?: string;
  logFormat?: string;
  tickMs?: number;
  viewChangeTimeoutTicks?: number;
  emptyBlockIntervalTicks?: number;
  byzantine?: BehaviourName[];
  byzantineSeed?: number;
  byzantinePeers?: string[];
  onlyPeers?: string[];
  unsafe?: boolean;
  faultSeed?: number;
}

/** The seed when `--byzantine` comes without `--byzantine-seed` (testnets pass theirs). */
export const DEFAULT_BYZANTINE_SEED = 1;

function parseNodeBehaviours(value: string): BehaviourName[] {
  try {
    const names = parseBehaviourList(value);
    checkNodeBehaviours(names);
    return names;
  } catch (err) {
    if (err instanceof SimSpecError) throw new InvalidArgumentError(err.message);
    throw err;
  }
}

/** How long a clean stop may take before the process exits anyway. */
const STOP_GRACE_MS = 10_000;

function flagOverrides(o: StartOptions): Record<string, unknown> {
  return {
    "node.moniker": o.moniker,
    "node.log_level": o.logLevel,
    "node.log_format": o.logFormat,
    "p2p.listen": o.p2pListen,
    "p2p.peers": o.peers,
    "p2p.observers": o.observers,
    "rpc.listen": o.rpcListen,
    "rpc.cors_allowed_origins": o.rpcCorsAllowedOrigins,
    "rpc.allowed_hosts": o.rpcAllowedHosts,
    "metrics.listen": o.metricsListen,
    "consensus.tick_ms": o.tickMs,
    "consensus.view_change_timeout_ticks": o.viewChangeTimeoutTicks,
    "consensus.empty_block_interval_ticks": o.emptyBlockIntervalTicks,
    "rpc.unsafe": o.unsafe,
    "p2p.fault_seed": o.faultSeed,
  };
}

async function start(options: StartOptions): Promise<void> {
  const home = await loadHome(options.home, process.env, flagOverrides(options));
  const { config } = home;
  const logger = createLogger({ level: config.node.log_level, format: config.node.log_format, name: config.node.moniker });
  const controller = new AbortController();
  // Loaded here, not at the top: every other command would otherwise pay for libp2p's import.
  const { TriadNode } = await import("../node/node.js");
  const node = new TriadNode(
    {
      home: options.home,
      genesis: home.genesis,
      key: home.key,
      config,
      version: triadVersion(),
      // A damaged table can make LevelDB abort the process: read the store in a child first.
      probeStore: true,
      ...(options.byzantine === undefined
        ? {}
        : { byzantine: { behaviours: options.byzantine, seed: options.byzantineSeed ?? DEFAULT_BYZANTINE_SEED, peers: options.byzantinePeers ?? [] } }),
      ...(options.onlyPeers === undefined ? {} : { onlyPeers: options.onlyPeers }),
    },
    { logger, signal: controller.signal },
  );

  // A broken invariant (assert) surfaces as an uncaught error: log it, then stop hard, never
  // keep running on a state we no longer trust.
  const fatal = (err: unknown): void => {
    logger.fatal({ err }, "fatal error: the node stops");
    process.exitCode = 1;
    setTimeout(() => process.exit(1), 200).unref();
    controller.abort();
  };
  process.on("uncaughtException", fatal);
  process.on("unhandledRejection", fatal);

  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++;
    if (signals > 1) {
      logger.warn({ signal }, "second signal: exiting now");
      process.exit(130);
    }
    logger.info({ signal }, "shutting down");
    setTimeout(() => process.exit(process.exitCode ?? 0), STOP_GRACE_MS).unref();
    controller.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  await node.start();
  // The command lives as long as the node: until a signal (or a fatal error) aborts it.
  if (!controller.signal.aborted) await new Promise((resolve) => controller.signal.addEventListener("abort", resolve, { once: true }));
  try {
    await node.stop();
  } catch (err) {
    logger.error({ err }, "stop failed");
    process.exitCode = 1;
  }
}

export function startCommand(): Command {
  return new Command("start")
    .description("run a node from its home directory until SIGINT/SIGTERM")
    .requiredOption("--home <dir>", "node home directory (see `triad init`)")
    .option("--moniker <name>", "node name")
    .option("--p2p-listen <multiaddr>", "p2p listen address (/tcp/0 picks a free port)")
    .option("--rpc-listen <host:port>", "JSON-RPC listen address (port 0 picks a free port; empty disables)")
    .option("--rpc-cors-allowed-origins <origins>", "comma-separated origins whose web pages may call the RPC; * allows any (default: localhost pages on any port)", parseList)
    .option("--rpc-allowed-hosts <names>", "comma-separated Host names the RPC answers besides its bound address; * allows any (default: localhost, 127.0.0.1, ::1)", parseList)
    .option("--metrics-listen <host:port>", "serve Prometheus metrics at http://<host:port>/metrics (port 0 picks a free port; default off)")
    .option("--peers <multiaddrs>", "comma-separated peers to keep connected (replaces config's list)", parseList)
    .option("--observers <ids>", "comma-separated non-validator keys allowed to connect (replaces config's list)", parseList)
    .addOption(new Option("--log-level <level>", "log level").choices(["trace", "debug", "info", "warn", "error", "fatal", "silent"]))
    .addOption(new Option("--log-format <format>", "log format (auto: pretty on a terminal)").choices(["auto", "json", "pretty"]))
    .option("--tick-ms <ms>", "consensus tick length (overrides the genesis value)", parseWholeNumber)
    .option("--view-change-timeout-ticks <n>", "first view-change timeout in ticks (overrides the genesis value)", parseWholeNumber)
    .option("--empty-block-interval-ticks <n>", "ticks before the primary proposes an empty block (overrides the genesis value)", parseWholeNumber)
    .option("--byzantine <behaviours>", "TEST NETWORKS ONLY: misbehave, like equivocate or silent+replay (see `triad sim --help` for the list)", parseNodeBehaviours)
    .option("--byzantine-seed <n>", `seed of the Byzantine behaviours and the attack plan (default ${DEFAULT_BYZANTINE_SEED})`, parseWholeNumber)
    .option("--byzantine-peers <ids>", "comma-separated ids of every Byzantine validator of the network (they share one attack plan)", parseValidatorIds)
    .option("--only-peers <ids>", "comma-separated validator ids: dial and admit only these peers (a twin's copy)", parseValidatorIds)
    .option("--unsafe", "serve the unsafe_net_* fault-injection RPC methods (test networks only)")
    .option("--fault-seed <n>", "seed of the injected faults' random draws (default: from the node key)", parseWholeNumber)
    .action((options: StartOptions) => start(options));
}
