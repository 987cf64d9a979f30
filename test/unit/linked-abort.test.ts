// src/linked-abort.ts: a child signal tied to a long-lived parent lets go of it when the work
// ends. AbortSignal.any([parent, AbortSignal.timeout(ms)]) keeps a dependent-signal record on the
// parent per call on Node 20 (the leak issue 11 names); these tests count both the parent's
// listeners and those records, before and after many calls.
import { getEventListeners } from "node:events";
import { afterEach, describe, expect, it, vi } from "vitest";
import { linkAbort } from "../../src/linked-abort.js";
import { txMethods } from "../../src/rpc/methods-tx.js";
import type { MethodContext, RpcEnv } from "../../src/rpc/method-context.js";
import { account0, FakeNode, transferTx } from "../rpc/fake-node.js";
import { silentLogger } from "../rpc/helpers.js";

/** Node's internal set of signals that depend on `signal` (AbortSignal.any's leak); 0 when absent. */
function dependants(signal: AbortSignal): number {
  const key = Object.getOwnPropertySymbols(signal).find((s) => s.description === "kDependantSignals");
  const set = key === undefined ? undefined : (signal as unknown as Record<symbol, { size: number } | undefined>)[key];
  return set?.size ?? 0;
}

function held(signal: AbortSignal): number {
  return getEventListeners(signal, "abort").length + dependants(signal);
}

afterEach(() => {
  vi.useRealTimers();
});

describe("linkAbort", () => {
  it("leaves a long-lived parent's listeners where they started after many calls", () => {
    const parent = new AbortController();
    const other = new AbortController();
    parent.signal.addEventListener("abort", () => {});
    const start = held(parent.signal);
    for (let i = 0; i < 1_000; i++) {
      const link = linkAbort([parent.signal, undefined, other.signal], 60_000);
      expect(getEventListeners(parent.signal, "abort").length).toBe(start + 1);
      link.signal.addEventListener("abort", () => {});
      link.done();
      link.done(); // idempotent
    }
    expect(held(parent.signal)).toBe(start);
    expect(held(other.signal)).toBe(0);
  });

  it("aborts with the parent's reason, then lets go of every parent", () => {
    const a = new AbortController();
    const b = new AbortController();
    const link = linkAbort([a.signal, b.signal], 60_000);
    a.abort(new Error("stopping"));
    expect(link.signal.aborted).toBe(true);
    expect((link.signal.reason as Error).message).toBe("stopping");
    expect(link.timedOut).toBe(false);
    expect(held(a.signal) + held(b.signal)).toBe(0);
  });

  it("is aborted at once by a parent that already is, and adds no listener", () => {
    const a = new AbortController();
    const b = new AbortController();
    b.abort(new Error("gone"));
    const link = linkAbort([a.signal, b.signal], 60_000);
    expect(link.signal.aborted).toBe(true);
    expect((link.signal.reason as Error).message).toBe("gone");
    expect(held(a.signal)).toBe(0);
  });

  it("times out with a TimeoutError, says so, and lets go of the parent; done() clears the timer", () => {
    vi.useFakeTimers();
    const parent = new AbortController();
    const link = linkAbort([parent.signal], 1_000);
    vi.advanceTimersByTime(999);
    expect(link.signal.aborted).toBe(false);
    vi.advanceTimersByTime(1);
    expect(link.signal.aborted).toBe(true);
    expect(link.timedOut).toBe(true);
    expect((link.signal.reason as DOMException).name).toBe("TimeoutError");
    expect(held(parent.signal)).toBe(0);

    const finished = linkAbort([parent.signal], 1_000);
    finished.done();
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(5_000);
    expect(finished.signal.aborted).toBe(false);
  });
});

describe("call sites", () => {
  it("broadcast_tx_commit on one long-lived client signal (a WebSocket) leaves nothing on it", async () => {
    const node = new FakeNode();
    const tx = transferTx(account0, 0);
    node.appendBlock([tx]);
    const env: RpcEnv = {
      api: node,
      limits: {
        maxBodyBytes: 1 << 20,
        maxBatchLength: 10,
        maxSubscriptionsPerClient: 10,
        maxClients: 10,
        commitTimeoutMs: 60_000,
        maxPendingCommits: 10,
        maxTxsPerBatch: 10,
        maxBlockchainRange: 20,
        maxBlocksRange: 20,
        maxPerPage: 100,
        maxResponseBytes: 32 << 20,
      },
      logger: silentLogger,
      rpcAddress: () => "tcp://127.0.0.1:0",
      pendingCommits: 0,
      earliest: undefined,
    };
    const client = new AbortController();
    const ctx: MethodContext = { env, uri: false, signal: client.signal, ws: null, requestId: 1 };
    const commit = txMethods().find((m) => m.name === "broadcast_tx_commit")!;
    const start = held(client.signal);
    for (let i = 0; i < 200; i++) {
      await expect(commit.handler({ tx: Buffer.from(tx.bytes).toString("base64") }, ctx)).resolves.toMatchObject({ height: "1" });
    }
    expect(held(client.signal)).toBe(start);
  });
});
