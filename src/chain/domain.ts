// Domain separation: every signature covers (tag, chain id, payload), so a signature made for one
// kind of message, or on one chain, never verifies as another kind or on another chain.
import { Writer } from "./encoding.js";

export const SIGN_DOMAINS = [
  "tx",
  "pre-prepare",
  "prepare",
  "commit",
  "view-change",
  "new-view",
  "sync",
] as const;
export type SignDomain = (typeof SIGN_DOMAINS)[number];

const PROTOCOL_TAG = "triad/v1/";

export function signingBytes(domain: SignDomain, chainId: string, payload: Uint8Array): Uint8Array {
  return new Writer(payload.length + 48).string(PROTOCOL_TAG + domain).string(chainId).bytes(payload).finish();
}
