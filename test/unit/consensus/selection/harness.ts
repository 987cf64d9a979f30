// A minimal in-memory chain for selection and block-rule tests: genesis state, then blocks built
// and validated with the real block rules, folded through the selection's afterBlock.
import { expect } from "vitest";
import {
  ChainState,
  commitPayload,
  devKeyPair,
  makeSeal,
  quorumSize,
  Signer,
  parseGenesis,
  RECEIPT_CODES,
  receiptCodeName,
  signTx,
  toHex,
  type Block,
  type Genesis,
  type KeyPair,
  type Receipt,
  type Seal,
  type SignedTx,
  type TxRegistry,
  type ValidatorSet,
} from "../../../../src/chain/index.js";
import { buildBlock, nextValidatorsAfter, validateBlock } from "../../../../src/consensus/block-rules.js";
import { chainRegistry, genesisStateWrites, type ValidatorSelection } from "../../../../src/consensus/selection/index.js";

export const CHAIN_ID = "triad-test";
export const GENESIS_TIME = "2026-01-01T00:00:00Z";

/** Every key the tests make, by id, so the chain can sign each block's lastCommit. */
const KNOWN_KEYS = new Map<string, KeyPair>();

export const key = (label: string): KeyPair => {
  const pair = devKeyPair(label);
  KNOWN_KEYS.set(toHex(pair.publicKey), pair);
  return pair;
};
export const id = (pair: KeyPair): string => toHex(pair.publicKey);
export const validatorKeys = (n: number): KeyPair[] => Array.from({ length: n }, (_, i) => key(`validator-${i}`));
export const accountKeys = (n: number): KeyPair[] => Array.from({ length: n }, (_, i) => key(`account-${i}`));

export function genesisOf(json: Record<string, unknown>): Genesis {
  return parseGenesis({ chainId: CHAIN_ID, genesisTime: GENESIS_TIME, ...json });
}

export class TestChain {
  readonly state: ChainState;
  readonly registry: TxRegistry;
  set: ValidatorSet;
  height = 0;
  parent: { hash: Uint8Array; timestamp: number } = { hash: new Uint8Array(32), timestamp: Date.parse(GENESIS_TIME) };
  /** The set that validated each height, for checking "effective from the next height". */
  readonly history = new Map<number, ValidatorSet>();
  private readonly nonces = new Map<string, number>();
  /** A seal of the head block (every member with a known key signs), the next block's lastCommit. */
  headSeal: Seal | null = null;

  constructor(
    readonly genesis: Genesis,
    readonly selection: ValidatorSelection,
  ) {
    this.state = ChainState.fromEntries(genesisStateWrites(genesis, selection));
    this.registry = chainRegistry(selection);
    this.set = selection.fromGenesis(genesis);
  }

  /** Sign a tx with the sender's next nonce (assumes every signed tx gets included). */
  tx(from: KeyPair, kind: string, payload: Uint8Array): SignedTx {
    const sender = id(from);
    const nonce = this.nonces.get(sender) ?? 0;
    this.nonces.set(sender, nonce + 1);
    return signTx({ chainId: CHAIN_ID, from: from.publicKey, nonce, kind, payload }, from.secretKey);
  }

  /** Build, validate and append one block; every tx must make it in. Returns the receipts. */
  block(txs: readonly SignedTx[] = [], view = 0): { block: Block; receipts: readonly Receipt[] } {
    const height = this.height + 1;
    const common = {
      chainId: CHAIN_ID,
      height,
      parent: this.parent,
      validators: this.set,
      parentValidators: this.history.get(height - 1) ?? null,
      state: this.state,
      registry: this.registry,
      maxBlockTxs: 1000,
      maxBlockBytes: 1024 * 1024,
    };
    const built = buildBlock({ ...common, view, timestamp: this.parent.timestamp + 1000, proposer: this.selection.primary(this.set, height, view), candidates: txs, lastCommit: this.headSeal });
    expect(built.block.txs.length, "every tx is included").toBe(txs.length);
    const validated = validateBlock(built.block, { ...common, selection: this.selection });
    expect(validated.receipts).toEqual(built.receipts);
    const next = nextValidatorsAfter(this.selection, this.set, built.block, this.state, validated.writes);
    this.state.apply(validated.writes);
    this.history.set(height, this.set);
    this.set = next;
    this.height = height;
    this.parent = { hash: built.block.hash, timestamp: built.block.header.timestamp };
    this.headSeal = this.seal(height, view, built.block.hash, this.history.get(height)!);
    return { block: built.block, receipts: validated.receipts };
  }

  private seal(height: number, view: number, hash: Uint8Array, set: ValidatorSet): Seal {
    const payload = commitPayload(height, view, hash);
    const signers = set.members.flatMap((m) => {
      const pair = KNOWN_KEYS.get(m);
      return pair === undefined ? [] : [{ validator: m, signature: new Signer(pair.secretKey).signDomain("commit", CHAIN_ID, payload) }];
    });
    expect(signers.length, "the harness knows the keys of a quorum").toBeGreaterThanOrEqual(quorumSize(set.members.length));
    return makeSeal(height, view, hash, signers);
  }

  /** Empty blocks until the chain's height is `height`. */
  advanceTo(height: number): void {
    while (this.height < height) this.block();
  }
}

export function codes(receipts: readonly Receipt[]): string[] {
  return receipts.map((r) => receiptCodeName(r.code));
}

export const OK = receiptCodeName(RECEIPT_CODES.OK);
