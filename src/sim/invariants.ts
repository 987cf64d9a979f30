// What must hold over the honest replicas after every event, whatever the network and the
// Byzantine validators do: agreement, a valid chain, integrity of txs, durability across
// restarts, monotonic signing, and one validator set per height on every honest replica (safety);
// and in the liveness phase, progress (runner.ts). Observers are checked as replicas too.
// Byzantine validators (and both copies of a twin) are not checked: they may do anything.
import {
  bytesEqual,
  commitPayload,
  encodeSeal,
  isMember,
  quorumSize,
  toHex,
  validatorsHash,
  verifySeal,
  type BlockStore,
  type Seal,
  type SignDomain,
  type StoredBlock,
  type ValidatorId,
  type ValidatorSet,
} from "../chain/index.js";
import type { Action } from "../consensus/io.js";
import { signedPayload } from "../consensus/messages.js";

export const INVARIANTS = ["agreement", "chain-validity", "integrity", "durability", "monotonic-signing", "validator-set", "liveness", "assertion"] as const;
export type InvariantName = (typeof INVARIANTS)[number];

export interface Violation {
  readonly invariant: InvariantName;
  /** Virtual ms. */
  readonly time: number;
  /** The validator index of the replica it was seen on (null: the cluster as a whole). */
  readonly node: number | null;
  readonly height: number | null;
  readonly detail: string;
}

/** An honest replica as the checker sees it. */
export interface CheckedNode {
  readonly index: number;
  readonly id: ValidatorId;
  readonly store: BlockStore;
  /** False while crashed: its store is closed. */
  readonly up: boolean;
}

interface NodeChain {
  height: number;
  hash: Uint8Array;
}

/** The standing as text, so two replicas' sets compare by value. */
function standingKey(set: ValidatorSet): string {
  return (set.standing ?? []).map((e) => `|${e.validator}/${e.failures}/${e.lastFailure}/${e.suspended ? 1 : 0}${e.signed ? 1 : 0}`).join("");
}

/** At most this many violations are kept: the first one is what a replay needs. */
const MAX_VIOLATIONS = 32;

export class InvariantChecker {
  readonly violations: Violation[] = [];
  /** height → the first block hash an honest replica appended there, and who. */
  private readonly decided = new Map<number, { readonly hash: string; readonly node: number }>();
  /** Per honest replica: what it has appended (survives its restarts: the checker is outside it). */
  private readonly chains = new Map<number, NodeChain>();
  private readonly txHeights = new Map<string, number>();
  /** validator id → "height/view/phase" → hex of the signed payload. */
  private readonly signed = new Map<ValidatorId, Map<string, string>>();
  /** Seals already verified ("seal bytes/set hash/block"), and blocks whose first seal verifySeal passed. */
  private readonly sealsOk = new Set<string>();
  /** height → the validator set the first honest replica to know it had in force there. */
  private readonly sets = new Map<number, { readonly set: ValidatorSet; readonly hash: string; readonly node: number }>();

  constructor(
    private readonly chainId: string,
    private readonly genesisHash: Uint8Array,
    private readonly now: () => number,
    /** Signature checks, through the cache the replicas share. */
    private readonly verify: (domain: SignDomain, chainId: string, payload: Uint8Array, signature: Uint8Array, signer: ValidatorId) => boolean,
    /** How set changes are described (validator id → v<index>). */
    private readonly names: ReadonlyMap<ValidatorId, string> = new Map(),
  ) {}

  get ok(): boolean {
    return this.violations.length === 0;
  }

  private fail(invariant: InvariantName, node: number | null, height: number | null, detail: string): void {
    if (this.violations.length < MAX_VIOLATIONS) this.violations.push({ invariant, time: this.now(), node, height, detail });
  }

  private chainOf(index: number): NodeChain {
    let chain = this.chains.get(index);
    if (chain === undefined) {
      chain = { height: 0, hash: this.genesisHash };
      this.chains.set(index, chain);
    }
    return chain;
  }

