// The hostile-RPC suite's harness: a real 4-validator network of `triad start` processes (its
// RPC server and tx path are the production ones) whose first node the attacks target, raw
// HTTP, TCP and WebSocket clients that can misbehave, and the honest client whose requests must
// keep succeeding, each within a generous bound, while an attack runs. Every request of the
// honest client opens a fresh connection: a kept-alive socket would dodge connection caps.
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse as parseToml, stringify as stringifyToml } from "smol-toml";
import { kvPutKind, signTx, utf8, type KeyPair, type SignedTx } from "../../../src/chain/index.js";
import { readKeyFile } from "../../../src/node/key-file.js";
import { isProcessAlive, prepareTestnet, Testnet } from "../../../src/testnet/index.js";
import { FAST_CONSENSUS, pollFor } from "../../e2e/node-helpers.js";

/** Each honest request must be answered within this: a bound against a hang, not a performance figure. */
export const HONEST_BOUND_MS = 10_000;

export interface JsonRpcAnswer {
  readonly jsonrpc?: string;
  readonly id?: unknown;
  readonly result?: Record<string, unknown>;
  readonly error?: { readonly code: number; readonly message: string; readonly data?: Record<string, unknown> };
}

export interface HttpAnswer {
  readonly status: number;
  readonly text: string;
  readonly json: unknown;
}

export interface PostOptions {
  readonly localAddress?: string;
  readonly headers?: Record<string, string>;
  readonly timeoutMs?: number;
  /** Send the body chunked, with no Content-Length. */
  readonly chunked?: boolean;
}

/** One POST on a fresh connection; rejects on a socket error or after `timeoutMs`. */
export function post(url: string, body: string | Buffer, options: PostOptions = {}): Promise<HttpAnswer> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: "POST",
        agent: false,
        headers: {
          "content-type": "application/json",
          ...(options.chunked === true ? { "transfer-encoding": "chunked" } : { "content-length": String(Buffer.byteLength(body)) }),
          ...options.headers,
        },
        ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          clearTimeout(timer);
          const text = Buffer.concat(chunks).toString("utf8");
          let json: unknown = null;
          try {
            json = text === "" ? null : JSON.parse(text);
          } catch {
            json = null;
          }
          resolve({ status: res.statusCode ?? 0, text, json });
        });
      },
    );
    const timer = setTimeout(() => {
      req.destroy(new Error(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    req.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.end(body);
  });
}

/** A JSON-RPC call on a fresh connection. */
export async function call(url: string, method: string, params?: unknown, options: PostOptions = {}): Promise<JsonRpcAnswer> {
  const answer = await post(url, JSON.stringify({ jsonrpc: "2.0", id: 1, method, ...(params === undefined ? {} : { params }) }), options);
  return answer.json as JsonRpcAnswer;
}

/** A raw TCP socket to the RPC port, connected. */
export function openSocket(port: number, localAddress?: string, host = "127.0.0.1"): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, ...(localAddress === undefined ? {} : { localAddress }) });
    socket.once("connect", () => resolve(socket));
    socket.once("error", reject);
  });
}

/** Resolves when the socket is closed (by either side); everything it received is in `received`. */
export function watchSocket(socket: Socket): { readonly closed: Promise<void>; readonly received: () => string; readonly isClosed: () => boolean } {
  const chunks: Buffer[] = [];
  let isClosed = false;
  socket.on("data", (c: Buffer) => chunks.push(c));
  socket.on("error", () => {});
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  void closed.then(() => (isClosed = true));
  return { closed, received: () => Buffer.concat(chunks).toString("latin1"), isClosed: () => isClosed };
}

/** A masked client text frame (RFC 6455 §5.2). */
export function clientFrame(text: string): Buffer {
  const payload = Buffer.from(text, "utf8");
  const mask = randomBytes(4);
  const length = payload.length;
  const head = length < 126 ? Buffer.from([0x81, 0x80 | length]) : length < 65536 ? Buffer.from([0x81, 0x80 | 126, length >> 8, length & 0xff]) : Buffer.concat([Buffer.from([0x81, 0x80 | 127]), bigEndian64(length)]);
  const masked = Buffer.alloc(length);
  for (let i = 0; i < length; i++) masked[i] = payload[i]! ^ mask[i & 3]!;
  return Buffer.concat([head, mask, masked]);
}

function bigEndian64(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
}

