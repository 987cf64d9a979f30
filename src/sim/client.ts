// A seeded client, so simulated blocks have content: funded dev accounts send transfers and kv
// writes (and DBFT votes on a DBFT chain) to the mempools of random honest validators. Each
// account keeps at most one tx in flight; a tx that no block has taken for a while is offered to
// other validators again, as a wallet would, so a crashed validator's lost mempool never stalls
// an account behind a nonce gap.
import { kvPutKind, transferKind, type KeyPair, type ValidatorId, type StateView } from "../chain/index.js";
import { dbftVoteKind } from "../consensus/selection/index.js";
import type { Prng } from "../byzantine/prng.js";
import { offer, SimWallet, type TxBody, type TxSink } from "./wallet.js";

export type { TxSink } from "./wallet.js";

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
  private readonly accounts: SimWallet[];
  submitted = 0;
  refused = 0;

  constructor(
    private readonly prng: Prng,
    private readonly options: SimClientOptions,
  ) {
    this.accounts = options.accounts.map((pair) => new SimWallet(pair));
  }

  /**
   * One client event: a few accounts send a tx (or re-offer a stale one) to 1..all `sinks`.
   * `state` is the state of the most advanced honest replica (for account nonces).
   */
  step(now: number, state: StateView, sinks: readonly TxSink[]): void {
    if (sinks.length === 0 || this.accounts.length === 0) return;
    for (let i = 0; i < this.options.burst; i++) {
      const account = this.prng.pick(this.accounts);
      const tx = account.next(now, state, this.options.resendMs, this.options.chainId, () => this.makeTx(account));
      if (tx === null) continue;
      // A wallet talks to one node or a few; every extra copy costs each node a signature check.
      const counts = offer(tx, this.prng.shuffle(sinks).slice(0, this.prng.range(1, Math.min(3, sinks.length))));
      this.submitted += counts.submitted;
      this.refused += counts.refused;
    }
  }

  private makeTx(account: SimWallet): TxBody {
    const roll = this.prng.int(10);
    const others = this.accounts.filter((a) => a !== account);
    if (roll < 5 && others.length > 0) {
      return { kind: transferKind.kind, payload: transferKind.encode({ to: this.prng.pick(others).publicKey, amount: BigInt(this.prng.range(1, 1000)) }) };
    }
    if (roll < 8 || this.options.selection !== "dbft" || this.options.dbftVotes === false) {
      return { kind: kvPutKind.kind, payload: kvPutKind.encode({ key: `k${this.prng.int(64)}`, value: this.prng.bytes(this.prng.range(0, 48)) }) };
    }
    const picks = this.prng.shuffle(this.options.validators).slice(0, this.prng.range(1, this.options.validators.length));
    return { kind: dbftVoteKind.kind, payload: dbftVoteKind.encode({ candidates: picks.map((id) => Buffer.from(id, "hex")) }) };
  }
}
