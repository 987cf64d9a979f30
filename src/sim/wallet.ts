// One funded key of a simulated client, as a wallet keeps it: at most one tx in flight, offered
// again after a while until a block takes it (a crashed validator's lost mempool must never leave
// the account stuck behind a nonce gap), then the next with the account's next nonce.
import {
  decodeSignedTx,
  encodeSignedTx,
  MempoolError,
  readAccount,
  signingBytes,
  toHex,
  txSigningPayload,
  type KeyPair,
  type SignedTx,
  type Signer,
  type StateView,
  type ValidatorId,
} from "../chain/index.js";
import { simSigner } from "./sim-genesis.js";

export interface TxSink {
  add(tx: SignedTx): unknown;
}

/** What a new tx carries besides the sender and nonce. */
export interface TxBody {
  readonly kind: string;
  readonly payload: Uint8Array;
}

export class SimWallet {
  readonly id: ValidatorId;
  readonly publicKey: Uint8Array;
  private readonly signer: Signer;
  private sent: { readonly tx: SignedTx; readonly at: number } | null = null;

  constructor(pair: KeyPair) {
    this.id = toHex(pair.publicKey);
    this.publicKey = pair.publicKey;
    this.signer = simSigner(pair);
  }

  /** The tx sent last, while no block in `state` has taken it; else null. */
  inFlight(state: StateView): SignedTx | null {
    return this.sent !== null && this.sent.tx.nonce >= readAccount(state, this.id).nonce ? this.sent.tx : null;
  }

  /**
   * The tx to offer at `now`: the one in flight again once `resendMs` passed since it was last
   * offered (null before), or, once a block took it, a new one with `make`'s kind and payload.
   */
  next(now: number, state: StateView, resendMs: number, chainId: string, make: () => TxBody): SignedTx | null {
    const nonce = readAccount(state, this.id).nonce;
    let tx: SignedTx;
    if (this.sent !== null && this.sent.tx.nonce >= nonce) {
      if (now - this.sent.at < resendMs) return null;
      tx = this.sent.tx;
    } else {
      const { kind, payload } = make();
      const unsigned = { chainId, from: this.publicKey, nonce, kind, payload };
      // OpenSSL signing (Signer), not noble's: a sweep signs tens of thousands of txs.
      const signature = this.signer.sign(signingBytes("tx", chainId, txSigningPayload(unsigned)));
      tx = decodeSignedTx(encodeSignedTx(unsigned, signature));
    }
    this.sent = { tx, at: now };
    return tx;
  }
}

/** Offer `tx` to each sink; a mempool's refusal (full, a nonce it holds) is counted, not thrown. */
export function offer(tx: SignedTx, sinks: readonly TxSink[]): { submitted: number; refused: number } {
  let submitted = 0;
  let refused = 0;
  for (const sink of sinks) {
    try {
      sink.add(tx);
      submitted++;
    } catch (err) {
      if (!(err instanceof MempoolError)) throw err;
      refused++;
    }
  }
  return { submitted, refused };
}
