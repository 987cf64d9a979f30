// `triad check`: do the honest nodes of a network hold one chain? Each node's blocks are read in
// ranges (triad_blocks, 100 per call, a few calls in flight per node) and checked height by
// height: one block hash among the honest nodes, each node's parent link to its own previous
// block, equal app hashes (state roots), every node's stored seal verified against the set in
// force at that height (fetched only when validators_hash changes, and checked against it), no
// tx id twice in the chain, and every tx the load generator saw acknowledged in a block present
// in every honest node's chain at that height. Byzantine nodes (and twins) are read and shown,
// but their divergence is a note, not a failure.
//
// Seals are verified rather than compared byte for byte: each replica keeps the quorum of
// commits it happened to collect, so two honest seals for one block may name different signers.
// A validator's commit signature is deterministic, so the same signature held by several nodes
// is verified once per height.
//
// Memory: a window of block ranges per node, the validator sets seen, the acks, and one map of
// tx id → height for the whole checked chain: O(chain txs), which is fine for test networks.
import { fromHex, makeSeal, type Seal, type ValidatorSet } from "../chain/index.js";
import type { ResultCommit, TriadBlockJson } from "../rpc/types.js";
import { readAcks, type TxAck } from "./acks-file.js";
import { RpcChainSource, type ChainSource } from "./chain-source.js";
import { preVerify, SetCache, verifyBlockSeal } from "./seal-check.js";
import type { TestnetManifest, TestnetNodeInfo } from "./manifest.js";

export interface CheckTarget {
  readonly name: string;
  /** The node's RPC URL, or a source standing in for it (tests). */
  readonly rpc: string | ChainSource;
  /** Honest nodes must agree; the others (Byzantine, twins) are reported only. */
  readonly honest: boolean;
}

export interface NetworkCheckOptions {
  /** Default: the chain id the first node reports. */
  readonly chainId?: string;
  /** JSON lines of `{ id, height, node }` (the load generator's acks). */
  readonly acksFile?: string;
  /** Acks given directly (added to the file's). */
  readonly acks?: readonly TxAck[];
  /** Nodes that cannot be reached are listed instead of failing the check. */
  readonly allowDown?: boolean;
  /** First height to check (default 1). */
  readonly from?: number;
  /** Last height (default: the lowest head among the reachable honest nodes). */
  readonly to?: number;
  /** triad_blocks calls in flight per node (default 4). */
  readonly concurrency?: number;
  /** RPC timeout per call when targets are URLs. */
  readonly timeoutMs?: number;
}

export interface NodeReport {
  readonly name: string;
  readonly honest: boolean;
  readonly reachable: boolean;
  /** The node's head height; null when it could not be reached. */
  readonly height: number | null;
  readonly error?: string;
  blocksChecked: number;
  /** Blocks whose stored seal verified. */
  seals: number;
  /** Tx ids in the checked blocks. */
  txs: number;
  /** Acks checked against this node, and how many of them it holds. */
  ackedChecked: number;
  ackedFound: number;
  /** Problems found with this node (an honest node's make the check fail). */
  problems: number;
  /** A non-honest node: the first height where it holds a block the honest nodes do not. */
  divergedAt: number | null;
  divergentBlocks: number;
  verdict: string;
}

export interface CheckReport {
  readonly ok: boolean;
  readonly chainId: string;
  readonly from: number;
  readonly to: number;
  readonly nodes: readonly NodeReport[];
  /** Seal signatures verified across all nodes (a signature held by k nodes counts k times). */
  readonly sealsVerified: number;
  /** Distinct tx ids in the checked chain. */
  readonly txs: number;
  readonly acks: { readonly total: number; readonly checked: number; readonly outOfRange: number; readonly fromNonHonest: number; readonly badLines: number };
  /** At most MAX_PROBLEMS; `problemsOmitted` counts the rest. */
  readonly problems: readonly string[];
  readonly problemsOmitted: number;
  /** What non-honest nodes did (divergence), capped like problems. */
  readonly notes: readonly string[];
  readonly elapsedMs: number;
}

/** @deprecated the old name of a node's line in the report */
export type NodeCheck = NodeReport;

export const MAX_PROBLEMS = 50;
const RANGE = 100;

/** A CometBFT-shaped commit back into a Triad seal (flag 2 = signed). */
export function sealFromCommit(commit: ResultCommit["signed_header"]["commit"]): Seal {
  const commits = commit.signatures
    .filter((s) => s.block_id_flag === 2 && s.signature !== null)
    .map((s) => ({ validator: s.validator_address.toLowerCase(), signature: new Uint8Array(Buffer.from(s.signature!, "base64")) }));
  return makeSeal(Number(commit.height), commit.round, fromHex(commit.block_id.hash.toLowerCase(), 32), commits);
}

