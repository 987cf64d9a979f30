// Fuzzing the RPC's parameter parsing: the shared parsers (ints, strings, hashes, keys, base64
// bytes, paging), the event query language, and every method's handler over a fake node with
// real blocks and txs. A client's bad params must come back as an RpcError (-32602 naming the
// parameter, or the method's documented refusal), never as an internal error.
import fc from "fast-check";
import pino from "pino";
import { describe, it } from "vitest";
import { TriadError } from "../../../src/chain/errors.js";
import { FaultLayer } from "../../../src/p2p/fault-layer.js";
import { RpcError } from "../../../src/rpc/errors.js";
import type { MethodContext, RpcEnv } from "../../../src/rpc/method-context.js";
import { allMethods } from "../../../src/rpc/methods.js";
import {
  bytesString,
  hashString,
  namedParams,
  optionalBool,
  optionalEnum,
  optionalInt,
  optionalString,
  paging,
  requiredKeyHex,
  type Params,
} from "../../../src/rpc/params.js";
import { parseQuery, queryMatches } from "../../../src/rpc/query.js";
import { account0, FakeNode, transferTx } from "../../rpc/fake-node.js";
import { assert, check, checkAsync, mutated, returnsOrThrowsTyped } from "./fuzz-support.js";

const rpcErrors = (e: unknown): boolean => e instanceof RpcError;
const invalidParams = (e: unknown): boolean => e instanceof RpcError && e.kind === "INVALID_PARAMS";

const hex64 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString("hex"));
/** Strings a client sends where a number, hash, key or base64 is wanted: the right shapes, near misses and junk. */
const paramString = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.integer().map(String),
  fc.constantFrom("", " 5", "5 ", "-0", "007", "1e3", "0x10", "9007199254740993", "-9007199254740993", "true", "false", "NaN", "Infinity"),
  hex64,
  hex64.map((h) => `0x${h.toUpperCase()}`),
  fc.uint8Array({ minLength: 0, maxLength: 48 }).map((b) => Buffer.from(b).toString("base64")),
  fc.uint8Array({ minLength: 31, maxLength: 34 }).map((b) => Buffer.from(b).toString("base64url")),
  fc.stringMatching(/^[A-Za-z0-9+/]{42,45}={0,2}$/),
);
const paramValue = fc.oneof(
  paramString,
  fc.oneof(fc.integer(), fc.double(), fc.constantFrom(-1, 0, 1, 2 ** 53, -(2 ** 53), 1e308, Number.MAX_SAFE_INTEGER)),
  fc.boolean(),
  fc.constant(null),
  fc.jsonValue({ maxDepth: 2 }),
);

describe("fuzz: RPC parameter parsers", () => {
  it("namedParams: an object of the method's names, or INVALID_PARAMS", () => {
    check(
      fc.property(fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.array(paramValue, { maxLength: 6 }), fc.constant(undefined)), fc.array(fc.string({ maxLength: 8 }), { maxLength: 4 }), (params, names) => {
        const r = returnsOrThrowsTyped(() => namedParams(params, names), invalidParams);
        if (r.ok) assert(typeof r.value === "object" && r.value !== null && !Array.isArray(r.value), "namedParams returned a non-object");
      }),
    );
  });

  it("each parser returns what its contract says, or INVALID_PARAMS naming the param", () => {
    check(
      fc.property(paramValue, fc.integer({ min: 0, max: 100 }), fc.integer({ min: 1, max: 200 }), fc.boolean(), (value, min, maxBytes, uri) => {
        const p: Params = { x: value };
        const named = (e: unknown): boolean => invalidParams(e) && (e as RpcError).data.param === "x";
        const int = returnsOrThrowsTyped(() => optionalInt(p, "x", min, min + 1000), named);
        if (int.ok && int.value !== undefined) assert(Number.isSafeInteger(int.value) && int.value >= min && int.value <= min + 1000, `optionalInt gave ${int.value}`);
        const str = returnsOrThrowsTyped(() => optionalString(p, "x", 40), named);
        if (str.ok && str.value !== undefined) assert(typeof str.value === "string" && str.value.length <= 40, "optionalString over its limit");
        returnsOrThrowsTyped(() => optionalBool(p, "x"), named);
        returnsOrThrowsTyped(() => optionalEnum(p, "x", ["asc", "desc"]), named);
        const hash = returnsOrThrowsTyped(() => hashString(value, "x"), named);
        if (hash.ok) assert(/^[0-9a-f]{64}$/.test(hash.value), `hashString(${JSON.stringify(value)}) gave ${hash.value}, not a 32-byte hash`);
        const key = value === null ? { ok: false as const } : returnsOrThrowsTyped(() => requiredKeyHex(p, "x"), named);
        if (key.ok) assert(/^[0-9a-f]{64}$/.test(key.value), "requiredKeyHex gave a non-key");
        const bytes = returnsOrThrowsTyped(() => bytesString(value, "x", maxBytes, { uri }), named);
        if (bytes.ok) assert(bytes.value.length >= 1 && bytes.value.length <= maxBytes, "bytesString outside its bounds");
      }),
    );
  });

  it("paging: a page from 1 and a page size within the cap, or INVALID_PARAMS", () => {
    check(
      fc.property(paramValue, paramValue, fc.integer({ min: 1, max: 100 }), (page, perPage, max) => {
        const r = returnsOrThrowsTyped(() => paging({ page, per_page: perPage }, max), invalidParams);
        if (r.ok) assert(r.value.page >= 1 && r.value.perPage >= 1 && r.value.perPage <= max, `paging gave ${JSON.stringify(r.value)}`);
      }),
    );
  });
});

