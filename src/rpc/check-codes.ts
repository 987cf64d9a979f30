// Non-zero `code`s of broadcast results: why the mempool refused a tx, in CometBFT's place for
// CheckTx codes (codespace "triad"). They start at 10 so they never read as a receipt code
// (1–6, execution failures in `tx_result`). Stable: clients switch on them.
import type { MempoolErrorCode } from "../chain/errors.js";

export const CHECK_TX_CODES = {
  UNKNOWN_KIND: 10,
  BAD_PAYLOAD: 11,
  BAD_SIGNATURE: 12,
  WRONG_CHAIN: 13,
  TX_TOO_LARGE: 14,
  BAD_NONCE: 15,
  STALE_NONCE: 16,
  NONCE_GAP: 17,
  NONCE_TAKEN: 18,
  /** Only inside broadcast_tx_batch; a single broadcast gets JSON-RPC error -32002 instead. */
  MEMPOOL_FULL: 19,
  /** Never returned: a resubmission answers code 0 with status "known". */
  ALREADY_KNOWN: 20,
  /** The sender holds no balance and the pool's share for such senders (or its own) is taken. */
  UNFUNDED_QUOTA: 21,
} as const satisfies Record<MempoolErrorCode, number>;

/** A refusal whose code this table does not know yet (a newer node). */
export const UNKNOWN_CHECK_CODE = 99;

export function checkTxCode(code: string): number {
  return (CHECK_TX_CODES as Record<string, number>)[code] ?? UNKNOWN_CHECK_CODE;
}

export function checkTxCodeName(code: number): string {
  for (const [name, value] of Object.entries(CHECK_TX_CODES)) if (value === code) return name;
  return "UNKNOWN";
}