interface NodeState {
  readonly report: NodeReport;
  readonly source: ChainSource;
  /** The hash of this node's previous block, for its parent link. */
  prev: string | null;
  /** Ranges fetched ahead, by their first height. */
  readonly ahead: Map<number, Promise<readonly TriadBlockJson[] | Error>>;
  end: number;
}

class Findings {
  readonly problems: string[] = [];
  readonly notes: string[] = [];
  omitted = 0;
  problem(text: string, node?: NodeReport): void {
    if (node !== undefined) node.problems++;
    if (this.problems.length < MAX_PROBLEMS) this.problems.push(text);
    else this.omitted++;
  }
  note(text: string): void {
    if (this.notes.length < MAX_PROBLEMS) this.notes.push(text);
  }
  /** A problem for an honest node, a note for any other. */
  about(node: NodeReport, text: string): void {
    if (node.honest) this.problem(text, node);
    else {
      node.problems++;
      this.note(text);
    }
  }
}

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

function newReport(name: string, honest: boolean, height: number | null, error?: string): NodeReport {
  return {
    name,
    honest,
    reachable: error === undefined,
    height,
    ...(error !== undefined ? { error } : {}),
    blocksChecked: 0,
    seals: 0,
    txs: 0,
    ackedChecked: 0,
    ackedFound: 0,
    problems: 0,
    divergedAt: null,
    divergentBlocks: 0,
    verdict: "",
  };
}

/** Blocks min..max of one node, as several calls if the node answers short ranges. */
/** Reads of one range before a timeout counts as the node's failure. */
const READ_ATTEMPTS = 3;

/**
 * One read, tried again when it timed out: a node busy catching up after a chaos run can take
 * longer than the per-call timeout to serve a page of full blocks, and that says nothing about
 * its chain. Any other error (a refusal, a bad answer) counts at once.
 */
async function blocksWithRetry(source: ChainSource, min: number, max: number): Promise<readonly TriadBlockJson[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await source.blocks(min, max);
    } catch (err) {
      const timedOut = err instanceof Error && (err.name === "TimeoutError" || /timeout/i.test(err.message));
      if (!timedOut || attempt >= READ_ATTEMPTS) throw err;
    }
  }
}

async function fetchRange(source: ChainSource, min: number, max: number): Promise<readonly TriadBlockJson[]> {
  const out: TriadBlockJson[] = [];
  let next = min;
  while (next <= max) {
    const got = await blocksWithRetry(source, next, max);
    if (got.length === 0) break;
    for (const b of got) {
      if (b.height !== next || next > max) throw new Error(`asked for blocks ${next}..${max}, got height ${b.height}`);
      out.push(b);
      next++;
    }
  }
  return out;
}

