// `data/node-info.json`: how tools (the testnet orchestrator, scripts, tests) find a running
// node: its pid, identity and the addresses it actually bound (port 0 resolved). Written
// atomically (temp file + rename), so a reader sees either no file or a whole one; removed at
// start and on a clean stop, so a file left by a killed process is never mistaken for a live one
// for long (check `pid`).
import { readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";

export const NODE_INFO_FILE = "node-info.json";

export interface NodeInfo {
  readonly pid: number;
  /** libp2p peer id (12D3KooW…). */
  readonly nodeId: string;
  /** Hex validator id when the node's key is in the current validator set, else null. */
  readonly validatorId: string | null;
  /** http://127.0.0.1:PORT, or null when the RPC is disabled. */
  readonly rpc: string | null;
  /** http://127.0.0.1:PORT/metrics (Prometheus text), or null when metrics are off. */
  readonly metrics: string | null;
  /** Dialable multiaddrs, each ending in /p2p/<nodeId>. */
  readonly p2p: readonly string[];
}

export function nodeInfoPath(dataDir: string): string {
  return join(dataDir, NODE_INFO_FILE);
}

export async function writeNodeInfo(dataDir: string, info: NodeInfo): Promise<string> {
  const path = nodeInfoPath(dataDir);
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o644 });
  await rename(tmp, path);
  return path;
}

export async function removeNodeInfo(dataDir: string): Promise<void> {
  await rm(nodeInfoPath(dataDir), { force: true });
}

export async function readNodeInfo(dataDir: string): Promise<NodeInfo | undefined> {
  try {
    return JSON.parse(await readFile(nodeInfoPath(dataDir), "utf8")) as NodeInfo;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}
