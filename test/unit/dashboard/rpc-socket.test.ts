// The page's JSON-RPC WebSocket client (src/dashboard/public/rpc-socket.js) over a fake socket
// and fake timers: replies, errors, events, a node that never answers (a paused process),
// reconnecting with backoff and subscribing again.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { RpcSocket, backoffMs } from "../../../src/dashboard/public/rpc-socket.js";

/** The part of the browser's WebSocket the client uses. */
class FakeSocket {
  static all: FakeSocket[] = [];
  sent: { id: number; method: string; params: Record<string, unknown> }[] = [];
  closed = false;
  onopen: (() => void) | null = null;
  onmessage: ((msg: { data: string }) => void) | null = null;
  onclose: (() => void) | null = null;
  onerror: (() => void) | null = null;
  constructor(readonly url: string) {
    FakeSocket.all.push(this);
  }
  send(text: string): void {
    this.sent.push(JSON.parse(text) as FakeSocket["sent"][number]);
  }
  close(): void {
    this.closed = true;
  }
  open(): void {
    this.onopen?.();
  }
  reply(id: number, body: Record<string, unknown>): void {
    this.onmessage?.({ data: JSON.stringify({ jsonrpc: "2.0", id, ...body }) });
  }
  last(method: string): { id: number; params: Record<string, unknown> } {
    const req = [...this.sent].reverse().find((r) => r.method === method);
    if (req === undefined) throw new Error(`no ${method} sent`);
    return req;
  }
}

const latest = (): FakeSocket => FakeSocket.all[FakeSocket.all.length - 1]!;

function client(onChange = (): void => {}): RpcSocket {
  const c = new RpcSocket("ws://127.0.0.1:1/websocket", { timeoutMs: 3000, onChange, WebSocketImpl: FakeSocket as unknown as { new (url: string): WebSocket } });
  c.start();
  return c;
}

beforeEach(() => {
  vi.useFakeTimers();
  FakeSocket.all = [];
});
afterEach(() => {
  vi.useRealTimers();
});

describe("backoffMs", () => {
  it("doubles from 500 ms up to 8 s", () => {
    expect([0, 1, 2, 3, 4, 5, 50].map((a) => backoffMs(a))).toEqual([500, 1000, 2000, 4000, 8000, 8000, 8000]);
  });
});

describe("RpcSocket", () => {
  it("answers calls with their result, rejects JSON-RPC errors, and refuses calls while not connected", async () => {
    const changes: boolean[] = [];
    const c = client(() => changes.push(c.connected));
    await expect(c.call("status")).rejects.toThrow("not connected");
    latest().open();
    expect(changes).toEqual([true]);
    const p = c.call("triad_dashboard", { since: 4 });
    const req = latest().last("triad_dashboard");
    expect(req.params).toEqual({ since: 4 });
    latest().reply(req.id, { result: { next_since: 5 } });
    await expect(p).resolves.toEqual({ next_since: 5 });
    const bad = c.call("nope");
    latest().reply(latest().last("nope").id, { error: { code: -32601, message: "Method not found" } });
    await expect(bad).rejects.toThrow("Method not found");
    c.stop();
  });

  it("delivers events on the subscribe request's id, and subscribes again after a reconnect", async () => {
    const events: unknown[] = [];
    const c = client();
    c.subscribe("tm.event='NewBlock'", (e) => events.push(e));
    latest().open();
    const sub = latest().last("subscribe");
    expect(sub.params).toEqual({ query: "tm.event='NewBlock'" });
    latest().reply(sub.id, { result: {} });
    latest().reply(sub.id, { result: { query: "tm.event='NewBlock'", data: { type: "tendermint/event/NewBlock" } } });
    expect(events).toHaveLength(1);
    // The connection drops: the client waits backoffMs(0) and opens a new one.
    const first = latest();
    first.onclose?.();
    expect(c.connected).toBe(false);
    vi.advanceTimersByTime(backoffMs(0));
    expect(FakeSocket.all).toHaveLength(2);
    latest().open();
    expect(latest().last("subscribe").params).toEqual({ query: "tm.event='NewBlock'" });
    // A stale event on the old socket is ignored.
    first.onmessage?.({ data: JSON.stringify({ jsonrpc: "2.0", id: sub.id, result: { query: "x" } }) });
    expect(events).toHaveLength(1);
    c.stop();
  });

  it("a node that never answers (paused): each call times out, and after three the socket is dropped and opened again", async () => {
    const c = client();
    latest().open();
    for (let i = 0; i < 3; i++) {
      const p = c.call("triad_dashboard");
      vi.advanceTimersByTime(3000);
      await expect(p).rejects.toThrow("no answer in 3000 ms");
    }
    expect(FakeSocket.all[0]!.closed).toBe(true);
    expect(c.connected).toBe(false);
    vi.advanceTimersByTime(backoffMs(0));
    expect(FakeSocket.all).toHaveLength(2);
    c.stop();
  });

  it("a connection that never opens is given up after the timeout and retried with a growing delay", () => {
    const c = client();
    vi.advanceTimersByTime(3000);
    expect(FakeSocket.all[0]!.closed).toBe(true);
    vi.advanceTimersByTime(backoffMs(0));
    expect(FakeSocket.all).toHaveLength(2);
    vi.advanceTimersByTime(3000 + backoffMs(1) - 1);
    expect(FakeSocket.all).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(FakeSocket.all).toHaveLength(3);
    // Once open, the delay starts again from the first step.
    latest().open();
    latest().onclose?.();
    vi.advanceTimersByTime(backoffMs(0));
    expect(FakeSocket.all).toHaveLength(4);
    c.stop();
    vi.advanceTimersByTime(60_000);
    expect(FakeSocket.all).toHaveLength(4);
  });
});
