// Validator-set changes a scenario makes through txs, as an operator would with `triad tx`:
// PoA votes from the validators, DBFT registration and stake votes. Each tx goes to an honest
// node and the step waits until it is committed, so later steps see its effect coming.
import { toHex, type KeyPair } from "../chain/index.js";
import type { TriadClient } from "../rpc/client.js";
import { TxBuilder, type BuiltTx } from "../testnet/tx-builder.js";
import type { ScenarioNetwork } from "./network.js";

const COMMIT_TIMEOUT_MS = 30_000;

export class Governance {
  constructor(private readonly net: ScenarioNetwork) {}

  /**
   * Sign, submit and wait until committed. The load may send from the same account: when the
   * chain takes our nonce with another tx, sign again with the next one (a few times).
   */
  private async send(pair: KeyPair, make: (b: TxBuilder, nonce: number) => BuiltTx): Promise<void> {
    const client: TriadClient = await this.net.honestClient();
    const builder = new TxBuilder(pair, this.net.chainId);
    const sender = toHex(pair.publicKey);
    for (let attempt = 0; attempt < 5; attempt++) {
      const tx = make(builder, await client.nextNonce(sender));
      const r = await client.broadcast(tx.bytes, "sync");
      if (r.code !== 0) {
        if (attempt < 4 && /nonce/i.test(r.log)) continue;
        throw new Error(`tx ${tx.id.slice(0, 12)} refused: ${r.log}`);
      }
      const until = Date.now() + COMMIT_TIMEOUT_MS;
      while (Date.now() < until) {
        const committed = (): Promise<boolean> => client.tx(tx.id).then(() => true, () => false);
        if (await committed()) return;
        // Past our nonce without our tx (checked again: it may have landed in between).
        if ((await client.account(sender)).nonce > tx.nonce) {
          if (await committed()) return;
          break;
        }
        await new Promise((r2) => setTimeout(r2, 200));
      }
      if (Date.now() >= until) throw new Error(`tx ${tx.id.slice(0, 12)} not committed within ${COMMIT_TIMEOUT_MS} ms`);
    }
    throw new Error("five txs in a row lost their nonce to other txs of the same account");
  }

  /** Every honest validator of the current set votes; returns the voters' names. */
  async poaVote(action: "add" | "remove", target: string): Promise<string[]> {
    const members = new Set(await this.net.validatorsAtHead());
    const targetId = this.net.nodes.find((n) => n.name === target)!.id;
    const voters = this.net.nodes.filter((n) => members.has(n.id) && this.net.honest.has(n.name) && n.id !== targetId && this.net.running().includes(n.name));
    await Promise.all(voters.map(async (v) => this.send(await this.net.keyOf(v.name), (b, nonce) => b.poaVote(nonce, action, targetId))));
    return voters.map((v) => v.name);
  }

  async dbftRegister(node: string): Promise<void> {
    await this.send(await this.net.keyOf(node), (b, nonce) => b.dbftRegister(nonce));
  }

  /** A funded account votes its balance for `candidates`; returns the account's name. */
  async dbftVote(candidates: readonly string[], account?: string): Promise<string> {
    const ids = candidates.map((c) => this.net.nodes.find((n) => n.name === c)!.id);
    const voter = await this.net.accountKey(account);
    await this.send(voter.pair, (b, nonce) => b.dbftVote(nonce, ids));
    return voter.name;
  }
}
