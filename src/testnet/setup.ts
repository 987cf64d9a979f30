// Creating a local testnet directory, or opening one made before:
//
//   DIR/genesis.json, DIR/keys/*.json     the network (genesis-builder), plus observer keys
//   DIR/nodes/<name>/                     one node home per node (`triad init`)
//   DIR/testnet.json                      the manifest (./manifest.ts)
//
// Ports are chosen up front and peer ids derived from the keys, so each node's config already
// names all of its peers when it is initialised: no node needs another to be up to be set up.
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { devKeyPair, generateKeyPair, genesisHashHex, parseGenesis, parseGenesisText, toHex, type ConsensusParams, type Genesis } from "../chain/index.js";
import { buildGenesis, writeGenesisDir, GENESIS_FILE, type NewGenesis } from "../node/genesis-builder.js";
import { readKeyFile, writeKeyFile } from "../node/key-file.js";
// identity.js, not index.js: the index pulls in libp2p itself, which every CLI command would then load.
import { peerIdFromValidatorId } from "../p2p/identity.js";
import { manifestPath, portOf, readManifest, TestnetError, writeManifest, type NodeRole, type TestnetManifest, type TestnetNodeInfo } from "./manifest.js";
import type { ByzantineSpec } from "../byzantine/index.js";
import { behavioursByName, DEFAULT_TESTNET_BYZANTINE_SEED, peersOf, splitForTwin, twinName } from "./byzantine-plan.js";
import { runTriad } from "./node-process.js";
import { freePorts, portsFree } from "./ports.js";
import { isProcessAlive } from "./scenario.js";

export interface TestnetSpec {
  readonly dir: string;
  readonly selection: "poa" | "dbft";
  readonly validators: number;
  /** Non-validator followers. */
  readonly observers?: number;
  /** DBFT: all candidates, validators included (default `validators`); each gets a node. */
  readonly candidates?: number;
  readonly validatorCount?: number;
  readonly epochLength?: number;
  readonly accounts?: number;
  /** Random keys instead of the public dev keys. */
  readonly secure?: boolean;
  readonly chainId?: string;
  /** Written into the genesis' consensus parameters (all nodes must agree on them). */
  readonly consensus?: Partial<ConsensusParams>;
  /** Extra `triad init` flags for every node. */
  readonly initArgs?: readonly string[];
  /** Byzantine validators by genesis index (a `twins` validator gets a second node). */
  readonly byzantine?: ByzantineSpec;
  /** Seed of the behaviours, their shared attack plan and the twins' halves. */
  readonly byzantineSeed?: number;
  /**
   * Node i serves Prometheus metrics on 127.0.0.1:(base + i); when any of those is taken, all
   * get free ports instead (a note says so). 0: free ports (what tests use, so parallel
   * networks never collide). null or absent: metrics off (the CLI's default is 26660).
   */
  readonly metricsBasePort?: number | null;
}

export interface PreparedTestnet {
  readonly dir: string;
  readonly manifest: TestnetManifest;
  /** False when an existing testnet was opened. */
  readonly created: boolean;
  /** What a person starting the testnet should know (a fallback taken, …). */
  readonly notes?: readonly string[];
}

const INIT_CONCURRENCY = 4;
const INIT_TIMEOUT_MS = 180_000;

/** Build the genesis, then rewrite its consensus parameters with `overrides` (and re-check it). */
export function genesisWithConsensus(built: NewGenesis, overrides: Partial<ConsensusParams> | undefined): NewGenesis {
  if (overrides === undefined || Object.keys(overrides).length === 0) return built;
  const document = JSON.parse(built.text) as { consensus: ConsensusParams };
  document.consensus = { ...document.consensus, ...overrides };
  const genesis = parseGenesis(document);
  return { ...built, genesis, text: `${JSON.stringify(document, null, 2)}\n`, hash: genesisHashHex(genesis) };
}

async function isEmptyDir(dir: string): Promise<boolean> {
  try {
    return (await readdir(dir)).length === 0;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return true;
    throw err;
  }
}

/** Open DIR's testnet if it has one, else create one from `spec`. */
export async function prepareTestnet(spec: TestnetSpec): Promise<PreparedTestnet> {
  const dir = resolve(spec.dir);
  if (existsSync(manifestPath(dir))) return { dir, manifest: await reopen(dir), created: false };
  const genesisFile = join(dir, GENESIS_FILE);
  const notes: string[] = [];
  if (existsSync(genesisFile)) return { dir, manifest: await adoptGenesisDir(dir, spec, notes), created: true, notes };
  if (!(await isEmptyDir(dir))) {
    throw new TestnetError("TESTNET_DIR", `${dir} is not empty and holds neither ${"testnet.json"} nor ${GENESIS_FILE}; use an empty or new directory`, { dir });
  }
  const built = genesisWithConsensus(
    buildGenesis({
      selection: spec.selection,
      validators: spec.validators,
      dev: spec.secure !== true,
      ...(spec.chainId !== undefined ? { chainId: spec.chainId } : {}),
      ...(spec.accounts !== undefined ? { accounts: spec.accounts } : {}),
      ...(spec.selection === "dbft"
        ? {
            candidates: spec.candidates ?? spec.validators,
            validatorCount: spec.validatorCount ?? spec.validators,
            ...(spec.epochLength !== undefined ? { epochLength: spec.epochLength } : {}),
          }
        : {}),
    }),
    spec.consensus,
  );
  await writeGenesisDir(dir, built);
  return { dir, manifest: await initNodes(dir, built.genesis, built.insecure, spec, notes), created: true, notes };
}

