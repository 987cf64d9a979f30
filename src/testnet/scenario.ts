// Building blocks for scenarios run against a live testnet (the e2e tests, the bench, scripts):
// bounded polling of the nodes' RPC, never a fixed sleep standing in for "it has happened".
import type { TriadClient } from "../rpc/client.js";
import type { ResultTx } from "../rpc/types.js";
import { TestnetError } from "./manifest.js";
import type { BuiltTx } from "./tx-builder.js";

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

export interface SubmitOptions {
  /** Txs signed at most (each with the account's next nonce then). Default 5. */
  readonly attempts?: number;
  /** How long one tx may take to be committed. Default 30 s. */
  readonly timeoutMs?: number;
}

/**
 * Sign a tx with the sender's next nonce (as `client` counts it, pooled txs included), submit
 * it to `client` and wait until `client` has it in a block. Another sender of the same account
 * (a testnet's load) may take that nonce with its own tx a moment earlier, through another
 * node: that is the account's nonce race, not a lost tx. When the chain moves past our nonce
 * without our tx, or the node refuses it, sign again with the next nonce. A tx that is simply
 * never committed fails after `timeoutMs`.
 */
export async function submitUntilCommitted(client: TriadClient, sender: string, build: (nonce: number) => BuiltTx, options: SubmitOptions = {}): Promise<BuiltTx> {
  const attempts = options.attempts ?? 5;
  const timeoutMs = options.timeoutMs ?? 30_000;
  let lastRefusal = "";
  for (let attempt = 0; attempt < attempts; attempt++) {
    const tx = build(await client.nextNonce(sender));
    const r = await client.broadcast(tx.bytes, "sync");
    if (r.code !== 0) {
      lastRefusal = r.log;
      await sleep(200);
      continue;
    }
    const committed = (): Promise<boolean> => client.tx(tx.id).then(() => true, () => false);
    const outcome = await waitFor(
      `tx ${tx.id.slice(0, 16)}… committed, or its nonce taken by another tx`,
      async () => {
        if (await committed()) return "committed";
        // Past our nonce without our tx (asked again: it may have landed in between).
        if ((await client.account(sender)).nonce > tx.nonce) return (await committed()) ? "committed" : "taken";
        return undefined;
      },
      { timeoutMs },
    );
    if (outcome === "committed") return tx;
  }
  throw new TestnetError("TIMEOUT", `${attempts} txs in a row from ${sender.slice(0, 16)}… lost their nonce to other txs or were refused${lastRefusal === "" ? "" : ` (last refusal: ${lastRefusal})`}`, { sender });
}

/** True when a process with this pid exists (signal 0 probes without sending anything). */
/** SIGKILL each process that still runs (the nodes run in their own process groups and would outlive us). */
export function killProcesses(pids: Iterable<number>): void {
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
