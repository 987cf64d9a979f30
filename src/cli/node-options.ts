// Option parsers and defaults shared by the node commands (init, start, queries, txs).
import { InvalidArgumentError } from "commander";

export const DEFAULT_RPC_URL = "http://127.0.0.1:26657";

/** `--rpc` default: TRIAD_RPC, else the local node on CometBFT's port. */
export function defaultRpcUrl(env: NodeJS.ProcessEnv = process.env): string {
  const v = env.TRIAD_RPC;
  return v !== undefined && v !== "" ? v : DEFAULT_RPC_URL;
}

/** "a,b, c" → ["a","b","c"] (empty items dropped). */
export function parseList(value: string): string[] {
  return value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

/** "ab…,cd…" → validator ids (32-byte ed25519 keys in lower-case hex). */
export function parseValidatorIds(value: string): string[] {
  const ids = parseList(value.toLowerCase());
  for (const id of ids) if (!/^[0-9a-f]{64}$/.test(id)) throw new InvalidArgumentError(`${JSON.stringify(id)} is not a validator id (64 hex characters)`);
  return ids;
}

export function parseRpcUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError("must be a URL like http://127.0.0.1:26657");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new InvalidArgumentError("must be an http:// or https:// URL");
  return value.replace(/\/$/, "");
}

export function parseHeight(value: string): number {
  if (!/^[1-9][0-9]*$/.test(value) || !Number.isSafeInteger(Number(value))) throw new InvalidArgumentError("must be a positive whole number");
  return Number(value);
}