/** An existing testnet: its homes must still be there, and its nodes not running already. */
async function reopen(dir: string): Promise<TestnetManifest> {
  const manifest = await readManifest(dir);
  for (const node of manifest.nodes) {
    if (!existsSync(join(node.home, "config", "config.toml"))) {
      throw new TestnetError("TESTNET_DIR", `${manifestPath(dir)} names node ${node.name}, but its home ${node.home} is missing or incomplete; remove ${dir} to start afresh`, { dir });
    }
    if (node.pid !== null && isProcessAlive(node.pid)) {
      throw new TestnetError("TESTNET_DIR", `the testnet in ${dir} seems to be running already (${node.name} is pid ${node.pid}); stop it first`, { dir });
    }
  }
  return manifest;
}

/** A directory made by `triad genesis new --out DIR`: its genesis and key files become a testnet. */
async function adoptGenesisDir(dir: string, spec: TestnetSpec, notes: string[]): Promise<TestnetManifest> {
  const genesis = parseGenesisText(await readFile(join(dir, GENESIS_FILE), "utf8"));
  return initNodes(dir, genesis, genesis.insecure === true, spec, notes);
}

interface PlannedNode {
  readonly name: string;
  readonly role: NodeRole;
  readonly id: string;
  readonly key: string;
  readonly byzantine?: string[];
  readonly twinOf?: string;
}

/** Mark the Byzantine validators, and add the second process of each `twins` one after it. */
function planByzantine(nodes: PlannedNode[], spec: TestnetSpec): PlannedNode[] {
  if (spec.byzantine === undefined || spec.byzantine.length === 0) return nodes;
  const byName = behavioursByName(spec.byzantine, nodes.filter((n) => n.role === "validator").map((n) => n.name));
  return nodes.flatMap((n) => {
    const behaviours = byName.get(n.name);
    if (behaviours === undefined) return [n];
    const marked = { ...n, byzantine: behaviours };
    return behaviours.includes("twins") ? [marked, { ...marked, name: twinName(n.name), twinOf: n.name }] : [marked];
  });
}

async function requireKey(dir: string, name: string, id: string): Promise<string> {
  const path = join(dir, "keys", `${name}.json`);
  const key = await readKeyFile(path);
  if (toHex(key.pair.publicKey) !== id) {
    throw new TestnetError("TESTNET_INVALID", `${path} holds key ${toHex(key.pair.publicKey)}, but the genesis names ${name} ${id}`, { path });
  }
  return path;
}

async function planNodes(dir: string, genesis: Genesis, insecure: boolean, spec: TestnetSpec): Promise<PlannedNode[]> {
  const nodes: PlannedNode[] = [];
  const validatorIds = new Set(genesis.validators.map((v) => v.id));
  for (const [i, v] of genesis.validators.entries()) {
    const name = v.name ?? `validator-${i}`;
    nodes.push({ name, role: "validator", id: v.id, key: await requireKey(dir, name, v.id) });
  }
  for (const [i, c] of (genesis.candidates ?? []).entries()) {
    if (validatorIds.has(c.id)) continue;
    const name = c.name ?? `candidate-${i}`;
    nodes.push({ name, role: "candidate", id: c.id, key: await requireKey(dir, name, c.id) });
  }
  for (let i = 0; i < (spec.observers ?? 0); i++) {
    const name = `observer-${i}`;
    const path = join(dir, "keys", `${name}.json`);
    const pair = insecure ? devKeyPair(name) : generateKeyPair();
    if (!existsSync(path)) await writeKeyFile(path, pair, { insecure, label: name });
    const key = await readKeyFile(path);
    nodes.push({ name, role: "observer", id: toHex(key.pair.publicKey), key: path });
  }
  return nodes;
}

async function accountsOf(dir: string, genesis: Genesis): Promise<TestnetManifest["accounts"]> {
  const accounts: TestnetManifest["accounts"] = [];
  for (const [i, a] of genesis.accounts.entries()) {
    const name = a.name ?? `account-${i}`;
    const key = join(dir, "keys", `${name}.json`);
    // Accounts without a key file here are funded but cannot be driven by the load generator.
    if (existsSync(key)) accounts.push({ name, id: a.id, key: await requireKey(dir, name, a.id) });
  }
  return accounts;
}

