// An in-memory NodeApi over real chain values: blocks made with makeBlock and sealed with real
// commit signatures from dev validator keys, txs signed with signTx and checked with verifyTx.
// Tests drive it directly (appendBlock, failNextSubmit, catchingUp) and watch it through the RPC.
import { builtinRegistry, transferKind } from "../../src/chain/builtin-kinds.js";
import type { StoredBlock, TxLocation } from "../../src/chain/block-store.js";
import { makeBlock, txRoot } from "../../src/chain/block.js";
import { MempoolError, TriadError, TxError } from "../../src/chain/errors.js";
import { utf8 } from "../../src/chain/encoding.js";
import { genesisHash, genesisTimestamp, parseGenesis, type Genesis } from "../../src/chain/genesis.js";
import { sha256 } from "../../src/chain/hash.js";
import { devKeyPair, nobleSignDomain, publicKeyHex, type KeyPair } from "../../src/chain/keys.js";
import { OK_RECEIPT, type Receipt } from "../../src/chain/receipt.js";
import { commitPayload, makeSeal } from "../../src/chain/seal.js";
import { decodeSignedTx, signTx, verifyTx, type SignedTx } from "../../src/chain/tx.js";
import { quorumSize, validatorSet, validatorsHash, type ValidatorSet } from "../../src/chain/validator-set.js";
import type {
  AccountInfo,
  ConsensusInfo,
  JsonObject,
  JsonValue,
  MempoolInfo,
  NodeApi,
  NodeStatus,
  PeerInfo,
  RoundInfo,
  SubmitResult,
  TxPage,
  TxQuery,
  TxSearchResult,
  Unsubscribe,
} from "../../src/rpc/node-api.js";

export const CHAIN_ID = "triad-rpc-test";
export const validatorKeys: KeyPair[] = [0, 1, 2, 3].map((i) => devKeyPair(`validator-${i}`));
export const accountKeys: KeyPair[] = [0, 1, 2].map((i) => devKeyPair(`account-${i}`));
export const account0 = accountKeys[0]!;
export const account1 = accountKeys[1]!;
export const INITIAL_BALANCE = 1_000_000n;

const registry = builtinRegistry();

export function testGenesis(): Genesis {
  return parseGenesis({
    chainId: CHAIN_ID,
    genesisTime: "2026-01-01T00:00:00Z",
    insecure: true,
    selection: { name: "poa" },
    validators: validatorKeys.map((k, i) => ({ id: publicKeyHex(k), name: `validator-${i}` })),
    accounts: accountKeys.map((k, i) => ({ id: publicKeyHex(k), name: `account-${i}`, balance: INITIAL_BALANCE.toString() })),
  });
}

/** A transfer from `from` to account-1, signed with noble. */
export function transferTx(from: KeyPair, nonce: number, amount = 10n, chainId = CHAIN_ID): SignedTx {
  const payload = transferKind.encode({ to: account1.publicKey, amount });
  return signTx({ chainId, from: from.publicKey, nonce, kind: "transfer", payload }, from.secretKey);
}

export class FakeNode implements NodeApi {
  readonly chainId = CHAIN_ID;
  readonly set: ValidatorSet = validatorSet(validatorKeys.map(publicKeyHex));
  readonly blocks: StoredBlock[] = [];
  readonly mempoolTxs = new Map<string, SignedTx>();
  readonly kvStore = new Map<string, Uint8Array>();
  catchingUp = false;
  view = 0;
  /** consensus_state's round detail (absent: as a node without a replica). */
  round: RoundInfo | undefined = undefined;
  /** When the first peer's connection opened (the others' are not known). */
  firstPeerConnectedAt: number | undefined = undefined;
  /** Thrown by the next submitTx instead of admitting the tx. */
  nextSubmitError: Error | null = null;
  submitCalls = 0;
  /** Answer submitTx with plain values (as the real node does when no IO is needed), not promises. */
  plainSubmit = false;
  statusCalls = 0;
  private readonly g = testGenesis();
  private readonly txIndex = new Map<string, TxLocation>();
  private readonly nonces = new Map<string, number>();
  private readonly blockListeners = new Set<(b: StoredBlock) => void>();
  private readonly txListeners = new Set<(t: TxLocation) => void>();
  private readonly waiters = new Map<string, Set<(loc: TxLocation) => void>>();

  get height(): number {
    return this.blocks.length;
  }

  get waiterCount(): number {
    let n = 0;
    for (const s of this.waiters.values()) n += s.size;
    return n;
  }

