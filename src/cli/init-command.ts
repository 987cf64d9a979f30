// `triad init`: make a node home from a genesis file and a key file.
import { resolve } from "node:path";
import { Command } from "commander";
import { initHome } from "../node/home.js";
import { CliError, fsReason } from "./cli-error.js";
import { parseList } from "./node-options.js";
import { printResult, warn } from "./output.js";

interface InitOptions {
  home: string;
  genesis: string;
  key: string;
  moniker?: string;
  p2pListen?: string;
  rpcListen?: string;
  metricsListen?: string;
  peers?: string[];
  observers?: string[];
  force?: boolean;
  json?: boolean;
}

async function init(options: InitOptions): Promise<void> {
  let result;
  try {
    result = await initHome({
      home: options.home,
      genesisFile: options.genesis,
      keyFile: options.key,
      moniker: options.moniker,
      p2pListen: options.p2pListen,
      rpcListen: options.rpcListen,
      metricsListen: options.metricsListen,
      peers: options.peers,
      observers: options.observers,
      force: options.force === true,
    });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (typeof e.code === "string" && "syscall" in e) throw new CliError(`error: cannot read ${e.path ?? "a file"}: ${fsReason(err)}`);
    throw err;
  }
  if (!result.isGenesisValidator) warn("the key is not a genesis validator: this node will follow the chain as an observer");
  const { paths } = result;
  printResult(
    options.json === true,
    {
      home: resolve(paths.home),
      config: resolve(paths.config),
      genesis: resolve(paths.genesis),
      key: resolve(paths.key),
      chainId: result.chainId,
      genesisHash: result.genesisHash,
      validatorId: result.validatorId,
      nodeId: result.nodeId,
      validator: result.isGenesisValidator,
      moniker: result.config.node.moniker,
      p2pListen: result.config.p2p.listen,
      rpcListen: result.config.rpc.listen,
    },
    [
      `initialized ${paths.home} for chain ${result.chainId} (genesis hash ${result.genesisHash})`,
      `validator id ${result.validatorId}`,
      `node id ${result.nodeId}`,
      `start it with: triad start --home ${paths.home}`,
    ],
  );
}

export function initCommand(): Command {
  return new Command("init")
    .description("create a node home: config/config.toml, config/genesis.json, config/priv_validator_key.json (0600), data/")
    .requiredOption("--home <dir>", "node home directory")
    .requiredOption("--genesis <file>", "genesis file to copy in")
    .requiredOption("--key <file>", "validator key file to copy in (see `triad keys`)")
    .option("--moniker <name>", "a human-readable name for this node")
    .option("--p2p-listen <multiaddr>", "p2p listen address (default /ip4/127.0.0.1/tcp/26656; /tcp/0 picks a port)")
    .option("--rpc-listen <host:port>", "JSON-RPC listen address (default 127.0.0.1:26657; port 0 picks one; empty disables)")
    .option("--metrics-listen <host:port>", "Prometheus metrics listen address (default off; port 0 picks one)")
    .option("--peers <multiaddrs>", "comma-separated peers to keep connected, each ending in /p2p/<peer id>", parseList)
    .option("--observers <ids>", "comma-separated non-validator keys (hex) allowed to connect", parseList)
    .option("--force", "replace an existing config, genesis and key (data/ is kept)")
    .option("--json", "print the result as JSON")
    .action((options: InitOptions) => init(options));
}