/** A WebSocket opened by hand over TCP, so the test decides when (never) to read from it. */
export async function rawWebSocket(port: number, host = "127.0.0.1"): Promise<Socket> {
  const socket = await openSocket(port, undefined, host);
  socket.write(
    `GET /websocket HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString("base64")}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  const head = await new Promise<string>((resolve, reject) => {
    let text = "";
    const onData = (chunk: Buffer): void => {
      text += chunk.toString("latin1");
      if (text.includes("\r\n\r\n")) {
        socket.off("data", onData);
        resolve(text);
      }
    };
    socket.on("data", onData);
    socket.once("error", reject);
  });
  if (!head.startsWith("HTTP/1.1 101")) throw new Error(`upgrade refused: ${head.slice(0, 200)}`);
  socket.pause();
  return socket;
}

export const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** `promise`, or a rejection naming `what` after `ms`. */
export async function within<T>(what: string, ms: number, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The honest client: `status`, then a kv.put through `broadcast_tx_commit` that must commit,
 * each on a fresh connection and within HONEST_BOUND_MS.
 */
export class HonestClient {
  private nonce = -1;
  rounds = 0;

  constructor(
    private readonly url: string,
    private readonly chainId: string,
    private readonly key: KeyPair,
  ) {}

  sign(nonce: number, key: string, value = "v"): SignedTx {
    return signTx({ chainId: this.chainId, from: this.key.publicKey, nonce, kind: kvPutKind.kind, payload: kvPutKind.encode({ key, value: utf8(value) }) }, this.key.secretKey);
  }

  async nextNonce(): Promise<number> {
    if (this.nonce < 0) {
      const account = await call(this.url, "triad_account", { id: Buffer.from(this.key.publicKey).toString("hex") });
      if (account.result === undefined) throw new Error(`triad_account failed: ${JSON.stringify(account.error)}`);
      this.nonce = Number(account.result.pending_nonce);
    }
    return this.nonce++;
  }

  /** One round; throws (failing the test) when a request errs or is not answered in time. */
  async round(): Promise<void> {
    const status = await within("honest status", HONEST_BOUND_MS, call(this.url, "status"));
    if (status.result === undefined) throw new Error(`honest status failed: ${JSON.stringify(status.error)}`);
    const tx = this.sign(await this.nextNonce(), `honest-${this.rounds}`);
    const commit = await within(
      "honest broadcast_tx_commit",
      HONEST_BOUND_MS,
      call(this.url, "broadcast_tx_commit", { tx: Buffer.from(tx.bytes).toString("base64") }, { timeoutMs: HONEST_BOUND_MS }),
    );
    const result = commit.result as { check_tx?: { code: number; log: string }; height?: string } | undefined;
    if (result?.check_tx?.code !== 0 || !(Number(result.height) > 0)) throw new Error(`honest tx did not commit: ${JSON.stringify(commit)}`);
    this.rounds++;
  }

  /** Rounds back to back until `attack` settles (at least one); returns the attack's value. */
  async during<T>(attack: Promise<T>): Promise<T> {
    let done = false;
    const settled = attack.finally(() => {
      done = true;
    });
    // The attack's rejection is reported by the caller's await below, not as unhandled.
    settled.catch(() => {});
    do await this.round();
    while (!done);
    return settled;
  }
}

export interface HostileNet {
  readonly net: Testnet;
  /** http://127.0.0.1:port of the attacked node. */
  readonly url: string;
  readonly port: number;
  readonly wsUrl: string;
  readonly chainId: string;
  readonly honest: HonestClient;
  /** A funded account other than the honest client's. */
  readonly other: KeyPair;
  stop(): Promise<void>;
}

/**
 * A 4-validator testnet; node 0's `[rpc]` settings get `rpc` on top of the defaults. Resolves
 * once node 0 has appended a block.
 */
export async function startHostileNet(rpc: Record<string, unknown> = {}): Promise<HostileNet> {
  const dir = mkdtempSync(join(tmpdir(), "triad-hostile-rpc-"));
  const spec = { dir, selection: "poa", validators: 4, consensus: FAST_CONSENSUS } as const;
  // `triad init` has a deadline of its own, which a loaded CI machine may pass: one more try
  // (prepareTestnet re-initialises homes a failed attempt left behind).
  const prepared = await prepareTestnet(spec).catch(() => prepareTestnet(spec));
  const target = prepared.manifest.nodes[0]!;
  const configFile = join(target.home, "config", "config.toml");
  const config = parseToml(readFileSync(configFile, "utf8")) as Record<string, Record<string, unknown>>;
  config.rpc = { ...config.rpc, ...rpc };
  writeFileSync(configFile, stringifyToml(config));
  const net = new Testnet(prepared, { stopGraceMs: 5_000 });
  const stop = async (): Promise<void> => {
    await net.stop();
    for (const pid of net.pids()) if (isProcessAlive(pid)) process.kill(pid, "SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await net.start();
    const url = target.rpc;
    await pollFor("node 0 at height 2", async () => {
      const s = await call(url, "status");
      const sync = s.result?.sync_info as { latest_block_height?: string } | undefined;
      return Number(sync?.latest_block_height) >= 2 ? true : undefined;
    }, 90_000, 200);
    const [a, b] = prepared.manifest.accounts;
    if (a === undefined || b === undefined) throw new Error("the testnet has fewer than two funded accounts");
    const honestKey = (await readKeyFile(a.key)).pair;
    const other = (await readKeyFile(b.key)).pair;
    const port = Number(new URL(url).port);
    return { net, url, port, wsUrl: `ws://127.0.0.1:${port}/websocket`, chainId: prepared.manifest.chainId, honest: new HonestClient(url, prepared.manifest.chainId, honestKey), other, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
