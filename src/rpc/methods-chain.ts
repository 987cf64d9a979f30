// Read methods over the block log and the node: health, status, net_info, abci_info, block,
// block_by_hash, header, header_by_hash, block_results, blockchain, commit, validators,
// genesis, consensus_state; and triad_blocks, a range of blocks in one call for checkers. Result shapes follow CometBFT's rpc/core/types (see types.ts).
import type { StoredBlock } from "../chain/block-store.js";
import { toHex } from "../chain/encoding.js";
import { genesisHashHex, type Genesis } from "../chain/genesis.js";
import { RpcError, invalidParams, notFound } from "./errors.js";
import {
  COMET_RPC_VERSION,
  EMPTY_COMMIT,
  base64,
  blockIdJson,
  blockJson,
  commitJson,
  headerJson,
  pubKeyJson,
  rfc3339,
  txResultJson,
  upperHex,
  validatorJson,
} from "./format.js";
import { loadBlock, resolveHeight, type MethodDef, type RpcEnv } from "./method-context.js";
import type { JsonValue } from "./node-api.js";
import { connectionStatusJson, nodeInfoJson } from "./node-info-json.js";
import { checkPage, optionalInt, paging, requiredHash } from "./params.js";
import { consensusStateJson } from "./round-state.js";
import type {
  BlockMetaJson,
  CommitJson,
  HeaderJson,
  PeerJson,
  ResultBlock,
  ResultBlockchain,
  ResultCommit,
  ResultConsensusState,
  ResultGenesis,
  ResultNetInfo,
  ResultStatus,
  ResultTriadBlocks,
  ResultValidators,
  TriadBlockJson,
} from "./types.js";

/** The seal of block `height`, as block height + 1 carries it in `last_commit`. */
async function sealAsCommit(env: RpcEnv, stored: StoredBlock): Promise<CommitJson> {
  const height = stored.block.header.height;
  return commitJson(stored.seal, await env.api.validatorsAt(height), stored.block.header.timestamp);
}

export async function headerOf(env: RpcEnv, stored: StoredBlock): Promise<HeaderJson> {
  return headerJson(stored.block, await env.api.validatorsAt(stored.block.header.height + 1));
}

/**
 * CometBFT's block H carries the commit for H - 1; Triad stores each block with its own seal,
 * so the previous block is read for it (`previous` saves the read when the caller has it).
 */
export async function resultBlock(env: RpcEnv, stored: StoredBlock, previous?: StoredBlock): Promise<ResultBlock> {
  const height = stored.block.header.height;
  let lastCommit = EMPTY_COMMIT;
  if (height > 1) {
    const prev = previous?.block.header.height === height - 1 ? previous : await loadBlock(env, height - 1);
    lastCommit = await sealAsCommit(env, prev);
  }
  const next = await env.api.validatorsAt(height + 1);
  return { block_id: blockIdJson(stored.block.hash), block: blockJson(stored.block, next, lastCommit) };
}

const genesisHashes = new WeakMap<Genesis, string>();
function genesisHashOf(g: Genesis): string {
  let hash = genesisHashes.get(g);
  if (hash === undefined) {
    hash = genesisHashHex(g);
    genesisHashes.set(g, hash);
  }
  return hash;
}