  /** An honest replica appended a block (by consensus or by sync). */
  onAppended(node: CheckedNode, stored: StoredBlock): void {
    const { block } = stored;
    const height = block.header.height;
    const chain = this.chainOf(node.index);

    // Agreement: one block hash per height across every honest replica and every restart.
    const first = this.decided.get(height);
    if (first === undefined) this.decided.set(height, { hash: block.id, node: node.index });
    else if (first.hash !== block.id) {
      this.fail("agreement", node.index, height, `appended ${block.id.slice(0, 16)} at height ${height}, validator ${first.node} appended ${first.hash.slice(0, 16)}`);
    }

    // Chain validity: heights in order, parent links, and a seal from a quorum of the set in force.
    if (height !== chain.height + 1) {
      this.fail("chain-validity", node.index, height, `appended height ${height} after ${chain.height}`);
    } else if (!bytesEqual(block.header.parentHash, chain.hash)) {
      this.fail("chain-validity", node.index, height, `block ${height} does not link to the block it appended at ${chain.height}`);
    }
    const set = this.checkSet(node, height);
    if (set !== null && !bytesEqual(block.header.validatorsHash, validatorsHash(set))) {
      this.fail("chain-validity", node.index, height, `block ${height} names validators ${toHex(block.header.validatorsHash).slice(0, 16)}, the set in force is ${toHex(validatorsHash(set)).slice(0, 16)}`);
    }
    // The set its append put in force for the next height.
    this.checkSet(node, height + 1);
    if (set !== null) this.checkSeal(node, stored, set);
    this.checkLastCommit(node, stored);
    chain.height = height;
    chain.hash = block.hash;

    // Integrity: a tx id appears at most once in the chain.
    const inBlock = new Set<string>();
    for (const tx of block.txs) {
      if (inBlock.has(tx.id)) this.fail("integrity", node.index, height, `tx ${tx.id.slice(0, 16)} appears twice in block ${height}`);
      inBlock.add(tx.id);
      const at = this.txHeights.get(tx.id);
      if (at === undefined) this.txHeights.set(tx.id, height);
      else if (at !== height) this.fail("integrity", node.index, height, `tx ${tx.id.slice(0, 16)} appended at height ${height} and at height ${at}`);
    }
  }

  /**
   * The seal must verify against the set in force at its height (the store's, which an honest
   * replica keeps). The first seal of each block goes through the chain's own verifySeal; the
   * other replicas' seals for it (different quorums of the same commits) are checked by the same
   * rules with signatures through the shared verify cache, where the replicas already put them.
   */
  private checkSeal(node: CheckedNode, stored: StoredBlock, set: ValidatorSet): void {
    const { block, seal } = stored;
    const height = block.header.height;
    const setKey = toHex(validatorsHash(set));
    const key = `${toHex(encodeSeal(seal))}/${setKey}/${block.id}`;
    if (this.sealsOk.has(key)) return;
    const firstKey = `${block.id}/${setKey}`;
    try {
      if (!this.sealsOk.has(firstKey)) {
        verifySeal(seal, this.chainId, set, height, block.hash);
        this.sealsOk.add(firstKey);
      } else {
        this.checkSealCached(seal, set, height, block.hash);
      }
      this.sealsOk.add(key);
    } catch (err) {
      this.fail("chain-validity", node.index, height, `seal of block ${height} does not verify: ${(err as Error).message}`);
    }
  }

  /**
   * The set this replica has in force at `height` must be the one every other honest replica has
   * (the first seen, across replicas and restarts); returns that agreed set (null: none known).
   */
  private checkSet(node: CheckedNode, height: number): ValidatorSet | null {
    let mine: ValidatorSet;
    try {
      mine = node.store.validatorsAt(height);
    } catch (err) {
      this.fail("validator-set", node.index, height, `no validator set for height ${height}: ${(err as Error).message}`);
      return null;
    }
    // The proposer standing decides the primary, so it must agree as the members do.
    const hash = `${toHex(validatorsHash(mine))}${standingKey(mine)}`;
    const first = this.sets.get(height);
    if (first === undefined) {
      this.sets.set(height, { set: mine, hash, node: node.index });
      return mine;
    }
    if (first.hash !== hash) {
      this.fail("validator-set", node.index, height, `has set ${hash.slice(0, 16)} (${this.describe(mine)}) at height ${height}, validator ${first.node} had ${first.hash.slice(0, 16)} (${this.describe(first.set)})`);
    }
    return first.set;
  }

