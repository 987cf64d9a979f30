// A seeded client, so simulated blocks have content: funded dev accounts send transfers and kv
// writes (and DBFT votes on a DBFT chain) to the mempools of random honest validators. Each
// account keeps at most one tx in flight; a tx that no block has taken for a while is offered to
// other validators again, as a wallet would, so a crashed validator's lost mempool never stalls
// an account behind a nonce gap.
import {
  decodeSignedTx,
  encodeSignedTx,
  kvPutKind,
  MempoolError,
  readAccount,
  signingBytes,
  toHex,
  transferKind,
  txSigningPayload,
  type KeyPair,
  type SignedTx,
  type Signer,
  type StateView,
  type UnsignedTx,
  type ValidatorId,
} from "../chain/index.js";
import { dbftVoteKind } from "../consensus/selection/index.js";
import type { Prng } from "./prng.js";
import { simSigner } from "./sim-genesis.js";

export interface TxSink {
  add(tx: SignedTx): unknown;
}

interface Account {
  readonly signer: Signer;
  readonly id: string;
  readonly publicKey: Uint8Array;
  inFlight: { readonly tx: SignedTx; readonly sentAt: number } | null;
}

export interface SimClientOptions {
  readonly chainId: string;
  readonly selection: "poa" | "dbft";
  readonly accounts: readonly KeyPair[];
  readonly validators: readonly ValidatorId[];
  /** Accounts that may send per client event. */
  readonly burst: number;
  /** A tx not appended after this long is offered again. */
  readonly resendMs: number;
  /** DBFT votes for random genesis validators (off when the governance client owns the ballots). Default on. */
  readonly dbftVotes?: boolean;
}

export class SimClient {
  private readonly accounts: Account[];
  submitted = 0;
  refused = 0;

  constructor(
    private readonly prng: Prng,
    private readonly options: SimClientOptions,
  ) {
    this.accounts = options.accounts.map((pair) => ({
      signer: simSigner(pair),
      id: toHex(pair.publicKey),
      publicKey: pair.publicKey,
      inFlight: null,
    }));
  }

  /**
   * One client event: a few accounts send a tx (or re-offer a stale one) to 1..all `sinks`.
   * `state` is the state of the most advanced honest replica (for account nonces).
   */
  step(now: number, state: StateView, sinks: readonly TxSink[]): void {
    if (sinks.length === 0 || this.accounts.length === 0) return;
    for (let i = 0; i < this.options.burst; i++) {
      const account = this.prng.pick(this.accounts);
      const nonce = readAccount(state, account.id).nonce;
      const pending = account.inFlight;
      let tx: SignedTx;
      if (pending !== null && pending.tx.nonce >= nonce) {
        if (now - pending.sentAt < this.options.resendMs) continue;
        tx = pending.tx;
      } else {
        tx = this.makeTx(account, nonce);
      }
      account.inFlight = { tx, sentAt: now };
      // A wallet talks to one node or a few; every extra copy costs each node a signature check.
      const targets = this.prng.shuffle(sinks).slice(0, this.prng.range(1, Math.min(3, sinks.length)));
      for (const sink of targets) {
        try {
          sink.add(tx);
          this.submitted++;
        } catch (err) {
          if (!(err instanceof MempoolError)) throw err;
          this.refused++;
        }
      }
    }
  }

  private makeTx(account: Account, nonce: number): SignedTx {
    const roll = this.prng.int(10);
    let kind: string;
    let payload: Uint8Array;
    const others = this.accounts.filter((a) => a !== account);
    if (roll < 5 && others.length > 0) {
      kind = transferKind.kind;
      payload = transferKind.encode({ to: this.prng.pick(others).publicKey, amount: BigInt(this.prng.range(1, 1000)) });
    } else if (roll < 8 || this.options.selection !== "dbft" || this.options.dbftVotes === false) {
      kind = kvPutKind.kind;
      payload = kvPutKind.encode({ key: `k${this.prng.int(64)}`, value: this.prng.bytes(this.prng.range(0, 48)) });
    } else {
      const picks = this.prng.shuffle(this.options.validators).slice(0, this.prng.range(1, this.options.validators.length));
      kind = dbftVoteKind.kind;
      payload = dbftVoteKind.encode({ candidates: picks.map((id) => Buffer.from(id, "hex")) });
    }
    const unsigned: UnsignedTx = { chainId: this.options.chainId, from: account.publicKey, nonce, kind, payload };
    // OpenSSL signing (Signer), not noble's: a sweep signs tens of thousands of txs.
    const signature = account.signer.sign(signingBytes("tx", unsigned.chainId, txSigningPayload(unsigned)));
    return decodeSignedTx(encodeSignedTx(unsigned, signature));
  }
}