/** Run `fn` over `items` with at most `limit` at a time. */
async function inBatches<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** The metrics port of each node (see TestnetSpec.metricsBasePort), or null when metrics are off. */
export async function metricsPorts(count: number, base: number | null, notes: string[]): Promise<number[] | null> {
  if (base === null) return null;
  if (base > 0) {
    const wanted = Array.from({ length: count }, (_, i) => base + i);
    if (wanted.at(-1)! <= 65535 && (await portsFree(wanted))) return wanted;
    notes.push(`metrics ports ${base}..${base + count - 1} are not all free: the nodes serve /metrics on free ports instead (see testnet.json)`);
  }
  return freePorts(count);
}

async function initNodes(dir: string, genesis: Genesis, insecure: boolean, spec: TestnetSpec, notes: string[]): Promise<TestnetManifest> {
  const planned = planByzantine(await planNodes(dir, genesis, insecure, spec), spec);
  const seed = spec.byzantineSeed ?? DEFAULT_TESTNET_BYZANTINE_SEED;
  const ports = await freePorts(planned.length * 2);
  const metrics = await metricsPorts(planned.length, spec.metricsBasePort ?? null, notes);
  const nodes: TestnetNodeInfo[] = planned.map((p, i) => {
    const nodeId = peerIdFromValidatorId(p.id).toString();
    return {
      name: p.name,
      role: p.role,
      id: p.id,
      nodeId,
      rpc: `http://127.0.0.1:${ports[2 * i + 1]!}`,
      p2p: `/ip4/127.0.0.1/tcp/${ports[2 * i]!}/p2p/${nodeId}`,
      ...(metrics === null ? {} : { metrics: `http://127.0.0.1:${metrics[i]!}/metrics` }),
      pid: null,
      home: join(dir, "nodes", p.name),
      key: p.key,
      ...(p.byzantine === undefined ? {} : { byzantine: p.byzantine, byzantineSeed: seed }),
      ...(p.twinOf === undefined ? {} : { twinOf: p.twinOf }),
    };
  });
  // Each copy of a twin is connected to its own half of the other nodes (and admits only it).
  const names = nodes.map((n) => n.name);
  const splits = nodes.filter((n) => n.twinOf !== undefined).map((n) => splitForTwin(seed, n.twinOf!, names));
  const peerLists = new Map(nodes.map((n) => [n.name, peersOf(n, nodes, splits)]));
  for (const n of nodes) {
    const only = peerLists.get(n.name)!.onlyPeers;
    if (only !== undefined) n.onlyPeers = only;
  }
  // The connection gater admits the current validators plus `p2p.observers`. Under DBFT any
  // candidate may be elected and any validator voted out, so every testnet node is listed.
  const followers = nodes.filter((n) => genesis.selection.name === "dbft" || n.role !== "validator").map((n) => n.id);
  const genesisPath = join(dir, GENESIS_FILE);
  await mkdir(join(dir, "nodes"), { recursive: true });
  await inBatches(nodes, INIT_CONCURRENCY, async (node) => {
    const peers = peerLists.get(node.name)!.peers.map((n) => n.p2p);
    const observers = followers.filter((id) => id !== node.id);
    const args = [
      "init",
      "--home", node.home,
      "--genesis", genesisPath,
      "--key", node.key,
      "--moniker", node.name,
      "--p2p-listen", `/ip4/127.0.0.1/tcp/${portOf(node.p2p)}`,
      "--rpc-listen", `127.0.0.1:${portOf(node.rpc)}`,
      ...(node.metrics === undefined ? [] : ["--metrics-listen", `127.0.0.1:${new URL(node.metrics).port}`]),
      ...(peers.length > 0 ? ["--peers", peers.join(",")] : []),
      ...(observers.length > 0 ? ["--observers", observers.join(",")] : []),
      // Left by an attempt that failed before testnet.json was written: configure it afresh.
      ...(existsSync(node.home) ? ["--force"] : []),
      ...(spec.initArgs ?? []),
    ];
    // 3 minutes, not runTriad's 60 s: four inits at once on a 2-core machine busy with other
    // networks took longer, and the timeout's SIGKILL left only "exit null" to go on.
    const run = await runTriad(args, INIT_TIMEOUT_MS);
    if (run.code !== 0) {
      throw new TestnetError("NODE_FAILED", `triad init for ${node.name} failed (${run.code === null ? `killed after ${INIT_TIMEOUT_MS / 1000} s, or by a signal` : `exit ${run.code}`}):\n${(run.stderr || run.stdout).trim()}`, { node: node.name });
    }
  });
  const manifest: TestnetManifest = {
    version: 1,
    chainId: genesis.chainId,
    selection: genesis.selection.name,
    genesis: genesisPath,
    genesisHash: genesisHashHex(genesis),
    insecure,
    nodes,
    accounts: await accountsOf(dir, genesis),
  };
  await writeManifest(dir, manifest);
  return manifest;
}