  private describe(set: ValidatorSet): string {
    const members = set.members.map((m) => this.names.get(m) ?? m.slice(0, 8)).join(" ");
    const out = (set.standing ?? []).filter((e) => e.suspended).map((e) => this.names.get(e.validator) ?? e.validator.slice(0, 8));
    return out.length === 0 ? members : `${members}; suspended ${out.join(" ")}`;
  }

  /**
   * Who the honest replicas' chain suspended from being primary, and when they came back:
   * "h12: -v2" (suspended from height 12 on), "h40: +v2" (eligible again), in height order.
   */
  standingChanges(): string[] {
    const out: string[] = [];
    const heights = [...this.sets.keys()].sort((a, b) => a - b);
    const suspended = (set: ValidatorSet): Set<ValidatorId> => new Set((set.standing ?? []).filter((e) => e.suspended).map((e) => e.validator));
    for (let i = 1; i < heights.length; i++) {
      const h = heights[i]!;
      if (heights[i - 1] !== h - 1) continue;
      const before = suspended(this.sets.get(h - 1)!.set);
      const after = suspended(this.sets.get(h)!.set);
      const name = (m: ValidatorId): string => this.names.get(m) ?? m.slice(0, 8);
      const changes = [...[...after].filter((m) => !before.has(m)).map((m) => `-${name(m)}`), ...[...before].filter((m) => !after.has(m)).map((m) => `+${name(m)}`)];
      if (changes.length > 0) out.push(`h${h}: ${changes.join(" ")}`);
    }
    return out;
  }

  /** The set changes the honest replicas put in force: "h<height>: +added -removed", in height order. */
  setChanges(): string[] {
    const out: string[] = [];
    const heights = [...this.sets.keys()].sort((a, b) => a - b);
    for (let i = 1; i < heights.length; i++) {
      const h = heights[i]!;
      const before = this.sets.get(heights[i - 1]!)!;
      const after = this.sets.get(h)!;
      if (heights[i - 1] !== h - 1 || before.hash === after.hash) continue;
      if (before.set.members.length === after.set.members.length && before.set.members.every((m, j) => m === after.set.members[j])) continue;
      const added = after.set.members.filter((m) => !before.set.members.includes(m)).map((m) => `+${this.names.get(m) ?? m.slice(0, 8)}`);
      const removed = before.set.members.filter((m) => !after.set.members.includes(m)).map((m) => `-${this.names.get(m) ?? m.slice(0, 8)}`);
      out.push(`h${h}: ${[...added, ...removed].join(" ")}`);
    }
    return out;
  }

  /**
   * The block's lastCommit must be a seal of its parent by the parent's set (none at height 1):
   * it is the agreed record of who signed, which the proposer standing reads.
   */
  private checkLastCommit(node: CheckedNode, stored: StoredBlock): void {
    const { block } = stored;
    const height = block.header.height;
    const lastCommit = block.lastCommit;
    if (height === 1 || lastCommit === null) {
      if (height !== 1 || lastCommit !== null) this.fail("chain-validity", node.index, height, `block ${height} ${lastCommit === null ? "lacks a" : "carries a"} lastCommit`);
      return;
    }
    const key = `last/${block.id}`;
    const parentSet = this.sets.get(height - 1)?.set;
    if (this.sealsOk.has(key) || parentSet === undefined) return;
    try {
      this.checkSealCached(lastCommit, parentSet, height - 1, block.header.parentHash);
      this.sealsOk.add(key);
    } catch (err) {
      this.fail("chain-validity", node.index, height, `lastCommit of block ${height} is no seal of its parent: ${(err as Error).message}`);
    }
  }