async function status(env: RpcEnv): Promise<ResultStatus> {
  const { api } = env;
  const s = await api.status();
  const genesis = api.genesis();
  if (env.earliest === undefined && s.height >= 1) env.earliest = await api.getBlock(1);
  const earliest = env.earliest;
  const latest = {
    latest_block_hash: upperHex(s.hash),
    latest_app_hash: upperHex(s.appHash),
    latest_block_height: String(s.height),
    latest_block_time: rfc3339(s.timestamp),
  };
  const ownKey = s.validatorId ?? s.nodeKey;
  return {
    node_info: nodeInfoJson({
      // CometBFT's node id is lower-case hex of its key's address; Triad's is the key itself.
      id: s.nodeKey.toLowerCase(),
      listenAddr: s.listenAddrs[0] ?? env.rpcAddress(),
      network: api.chainId,
      version: COMET_RPC_VERSION,
      moniker: s.moniker,
      txIndex: "on",
      rpcAddress: env.rpcAddress(),
      peerId: s.nodeId,
      triadVersion: s.version,
    }),
    sync_info: {
      ...latest,
      earliest_block_hash: earliest === undefined ? latest.latest_block_hash : upperHex(earliest.block.hash),
      earliest_app_hash: earliest === undefined ? latest.latest_app_hash : upperHex(earliest.block.header.stateRoot),
      earliest_block_height: earliest === undefined ? latest.latest_block_height : "1",
      earliest_block_time: earliest === undefined ? latest.latest_block_time : rfc3339(earliest.block.header.timestamp),
      catching_up: s.syncing,
    },
    validator_info: { address: ownKey.toUpperCase(), pub_key: pubKeyJson(ownKey), voting_power: s.validatorId === null ? "0" : "1" },
    triad: {
      view: s.view,
      node_id: s.nodeId,
      validator_id: s.validatorId,
      genesis_hash: genesisHashOf(genesis),
      selection: genesis.selection.name,
      version: s.version,
    },
  };
}

/** "/ip4/10.0.0.1/tcp/26656" → "10.0.0.1"; CometBFT reports peers' IPs. */
function ipOf(addrs: readonly string[]): string {
  for (const a of addrs) {
    const m = /^\/(?:ip4|ip6|dns4|dns6|dns)\/([^/]+)/.exec(a);
    if (m !== null) return m[1]!;
  }
  return "";
}

async function netInfo(env: RpcEnv): Promise<ResultNetInfo> {
  const [s, peers] = await Promise.all([env.api.status(), env.api.peers()]);
  const now = Date.now();
  return {
    listening: s.listenAddrs.length > 0,
    listeners: [...s.listenAddrs],
    n_peers: String(peers.length),
    peers: peers.map(
      (p): PeerJson => ({
        // Peers do not exchange a NodeInfo as CometBFT's handshake does: what only the peer
        // knows (its versions, RPC address, tx indexing) is empty; the protocol versions are
        // the ones it speaks with this node.
        node_info: nodeInfoJson({
          id: p.validatorId ?? p.peerId,
          listenAddr: p.addrs[0] ?? "",
          network: env.api.chainId,
          version: "",
          moniker: p.moniker ?? "",
          txIndex: "",
          rpcAddress: "",
          peerId: p.peerId,
          triadVersion: "",
        }),
        is_outbound: p.outbound,
        connection_status: connectionStatusJson(p, now),
        remote_ip: ipOf(p.addrs),
        triad: { peer_id: p.peerId, validator_id: p.validatorId, addrs: [...p.addrs] },
      }),
    ),
  };
}

async function blockchain(env: RpcEnv, minParam: number | undefined, maxParam: number | undefined): Promise<ResultBlockchain> {
  const head = (await env.api.status()).height;
  if (head === 0) return { last_height: "0", block_metas: [] };
  // CometBFT's filterMinMax: 0 means "unset"; the range is clamped to the head and then to the
  // newest `maxBlockchainRange` heights, rather than refused.
  const max = Math.min(head, maxParam || head);
  const min = Math.max(1, minParam || 1, max - env.limits.maxBlockchainRange + 1);
  if (min > max) throw invalidParams("minHeight", `min height ${min} can't be greater than max height ${max}`, { minHeight: min, maxHeight: max });
  const metas: BlockMetaJson[] = [];
  for (let h = max; h >= min; h--) {
    const stored = await loadBlock(env, h);
    metas.push({
      block_id: blockIdJson(stored.block.hash),
      block_size: String(stored.block.bytes.length),
      header: await headerOf(env, stored),
      num_txs: String(stored.block.txs.length),
    });
  }
  return { last_height: String(head), block_metas: metas };
}

