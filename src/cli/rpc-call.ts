// Running a client call from a command: connection failures and node errors become one-line
// CliErrors ("cannot reach …", "node refused: …"), never a stack trace.
import { TriadClient, TriadRpcError } from "../rpc/client.js";
import { CliError } from "./cli-error.js";

export function clientFor(url: string): TriadClient {
  return new TriadClient({ url });
}

export async function rpcCall<T>(url: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof TriadRpcError) throw new CliError(`error: node at ${url} answered: ${err.message}`);
    if (err instanceof CliError) throw err;
    const e = err as Error & { cause?: { code?: string; message?: string } };
    if (e.name === "TypeError" && e.message === "fetch failed") {
      throw new CliError(`error: cannot reach a node at ${url}: ${e.cause?.code ?? e.cause?.message ?? "connection failed"}`);
    }
    if (e.name === "TimeoutError" || e.name === "AbortError") throw new CliError(`error: node at ${url} did not answer in time`);
    throw err;
  }
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
