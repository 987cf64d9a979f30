// Signed txs for a testnet's own clients (the load generator, the scenarios, the bench): the
// bytes a wallet would send. A tx is a pure function of (key, nonce, kind, payload), so signing
// the same transfer again yields the same bytes and the same id: resending after a lost
// submission can never create a second, different tx for one nonce.
import {
  encodeSignedTx,
  fromHex,
  sha256,
  Signer,
  toHex,
  transferKind,
  txSigningPayload,
  type KeyPair,
  type UnsignedTx,
} from "../chain/index.js";
import { dbftRegisterKind, dbftVoteKind, poaVoteKind, type PoaAction } from "../consensus/selection/index.js";

export interface BuiltTx {
  readonly bytes: Uint8Array;
  /** Lower-case hex of sha256(bytes): the tx id the node reports. */
  readonly id: string;
  readonly nonce: number;
}

export class TxBuilder {
  readonly id: string;
  private readonly signer: Signer;
  private readonly from: Uint8Array;

  constructor(
    pair: KeyPair,
    readonly chainId: string,
  ) {
    this.signer = new Signer(pair.secretKey);
    this.from = pair.publicKey;
    this.id = toHex(pair.publicKey);
  }

  build(nonce: number, kind: string, payload: Uint8Array): BuiltTx {
    const tx: UnsignedTx = { chainId: this.chainId, from: this.from, nonce, kind, payload };
    const signature = this.signer.signDomain("tx", this.chainId, txSigningPayload(tx));
    const bytes = encodeSignedTx(tx, signature);
    return { bytes, id: toHex(sha256(bytes)), nonce };
  }

  transfer(nonce: number, to: string, amount: bigint): BuiltTx {
    return this.build(nonce, transferKind.kind, transferKind.encode({ to: fromHex(to, 32), amount }));
  }

  poaVote(nonce: number, action: PoaAction, validator: string): BuiltTx {
    return this.build(nonce, poaVoteKind.kind, poaVoteKind.encode({ action, validator: fromHex(validator, 32) }));
  }

  dbftRegister(nonce: number): BuiltTx {
    return this.build(nonce, dbftRegisterKind.kind, dbftRegisterKind.encode({}));
  }

  dbftVote(nonce: number, candidates: readonly string[]): BuiltTx {
    return this.build(nonce, dbftVoteKind.kind, dbftVoteKind.encode({ candidates: candidates.map((c) => fromHex(c, 32)) }));
  }
}
