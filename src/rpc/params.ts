// Parameter parsing for RPC methods. CometBFT clients send params by name (an object) or by
// position (an array in the route's argument order), integers as JSON numbers or decimal
// strings ("height": "5"), hashes as hex or base64, and byte strings as base64. Every parser
// here accepts those forms and nothing looser, and names the parameter when it refuses.
import { invalidParams } from "./errors.js";

export type Params = Readonly<Record<string, unknown>>;

/** How the request arrived: URI requests (`GET /block?height=5`) also take 0x-hex byte strings. */
export interface ParamContext {
  readonly uri: boolean;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Normalise `params` (absent, by name or by position) to an object keyed by `names`. */
export function namedParams(params: unknown, names: readonly string[]): Params {
  if (params === undefined || params === null) return {};
  if (Array.isArray(params)) {
    if (params.length > names.length) {
      throw invalidParams("params", `takes at most ${names.length} positional params (${names.join(", ") || "none"})`);
    }
    const out: Record<string, unknown> = {};
    params.forEach((value, i) => {
      out[names[i]!] = value;
    });
    return out;
  }
  // Unknown names are ignored, as CometBFT does: clients send optional flags (e.g. `prove`)
  // that a server may not know.
  if (isPlainObject(params)) return params;
  throw invalidParams("params", "must be an object (by name) or an array (by position)");
}

const DECIMAL = /^-?(0|[1-9][0-9]*)$/;

/** An integer param: a JSON number or a decimal string; `undefined` when absent or null. */
export function optionalInt(p: Params, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const raw = p[name];
  if (raw === undefined || raw === null) return undefined;
  let value: number;
  if (typeof raw === "number") value = raw;
  else if (typeof raw === "string" && DECIMAL.test(raw.trim())) value = Number(raw.trim());
  else throw invalidParams(name, "must be an integer (a JSON number or a decimal string)", { got: typeOf(raw) });
  if (!Number.isSafeInteger(value)) throw invalidParams(name, "must be a safe integer", { got: String(raw).slice(0, 40) });
  if (value < min || value > max) throw invalidParams(name, `must be between ${min} and ${max}`, { got: value });
  return value;
}

export function requiredInt(p: Params, name: string, min: number, max?: number): number {
  const value = optionalInt(p, name, min, max);
  if (value === undefined) throw invalidParams(name, "is required");
  return value;
}

export function optionalString(p: Params, name: string, maxLength: number): string | undefined {
  const raw = p[name];
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== "string") throw invalidParams(name, "must be a string", { got: typeOf(raw) });
  if (raw.length > maxLength) throw invalidParams(name, `must be at most ${maxLength} characters`, { length: raw.length });
  return raw;
}

export function requiredString(p: Params, name: string, maxLength: number): string {
  const value = optionalString(p, name, maxLength);
  if (value === undefined) throw invalidParams(name, "is required");
  return value;
}

export function optionalBool(p: Params, name: string): boolean | undefined {
  const raw = p[name];
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw === "boolean") return raw;
  if (raw === "true") return true;
  if (raw === "false") return false;
  throw invalidParams(name, "must be a boolean", { got: typeOf(raw) });
}

export function optionalEnum<T extends string>(p: Params, name: string, allowed: readonly T[]): T | undefined {
  const raw = optionalString(p, name, 64);
  if (raw === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(raw)) throw invalidParams(name, `must be one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}`, { got: raw });
  return raw as T;
}

const HEX = /^[0-9a-fA-F]*$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const BASE64URL = /^[A-Za-z0-9_-]*$/;

/**
 * A 32-byte hash as lower-case hex. CometBFT clients send hex (any case, with or without 0x:
 * 64 digits) or base64 (cosmjs sends `tx` hashes as base64: 44 characters), so both parse; the
 * lengths never collide, so there is no guessing.
 */