describe("fuzz: event queries", () => {
  const key = fc.constantFrom("tm.event", "tx.hash", "tx.height", "transfer.amount", "a", "a.b-c_d");
  const value = fc.oneof(fc.string({ maxLength: 12 }).filter((s) => !s.includes("'")).map((s) => `'${s}'`), fc.integer().map(String), fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => d.toFixed(3)));
  const condition = fc.oneof(fc.tuple(key, fc.constantFrom("=", "<", "<=", ">", ">=", "CONTAINS"), value).map((t) => t.join(" ")), key.map((k) => `${k} EXISTS`));
  const validQuery = fc.array(condition, { minLength: 1, maxLength: 5 }).map((cs) => cs.join(" AND "));
  const text = fc.oneof(fc.string({ maxLength: 80 }), validQuery, mutated(validQuery.map((q) => new TextEncoder().encode(q))).map((m) => new TextDecoder().decode(m.bytes)), fc.string({ minLength: 500, maxLength: 600 }));
  const events = fc.dictionary(key, fc.array(fc.oneof(fc.string({ maxLength: 8 }), fc.integer().map(String)), { maxLength: 3 }), { maxKeys: 4 });

  it("parseQuery: a query of at most 16 conditions, or INVALID_PARAMS; matching never throws", () => {
    check(
      fc.property(fc.oneof(text, paramValue), events, (q, ev) => {
        const r = returnsOrThrowsTyped(() => parseQuery(q), invalidParams);
        if (!r.ok) return;
        assert(r.value.conditions.length >= 1 && r.value.conditions.length <= 16, "a query with too many conditions parsed");
        assert(typeof queryMatches(r.value, ev) === "boolean", "queryMatches gave a non-boolean");
      }),
    );
  });
});

describe("fuzz: every method's param parsing", () => {
  const node = new FakeNode();
  const txs = [0, 1, 2, 3, 4].map((n) => transferTx(account0, n));
  node.appendBlock(txs.slice(0, 2));
  node.appendBlock([]);
  node.appendBlock(txs.slice(2, 3));
  const blockIds = node.blocks.map((b) => b.block.id);
  const txIds = txs.slice(0, 3).map((t) => t.id);
  const txB64 = txs.map((t) => Buffer.from(t.bytes).toString("base64"));
  const env: RpcEnv = {
    api: node,
    limits: { maxBodyBytes: 1 << 20, maxBatchLength: 100, maxSubscriptionsPerClient: 10, maxClients: 100, commitTimeoutMs: 5, maxPendingCommits: 10, maxTxsPerBatch: 100, maxBlockchainRange: 20, maxBlocksRange: 100, maxPerPage: 100, maxResponseBytes: 32 << 20 },
    logger: pino({ level: "silent" }),
    rpcAddress: () => "tcp://127.0.0.1:0",
    pendingCommits: 0,
    earliest: undefined,
  };
  const methods = allMethods(new FaultLayer({ seed: 1 }));
  const names = [...new Set(methods.flatMap((m) => m.params))];
  // Values that reach past the parsers: real heights, block and tx hashes, signed txs, peers.
  const known = fc.oneof(
    fc.integer({ min: -2, max: 6 }),
    fc.integer({ min: -2, max: 6 }).map(String),
    fc.constantFrom(...blockIds, ...txIds, ...blockIds.map((h) => Buffer.from(h, "hex").toString("base64"))),
    fc.constantFrom(...txB64),
    fc.array(fc.constantFrom(...txB64), { maxLength: 3 }),
    fc.constantFrom("tx.height > 1", "tx.hash = 'x'", "tm.event = 'Tx'", "asc", "desc", "in", "out", "both", ["*"], ["12D3KooWxyz"]),
  );
  const value = fc.oneof(known, paramValue);
  const params = fc.oneof(
    fc.dictionary(fc.constantFrom(...names), value, { maxKeys: 5 }),
    fc.array(value, { maxLength: 8 }),
    fc.jsonValue({ maxDepth: 2 }),
  );

  it("each handler answers, or refuses with an RpcError (never a chain error or a crash)", async () => {
    await checkAsync(
      fc.asyncProperty(fc.constantFrom(...methods), params, fc.boolean(), async (method, raw, uri) => {
        const ctx: MethodContext = { env, uri, signal: new AbortController().signal, ws: null, requestId: 1 };
        try {
          await method.handler(namedParams(raw, method.params), ctx);
        } catch (err) {
          if (rpcErrors(err)) return;
          const e = err as Error;
          const what = err instanceof TriadError ? `${e.name} ${err.code}` : e?.name;
          throw new Error(`${method.name}(${JSON.stringify(raw)?.slice(0, 200)}) threw ${what}: ${e?.message}`, { cause: err });
        }
      }),
    );
  });
});
