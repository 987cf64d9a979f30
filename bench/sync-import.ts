// Sync import micro-benchmark: the part of an observer's catch-up that runs in the node itself.
// A chain of sealed blocks is built in memory first (not measured), then imported into a fresh
// LevelBlockStore on disk through the BlockExecutor in sync batches, as the driver does: seal
// verified, block executed, state root checked, appended. Network fetches are not included
// (`npm run bench:node -- --observers 1` measures the whole path between processes).
//   npm run bench:sync-import [-- --blocks 1000 --txs 3 --batch 64]
// Prints one JSON object: wall and CPU time per block.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Mempool, MEMPOOL_DEFAULTS, VerifyCache } from "../src/chain/index.js";
import { chainRegistry, poaSelection } from "../src/consensus/selection/index.js";
import { BlockExecutor } from "../src/driver/block-executor.js";
import type { SealedBlock } from "../src/driver/transport.js";
import { LevelBlockStore } from "../src/store/index.js";
import { MemoryBlockStore, MemoryVoteStore } from "../src/store/memory.js";
import { chainFixture, nextAppend } from "../test/fixtures/chain-fixture.js";

const { values } = parseArgs({
  options: {
    blocks: { type: "string", default: "1000" },
    txs: { type: "string", default: "3" },
    batch: { type: "string", default: "64" },
  },
});
const blocks = Number(values.blocks);
const txsPerBlock = Number(values.txs);
const batch = Number(values.batch);

const fx = chainFixture();
const source = new MemoryBlockStore();
await source.open(fx.init);
const chain: SealedBlock[] = [];
for (let i = 0; i < blocks; i++) {
  const input = nextAppend(fx, source, { txs: txsPerBlock });
  await source.append(input);
  chain.push({ block: input.block, seal: input.seal });
}

const dir = mkdtempSync(join(tmpdir(), "triad-bench-sync-"));
const store = new LevelBlockStore({ path: dir });
try {
  await store.open(fx.init);
  const registry = chainRegistry(poaSelection);
  const cache = new VerifyCache();
  const executor = new BlockExecutor(
    { chainId: fx.chainId, self: null, params: fx.genesis.consensus },
    {
      store,
      votes: new MemoryVoteStore(),
      mempool: new Mempool({ chainId: fx.chainId, ...MEMPOOL_DEFAULTS }, { registry, state: () => store.state(), verify: cache.verifyDomain }),
      selection: poaSelection,
      registry,
      // The fixture's block times are in the past of any clock: no future-timestamp refusal.
      clock: { now: () => Date.now() },
      verifyCommit: (payload, signature, validator) => cache.verify("commit", fx.chainId, payload, signature, validator),
      appended: () => undefined,
    },
  );
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  for (let i = 0; i < chain.length; i += batch) await executor.importBlocks(chain.slice(i, i + batch), []);
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  if (store.head().height !== blocks) throw new Error(`imported ${store.head().height} of ${blocks} blocks`);
  const round = (x: number): number => Math.round(x * 1000) / 1000;
  process.stdout.write(
    `${JSON.stringify({
      bench: "sync-import",
      blocks,
      txsPerBlock,
      batch,
      wallMs: Math.round(wallMs),
      blocksPerSec: Math.round(blocks / (wallMs / 1000)),
      cpuMsPerBlock: round(cpuMs / blocks),
      node: process.version,
    })}\n`,
  );
} finally {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
