// `triad check`: do the nodes of a testnet hold the same chain? Every node is asked for each
// block up to the lowest head among them; block hashes, parent hashes and app hashes must be
// identical everywhere, and every node's seal for every block must verify (a quorum of the
// height's validators signing that very block) against the validator set the node reports.
// Seals are verified rather than compared byte for byte: each replica keeps the quorum of
// commits it happened to collect, so two honest seals for one block may name different signers.
import { fromHex, makeSeal, verifySeal, validatorSet, type Seal, type ValidatorSet } from "../chain/index.js";
import type { ResultCommit } from "../rpc/types.js";
import type { TestnetManifest } from "./manifest.js";
import { TriadClient } from "../rpc/client.js";

export interface CheckOptions {
  /** First height to check (default 1). */
  readonly from?: number;
  /** Last height to check (default: the lowest head among the reachable nodes). */
  readonly to?: number;
  /** Nodes that cannot be reached are skipped instead of failing the check. */
  readonly allowDown?: boolean;
  /** Parallel requests per node. */
  readonly concurrency?: number;
}

export interface NodeCheck {
  readonly name: string;
  readonly reachable: boolean;
  readonly height: number | null;
  readonly error?: string;
}

export interface CheckReport {
  readonly ok: boolean;
  readonly chainId: string;
  readonly from: number;
  readonly to: number;
  readonly nodes: readonly NodeCheck[];
  /** Signatures verified across all seals. */
  readonly sealsVerified: number;
  readonly problems: readonly string[];
}

const MAX_PROBLEMS = 50;

/** A CometBFT-shaped commit back into a Triad seal (flag 2 = signed). */
export function sealFromCommit(commit: ResultCommit["signed_header"]["commit"]): Seal {
  const commits = commit.signatures
    .filter((s) => s.block_id_flag === 2 && s.signature !== null)
    .map((s) => ({ validator: s.validator_address.toLowerCase(), signature: new Uint8Array(Buffer.from(s.signature!, "base64")) }));
  return makeSeal(Number(commit.height), commit.round, fromHex(commit.block_id.hash.toLowerCase(), 32), commits);
}

interface NodeReader {
  readonly name: string;
  readonly client: TriadClient;
  /** Validator sets by validators_hash. */
  readonly sets: Map<string, ValidatorSet>;
}

interface BlockFacts {
  readonly hash: string;
  readonly parent: string;
  readonly appHash: string;
  readonly signers: number;
}

async function readBlock(node: NodeReader, chainId: string, height: number): Promise<BlockFacts> {
  const { signed_header: sh } = await node.client.commit(height);
  const hash = sh.commit.block_id.hash.toLowerCase();
  let set = node.sets.get(sh.header.validators_hash);
  if (set === undefined) {
    const v = await node.client.validators(height, 1, 100);
    set = validatorSet(v.validators.map((m) => m.address.toLowerCase()));
    node.sets.set(sh.header.validators_hash, set);
  }
  const seal = sealFromCommit(sh.commit);
  try {
    verifySeal(seal, chainId, set, height, fromHex(hash, 32));
  } catch (err) {
    throw new Error(`${node.name}: the seal of block ${height} does not verify: ${(err as Error).message}`, { cause: err });
  }
  return { hash, parent: sh.header.last_block_id.hash.toLowerCase(), appHash: sh.header.app_hash.toLowerCase(), signers: seal.commits.length };
}

export async function checkTestnet(manifest: TestnetManifest, options: CheckOptions = {}): Promise<CheckReport> {
  const readers: NodeReader[] = manifest.nodes.map((n) => ({ name: n.name, client: new TriadClient({ url: n.rpc, timeoutMs: 10_000 }), sets: new Map() }));
  const problems: string[] = [];
  const problem = (p: string): void => {
    if (problems.length < MAX_PROBLEMS) problems.push(p);
  };
  const heads = await Promise.all(
    readers.map(async (r): Promise<NodeCheck> => {
      try {
        return { name: r.name, reachable: true, height: Number((await r.client.status()).sync_info.latest_block_height) };
      } catch (err) {
        return { name: r.name, reachable: false, height: null, error: (err as Error).message };
      }
    }),
  );
  for (const h of heads) if (!h.reachable && options.allowDown !== true) problem(`${h.name} cannot be reached: ${h.error ?? "?"}`);
  const live = readers.filter((_, i) => heads[i]!.reachable);
  const from = Math.max(1, options.from ?? 1);
  const lowest = live.length === 0 ? 0 : Math.min(...heads.filter((h) => h.reachable).map((h) => h.height!));
  const to = Math.min(options.to ?? lowest, lowest);
  if (live.length < 2) problem(`only ${live.length} node(s) answered; nothing to compare`);

  let sealsVerified = 0;
  const heights = Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < heights.length && problems.length < MAX_PROBLEMS) {
      const height = heights[next++]!;
      const facts = await Promise.all(
        live.map(async (r) => {
          try {
            return await readBlock(r, manifest.chainId, height);
          } catch (err) {
            problem((err as Error).message.startsWith(r.name) ? (err as Error).message : `${r.name}: block ${height}: ${(err as Error).message}`);
            return null;
          }
        }),
      );
      const reference = facts.find((f) => f !== null);
      if (reference === undefined || reference === null) continue;
      facts.forEach((f, i) => {
        if (f === null) return;
        sealsVerified += f.signers;
        const name = live[i]!.name;
        const refName = live[facts.indexOf(reference)]!.name;
        if (f.hash !== reference.hash) problem(`block ${height}: ${name} has hash ${f.hash}, ${refName} has ${reference.hash}`);
        else if (f.appHash !== reference.appHash) problem(`block ${height}: ${name} has app hash ${f.appHash}, ${refName} has ${reference.appHash}`);
        else if (f.parent !== reference.parent) problem(`block ${height}: ${name} has parent ${f.parent}, ${refName} has ${reference.parent}`);
      });
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 8 }, worker));
  return { ok: problems.length === 0, chainId: manifest.chainId, from, to, nodes: heads, sealsVerified, problems };
}
