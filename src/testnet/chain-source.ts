// Where `triad check` reads a node's chain from: the node's RPC (triad_blocks, validators,
// status), or, in tests, anything else behind the same three calls, so the check's verdicts can
// be tried on crafted chains (a fork, a bad seal, a broken parent link) without real nodes.
import { TriadClient } from "../rpc/client.js";
import type { TriadBlockJson } from "../rpc/types.js";

export interface SourceStatus {
  readonly height: number;
  readonly chainId: string;
}

export interface ChainSource {
  status(): Promise<SourceStatus>;
  /** Blocks min..max ascending; may answer fewer (a per-call limit, the head), never others. */
  blocks(min: number, max: number): Promise<readonly TriadBlockJson[]>;
  /** Members (validator ids, lower-case hex) of the set that validates block `height`. */
  validators(height: number): Promise<readonly string[]>;
}

const VALIDATORS_PAGE = 100;
/** MAX_VALIDATORS is 256: three pages; more means a node that keeps paging us. */
const MAX_VALIDATOR_PAGES = 3;

export class RpcChainSource implements ChainSource {
  constructor(readonly client: TriadClient) {}

  static fromUrl(url: string, timeoutMs = 10_000): RpcChainSource {
    return new RpcChainSource(new TriadClient({ url, timeoutMs }));
  }

  async status(): Promise<SourceStatus> {
    const s = await this.client.status();
    return { height: Number(s.sync_info.latest_block_height), chainId: s.node_info.network };
  }

  async blocks(min: number, max: number): Promise<readonly TriadBlockJson[]> {
    return (await this.client.blocks(min, max)).blocks;
  }

  async validators(height: number): Promise<readonly string[]> {
    const members: string[] = [];
    for (let page = 1; page <= MAX_VALIDATOR_PAGES; page++) {
      const r = await this.client.validators(height, page, VALIDATORS_PAGE);
      members.push(...r.validators.map((v) => v.address.toLowerCase()));
      if (members.length >= Number(r.total) || r.validators.length === 0) break;
    }
    return members;
  }
}
