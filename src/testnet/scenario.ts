// Building blocks for scenarios run against a live testnet (the e2e tests, the bench, scripts):
// bounded polling of the nodes' RPC, never a fixed sleep standing in for "it has happened".
import type { TriadClient } from "../rpc/client.js";
import type { ResultTx } from "../rpc/types.js";
import { TestnetError } from "./manifest.js";

export interface WaitOptions {
  readonly timeoutMs?: number;
  readonly intervalMs?: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Poll `probe` until it returns a value other than undefined/false, for at most `timeoutMs`.
 * Errors thrown by the probe (a node restarting, a height not reached) count as "not yet"; the
 * last one is quoted when the time runs out.
 */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, options: WaitOptions = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const intervalMs = options.intervalMs ?? 200;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown = null;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
      lastError = null;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) break;
    await sleep(intervalMs);
  }
  const why = lastError === null ? "" : ` (last error: ${(lastError as Error).message})`;
  throw new TestnetError("TIMEOUT", `timed out after ${timeoutMs} ms waiting for ${what}${why}`, { what });
}

export async function headHeight(client: TriadClient): Promise<number> {
  return Number((await client.status()).sync_info.latest_block_height);
}

/** Wait until every client's head is at least `height`; returns their heights. */
export function waitForHeight(clients: readonly TriadClient[], height: number, options: WaitOptions = {}): Promise<number[]> {
  return waitFor(`height ${height} on ${clients.length} node(s)`, async () => {
    const heights = await Promise.all(clients.map(headHeight));
    return heights.every((h) => h >= height) ? heights : undefined;
  }, options);
}

/** Wait until a tx (hex id) is in a block on every client; returns what each reports. */
export function waitForTx(clients: readonly TriadClient[], id: string, options: WaitOptions = {}): Promise<ResultTx[]> {
  return waitFor(`tx ${id.slice(0, 16)}… on ${clients.length} node(s)`, () => Promise.all(clients.map((c) => c.tx(id))), options);
}

/** True when a process with this pid exists (signal 0 probes without sending anything). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