export async function checkNetwork(targets: readonly CheckTarget[], options: NetworkCheckOptions = {}): Promise<CheckReport> {
  const started = performance.now();
  const f = new Findings();
  const sources = targets.map((t) => (typeof t.rpc === "string" ? RpcChainSource.fromUrl(t.rpc, options.timeoutMs) : t.rpc));
  const statuses = await Promise.all(sources.map((s) => s.status().catch((err: unknown) => new Error(message(err)))));
  const nodes: NodeState[] = targets.map((t, i) => {
    const s = statuses[i]!;
    const report = s instanceof Error ? newReport(t.name, t.honest, null, s.message) : newReport(t.name, t.honest, s.height);
    return { report, source: sources[i]!, prev: null, ahead: new Map(), end: 0 };
  });
  for (const n of nodes) {
    const r = n.report;
    if (r.reachable) continue;
    if (r.honest && options.allowDown !== true) f.problem(`${r.name} cannot be reached: ${r.error ?? "?"}`, r);
    else f.note(`${r.name} cannot be reached: ${r.error ?? "?"}`);
  }
  const live = nodes.filter((n) => n.report.reachable);
  const honest = live.filter((n) => n.report.honest);
  const firstStatus = statuses.find((s): s is Exclude<typeof s, Error> => !(s instanceof Error));
  const chainId = options.chainId ?? firstStatus?.chainId ?? "";
  for (const [i, s] of statuses.entries()) {
    if (!(s instanceof Error) && s.chainId !== chainId) f.about(nodes[i]!.report, `${targets[i]!.name} is on chain ${s.chainId}, not ${chainId}`);
  }
  if (honest.length === 0) f.problem("no honest node answered; nothing to check");
  else if (live.length < 2) f.note(`only ${live.length} node answered; nothing to compare it with`);

  const from = Math.max(1, options.from ?? 1);
  const lowest = honest.length === 0 ? 0 : Math.min(...honest.map((n) => n.report.height!));
  const to = Math.min(options.to ?? lowest, lowest);
  // One block below `from` gives the parent link of the first checked block.
  const start = from > 1 ? from - 1 : 1;
  for (const n of live) n.end = Math.min(to, n.report.height!);

  // Acks: by height, checked as each height goes by.
  const acks = { total: 0, checked: 0, outOfRange: 0, fromNonHonest: 0, badLines: 0 };
  const acksAt = new Map<number, Map<string, string>>();
  const ackedHeight = new Map<string, TxAck>();
  const nonHonest = new Set(targets.filter((t) => !t.honest).map((t) => t.name));
  const allAcks: TxAck[] = [...(options.acks ?? [])];
  if (options.acksFile !== undefined) {
    try {
      const read = await readAcks(options.acksFile);
      allAcks.push(...read.acks);
      acks.badLines = read.bad;
    } catch (err) {
      f.problem(`cannot read the acks file ${options.acksFile}: ${message(err)}`);
    }
  }
  for (const a of allAcks) {
    acks.total++;
    if (nonHonest.has(a.node)) {
      acks.fromNonHonest++;
      continue;
    }
    const earlier = ackedHeight.get(a.id);
    if (earlier !== undefined) {
      if (earlier.height !== a.height) f.problem(`tx ${a.id} was acknowledged at height ${earlier.height} by ${earlier.node} and at ${a.height} by ${a.node}`);
      continue;
    }
    ackedHeight.set(a.id, a);
    if (a.height < from || a.height > to) {
      acks.outOfRange++;
      continue;
    }
    acks.checked++;
    let m = acksAt.get(a.height);
    if (m === undefined) acksAt.set(a.height, (m = new Map()));
    m.set(a.id, a.node);
  }

  const window = Math.max(1, options.concurrency ?? 4);
  const rangeOf = (n: NodeState, first: number): Promise<readonly TriadBlockJson[] | Error> => {
    let p = n.ahead.get(first);
    if (p === undefined) {
      p = fetchRange(n.source, first, Math.min(first + RANGE - 1, n.end)).catch((err: unknown) => new Error(message(err)));
      n.ahead.set(first, p);
    }
    return p;
  };
  const sets = new SetCache();
  const txAt = new Map<string, number>();
  let sealsVerified = 0;
  const failed = new Set<NodeState>();

  for (let first = start; first <= to; first += RANGE) {
    const active = live.filter((n) => n.end >= first && !failed.has(n));
    // Keep `window` ranges in flight per node, this one included.
    for (const n of active) for (let k = 0; k < window && first + k * RANGE <= n.end; k++) void rangeOf(n, first + k * RANGE);
    const got = await Promise.all(active.map((n) => rangeOf(n, first)));
    for (const n of active) n.ahead.delete(first);
    const ranges = new Map<NodeState, readonly TriadBlockJson[]>();
    got.forEach((r, i) => {
      const n = active[i]!;
      if (r instanceof Error) {
        f.about(n.report, `${n.report.name}: cannot read blocks from ${first}: ${r.message}`);
        failed.add(n);
      } else ranges.set(n, r);
    });
    const verified = new Map<string, boolean>();
    await preVerify(chainId, ranges.values(), verified);
    const last = Math.min(first + RANGE - 1, to);
    for (let h = first; h <= last; h++) {
      const held: { n: NodeState; b: TriadBlockJson }[] = [];
      for (const [n, blocks] of ranges) {
        if (h > n.end) continue;
        const b = blocks[h - first];
        if (b === undefined) {
          f.about(n.report, `${n.report.name}: block ${h} is missing from its answer`);
          ranges.delete(n);
          continue;
        }
        held.push({ n, b });
      }
      await checkHeight(h, h < from, held, { chainId, sets, f, txAt, acksAt, verified, sealsVerified: (k) => (sealsVerified += k) });
    }
  }

  for (const n of nodes) n.report.verdict = verdict(n.report);
  const ok = f.problems.length === 0 && f.omitted === 0;
  return {
    ok,
    chainId,
    from,
    to,
    nodes: nodes.map((n) => n.report),
    sealsVerified,
    txs: txAt.size,
    acks,
    problems: f.problems,
    problemsOmitted: f.omitted,
    notes: f.notes,
    elapsedMs: Math.round(performance.now() - started),
  };
}

interface HeightContext {
  readonly chainId: string;
  readonly sets: SetCache;
  readonly f: Findings;
  readonly txAt: Map<string, number>;
  readonly acksAt: Map<number, Map<string, string>>;
  /** Signature checks done, by signatureKey. */
  readonly verified: Map<string, boolean>;
  sealsVerified(k: number): void;
}

