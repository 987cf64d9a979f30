// The outcome of executing one tx: code 0 is success; any other code is a failure whose effects
// were rolled back (the nonce is still consumed, so the tx cannot be replayed).
import { decodeAll, Writer, type Reader } from "./encoding.js";
import { TriadError } from "./errors.js";

export const RECEIPT_CODES = {
  OK: 0,
  INSUFFICIENT_BALANCE: 1,
  NOT_FOUND: 2,
  UNAUTHORIZED: 3,
  INVALID: 4,
  DUPLICATE: 5,
  LIMIT_EXCEEDED: 6,
} as const;
export type ReceiptCodeName = keyof typeof RECEIPT_CODES;

export interface Receipt {
  readonly code: number;
  readonly log: string;
}

export const OK_RECEIPT: Receipt = { code: RECEIPT_CODES.OK, log: "" };
export const MAX_LOG_BYTES = 512;

export function receiptCodeName(code: number): ReceiptCodeName | "UNKNOWN" {
  for (const [name, value] of Object.entries(RECEIPT_CODES)) if (value === code) return name as ReceiptCodeName;
  return "UNKNOWN";
}

/** Thrown by a tx kind's `apply` to fail the tx (not the block). */
export class ExecutionFailure extends TriadError<ReceiptCodeName> {}

export function writeReceipt(w: Writer, receipt: Receipt): Writer {
  return w.uint(receipt.code).string(receipt.log);
}

export function readReceipt(r: Reader): Receipt {
  return { code: r.uint(0xffff), log: r.string(MAX_LOG_BYTES) };
}

export function encodeReceipt(receipt: Receipt): Uint8Array {
  return writeReceipt(new Writer(32), receipt).finish();
}

export function decodeReceipt(bytes: Uint8Array): Receipt {
  return decodeAll(bytes, MAX_LOG_BYTES + 16, readReceipt);
}

/** Keep the log within MAX_LOG_BYTES of UTF-8, cut at a code point boundary. */
function truncateLog(message: string): string {
  // Cutting by UTF-16 units could exceed MAX_LOG_BYTES (a char is up to 3 bytes) and split a
  // surrogate pair, which encodes as U+FFFD: the stored receipt would then differ from (or,
  // past 512 bytes, fail to decode back into) the one execution produced.
  if (Buffer.byteLength(message, "utf8") <= MAX_LOG_BYTES) return message;
  let out = "";
  let bytes = 0;
  for (const ch of message) {
    const n = Buffer.byteLength(ch, "utf8");
    if (bytes + n > MAX_LOG_BYTES) break;
    out += ch;
    bytes += n;
  }
  return out;
}

export function failureReceipt(failure: ExecutionFailure): Receipt {
  return { code: RECEIPT_CODES[failure.code], log: truncateLog(failure.message) };
}
