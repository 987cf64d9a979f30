// The Byzantine part of a testnet, fixed when the directory is created and kept in testnet.json:
// which nodes misbehave and how, and for `twins` the second process of that validator (same key,
// own home and ports) and the two halves of the other nodes each copy is connected to. The halves
// are drawn from the seed, so the same command makes the same network.
import { Prng, type ByzantineSpec } from "../byzantine/index.js";
import type { TestnetNodeInfo } from "./manifest.js";

/** The seed when `triad testnet --byzantine` comes without `--byzantine-seed` (printed). */
export const DEFAULT_TESTNET_BYZANTINE_SEED = 9;

export interface TwinSplit {
  /** The original node (first copy) and the name of its twin (second copy). */
  readonly original: string;
  readonly twin: string;
  /** Names of the other nodes each copy is connected to. */
  readonly halves: readonly [readonly string[], readonly string[]];
}

export function twinName(original: string): string {
  return `${original}-twin`;
}

/** Split the nodes other than the twin's two copies in two, drawn from (seed, original's name). */
export function splitForTwin(seed: number, original: string, names: readonly string[]): TwinSplit {
  const twin = twinName(original);
  const others = [...names].filter((n) => n !== original && n !== twin).sort();
  const shuffled = new Prng(seed).fork(`twins/${original}`).shuffle(others);
  const cut = Math.ceil(shuffled.length / 2);
  return { original, twin, halves: [shuffled.slice(0, cut), shuffled.slice(cut)] };
}

/**
 * The peers node `self` dials (its config's p2p.peers) and, for a twin's copy, the validator ids
 * it alone admits: a copy sees its half only; any other node sees the copy of each twin whose
 * half it is in.
 */
export function peersOf(self: TestnetNodeInfo, nodes: readonly TestnetNodeInfo[], splits: readonly TwinSplit[]): { peers: TestnetNodeInfo[]; onlyPeers?: string[] } {
  const own = splits.find((s) => s.original === self.name || s.twin === self.name);
  let candidates = nodes.filter((n) => n.name !== self.name);
  if (own !== undefined) {
    const half = new Set(own.halves[own.original === self.name ? 0 : 1]);
    candidates = candidates.filter((n) => half.has(n.name));
  }
  for (const s of splits) {
    if (s === own) continue;
    // Which copy of that twin `self` belongs with (a node in neither half keeps the original).
    const withTwin = s.halves[1].includes(self.name);
    candidates = candidates.filter((n) => n.name !== (withTwin ? s.original : s.twin));
  }
  return own === undefined ? { peers: candidates } : { peers: candidates, onlyPeers: [...new Set(candidates.map((n) => n.id))] };
}

/** Behaviours by node name from a spec over the genesis validators' indexes. */
export function behavioursByName(spec: ByzantineSpec, validatorNames: readonly string[]): Map<string, string[]> {
  return new Map(spec.map((v) => [validatorNames[v.index]!, [...v.behaviours]]));
}

/** `triad start` flags of a manifest node: its behaviours and shared seed, or its peers as a twin copy. */
export function byzantineStartArgs(node: TestnetNodeInfo, nodes: readonly TestnetNodeInfo[]): string[] {
  const args: string[] = [];
  if (node.byzantine !== undefined && node.byzantine.length > 0) {
    const peers = [...new Set(nodes.filter((n) => n.byzantine !== undefined && n.byzantine.length > 0).map((n) => n.id))].sort();
    args.push("--byzantine", node.byzantine.join("+"), "--byzantine-seed", String(node.byzantineSeed ?? DEFAULT_TESTNET_BYZANTINE_SEED), "--byzantine-peers", peers.join(","));
  }
  if (node.onlyPeers !== undefined) args.push("--only-peers", node.onlyPeers.join(","));
  return args;
}