async function checkHeight(h: number, linkOnly: boolean, held: readonly { n: NodeState; b: TriadBlockJson }[], ctx: HeightContext): Promise<void> {
  const { f } = ctx;
  // Parent links first: each node against its own previous block.
  for (const { n, b } of held) {
    if (n.prev !== null && b.parent_hash !== n.prev) f.about(n.report, `${n.report.name}: block ${h} has parent ${b.parent_hash}, its block ${h - 1} is ${n.prev}`);
    n.prev = b.hash;
  }
  if (linkOnly) return;

  // The honest nodes' block: the hash most of them hold (the first seen on a tie).
  const byHash = new Map<string, string[]>();
  for (const { n, b } of held) if (n.report.honest) byHash.set(b.hash, [...(byHash.get(b.hash) ?? []), n.report.name]);
  let reference: string | null = null;
  for (const [hash, names] of byHash) if (reference === null || names.length > byHash.get(reference)!.length) reference = hash;
  if (byHash.size > 1) {
    const sides = [...byHash].map(([hash, names]) => `${names.join(",")} ${hash}`).join("; ");
    f.problem(`fork at height ${h}: ${sides}`);
    for (const { n, b } of held) if (n.report.honest && b.hash !== reference) n.report.problems++;
  } else {
    const apps = new Map<string, string[]>();
    for (const { n, b } of held) if (n.report.honest) apps.set(b.app_hash, [...(apps.get(b.app_hash) ?? []), n.report.name]);
    if (apps.size > 1) f.problem(`app hashes differ at height ${h}: ${[...apps].map(([a, names]) => `${names.join(",")} ${a}`).join("; ")}`);
  }

  // Seals: a signature several nodes hold is verified once (most were, ahead, by preVerify).
  await Promise.all(
    held.map(async ({ n, b }) => {
      const r = n.report;
      r.blocksChecked++;
      r.txs += b.tx_ids.length;
      if (!r.honest && reference !== null && b.hash !== reference) {
        r.divergentBlocks++;
        if (r.divergedAt === null) {
          r.divergedAt = h;
          f.note(`${r.name} (not honest) holds block ${b.hash} at height ${h}, the honest nodes ${reference}`);
        }
      }
      let set: ValidatorSet;
      try {
        set = await ctx.sets.get(b.validators_hash, h, n.source);
      } catch (err) {
        f.about(r, `${r.name}: block ${h}: ${message(err)}`);
        return;
      }
      try {
        const signers = verifyBlockSeal(ctx.chainId, set, b, ctx.verified);
        r.seals++;
        ctx.sealsVerified(signers);
      } catch (err) {
        f.about(r, `${r.name}: the seal of block ${h} does not verify: ${message(err)}`);
      }
    }),
  );

  // Txs: once per height, from the honest nodes' block.
  const ref = held.find(({ n, b }) => n.report.honest && b.hash === reference);
  if (ref !== undefined) {
    for (const id of ref.b.tx_ids) {
      const seen = ctx.txAt.get(id);
      if (seen !== undefined) f.problem(`tx ${id} is in the chain twice: at heights ${seen} and ${h}`);
      else ctx.txAt.set(id, h);
    }
  }
  const acked = ctx.acksAt.get(h);
  if (acked !== undefined) {
    for (const { n, b } of held) {
      if (!n.report.honest) continue;
      const ids = new Set(b.tx_ids);
      for (const [id, by] of acked) {
        n.report.ackedChecked++;
        if (ids.has(id)) n.report.ackedFound++;
        else f.problem(`${n.report.name}: tx ${id}, acknowledged by ${by} at height ${h}, is not in its block ${h}`, n.report);
      }
    }
    ctx.acksAt.delete(h);
  }
}

function verdict(r: NodeReport): string {
  if (!r.reachable) return "down";
  if (r.honest) return r.problems === 0 ? "ok" : `FAIL (${r.problems})`;
  if (r.divergedAt !== null) return `diverges from ${r.divergedAt} (${r.divergentBlocks} blocks)`;
  return r.problems === 0 ? "agrees" : `${r.problems} problems (not counted)`;
}

/** A manifest node the check must hold to agreement: not Byzantine, not a twin's copy. */
export function isHonestNode(node: TestnetNodeInfo): boolean {
  return (node.byzantine === undefined || node.byzantine.length === 0) && node.twinOf === undefined;
}

export function manifestTargets(manifest: TestnetManifest): CheckTarget[] {
  return manifest.nodes.map((n) => ({ name: n.name, rpc: n.rpc, honest: isHonestNode(n) }));
}

/** The check of a local testnet from its manifest (chain id from the manifest). */
export function checkTestnet(manifest: TestnetManifest, options: Omit<NetworkCheckOptions, "chainId"> = {}): Promise<CheckReport> {
  return checkNetwork(manifestTargets(manifest), { ...options, chainId: manifest.chainId });
}

/** @deprecated kept for callers of the old options type */
export type CheckOptions = Omit<NetworkCheckOptions, "chainId">;