export function hashString(value: unknown, name: string): string {
  if (typeof value !== "string") throw invalidParams(name, "must be a 32-byte hash as hex or base64", { got: typeOf(value) });
  const s = value.trim();
  const hex = s.startsWith("0x") || s.startsWith("0X") ? s.slice(2) : s;
  if (hex.length === 64 && HEX.test(hex)) return hex.toLowerCase();
  // 44 base64 characters hold 31 to 33 bytes by their padding: only "…=" is 32 bytes.
  if (s.length === 44 && BASE64.test(s)) {
    const bytes = Buffer.from(s, "base64");
    if (bytes.length === 32) return bytes.toString("hex");
  }
  if (s.length === 43 && BASE64URL.test(s)) return Buffer.from(s, "base64url").toString("hex");
  throw invalidParams(name, "must be a 32-byte hash: 64 hex digits (optionally 0x-prefixed) or 44 base64 characters", {
    got: s.slice(0, 80),
  });
}

export function requiredHash(p: Params, name: string): string {
  const raw = p[name];
  if (raw === undefined || raw === null) throw invalidParams(name, "is required");
  return hashString(raw, name);
}

/** An ed25519 public key (an account or validator id) as lower-case hex. */
export function requiredKeyHex(p: Params, name: string): string {
  const raw = p[name];
  if (raw === undefined || raw === null) throw invalidParams(name, "is required");
  if (typeof raw !== "string") throw invalidParams(name, "must be a 32-byte public key in hex", { got: typeOf(raw) });
  const hex = raw.startsWith("0x") || raw.startsWith("0X") ? raw.slice(2) : raw;
  if (hex.length !== 64 || !HEX.test(hex)) throw invalidParams(name, "must be a 32-byte public key: 64 hex digits", { got: raw.slice(0, 80) });
  return hex.toLowerCase();
}

/**
 * Bytes sent as standard padded base64 (what CometBFT's JSON encoding of []byte produces). In
 * URI requests CometBFT also takes 0x-hex, so those do too.
 */
export function bytesString(value: unknown, name: string, maxBytes: number, ctx: ParamContext): Uint8Array {
  if (typeof value !== "string") throw invalidParams(name, "must be a base64 string", { got: typeOf(value) });
  // Refuse before decoding: base64 is 4/3 of the bytes, so the length alone bounds the work.
  if (value.length > Math.ceil(maxBytes / 3) * 4 + 4) throw invalidParams(name, `must encode at most ${maxBytes} bytes`, { length: value.length });
  let bytes: Uint8Array;
  if (ctx.uri && (value.startsWith("0x") || value.startsWith("0X"))) {
    const hex = value.slice(2);
    if (hex.length % 2 !== 0 || !HEX.test(hex)) throw invalidParams(name, "is not valid hex", { got: value.slice(0, 80) });
    bytes = new Uint8Array(Buffer.from(hex, "hex"));
  } else {
    if (!BASE64.test(value)) throw invalidParams(name, "is not valid base64 (standard alphabet, padded)", { got: value.slice(0, 80) });
    bytes = new Uint8Array(Buffer.from(value, "base64"));
  }
  if (bytes.length === 0) throw invalidParams(name, "must not be empty");
  if (bytes.length > maxBytes) throw invalidParams(name, `must encode at most ${maxBytes} bytes`, { size: bytes.length });
  return bytes;
}

export function requiredBytes(p: Params, name: string, maxBytes: number, ctx: ParamContext): Uint8Array {
  const raw = p[name];
  if (raw === undefined || raw === null) throw invalidParams(name, "is required");
  return bytesString(raw, name, maxBytes, ctx);
}

export function typeOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

/**
 * CometBFT's paging: `page` from 1, `per_page` defaulting to 30 and clamped to `maxPerPage`
 * (CometBFT clamps rather than refuses, and clients rely on it). The page is checked against
 * `total` once known, with `checkPage`.
 */
export function paging(p: Params, maxPerPage: number): { page: number; perPage: number } {
  const page = optionalInt(p, "page", 1) ?? 1;
  // 0 means "default", as in CometBFT.
  const perPage = Math.min(optionalInt(p, "per_page", 0) || 30, maxPerPage);
  return { page, perPage };
}

export function checkPage(page: number, perPage: number, total: number): void {
  const pages = Math.max(1, Math.ceil(total / perPage));
  if (page > pages) throw invalidParams("page", `must be within [1, ${pages}]`, { got: page, total });
}
