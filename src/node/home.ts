// A node's home directory, CometBFT's shape: config/config.toml, config/genesis.json,
// config/priv_validator_key.json (0600) and data/ (the chain database, node-info.json).
// `initHome` checks everything before writing anything, so a bad flag never leaves half a home.
import { access, readFile, rm, writeFile, mkdir } from "node:fs/promises";
import { multiaddr } from "@multiformats/multiaddr";
import { genesisHashHex, parseGenesisText, TriadError, type Genesis, type KeyPair } from "../chain/index.js";
import { toHex } from "../chain/encoding.js";
// identity.ts, not the p2p index: the CLI commands using this file must not load libp2p.
import { peerIdFromValidatorId } from "../p2p/identity.js";
import { ConfigError, configSchema, homePaths, loadConfig, parseHostPort, writeConfig, type NodeConfig } from "./config.js";
import { readKeyFile, writeKeyFile } from "./key-file.js";
import { readNodeInfo } from "./node-info.js";
import { peerKeysOf } from "./peer-admission.js";

export type HomeErrorCode = "HOME_EXISTS" | "HOME_MISSING" | "NODE_RUNNING";
export class HomeError extends TriadError<HomeErrorCode> {}

export type HomePaths = ReturnType<typeof homePaths>;

export interface InitHomeOptions {
  readonly home: string;
  readonly genesisFile: string;
  readonly keyFile: string;
  readonly moniker?: string;
  readonly p2pListen?: string;
  readonly rpcListen?: string;
  /** host:port of the Prometheus endpoint; absent or empty: metrics off. */
  readonly metricsListen?: string;
  readonly peers?: readonly string[];
  readonly observers?: readonly string[];
  /** Replace an existing config, genesis and key (data/ is left alone). */
  readonly force?: boolean;
}

export interface InitHomeResult {
  readonly paths: HomePaths;
  readonly chainId: string;
  readonly genesisHash: string;
  readonly validatorId: string;
  readonly nodeId: string;
  /** Whether the key is one of the genesis validators (else the node is an observer). */
  readonly isGenesisValidator: boolean;
  readonly config: NodeConfig;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** Check the addresses config.toml will hold; ConfigError naming the field otherwise. */
export function checkConfigAddresses(config: NodeConfig): void {
  try {
    multiaddr(config.p2p.listen);
  } catch (err) {
    throw new ConfigError("INVALID_CONFIG", `p2p.listen: not a multiaddr: ${JSON.stringify(config.p2p.listen)} (${(err as Error).message})`);
  }
  config.p2p.peers.forEach((addr, i) => {
    if (peerKeysOf([addr]).length !== 1) {
      throw new ConfigError("INVALID_CONFIG", `p2p.peers[${i}]: must be a multiaddr ending in /p2p/<ed25519 peer id>, got ${JSON.stringify(addr)}`);
    }
  });
  if (config.rpc.listen !== "") parseHostPort(config.rpc.listen);
  if (config.metrics.listen !== "") parseHostPort(config.metrics.listen, "metrics.listen");
}

export async function initHome(options: InitHomeOptions): Promise<InitHomeResult> {
  const paths = homePaths(options.home);
  const genesisText = await readFile(options.genesisFile, "utf8");
  const genesis = parseGenesisText(genesisText);
  const key = await readKeyFile(options.keyFile);
  const raw = {
    node: { moniker: options.moniker },
    p2p: { listen: options.p2pListen, peers: options.peers, observers: options.observers },
    rpc: { listen: options.rpcListen },
    metrics: { listen: options.metricsListen },
  };
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError("INVALID_CONFIG", parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
  }
  const config = parsed.data;
  checkConfigAddresses(config);

  if (options.force !== true) {
    for (const file of [paths.config, paths.genesis, paths.key]) {
      if (await exists(file)) throw new HomeError("HOME_EXISTS", `${file} already exists; refusing to overwrite (use --force)`, { file });
    }
  }
  await mkdir(paths.configDir, { recursive: true, mode: 0o700 });
  await mkdir(paths.data, { recursive: true, mode: 0o700 });
  // The genesis is copied byte for byte: its hash is what every node must agree on.
  await writeFile(paths.genesis, genesisText, { mode: 0o644 });
  await writeKeyFile(paths.key, key.pair, { force: true, insecure: key.insecure, ...(key.label !== undefined ? { label: key.label } : {}) });
  writeConfig(paths.config, config);

  const validatorId = toHex(key.pair.publicKey);
  return {
    paths,
    chainId: genesis.chainId,
    genesisHash: genesisHashHex(genesis),
    validatorId,
    nodeId: peerIdFromValidatorId(validatorId).toString(),
    isGenesisValidator: genesis.validators.some((v) => v.id === validatorId),
    config,
  };
}

export interface LoadedHome {
  readonly paths: HomePaths;
  readonly genesis: Genesis;
  readonly key: KeyPair;
  readonly config: NodeConfig;
}

/** Read and check a home: config.toml (then env TRIAD_*, then `flags`), genesis and key. */
export async function loadHome(home: string, env: NodeJS.ProcessEnv = process.env, flags: Record<string, unknown> = {}): Promise<LoadedHome> {
  const paths = homePaths(home);
  if (!(await exists(paths.config))) {
    throw new HomeError("HOME_MISSING", `${paths.config} does not exist; run \`triad init --home ${home} --genesis FILE --key FILE\` first`, { home });
  }
  const config = loadConfig(paths.config, env, flags);
  checkConfigAddresses(config);
  const genesis = parseGenesisText(await readFile(paths.genesis, "utf8"));
  const key = await readKeyFile(paths.key);
  return { paths, genesis, key: key.pair, config };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Delete data/ (chain database, votes, node-info), keeping config/ and the key. */
export async function resetHomeData(home: string): Promise<HomePaths> {
  const paths = homePaths(home);
  if (!(await exists(paths.config))) throw new HomeError("HOME_MISSING", `${home} is not a triad home (no ${paths.config})`, { home });
  const info = await readNodeInfo(paths.data).catch(() => undefined);
  if (info !== undefined && typeof info.pid === "number" && info.pid !== process.pid && isAlive(info.pid)) {
    throw new HomeError("NODE_RUNNING", `a node (pid ${info.pid}) is running on ${home}; stop it first`, { pid: info.pid });
  }
  await rm(paths.data, { recursive: true, force: true });
  await mkdir(paths.data, { recursive: true, mode: 0o700 });
  return paths;
}
