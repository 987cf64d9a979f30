// Submit-to-commit latency at idle: one tx at a time, the next only after the last one's block
// has arrived, so nothing queues and the figure is the protocol's own path (RPC, gossip to the
// primary, three phases, block event). Txs are signed before the clock starts.
import type { KeyPair } from "../../chain/index.js";
import type { ResultEvent, TriadClient } from "../../rpc/client.js";
import { TxBuilder } from "../tx-builder.js";
import { summarize, type LatencySummary } from "./stats.js";

export interface ProbeOptions {
  /** Where NewBlock events are watched. */
  readonly watch: TriadClient;
  /** Where the txs go, in turn. */
  readonly targets: readonly TriadClient[];
  readonly account: KeyPair;
  readonly chainId: string;
  readonly samples: number;
  /** Longest wait for one tx's block. */
  readonly timeoutMs: number;
}

export interface ProbeReport extends LatencySummary {
  readonly timeouts: number;
  readonly refused: number;
}

export async function probeIdleLatency(options: ProbeOptions): Promise<ProbeReport> {
  const builder = new TxBuilder(options.account, options.chainId);
  let nonce = (await options.targets[0]!.account(builder.id)).nonce;
  const waiting = new Map<string, (at: number) => void>();
  const sub = await options.watch.subscribe("tm.event='NewBlock'", (event: ResultEvent) => {
    if (event.data.type !== "tendermint/event/NewBlock") return;
    const at = performance.now();
    for (const b64 of event.data.value.block.data.txs) waiting.get(b64)?.(at);
  });
  const latencies: number[] = [];
  let timeouts = 0;
  let refused = 0;
  try {
    for (let i = 0; i < options.samples; i++) {
      const tx = builder.transfer(nonce, builder.id, 1n);
      const b64 = Buffer.from(tx.bytes).toString("base64");
      let timer: NodeJS.Timeout | undefined;
      const committed = new Promise<number | null>((resolve) => {
        waiting.set(b64, resolve);
        timer = setTimeout(() => resolve(null), options.timeoutMs);
      });
      const sentAt = performance.now();
      const r = await options.targets[i % options.targets.length]!.broadcast(tx.bytes, "sync");
      if (r.code !== 0) {
        refused++;
        clearTimeout(timer);
        waiting.delete(b64);
        // The chain's view of the nonce is the truth after a refusal.
        nonce = (await options.targets[0]!.account(builder.id)).pending_nonce;
        continue;
      }
      const at = await committed;
      clearTimeout(timer);
      waiting.delete(b64);
      nonce++;
      if (at === null) timeouts++;
      else latencies.push(at - sentAt);
    }
  } finally {
    await sub.close().catch(() => undefined);
  }
  return { ...summarize(latencies), timeouts, refused };
}
