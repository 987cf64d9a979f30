// Hostile requests against a real node's RPC (HTTP and WebSocket on 127.0.0.1): malformed
// JSON, nesting 100,000 deep, oversize bodies, a batch of 10,000, wrong types and numbers and
// encodings on every method, malleated signatures and small-order keys, a wrong chain id,
// replayed and re-encoded txs. Each gets its documented error (JSON-RPC code or HTTP status) or
// is cut off, and the honest client's status and committed tx keep succeeding meanwhile.
import { beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { signTx, transferKind, kvPutKind, utf8, type SignedTx } from "../../../src/chain/index.js";
import { CHECK_TX_CODES, RPC_ERROR_CODES } from "../../../src/rpc/client.js";
import { call, post, type HostileNet, type JsonRpcAnswer } from "./harness.js";

/** The network under attack, set when the suite starts. */
let h: HostileNet;

const rpcError = (answer: unknown): JsonRpcAnswer["error"] => (answer as JsonRpcAnswer).error;
const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString("base64");

/** Codes a hostile input may get: never −32603, which would mean the server itself broke. */
const CLIENT_ERRORS = new Set<number>([
  RPC_ERROR_CODES.INVALID_REQUEST,
  RPC_ERROR_CODES.METHOD_NOT_FOUND,
  RPC_ERROR_CODES.INVALID_PARAMS,
  RPC_ERROR_CODES.NOT_FOUND,
  RPC_ERROR_CODES.RANGE_TOO_LARGE,
  RPC_ERROR_CODES.METHOD_NOT_ENABLED,
]);

/** One WebSocket message out, its answer back. */
async function wsExchange(text: string): Promise<{ answer: string | null; closeCode: number | null }> {
  const socket = new WebSocket(h.wsUrl);
  await new Promise<void>((resolve, reject) => {
    socket.once("open", () => resolve());
    socket.once("error", reject);
  });
  return new Promise((resolve) => {
    let answer: string | null = null;
    socket.once("message", (data) => {
      answer = String(data);
      socket.close();
    });
    socket.once("close", (code) => resolve({ answer, closeCode: answer === null ? code : null }));
    socket.on("error", () => {});
    socket.send(text);
  });
}

// Raw JSON texts (so 1e400 and -0 reach the server as written).
const BAD_VALUES = [
  "-1",
  "-9007199254740993",
  "1e400",
  "-1e400",
  "18446744073709551616",
  '"18446744073709551616"',
  '"-5"',
  "1.5",
  "-0",
  "true",
  "{}",
  "[]",
  '[[[[[[[[[[[[[[[[["deep"]]]]]]]]]]]]]]]]]',
  `"${"9".repeat(400)}"`,
  '"0x"',
  '"0xzz"',
  '"zz"',
  '"!!!!"',
  '"AAA"',
  '"===="',
  '"AA==AA=="',
  '"QUJD\\nREVG"',
  `"${"A".repeat(40_000)}"`,
  '"\\u0000"',
  '"tm.event=\'NewBlock\' AND"',
];
const PARAM_NAMES = ["height", "hash", "minHeight", "maxHeight", "min_height", "max_height", "page", "per_page", "order_by", "query", "prove", "tx", "txs", "limit", "id", "key", "since"];

/** Ed25519's group order L. */
const L = 2n ** 252n + 27742317777372353535851937790883648493n;

function leToBig(bytes: Uint8Array): bigint {
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!);
  return v;
}

function bigToLe(v: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = Number((v >> BigInt(8 * i)) & 0xffn);
  return out;
}

function withSignature(tx: SignedTx, signature: Uint8Array): Uint8Array {
  const bytes = Uint8Array.from(tx.bytes);
  bytes.set(signature, bytes.length - 64);
  return bytes;
}

const SMALL_ORDER_KEYS = [
  "0000000000000000000000000000000000000000000000000000000000000000",
  "0100000000000000000000000000000000000000000000000000000000000000",
  "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
  "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
  "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
];

