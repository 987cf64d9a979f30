// Node benchmark: a 4-validator PoA network of real processes on 127.0.0.1, loaded by a
// separate process (bench/load.ts) sending signed transfers over JSON-RPC. Reports committed
// tx/s and submit-to-commit latency (p50/p99) for each offered rate, one load process after the
// other on the same network (a light rate shows latency, a heavy one the throughput ceiling),
// then stops everything. Never part of `npm test`.
//   npm run bench:node [-- --rates 50,400 --duration 15 --accounts 16 --tick-ms 50 --keep]
// Prints one JSON object on stdout; progress goes to stderr.
import "../src/polyfill.ts";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { TriadClient } from "../src/rpc/client.js";
import { headHeight, isProcessAlive, prepareTestnet, Testnet, waitForHeight } from "../src/testnet/index.js";

const { values } = parseArgs({
  options: {
    validators: { type: "string", default: "4" },
    rates: { type: "string", default: "50,400" },
    duration: { type: "string", default: "15" },
    warmup: { type: "string", default: "3" },
    accounts: { type: "string", default: "16" },
    "tick-ms": { type: "string", default: "50" },
    keep: { type: "boolean", default: false },
  },
});

const log = (line: string): boolean => process.stderr.write(`[bench:node] ${line}\n`);
const dir = mkdtempSync(join(tmpdir(), "triad-bench-node-"));
let net: Testnet | null = null;

async function chainTxs(client: TriadClient, from: number, to: number): Promise<{ txs: number; blocks: number }> {
  let txs = 0;
  for (let lo = from; lo <= to; lo += 20) {
    const chain = await client.blockchain(lo, Math.min(to, lo + 19));
    for (const m of chain.block_metas) txs += Number(m.num_txs);
  }
  return { txs, blocks: Math.max(0, to - from + 1) };
}

function runLoad(rate: number): Promise<Record<string, unknown>> {
  const script = fileURLToPath(new URL("./load.ts", import.meta.url));
  const args = ["--import", "tsx", script, "--dir", dir, "--rate", String(rate), "--duration", values.duration, "--warmup", values.warmup];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    child.once("error", reject);
    child.once("exit", (code) => {
      if (code !== 0) return reject(new Error(`bench/load.ts exited with ${code}`));
      try {
        resolve(JSON.parse(out.trim().split("\n").pop()!) as Record<string, unknown>);
      } catch (err) {
        reject(new Error(`bench/load.ts printed no JSON: ${out.slice(-500)} (${(err as Error).message})`));
      }
    });
  });
}

try {
  const prepared = await prepareTestnet({
    dir,
    selection: "poa",
    validators: Number(values.validators),
    accounts: Number(values.accounts),
    consensus: { tickMs: Number(values["tick-ms"]) },
  });
  net = new Testnet(prepared, { startArgs: ["--log-level", "warn"], stopGraceMs: 10_000 });
  log(`starting ${prepared.manifest.nodes.length} node processes in ${dir}`);
  await net.start();
  const clients = net.nodes.map((n) => net!.client(n.name));
  await waitForHeight(clients, 2, { timeoutMs: 60_000 });
  const runs: Record<string, unknown>[] = [];
  for (const rate of values.rates.split(",").map(Number)) {
    const startHeight = await headHeight(clients[0]!);
    const startedAt = performance.now();
    log(`height ${startHeight}; load process: ${rate} tx/s for ${values.warmup}+${values.duration} s from ${prepared.manifest.accounts.length} accounts`);
    const load = await runLoad(rate);
    const elapsedS = (performance.now() - startedAt) / 1000;
    const endHeight = await headHeight(clients[0]!);
    const chain = await chainTxs(clients[0]!, startHeight + 1, endHeight);
    runs.push({
      ...load,
      chain: {
        blocks: chain.blocks,
        txs: chain.txs,
        seconds: Math.round(elapsedS * 10) / 10,
        blocksPerSec: Math.round((chain.blocks / elapsedS) * 10) / 10,
        meanTxsPerBlock: chain.blocks === 0 ? 0 : Math.round((chain.txs / chain.blocks) * 10) / 10,
      },
    });
  }
  const result = {
    bench: "node",
    network: { validators: Number(values.validators), selection: "poa", tickMs: Number(values["tick-ms"]), processes: net.nodes.length, cpus: cpus().length, node: process.version },
    runs,
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
} finally {
  await net?.stop();
  for (const pid of net?.pids() ?? []) if (isProcessAlive(pid)) process.kill(pid, "SIGKILL");
  if (values.keep) log(`kept ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}