  /** verifySeal's rules, with each signature checked through the cache. */
  private checkSealCached(seal: Seal, set: ValidatorSet, height: number, blockHash: Uint8Array): void {
    if (seal.height !== height || !bytesEqual(seal.blockHash, blockHash)) throw new Error("seal is for another block");
    const seen = new Set<ValidatorId>();
    for (const c of seal.commits) {
      if (seen.has(c.validator)) throw new Error(`validator ${c.validator} signed the seal twice`);
      if (!isMember(set, c.validator)) throw new Error(`seal signer ${c.validator} is not a validator at height ${height}`);
      seen.add(c.validator);
    }
    const q = quorumSize(set.members.length);
    if (seen.size < q) throw new Error(`seal has ${seen.size} signers, quorum is ${q}`);
    const payload = commitPayload(seal.height, seal.view, seal.blockHash);
    for (const c of seal.commits) {
      if (!this.verify("commit", this.chainId, payload, c.signature, c.validator)) throw new Error(`commit signature of ${c.validator} does not verify`);
    }
  }

  /** Every action an honest replica executes: its persist-votes are what it signed. */
  onAction(node: CheckedNode, action: Action): void {
    if (action.type !== "persist-vote") return;
    const m = action.message;
    if (m.from !== node.id) {
      this.fail("monotonic-signing", node.index, action.height, `persisted a ${m.type} signed by ${m.from.slice(0, 8)}, not by itself`);
      return;
    }
    let mine = this.signed.get(node.id);
    if (mine === undefined) {
      mine = new Map();
      this.signed.set(node.id, mine);
    }
    const key = `${action.height}/${action.view}/${action.phase}`;
    const value = toHex(signedPayload(m));
    const before = mine.get(key);
    if (before === undefined) mine.set(key, value);
    else if (before !== value) {
      this.fail("monotonic-signing", node.index, action.height, `signed two different ${action.phase} values for height ${action.height} view ${action.view}`);
    }
  }

  /** A replica restarted on its stores: everything it appended must still be there. */
  async onRestart(node: CheckedNode): Promise<void> {
    const chain = this.chainOf(node.index);
    const head = node.store.head();
    if (head.height < chain.height) {
      this.fail("durability", node.index, chain.height, `restarted at height ${head.height}, had appended up to ${chain.height}`);
      return;
    }
    // The sets it rebuilt from its stores are the ones it (and everyone) used before.
    for (let h = 1; h <= head.height + 1; h++) if (this.sets.has(h)) this.checkSet(node, h);
    await this.checkStoredBlocks(node, chain.height);
  }

  /** Cheap, after every event: no honest replica's head ever moves back. */
  afterEvent(nodes: readonly CheckedNode[]): void {
    for (const node of nodes) {
      if (!node.up) continue;
      const chain = this.chains.get(node.index);
      if (chain === undefined) continue;
      const head = node.store.head();
      if (head.height < chain.height) this.fail("durability", node.index, chain.height, `head went back from ${chain.height} to ${head.height}`);
    }
  }

  /** At the end of a run: every honest store holds exactly the decided blocks. */
  async finalCheck(nodes: readonly CheckedNode[]): Promise<void> {
    for (const node of nodes) if (node.up) await this.checkStoredBlocks(node, node.store.head().height);
  }

  private async checkStoredBlocks(node: CheckedNode, upTo: number): Promise<void> {
    for (let h = 1; h <= upTo; h++) {
      const stored = await node.store.getBlock(h);
      const decided = this.decided.get(h);
      if (stored === undefined) {
        this.fail("durability", node.index, h, `block ${h} is missing from the store`);
        return;
      }
      if (decided !== undefined && decided.hash !== stored.block.id) {
        this.fail("durability", node.index, h, `stored block ${h} is ${stored.block.id.slice(0, 16)}, decided was ${decided.hash.slice(0, 16)}`);
        return;
      }
    }
  }

  /** An honest replica stopped on a broken assertion (DESIGN §5): always a bug or a safety breach. */
  assertionFailed(node: number, detail: string): void {
    this.fail("assertion", node, null, detail);
  }

  /** The runner's liveness bound was exceeded. */
  livenessFailure(detail: string): void {
    this.fail("liveness", null, null, detail);
  }
}