export function requestAttacks(net: () => HostileNet): void {
  beforeAll(() => {
    h = net();
  });

  describe("malformed and oversize requests", () => {
    it("answers malformed JSON with −32700, over HTTP and WebSocket", async () => {
      const bodies = ["{", '{"jsonrpc":"2.0",', "nul", "[1,2,", "", "\u0000\u0001", '{"jsonrpc":"2.0","id":1,"method":"status"}}', "\"\\ud800"];
      const answers = await h.honest.during(Promise.all(bodies.map((b) => post(h.url, b))));
      for (const [i, a] of answers.entries()) {
        expect(a.status, bodies[i]).toBe(200);
        expect(rpcError(a.json)?.code, bodies[i]).toBe(RPC_ERROR_CODES.PARSE_ERROR);
      }
      const ws = await wsExchange("{not json");
      expect(rpcError(JSON.parse(ws.answer!))?.code).toBe(RPC_ERROR_CODES.PARSE_ERROR);
      // Invalid UTF-8 bytes in the body.
      const garbage = await post(h.url, Buffer.from([0xff, 0xfe, 0x7b, 0x80]));
      expect(rpcError(garbage.json)?.code).toBe(RPC_ERROR_CODES.PARSE_ERROR);
    });

    it("refuses JSON nested 100,000 deep with a parse error, never a crash", async () => {
      const depth = 100_000;
      const arrays = "[".repeat(depth) + "]".repeat(depth);
      const objects = '{"a":'.repeat(depth) + "1" + "}".repeat(depth);
      const inParams = `{"jsonrpc":"2.0","id":1,"method":"block","params":{"height":${arrays}}}`;
      const inId = `{"jsonrpc":"2.0","id":${objects},"method":"status"}`;
      const answers = await h.honest.during(Promise.all([arrays, objects, inParams, inId].map((b) => post(h.url, b))));
      for (const a of answers) {
        expect(a.status).toBe(200);
        expect(rpcError(a.json)?.code).toBe(RPC_ERROR_CODES.PARSE_ERROR);
        expect(rpcError(a.json)?.data?.reason).toMatch(/nest/);
      }
      const ws = await wsExchange(inParams);
      expect(rpcError(JSON.parse(ws.answer!))?.code).toBe(RPC_ERROR_CODES.PARSE_ERROR);
      // Still serving.
      expect((await call(h.url, "health")).result).toEqual({});
    });

    it("refuses bodies over the limit with 413 / −32008, declared or chunked, and WebSocket frames with 1009", async () => {
      const big = Buffer.alloc(2 * 1024 * 1024 + 1, 0x20);
      const declared = post(h.url, big);
      const chunked = post(h.url, big, { chunked: true });
      const [a, b] = await h.honest.during(Promise.all([declared, chunked]));
      for (const r of [a, b]) {
        expect(r.status).toBe(413);
        expect(rpcError(r.json)?.code).toBe(RPC_ERROR_CODES.BODY_TOO_LARGE);
        expect(rpcError(r.json)?.data?.limit).toBe(1024 * 1024);
      }
      const ws = await wsExchange(big.toString("latin1"));
      expect(ws.closeCode).toBe(1009);
    });

    it("refuses a batch of 10,000 with −32600 naming the cap, over HTTP and WebSocket", async () => {
      const batch = JSON.stringify(Array.from({ length: 10_000 }, (_, i) => ({ jsonrpc: "2.0", id: i, method: "status" })));
      const answer = await h.honest.during(post(h.url, batch));
      expect(answer.status).toBe(200);
      const error = rpcError(answer.json);
      expect(error?.code).toBe(RPC_ERROR_CODES.INVALID_REQUEST);
      expect(error?.data).toMatchObject({ limit: 100, got: 10_000 });
      const ws = await wsExchange(batch);
      expect(rpcError(JSON.parse(ws.answer!))?.code).toBe(RPC_ERROR_CODES.INVALID_REQUEST);
    });
  });

  describe("wrong types, huge and negative numbers, bad hex and base64 on every method", () => {
    it("answers each with a client error (never −32603) while the honest client commits", async () => {
      const listing = (await (await fetch(h.url)).json()) as { methods: string[] };
      // The unsafe_* fault methods are served (testnets start --unsafe) but are an operator's tool.
      const methods = listing.methods.filter((m) => !m.startsWith("unsafe_") && m !== "broadcast_tx_commit");
      expect(methods.length).toBeGreaterThan(20);
      const requests: string[] = [];
      for (const method of methods) {
        for (const value of BAD_VALUES) {
          const named = PARAM_NAMES.map((p) => `"${p}":${value}`).join(",");
          requests.push(`{"jsonrpc":"2.0","id":${requests.length},"method":"${method}","params":{${named}}}`);
          requests.push(`{"jsonrpc":"2.0","id":${requests.length},"method":"${method}","params":[${value}]}`);
        }
        for (const params of ['"a string"', "5", "true"]) requests.push(`{"jsonrpc":"2.0","id":${requests.length},"method":"${method}","params":${params}}`);
      }
      const attack = (async (): Promise<JsonRpcAnswer[]> => {
        const out: JsonRpcAnswer[] = [];
        // Batches under both caps (100 requests, 1 MiB).
        for (let i = 0; i < requests.length; ) {
          const batch: string[] = [];
          let size = 2;
          while (i < requests.length && batch.length < 100 && size + requests[i]!.length < 1000_000) {
            size += requests[i]!.length + 1;
            batch.push(requests[i++]!);
          }
          const answer = await post(h.url, `[${batch.join(",")}]`);
          expect(answer.status).toBe(200);
          out.push(...(answer.json as JsonRpcAnswer[]));
        }
        return out;
      })();
      const answers = await h.honest.during(attack);
      expect(answers).toHaveLength(requests.length);
      const internal = answers.filter((a) => a.error !== undefined && !CLIENT_ERRORS.has(a.error.code));
      expect(internal.map((a) => ({ request: requests[a.id as number]!.slice(0, 200), error: a.error }))).toEqual([]);
      // Each refusal says which param and why.
      for (const a of answers) if (a.error?.code === RPC_ERROR_CODES.INVALID_PARAMS) expect(typeof a.error.data?.reason).toBe("string");
    });

    it("refuses the same over the URI form", async () => {
      const paths = ["/block?height=-1", "/block?height=1e400", "/block?height=99999999999999999999", "/tx?hash=0xzz", "/tx?hash=%22!!!%22", "/broadcast_tx_sync?tx=0x0", "/broadcast_tx_sync?tx=%22@@%22", "/blockchain?minHeight=5&maxHeight=-5", "/validators?per_page=-1"];
      for (const path of paths) {
        const res = await fetch(h.url + path);
        const json = (await res.json()) as JsonRpcAnswer;
        expect(CLIENT_ERRORS.has(json.error?.code ?? 0), `${path}: ${JSON.stringify(json)}`).toBe(true);
      }
    });
  });

  describe("hostile txs", () => {
    let nonce: number;
    let genuine: SignedTx;
    const other = (): string => Buffer.from(h.other.publicKey).toString("hex");
    const sync = async (bytes: Uint8Array): Promise<{ code: number; hash: string; triad: { status?: string; error?: string; height?: number } }> => {
      const a = await call(h.url, "broadcast_tx_sync", { tx: b64(bytes) });
      if (a.result === undefined) throw new Error(JSON.stringify(a.error));
      return a.result as never;
    };

    /** Many txs in one JSON-RPC batch: one socket each would pass this network's per-IP cap of 20. */
    const syncAll = async (txs: Uint8Array[]): Promise<{ code: number; triad: { error?: string } }[]> => {
      const batch = JSON.stringify(txs.map((bytes, i) => ({ jsonrpc: "2.0", id: i, method: "broadcast_tx_sync", params: { tx: b64(bytes) } })));
      const answers = (await post(h.url, batch)).json as JsonRpcAnswer[];
      expect(answers).toHaveLength(txs.length);
      return answers.map((a) => a.result as never);
    };

    beforeAll(async () => {
      const account = await call(h.url, "triad_account", { id: other() });
      nonce = Number(account.result!.pending_nonce);
      genuine = signTx({ chainId: h.chainId, from: h.other.publicKey, nonce, kind: kvPutKind.kind, payload: kvPutKind.encode({ key: "genuine", value: utf8("1") }) }, h.other.secretKey);
    });

    it("refuses malleated signatures (S + L, S ≥ 2^253, flipped bits) before the genuine tx takes its nonce", async () => {
      const sig = genuine.signature;
      const s = leToBig(sig.subarray(32));
      const variants: Uint8Array[] = [];
      for (const k of [1n, 2n, 3n]) {
        const sPlus = s + k * L;
        if (sPlus < 2n ** 256n) variants.push(withSignature(genuine, Uint8Array.from([...sig.subarray(0, 32), ...bigToLe(sPlus, 32)])));
      }
      const highS = Uint8Array.from(sig);
      highS[63] = highS[63]! | 0xe0;
      variants.push(withSignature(genuine, highS));
      for (const bit of [0, 100, 255, 256, 300, 511]) {
        const flipped = Uint8Array.from(sig);
        flipped[bit >> 3] = flipped[bit >> 3]! ^ (1 << (bit & 7));
        variants.push(withSignature(genuine, flipped));
      }
      variants.push(withSignature(genuine, new Uint8Array(64)));
      const results = await h.honest.during(syncAll(variants));
      for (const r of results) {
        expect(r.code).toBe(CHECK_TX_CODES.BAD_SIGNATURE);
        expect(r.triad.error).toBe("BAD_SIGNATURE");
      }
      // None of them took the nonce: the genuine tx is admitted and commits.
      const committed = await call(h.url, "broadcast_tx_commit", { tx: b64(genuine.bytes) });
      expect((committed.result as { check_tx: { code: number } }).check_tx.code).toBe(0);
      expect(Number((committed.result as { height: string }).height)).toBeGreaterThan(0);
    });

    it("refuses txs from small-order and non-canonical public keys, whatever the signature", async () => {
      const forged: Uint8Array[] = [];
      for (const hex of SMALL_ORDER_KEYS) {
        for (const signBit of [0, 0x80]) {
          const key = Buffer.from(hex, "hex");
          key[31] = key[31]! | signBit;
          const tx = { chainId: h.chainId, from: new Uint8Array(key), nonce: 0, kind: transferKind.kind, payload: transferKind.encode({ to: h.other.publicKey, amount: 1n }) };
          const template = signTx(tx, h.other.secretKey);
          // R = a small-order point, S = 0: what verifies for any message under a small-order key.
          for (const r of [SMALL_ORDER_KEYS[1]!, hex]) {
            const signature = new Uint8Array(64);
            signature.set(Buffer.from(r, "hex"));
            forged.push(withSignature(template, signature));
          }
        }
      }
      const results = await h.honest.during(syncAll(forged));
      for (const r of results) expect(r.code, JSON.stringify(r)).toBe(CHECK_TX_CODES.BAD_SIGNATURE);
    });

    it("refuses a tx for another chain", async () => {
      const tx = signTx({ chainId: `${h.chainId}-other`, from: h.other.publicKey, nonce: nonce + 1, kind: kvPutKind.kind, payload: kvPutKind.encode({ key: "k", value: utf8("v") }) }, h.other.secretKey);
      expect((await h.honest.during(sync(tx.bytes))).code).toBe(CHECK_TX_CODES.WRONG_CHAIN);
    });

    it("treats a replayed tx as the same tx: known, never pooled or applied twice", async () => {
      // One batch: 50 sockets at once would pass this network's per-IP cap of 20.
      const batch = JSON.stringify(Array.from({ length: 50 }, (_, i) => ({ jsonrpc: "2.0", id: i, method: "broadcast_tx_sync", params: { tx: b64(genuine.bytes) } })));
      const answers = (await h.honest.during(post(h.url, batch))).json as JsonRpcAnswer[];
      expect(answers).toHaveLength(50);
      const replays = answers.map((a) => a.result as { code: number; hash: string; triad: { status?: string } });
      for (const r of replays) {
        expect(r.code).toBe(0);
        expect(r.hash).toBe(genuine.id.toUpperCase());
        expect(r.triad.status).toBe("committed");
      }
      const again = await call(h.url, "broadcast_tx_commit", { tx: b64(genuine.bytes) });
      expect((again.result as { hash: string }).hash).toBe(genuine.id.toUpperCase());
      const found = await call(h.url, "tx_search", { query: `tx.sender='${other()}'`, per_page: 100 });
      const ids = (found.result as { txs: { hash: string }[] }).txs.map((t) => t.hash);
      expect(ids.filter((id) => id === genuine.id.toUpperCase())).toHaveLength(1);
    });

    it("refuses the same tx re-encoded: trailing bytes, non-minimal varints, loose base64; the URI hex form is the same tx", async () => {
      const next = signTx({ chainId: h.chainId, from: h.other.publicKey, nonce: nonce + 1, kind: kvPutKind.kind, payload: kvPutKind.encode({ key: "re-encoded", value: utf8("1") }) }, h.other.secretKey);
      const bytes = next.bytes;
      const trailing = Uint8Array.from([...bytes, 0]);
      // The version byte, then the chain id's length: a 1-byte varint re-written in 2 bytes.
      const chainLen = bytes[1]!;
      const nonMinimal = Uint8Array.from([bytes[0]!, chainLen | 0x80, 0x00, ...bytes.subarray(2)]);
      const results = await h.honest.during(Promise.all([trailing, nonMinimal, bytes.subarray(0, bytes.length - 1)].map(sync)));
      for (const r of results) expect(r.code, JSON.stringify(r)).toBe(CHECK_TX_CODES.BAD_PAYLOAD);
      const text = b64(bytes);
      for (const loose of [text.replace(/=+$/, ""), Buffer.from(bytes).toString("base64url"), `${text.slice(0, 8)}\n${text.slice(8)}`, ` ${text}`]) {
        if (loose === text) continue;
        expect(rpcError(await call(h.url, "broadcast_tx_sync", { tx: loose }))?.code, loose.slice(0, 20)).toBe(RPC_ERROR_CODES.INVALID_PARAMS);
      }
      const first = await sync(bytes);
      expect(first.code).toBe(0);
      const viaUri = (await (await fetch(`${h.url}/broadcast_tx_sync?tx=0x${Buffer.from(bytes).toString("hex")}`)).json()) as JsonRpcAnswer;
      expect(viaUri.result).toMatchObject({ code: 0, hash: next.id.toUpperCase() });
      expect((viaUri.result as { triad: { status: string } }).triad.status).toMatch(/^(known|committed)$/);
    });
  });
}