export function triadBlockJson(stored: StoredBlock): TriadBlockJson {
  const { block, seal } = stored;
  const h = block.header;
  return {
    height: h.height,
    hash: block.id,
    parent_hash: toHex(h.parentHash),
    app_hash: toHex(h.stateRoot),
    validators_hash: toHex(h.validatorsHash),
    view: h.view,
    proposer: h.proposer,
    tx_ids: block.txs.map((tx) => tx.id),
    seal: { view: seal.view, signatures: seal.commits.map((c) => ({ validator: c.validator, signature: base64(c.signature) })) },
  };
}

/** Blocks triad_blocks reads from the store at once. */
const TRIAD_BLOCKS_READ_AHEAD = 10;

/**
 * Ascending from `min_height` (default 1), at most `maxBlocksRange` blocks, clipped to the head:
 * a checker pages forward through the chain. Each block is read from the store once and carries
 * its own seal and header facts only, without the CometBFT header's per-block validator-set reads.
 * The range also ends early (never before its first block) once the answer would pass half of
 * maxResponseBytes: 100 full blocks of small txs carry millions of tx ids, and a checker asks
 * again from where the answer ended.
 */
async function triadBlocks(env: RpcEnv, minParam: number | undefined, maxParam: number | undefined): Promise<ResultTriadBlocks> {
  const head = (await env.api.status()).height;
  const min = Math.max(1, minParam || 1);
  if (maxParam && min > maxParam) throw invalidParams("min_height", `min height ${min} can't be greater than max height ${maxParam}`, { minHeight: min, maxHeight: maxParam });
  const max = Math.min(head, maxParam || head, min + env.limits.maxBlocksRange - 1);
  const blocks: TriadBlockJson[] = [];
  let bytes = 0;
  // Read 10 at a time, so a range cut short by the size bound never loaded 100 full blocks.
  for (let from = min; from <= max; from += TRIAD_BLOCKS_READ_AHEAD) {
    const heights: number[] = [];
    for (let h = from; h <= Math.min(max, from + TRIAD_BLOCKS_READ_AHEAD - 1); h++) heights.push(h);
    for (const s of await Promise.all(heights.map((h) => loadBlock(env, h)))) {
      // A block's JSON: header facts and hashes, about 200 bytes per seal signature, 67 per tx id.
      bytes += 1024 + s.seal.commits.length * 200 + s.block.txs.length * 67;
      if (blocks.length > 0 && bytes > env.limits.maxResponseBytes / 2) return { last_height: head, blocks };
      blocks.push(triadBlockJson(s));
    }
  }
  return { last_height: head, blocks };
}

async function validators(env: RpcEnv, p: Readonly<Record<string, unknown>>): Promise<ResultValidators> {
  const head = (await env.api.status()).height;
  // CometBFT defaults to the next height's set (the one that validates the block being decided).
  const height = optionalInt(p, "height", 1) ?? head + 1;
  if (height > head + 1) throw new RpcError("NOT_FOUND", { reason: `height ${height} is above the next height ${head + 1}`, height, head });
  const { page, perPage } = paging(p, env.limits.maxPerPage);
  const set = await env.api.validatorsAt(height);
  checkPage(page, perPage, set.members.length);
  const slice = set.members.slice((page - 1) * perPage, page * perPage);
  return { block_height: String(height), validators: slice.map(validatorJson), count: String(slice.length), total: String(set.members.length) };
}

