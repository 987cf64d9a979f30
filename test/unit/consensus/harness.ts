// A deterministic in-test cluster: n replicas over a FIFO queue, every action answered the way a
// driver would (persist-vote recorded, broadcasts delivered to the others, build-block and
// validate-block answered, append-block turned into block-appended after checking the seal).
// No network, no clock: plain loops over step().
import { expect } from "vitest";
import { bytesEqual, toHex } from "../../../src/chain/encoding.js";
import { makeBlock, txRoot, type Block } from "../../../src/chain/block.js";
import { sha256 } from "../../../src/chain/hash.js";
import { devKeyPair } from "../../../src/chain/keys.js";
import { verifySeal, type Seal } from "../../../src/chain/seal.js";
import { Signer, verifyDomain } from "../../../src/chain/signature.js";
import { fromHex } from "../../../src/chain/encoding.js";
import { validatorSet, type ValidatorId, type ValidatorSet } from "../../../src/chain/validator-set.js";
import type { SignDomain } from "../../../src/chain/domain.js";
import type { Action, Input } from "../../../src/consensus/io.js";
import {
  encodeMessage,
  newViewPayload,
  viewChangePayload,
  votePayload,
  type Commit,
  type ConsensusMessage,
  type NewView,
  type PrePrepare,
  type Prepare,
  type PreparedCertificate,
  type ViewChange,
} from "../../../src/consensus/messages.js";
import type { OwnCertificate, ReplicaConfig, ReplicaCrypto } from "../../../src/consensus/replica-config.js";
import { Replica } from "../../../src/consensus/replica.js";

export const CHAIN_ID = "triad-test";
export const GENESIS_HASH = sha256(new TextEncoder().encode("genesis"));
export const PARAMS: ReplicaConfig["params"] = { viewChangeTimeoutTicks: 8, maxViewChangeTimeoutTicks: 64, emptyBlockIntervalTicks: 0 };

/** The stub selection: round-robin over the sorted members. */
export const roundRobin: ReplicaConfig["selection"] = {
  primary: (set, height, view) => set.members[(height + view) % set.members.length]!,
};

export interface Key {
  readonly id: ValidatorId;
  readonly signer: Signer;
}

