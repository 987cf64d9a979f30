// The network a scenario runs on: a local testnet of real node processes (the same code as
// `triad testnet`), its fault controls, its load, and the questions the runner asks of it.
import { join } from "node:path";
import { parseByzantineSpec } from "../byzantine/index.js";
import type { KeyPair } from "../chain/index.js";
import { readKeyFile } from "../node/key-file.js";
import { TriadClient } from "../rpc/client.js";
import { isHonestNode } from "../testnet/agreement-check.js";
import { LoadGenerator } from "../testnet/load-generator.js";
import type { TestnetNodeInfo } from "../testnet/manifest.js";
import { NetControl } from "../testnet/net-control.js";
import { prepareTestnet } from "../testnet/setup.js";
import { Testnet } from "../testnet/testnet.js";
import type { Scenario } from "./scenario-file.js";

export interface LoadFigures {
  readonly sent: number;
  readonly accepted: number;
  readonly committed: number;
  readonly refused: number;
  readonly failed: number;
}

export class ScenarioNetwork {
  readonly honest: ReadonlySet<string>;
  readonly acksFile: string;
  readonly control: NetControl;
  private load: LoadGenerator | null = null;
  private readonly clients = new Map<string, TriadClient>();

  private constructor(
    readonly dir: string,
    private readonly testnet: Testnet,
    private readonly scenario: Scenario,
    private readonly seed: number,
  ) {
    this.honest = new Set(testnet.nodes.filter(isHonestNode).map((n) => n.name));
    this.acksFile = join(dir, "load-acks.jsonl");
    this.control = new NetControl(testnet.manifest, testnet);
    for (const n of testnet.nodes) this.clients.set(n.name, new TriadClient({ url: n.rpc, chainId: testnet.manifest.chainId, timeoutMs: 3_000 }));
  }

  static async start(scenario: Scenario, dir: string, seed: number, logLevel: string): Promise<ScenarioNetwork> {
    const n = scenario.network;
    // Checked before anything is created, so a bad spec costs nothing.
    const byzantine = n.byzantine === "" ? [] : parseByzantineSpec(n.byzantine, { validators: n.validators, allowOverF: n.allow_over_f });
    const prepared = await prepareTestnet({
      dir,
      selection: n.selection,
      validators: n.validators,
      observers: n.observers,
      ...(n.candidates !== undefined ? { candidates: n.candidates } : {}),
      ...(n.epoch_length !== undefined ? { epochLength: n.epoch_length } : {}),
      consensus: { tickMs: n.tick_ms },
      ...(byzantine.length > 0 ? { byzantine, byzantineSeed: seed } : {}),
    });
    const testnet = new Testnet(prepared, { startArgs: ["--log-level", logLevel, "--tick-ms", String(n.tick_ms), "--fault-seed", String(seed)] });
    const network = new ScenarioNetwork(prepared.dir, testnet, scenario, seed);
    try {
      await testnet.start();
    } catch (err) {
      await testnet.stop().catch(() => undefined);
      throw err;
    }
    return network;
  }

  get chainId(): string {
    return this.testnet.manifest.chainId;
  }

  get nodes(): readonly TestnetNodeInfo[] {
    return this.testnet.nodes;
  }

  client(name: string): TriadClient {
    return this.clients.get(name)!;
  }

  running(): string[] {
    return this.testnet.running();
  }

  behavioursOf(name: string): readonly string[] {
    return this.testnet.node(name).byzantine ?? [];
  }

  async keyOf(name: string): Promise<KeyPair> {
    return (await readKeyFile(this.testnet.node(name).key)).pair;
  }

  async accountKey(name?: string): Promise<{ name: string; pair: KeyPair }> {
    const accounts = this.testnet.manifest.accounts;
    const account = name === undefined ? accounts[0] : accounts.find((a) => a.name === name);
    if (account === undefined) throw new Error(name === undefined ? "the testnet has no funded account with a key file" : `no account named ${name}`);
    return { name: account.name, pair: (await readKeyFile(account.key)).pair };
  }

  /** An honest node that answers, for reads and for txs that must not go to a Byzantine node. */
  async honestClient(): Promise<TriadClient> {
    for (const name of this.honest) {
      if (!this.testnet.isRunning(name)) continue;
      const c = this.client(name);
      try {
        await c.health();
        return c;
      } catch {
        // try the next
      }
    }
    throw new Error("no honest node answers");
  }

  async validatorsAtHead(): Promise<string[]> {
    const c = await this.honestClient();
    const v = await c.validators(undefined, 1, 100);
    return v.validators.map((m) => m.address.toLowerCase());
  }

  async startLoad(): Promise<void> {
    if (this.scenario.load.rate === 0) return;
    const m = this.testnet.manifest;
    const pairs = await Promise.all(m.accounts.map(async (a) => (await readKeyFile(a.key)).pair));
    const names = [...this.honest];
    const targets = names.map((name) => this.client(name));
    this.load = new LoadGenerator({
      chainId: m.chainId,
      accounts: pairs,
      targets,
      rate: this.scenario.load.rate,
      kinds: this.scenario.load.kinds,
      targetNames: names,
      acks: { file: this.acksFile },
    });
    this.load.start();
  }

  async stopLoad(): Promise<void> {
    await this.load?.stop();
  }

  loadStats(): LoadFigures {
    const s = this.load?.stats;
    return { sent: s?.sent ?? 0, accepted: s?.accepted ?? 0, committed: s?.committed ?? 0, refused: s?.refused ?? 0, failed: s?.failed ?? 0 };
  }

  /** Pids of the node processes that are up (for a last-resort kill when the runner is interrupted). */
  pids(): number[] {
    return this.testnet.pids();
  }

  async stop(): Promise<void> {
    await this.load?.stop().catch(() => undefined);
    await this.testnet.stop();
  }
}

export const startScenarioNetwork = (scenario: Scenario, dir: string, seed: number, logLevel: string): Promise<ScenarioNetwork> =>
  ScenarioNetwork.start(scenario, dir, seed, logLevel);