function genesisResult(env: RpcEnv): ResultGenesis {
  const g = env.api.genesis();
  return {
    genesis: {
      genesis_time: g.genesisTime,
      chain_id: g.chainId,
      initial_height: "1",
      consensus_params: {
        block: { max_bytes: String(g.consensus.maxBlockBytes), max_gas: "-1" },
        evidence: { max_age_num_blocks: "0", max_age_duration: "0", max_bytes: "0" },
        validator: { pub_key_types: ["ed25519"] },
        version: { app: "0" },
        // Triad has no vote extensions; CometBFT's "0" means never enabled.
        abci: { vote_extensions_enable_height: "0" },
      },
      validators: g.validators.map((v) => ({ address: v.id.toUpperCase(), pub_key: pubKeyJson(v.id), power: "1", name: v.name ?? "" })),
      app_hash: "",
      app_state: { selection: g.selection, accounts: g.accounts, candidates: g.candidates ?? [] } as unknown as JsonValue,
    },
    triad: { genesis: g as unknown as JsonValue, genesis_hash: genesisHashOf(g) },
  };
}

async function consensusState(env: RpcEnv): Promise<ResultConsensusState> {
  const c = await env.api.consensusState();
  return consensusStateJson(c, await env.api.validatorsAt(c.height));
}

async function byHash(env: RpcEnv, hash: string): Promise<StoredBlock> {
  const stored = await env.api.getBlockByHash(hash);
  if (stored === undefined) throw notFound("block", { hash: hash.toUpperCase() });
  return stored;
}

export function chainMethods(): MethodDef[] {
  return [
    // CometBFT answers health with an empty object once the node is up.
    { name: "health", params: [], handler: () => ({}) },
    { name: "status", params: [], handler: (_p, { env }) => status(env) },
    { name: "net_info", params: [], handler: (_p, { env }) => netInfo(env) },
    {
      name: "abci_info",
      params: [],
      handler: async (_p, { env }) => {
        const s = await env.api.status();
        return { response: { data: "triad", version: s.version, app_version: "0", last_block_height: String(s.height), last_block_app_hash: base64(s.appHash) } };
      },
    },
    {
      name: "block",
      params: ["height"],
      handler: async (p, { env }) => resultBlock(env, await loadBlock(env, await resolveHeight(env, optionalInt(p, "height", 1)))),
    },
    { name: "block_by_hash", params: ["hash"], handler: async (p, { env }) => resultBlock(env, await byHash(env, requiredHash(p, "hash"))) },
    {
      name: "header",
      params: ["height"],
      handler: async (p, { env }) => ({ header: await headerOf(env, await loadBlock(env, await resolveHeight(env, optionalInt(p, "height", 1)))) }),
    },
    { name: "header_by_hash", params: ["hash"], handler: async (p, { env }) => ({ header: await headerOf(env, await byHash(env, requiredHash(p, "hash"))) }) },
    {
      name: "block_results",
      params: ["height"],
      handler: async (p, { env }) => {
        const stored = await loadBlock(env, await resolveHeight(env, optionalInt(p, "height", 1)));
        return {
          height: String(stored.block.header.height),
          txs_results: stored.receipts.map(txResultJson),
          finalize_block_events: [],
          validator_updates: [],
          consensus_param_updates: null,
          app_hash: base64(stored.block.header.stateRoot),
        };
      },
    },
    {
      name: "blockchain",
      params: ["minHeight", "maxHeight"],
      handler: (p, { env }) => blockchain(env, optionalInt(p, "minHeight", 0), optionalInt(p, "maxHeight", 0)),
    },
    {
      name: "commit",
      params: ["height"],
      handler: async (p, { env }): Promise<ResultCommit> => {
        const stored = await loadBlock(env, await resolveHeight(env, optionalInt(p, "height", 1)));
        return { signed_header: { header: await headerOf(env, stored), commit: await sealAsCommit(env, stored) }, canonical: true };
      },
    },
    {
      name: "triad_blocks",
      params: ["min_height", "max_height"],
      handler: (p, { env }) => triadBlocks(env, optionalInt(p, "min_height", 0), optionalInt(p, "max_height", 0)),
    },
    { name: "validators", params: ["height", "page", "per_page"], handler: (p, { env }) => validators(env, p) },
    { name: "genesis", params: [], handler: (_p, { env }) => genesisResult(env) },
    { name: "consensus_state", params: [], handler: (_p, { env }) => consensusState(env) },
  ];
}