/** `count` dev keys, sorted by id so key i is members[i] and primary(h, v) = keys[(h + v) % n]. */
export function makeKeys(count: number, prefix = "validator-"): Key[] {
  const keys = Array.from({ length: count }, (_, i) => {
    const signer = new Signer(devKeyPair(prefix + i).secretKey);
    return { id: signer.id, signer };
  });
  return keys.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

const verdicts = new Map<string, boolean>();

export function cryptoFor(key: Key | null, chainId = CHAIN_ID): ReplicaCrypto & { verifies: number } {
  const crypto = {
    verifies: 0,
    sign(domain: SignDomain, payload: Uint8Array): Uint8Array {
      if (key === null) throw new Error("an observer never signs");
      return key.signer.signDomain(domain, chainId, payload);
    },
    verify(domain: SignDomain, payload: Uint8Array, signature: Uint8Array, signer: ValidatorId): boolean {
      crypto.verifies++;
      // Shared across the test's replicas, as a driver's cache may be: they all check the same votes.
      const key = `${chainId}|${domain}|${signer}|${toHex(signature)}|${toHex(payload)}`;
      let ok = verdicts.get(key);
      if (ok === undefined) {
        ok = verifyDomain(domain, chainId, payload, signature, fromHex(signer));
        if (verdicts.size > 200_000) verdicts.clear();
        verdicts.set(key, ok);
      }
      return ok;
    },
  };
  return crypto;
}

export function makeTestBlock(height: number, view: number, parentHash: Uint8Array, proposer: ValidatorId, salt = 0): Block {
  return makeBlock(
    {
      chainId: CHAIN_ID,
      height,
      view,
      parentHash,
      timestamp: 1_000 * height + salt,
      proposer,
      txRoot: txRoot([]),
      stateRoot: sha256(Uint8Array.of(salt & 0xff, height & 0xff)),
      validatorsHash: new Uint8Array(32),
    },
    [],
  );
}

// ---- hand-made messages -------------------------------------------------------------------------

export function prePrepare(key: Key, height: number, view: number, block: Block): PrePrepare {
  const signature = key.signer.signDomain("pre-prepare", CHAIN_ID, votePayload(height, view, block.hash));
  return { type: "pre-prepare", chainId: CHAIN_ID, height, view, block, from: key.id, signature };
}

export function prepare(key: Key, height: number, view: number, blockHash: Uint8Array): Prepare {
  const signature = key.signer.signDomain("prepare", CHAIN_ID, votePayload(height, view, blockHash));
  return { type: "prepare", chainId: CHAIN_ID, height, view, blockHash, from: key.id, signature };
}

export function commit(key: Key, height: number, view: number, blockHash: Uint8Array): Commit {
  const signature = key.signer.signDomain("commit", CHAIN_ID, votePayload(height, view, blockHash));
  return { type: "commit", chainId: CHAIN_ID, height, view, blockHash, from: key.id, signature };
}

export function certificate(keys: readonly Key[], height: number, view: number, blockHash: Uint8Array): PreparedCertificate {
  return { view, blockHash, prepares: keys.map((k) => ({ from: k.id, signature: prepare(k, height, view, blockHash).signature })) };
}

export function viewChange(key: Key, height: number, newView: number, prepared: PreparedCertificate | null, preparedBlock: Block | null = null): ViewChange {
  const signature = key.signer.signDomain("view-change", CHAIN_ID, viewChangePayload(height, newView, prepared));
  return { type: "view-change", chainId: CHAIN_ID, height, newView, prepared, preparedBlock, from: key.id, signature };
}

export function newView(key: Key, height: number, view: number, viewChanges: readonly ViewChange[], chosen: Uint8Array | null): NewView {
  const stripped = viewChanges.map((vc) => ({ ...vc, preparedBlock: null }));
  const signature = key.signer.signDomain("new-view", CHAIN_ID, newViewPayload(height, view, stripped, chosen));
  return { type: "new-view", chainId: CHAIN_ID, height, view, viewChanges: stripped, chosenBlockHash: chosen, from: key.id, signature };
}

// ---- action checks ------------------------------------------------------------------------------

export function messageKey(m: ConsensusMessage): string {
  return toHex(encodeMessage(m));
}

/**
 * The durability contract: every own message broadcast or sent was persisted, and a persist-vote
 * in this step comes before the broadcast of the same message. Messages are compared by identity:
 * the replica sends the very object it persisted (or, after a restart, the one it was given back).
 */
export function expectPersistedBeforeSent(self: ValidatorId | null, actions: readonly Action[], persistedBefore: ReadonlySet<ConsensusMessage>): void {
  const persisted = new Set<ConsensusMessage>();
  for (const a of actions) {
    if (a.type === "persist-vote") persisted.add(a.message);
    if ((a.type === "broadcast" || a.type === "send") && a.message.from === self) {
      expect(persisted.has(a.message) || persistedBefore.has(a.message), `${a.message.type} sent before it was persisted`).toBe(true);
    }
  }
}

export const of = <T extends Action["type"]>(actions: readonly Action[], type: T): Extract<Action, { type: T }>[] =>
  actions.filter((a): a is Extract<Action, { type: T }> => a.type === type);

/** One value per (height, view, phase) among everything a node persisted or sent as its own. */
export function expectNoDoubleSigning(persisted: readonly ConsensusMessage[], log: readonly Action[], self: string): void {
  const bySlot = new Map<string, string>();
  const own = [...persisted, ...log.flatMap((a) => (a.type === "broadcast" || a.type === "send" ? [a.message] : []))].filter((m) => m.from === self);
  for (const m of own) {
    const view = m.type === "view-change" ? m.newView : m.view;
    const slot = `${m.height}/${view}/${m.type}`;
    const value = messageKey(m);
    const seen = bySlot.get(slot);
    if (seen === undefined) bySlot.set(slot, value);
    else expect(value, `two different ${m.type}s at ${slot}`).toBe(seen);
  }
}

// ---- the cluster --------------------------------------------------------------------------------

export interface Node {
  readonly key: Key | null;
  readonly id: ValidatorId;
  replica: Replica;
  /** Everything this node persisted (its VoteStore). */
  persisted: ConsensusMessage[];
  /** The prepared certificates persisted with its commits (in the same record). */
  certificates: OwnCertificate[];
  persistedSet: Set<ConsensusMessage>;
  /** Appended blocks with their seals, from height 1. */
  chain: { block: Block; seal: Seal }[];
  faults: Extract<Action, { type: "report-fault" }>[];
  syncRequests: Extract<Action, { type: "request-sync" }>[];
  viewChanges: Extract<Action, { type: "view-changed" }>[];
  /** Every action this node emitted, in order. */
  log: Action[];
  crypto: ReturnType<typeof cryptoFor>;
}

export interface Envelope {
  readonly from: ValidatorId;
  readonly to: ValidatorId;
  readonly input: Input;
}

export interface ClusterOptions {
  readonly params?: ReplicaConfig["params"];
  readonly observers?: number;
  /** Answer build-block with null unless allowEmpty (no transactions are waiting). */
  readonly noTxs?: boolean;
}

export class Cluster {
  readonly keys: Key[];
  readonly validators: ValidatorSet;
  readonly nodes = new Map<ValidatorId, Node>();
  readonly params: ReplicaConfig["params"];
  queue: Envelope[] = [];
  /** build-block answers wait for the next tick (a driver builds asynchronously; this also keeps one drain finite). */
  pendingBuilds: Envelope[] = [];
  /** Return false to drop a message between two nodes. */
  filter: (from: ValidatorId, to: ValidatorId, m: ConsensusMessage) => boolean = () => true;
  /** Nodes whose messages never leave them (a silent replica: it still runs, stores and appends). */
  readonly silent = new Set<ValidatorId>();
  /** Answer validate-block with valid: false for these block ids. */
  readonly invalidBlocks = new Set<string>();
  noTxs: boolean;

  constructor(n: number, options: ClusterOptions = {}) {
    this.params = options.params ?? PARAMS;
    this.noTxs = options.noTxs ?? false;
    this.keys = makeKeys(n);
    this.validators = validatorSet(this.keys.map((k) => k.id));
    for (const key of this.keys) this.addNode(key, key.id);
    for (let i = 0; i < (options.observers ?? 0); i++) this.addNode(null, `observer-${i}`);
  }

  private addNode(key: Key | null, id: ValidatorId): void {
    const crypto = cryptoFor(key);
    const node: Node = {
      key, id, persisted: [], certificates: [], persistedSet: new Set(), chain: [], faults: [], syncRequests: [], viewChanges: [], log: [], crypto,
      replica: new Replica(this.config(key), crypto, { head: { height: 0, hash: GENESIS_HASH, timestamp: 0 }, validators: this.validators, ownVotes: [] }),
    };
    this.nodes.set(id, node);
  }

  config(key: Key | null): ReplicaConfig {
    return { chainId: CHAIN_ID, self: key === null ? null : key.id, params: this.params, selection: roundRobin };
  }

  node(i: number): Node {
    return this.nodes.get(this.keys[i]!.id)!;
  }

  head(node: Node): { height: number; hash: Uint8Array } {
    const last = node.chain[node.chain.length - 1];
    return last === undefined ? { height: 0, hash: GENESIS_HASH } : { height: last.block.header.height, hash: last.block.hash };
  }

  /** Crash and restart `node` from its store: head and persisted own votes. */
  restart(node: Node): void {
    const head = this.head(node);
    node.crypto = cryptoFor(node.key);
    node.replica = new Replica(this.config(node.key), node.crypto, {
      head: { height: head.height, hash: head.hash, timestamp: 0 },
      validators: this.validators,
      ownVotes: node.persisted,
      ownCertificates: node.certificates,
    });
    this.queue = this.queue.filter((e) => e.to !== node.id);
  }

  /** Step one node and carry out its actions as a driver would. */
  step(node: Node, input: Input): Action[] {
    const actions = node.replica.step(input);
    expectPersistedBeforeSent(node.key?.id ?? null, actions, node.persistedSet);
    node.log.push(...actions);
    for (const a of actions) {
      if (this.silent.has(node.id) && (a.type === "broadcast" || a.type === "send")) continue;
      this.carry(node, a);
    }
    return actions;
  }

  private carry(node: Node, a: Action): void {
    switch (a.type) {
      case "persist-vote":
        node.persisted.push(a.message);
        node.persistedSet.add(a.message);
        if (a.prepared !== undefined) node.certificates.push({ height: a.height, ...a.prepared });
        break;
      case "broadcast":
        for (const other of this.nodes.values()) {
          if (other !== node && this.filter(node.id, other.id, a.message)) this.queue.push({ from: node.id, to: other.id, input: { type: "message", message: a.message } });
        }
        break;
      case "send":
        if (this.filter(node.id, a.to, a.message)) this.queue.push({ from: node.id, to: a.to, input: { type: "message", message: a.message } });
        break;
      case "build-block": {
        const head = this.head(node);
        const block = this.noTxs && !a.allowEmpty ? null : makeTestBlock(a.height, a.view, head.hash, node.id);
        this.pendingBuilds.push({ from: node.id, to: node.id, input: { type: "block-built", height: a.height, view: a.view, block } });
        break;
      }
      case "validate-block":
        this.queue.push({
          from: node.id,
          to: node.id,
          input: { type: "block-validated", height: a.height, view: a.view, blockHash: a.block.hash, valid: !this.invalidBlocks.has(a.block.id) },
        });
        break;
      case "append-block": {
        const head = this.head(node);
        const had = node.chain[a.block.header.height - 1];
        if (had !== undefined) {
          // Sync got there first (a driver's store would refuse the duplicate).
          expect(had.block.id).toBe(a.block.id);
          break;
        }
        expect(a.block.header.height).toBe(head.height + 1);
        expect(bytesEqual(a.block.header.parentHash, head.hash)).toBe(true);
        verifySeal(a.seal, CHAIN_ID, this.validators, a.block.header.height, a.block.hash);
        node.chain.push({ block: a.block, seal: a.seal });
        this.queue.push({
          from: node.id,
          to: node.id,
          input: { type: "block-appended", height: a.block.header.height, blockHash: a.block.hash, timestamp: a.block.header.timestamp, nextValidators: this.validators },
        });
        break;
      }
      case "report-fault":
        node.faults.push(a);
        break;
      case "request-sync":
        node.syncRequests.push(a);
        if (this.syncEnabled) this.sync(node, a.peers);
        break;
      case "view-changed":
        node.viewChanges.push(a);
        break;
    }
  }

  /** Answer request-sync by copying sealed blocks from the named peers (off by default). */
  syncEnabled = false;

  /** What a driver's sync does: fetch the peers' sealed blocks above our head, check, append. */
  sync(node: Node, peers: readonly ValidatorId[]): void {
    for (const peerId of peers) {
      const peer = this.nodes.get(peerId);
      if (peer === undefined) continue;
      for (const { block, seal } of peer.chain) {
        if (block.header.height !== node.chain.length + 1) continue;
        verifySeal(seal, CHAIN_ID, this.validators, block.header.height, block.hash);
        node.chain.push({ block, seal });
        this.queue.push({
          from: node.id,
          to: node.id,
          input: { type: "block-appended", height: block.header.height, blockHash: block.hash, timestamp: block.header.timestamp, nextValidators: this.validators },
        });
      }
    }
  }

  /** Deliver queued inputs until the queue is empty. */
  drain(limit = 1_000_000): void {
    let steps = 0;
    while (this.queue.length > 0) {
      if (++steps > limit) throw new Error("queue did not drain");
      const e = this.queue.shift()!;
      this.step(this.nodes.get(e.to)!, e.input);
    }
  }

  /** One tick for every node, then deliver everything. */
  tick(): void {
    this.queue.push(...this.pendingBuilds);
    this.pendingBuilds = [];
    this.drain();
    for (const node of this.nodes.values()) this.step(node, { type: "tick" });
    this.drain();
  }

  /** Tick until `done` holds; the number of ticks it took. */
  runUntil(done: () => boolean, maxTicks = 1_000): number {
    for (let t = 0; t < maxTicks; t++) {
      if (done()) return t;
      this.tick();
    }
    if (done()) return maxTicks;
    throw new Error(`not done after ${maxTicks} ticks`);
  }

  /** Every node in `ids` (default: all validators not silenced) has appended `height` blocks. */
  reached(height: number, nodes: readonly Node[] = [...this.nodes.values()].filter((n) => !this.silent.has(n.id))): boolean {
    return nodes.every((n) => n.chain.length >= height);
  }

  /** Safety: no two nodes appended different blocks at one height. */
  expectAgreement(): void {
    const byHeight = new Map<number, string>();
    for (const node of this.nodes.values()) {
      for (const { block } of node.chain) {
        const h = block.header.height;
        const seen = byHeight.get(h);
        if (seen === undefined) byHeight.set(h, block.id);
        else expect(block.id, `fork at height ${h}`).toBe(seen);
      }
    }
  }
}

/** A lone replica (key index `index` of `keys`) at height 1, for feeding hand-made messages. */
export function loneReplica(keys: readonly Key[], index: number | null, params = PARAMS) {
  const validators = validatorSet(keys.map((k) => k.id));
  const key = index === null ? null : keys[index]!;
  const crypto = cryptoFor(key);
  const config: ReplicaConfig = { chainId: CHAIN_ID, self: key === null ? null : key.id, params, selection: roundRobin };
  const replica = new Replica(config, crypto, { head: { height: 0, hash: GENESIS_HASH, timestamp: 0 }, validators, ownVotes: [] });
  return { replica, crypto, validators, config, key };
}
