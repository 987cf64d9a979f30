// Validator-set changes a scenario makes through txs, as an operator would with `triad tx`:
// PoA votes from the validators, DBFT registration and stake votes. Each tx goes to an honest
// node and the step waits until it is committed, so later steps see its effect coming.
import { toHex, type KeyPair } from "../chain/index.js";
import { submitUntilCommitted } from "../testnet/scenario.js";
import { TxBuilder, type BuiltTx } from "../testnet/tx-builder.js";
import type { ScenarioNetwork } from "./network.js";

export class Governance {
  constructor(private readonly net: ScenarioNetwork) {}

  /** Sign, submit to an honest node and wait until committed (re-signed if the load takes the nonce). */
  private async send(pair: KeyPair, make: (b: TxBuilder, nonce: number) => BuiltTx): Promise<void> {
    const builder = new TxBuilder(pair, this.net.chainId);
    await submitUntilCommitted(await this.net.honestClient(), toHex(pair.publicKey), (nonce) => make(builder, nonce));
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