  genesis(): Genesis {
    return this.g;
  }

  status(): NodeStatus {
    this.statusCalls++;
    const head = this.blocks[this.blocks.length - 1];
    const v0 = publicKeyHex(validatorKeys[0]!);
    return {
      moniker: "fake-0",
      nodeId: "12D3KooWFakePeerIdForTests",
      nodeKey: v0,
      validatorId: v0,
      listenAddrs: ["/ip4/127.0.0.1/tcp/26656"],
      version: "0.1.0-test",
      height: this.height,
      hash: head?.block.hash ?? genesisHash(this.g),
      timestamp: head?.block.header.timestamp ?? genesisTimestamp(this.g),
      appHash: head?.block.header.stateRoot ?? sha256(utf8("genesis-state")),
      view: this.view,
      syncing: this.catchingUp,
    };
  }

  peers(): PeerInfo[] {
    return validatorKeys.slice(1).map((k, i) => ({
      peerId: `12D3KooWPeer${i + 1}`,
      validatorId: publicKeyHex(k),
      addrs: [`/ip4/10.0.0.${i + 2}/tcp/26656`],
      outbound: i % 2 === 0,
      moniker: `validator-${i + 1}`,
      ...(i === 0 && this.firstPeerConnectedAt !== undefined ? { connectedAt: this.firstPeerConnectedAt } : {}),
    }));
  }

  async getBlock(height: number): Promise<StoredBlock | undefined> {
    return this.blocks[height - 1];
  }

  async getBlockByHash(hash: string): Promise<StoredBlock | undefined> {
    return this.blocks.find((b) => b.block.id === hash);
  }

  async getTx(id: string): Promise<TxLocation | undefined> {
    return this.txIndex.get(id);
  }

  async searchTxs(query: TxQuery, page: TxPage): Promise<TxSearchResult> {
    let all = [...this.txIndex.values()].filter(
      (l) => (query.sender === undefined || l.tx.sender === query.sender) && (query.height === undefined || l.height === query.height),
    );
    all.sort((a, b) => a.height - b.height || a.index - b.index);
    if (page.order === "desc") all = all.reverse();
    return { txs: all.slice(page.offset, page.offset + page.limit), total: all.length };
  }

  validatorsAt(height: number): ValidatorSet {
    if (height < 1 || height > this.height + 1) throw new RangeError(`no validator set at ${height}`);
    return this.set;
  }

  syncing(): boolean {
    return this.catchingUp;
  }

  submitTx(bytes: Uint8Array): SubmitResult | Promise<SubmitResult> {
    if (this.plainSubmit) return this.admit(bytes);
    return Promise.resolve().then(() => this.admit(bytes));
  }

  private admit(bytes: Uint8Array): SubmitResult {
    this.submitCalls++;
    if (this.nextSubmitError !== null) {
      const err = this.nextSubmitError;
      this.nextSubmitError = null;
      throw err;
    }
    let tx: SignedTx;
    try {
      tx = decodeSignedTx(bytes);
      verifyTx(tx, this.chainId);
    } catch (err) {
      // As the mempool does: tx-level codes pass through, anything undecodable is BAD_PAYLOAD.
      if (err instanceof TxError) throw new MempoolError(err.code, err.message, { ...err.details });
      if (err instanceof TriadError) throw new MempoolError("BAD_PAYLOAD", err.message, { ...err.details });
      throw err;
    }
    const committed = this.txIndex.get(tx.id);
    if (committed !== undefined) return { id: tx.id, status: "committed", height: committed.height };
    if (this.mempoolTxs.has(tx.id)) return { id: tx.id, status: "known" };
    const next = this.nonces.get(tx.sender) ?? 0;
    if (tx.nonce < next) throw new MempoolError("STALE_NONCE", `tx ${tx.id} has nonce ${tx.nonce}, below ${next}`, { id: tx.id, expected: next, actual: tx.nonce });
    this.mempoolTxs.set(tx.id, tx);
    return { id: tx.id, status: "added" };
  }

  waitForTx(id: string, signal: AbortSignal): Promise<TxLocation> {
    const loc = this.txIndex.get(id);
    if (loc !== undefined) return Promise.resolve(loc);
    return new Promise((resolve, reject) => {
      let set = this.waiters.get(id);
      if (set === undefined) this.waiters.set(id, (set = new Set()));
      const waiter = (l: TxLocation): void => {
        signal.removeEventListener("abort", onAbort);
        resolve(l);
      };
      const onAbort = (): void => {
        set.delete(waiter);
        reject(signal.reason);
      };
      set.add(waiter);
      signal.addEventListener("abort", onAbort, { once: true });
    });
  }

