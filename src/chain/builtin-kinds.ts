// The chain's own tx kinds: `transfer`, `kv.put`, `kv.delete`.
import { decodeAll, toHex, utf8Length, Writer } from "./encoding.js";
import { DecodeError } from "./errors.js";
import { PUBLIC_KEY_BYTES } from "./keys.js";
import { ExecutionFailure } from "./receipt.js";
import { accountKey, encodeAccount, kvKey, readAccount } from "./state.js";
import { TxRegistry, type TxKind } from "./tx-registry.js";

export const MAX_KV_KEY_BYTES = 256;
export const MAX_KV_VALUE_BYTES = 16 * 1024;
const U64_MAX = (1n << 64n) - 1n;

export interface TransferPayload {
  readonly to: Uint8Array;
  readonly amount: bigint;
}

export const transferKind: TxKind<TransferPayload> = {
  kind: "transfer",
  maxPayloadBytes: PUBLIC_KEY_BYTES + 10,
  encode: (p) => new Writer(48).fixed(p.to, PUBLIC_KEY_BYTES).u64(p.amount).finish(),
  decode(bytes) {
    const p = decodeAll(bytes, this.maxPayloadBytes, (r) => ({ to: r.fixed(PUBLIC_KEY_BYTES), amount: r.u64() }));
    if (p.amount === 0n) throw new DecodeError("INVALID_VALUE", "transfer amount must be positive");
    return p;
  },
  toJSON: (p) => ({ to: toHex(p.to), amount: p.amount.toString() }),
  apply(ctx, tx, p) {
    const to = toHex(p.to);
    const sender = readAccount(ctx.state, tx.sender);
    if (sender.balance < p.amount) {
      throw new ExecutionFailure("INSUFFICIENT_BALANCE", `balance ${sender.balance} < amount ${p.amount}`);
    }
    ctx.state.set(accountKey(tx.sender), encodeAccount({ ...sender, balance: sender.balance - p.amount }));
    const recipient = readAccount(ctx.state, to);
    // Genesis balances are each below 2^64 but their sum is not: without this check the u64
    // encoding throws a RangeError out of block execution instead of failing the tx.
    if (recipient.balance + p.amount > U64_MAX) {
      throw new ExecutionFailure("LIMIT_EXCEEDED", `recipient balance would exceed 2^64 - 1`);
    }
    ctx.state.set(accountKey(to), encodeAccount({ ...recipient, balance: recipient.balance + p.amount }));
  },
};

export interface KvPutPayload {
  readonly key: string;
  readonly value: Uint8Array;
}

function checkKvKey(key: string): void {
  const n = utf8Length(key);
  if (n === 0 || n > MAX_KV_KEY_BYTES) throw new DecodeError("INVALID_VALUE", `kv key must be 1..${MAX_KV_KEY_BYTES} bytes`);
}

export const kvPutKind: TxKind<KvPutPayload> = {
  kind: "kv.put",
  maxPayloadBytes: MAX_KV_KEY_BYTES + MAX_KV_VALUE_BYTES + 8,
  encode: (p) => new Writer(p.value.length + 64).string(p.key).bytes(p.value).finish(),
  decode(bytes) {
    const p = decodeAll(bytes, this.maxPayloadBytes, (r) => ({ key: r.string(MAX_KV_KEY_BYTES), value: r.bytes(MAX_KV_VALUE_BYTES) }));
    checkKvKey(p.key);
    return p;
  },
  toJSON: (p) => ({ key: p.key, value: Buffer.from(p.value).toString("base64") }),
  apply(ctx, _tx, p) {
    ctx.state.set(kvKey(p.key), p.value);
  },
};

export interface KvDeletePayload {
  readonly key: string;
}

export const kvDeleteKind: TxKind<KvDeletePayload> = {
  kind: "kv.delete",
  maxPayloadBytes: MAX_KV_KEY_BYTES + 4,
  encode: (p) => new Writer(64).string(p.key).finish(),
  decode(bytes) {
    const p = decodeAll(bytes, this.maxPayloadBytes, (r) => ({ key: r.string(MAX_KV_KEY_BYTES) }));
    checkKvKey(p.key);
    return p;
  },
  toJSON: (p) => ({ key: p.key }),
  apply(ctx, _tx, p) {
    if (ctx.state.get(kvKey(p.key)) === undefined) throw new ExecutionFailure("NOT_FOUND", `kv key ${JSON.stringify(p.key)} not found`);
    ctx.state.delete(kvKey(p.key));
  },
};

/** A registry holding the chain's own kinds; selection modules add theirs to it. */
export function builtinRegistry(): TxRegistry {
  return new TxRegistry().register(transferKind).register(kvPutKind).register(kvDeleteKind);
}