  mempool(): MempoolInfo {
    let bytes = 0;
    for (const tx of this.mempoolTxs.values()) bytes += tx.bytes.length;
    return { txs: this.mempoolTxs.size, bytes };
  }

  pendingTxs(limit: number): SignedTx[] {
    return [...this.mempoolTxs.values()].slice(0, limit);
  }

  account(id: string): AccountInfo {
    const nonce = this.nonces.get(id) ?? 0;
    let pending = nonce;
    for (const tx of this.mempoolTxs.values()) if (tx.sender === id && tx.nonce === pending) pending++;
    const funded = accountKeys.some((k) => publicKeyHex(k) === id);
    return { balance: funded ? INITIAL_BALANCE : 0n, nonce, pendingNonce: pending };
  }

  kv(key: string): Uint8Array | undefined {
    return this.kvStore.get(key);
  }

  poaPendingVotes(): JsonValue {
    return [{ target: publicKeyHex(accountKeys[2]!), action: "add", votes: [publicKeyHex(validatorKeys[0]!)] }];
  }

  dbftCandidates(): JsonValue | null {
    return null;
  }

  consensusState(): ConsensusInfo {
    const h = this.height + 1;
    const c = { height: h, view: this.view, phase: "prepare", primary: this.set.members[(h + this.view) % this.set.members.length]! };
    return this.round === undefined ? c : { ...c, round: this.round };
  }

  signerMetrics(): JsonValue {
    return { validators: this.set.members.map((id) => ({ id, signed: this.height, missed: 0 })) };
  }

  describeTx(tx: SignedTx): JsonObject {
    return registry.toJSON(tx) as JsonObject;
  }

  onNewBlock(listener: (block: StoredBlock) => void): Unsubscribe {
    this.blockListeners.add(listener);
    return () => this.blockListeners.delete(listener);
  }

  onTx(listener: (tx: TxLocation) => void): Unsubscribe {
    this.txListeners.add(listener);
    return () => this.txListeners.delete(listener);
  }

  get listenerCount(): number {
    return this.blockListeners.size + this.txListeners.size;
  }

  /**
   * Append a block of `txs` (default: everything pooled) sealed by a quorum of validators;
   * emit NewBlock then each Tx, and wake broadcast_tx_commit waiters.
   */
  appendBlock(txs: readonly SignedTx[] = [...this.mempoolTxs.values()], receipts?: readonly Receipt[]): StoredBlock {
    const height = this.height + 1;
    const parent = this.blocks[this.blocks.length - 1];
    const view = 0;
    const block = makeBlock(
      {
        chainId: this.chainId,
        height,
        view,
        parentHash: parent?.block.hash ?? genesisHash(this.g),
        timestamp: genesisTimestamp(this.g) + height * 1000 + 123,
        proposer: this.set.members[(height + view) % this.set.members.length]!,
        txRoot: txRoot(txs),
        stateRoot: sha256(utf8(`state-${height}`)),
        validatorsHash: validatorsHash(this.set),
      },
      txs,
    );
    const payload = commitPayload(height, view, block.hash);
    const signers = validatorKeys.slice(0, quorumSize(validatorKeys.length));
    const seal = makeSeal(
      height,
      view,
      block.hash,
      signers.map((k) => ({ validator: publicKeyHex(k), signature: nobleSignDomain("commit", this.chainId, payload, k.secretKey) })),
    );
    const stored: StoredBlock = { block, seal, receipts: receipts ?? txs.map(() => OK_RECEIPT) };
    this.blocks.push(stored);
    const locs = txs.map((tx, index): TxLocation => ({ tx, height, index, blockHash: block.hash, receipt: stored.receipts[index]! }));
    for (const loc of locs) {
      this.txIndex.set(loc.tx.id, loc);
      this.mempoolTxs.delete(loc.tx.id);
      this.nonces.set(loc.tx.sender, Math.max(this.nonces.get(loc.tx.sender) ?? 0, loc.tx.nonce + 1));
    }
    for (const l of this.blockListeners) l(stored);
    for (const loc of locs) {
      for (const l of this.txListeners) l(loc);
      const waiting = this.waiters.get(loc.tx.id);
      this.waiters.delete(loc.tx.id);
      for (const w of waiting ?? []) w(loc);
    }
    return stored;
  }
}
