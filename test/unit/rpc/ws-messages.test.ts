// One WebSocket connection's read loop: single requests run up to the per-client allowance at
// once, a batch runs alone (its requests one after another inside it), frames keep their order,
// and the socket is paused while frames wait.
import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import type { WebSocket } from "ws";
import { MAX_IN_FLIGHT_PER_CLIENT, serveMessages } from "../../../src/rpc/ws-messages.js";

class FakeSocket extends EventEmitter {
  isPaused = false;
  pause(): void {
    this.isPaused = true;
  }
  resume(): void {
    this.isPaused = false;
  }
  receive(text: string): void {
    this.emit("message", Buffer.from(text), false);
  }
}

function harness() {
  const socket = new FakeSocket();
  const started: string[] = [];
  const finish = new Map<string, (out: string) => void>();
  const sent: string[] = [];
  serveMessages(
    socket as unknown as WebSocket,
    (text) =>
      new Promise<string>((resolve) => {
        started.push(text);
        finish.set(text, resolve);
      }),
    (out) => sent.push(out),
  );
  const done = async (text: string): Promise<void> => {
    finish.get(text)!(`answer ${text}`);
    await new Promise((r) => setImmediate(r));
  };
  return { socket, started, sent, done };
}

describe("serveMessages", () => {
  it("runs a batch alone: the next batch waits for it, and so does a single request after it", async () => {
    const h = harness();
    h.socket.receive("[1]");
    h.socket.receive("[2]");
    h.socket.receive('{"id":3}');
    expect(h.started).toEqual(["[1]"]);
    expect(h.socket.isPaused).toBe(true);
    await h.done("[1]");
    expect(h.started).toEqual(["[1]", "[2]"]);
    await h.done("[2]");
    expect(h.started).toEqual(["[1]", "[2]", '{"id":3}']);
    expect(h.socket.isPaused).toBe(false);
    expect(h.sent).toEqual(["answer [1]", "answer [2]"]);
  });

  it("runs single requests up to the allowance at once, and a batch waits until they are done", async () => {
    const h = harness();
    const singles = Array.from({ length: MAX_IN_FLIGHT_PER_CLIENT }, (_, i) => `{"id":${i}}`);
    for (const s of singles) h.socket.receive(s);
    h.socket.receive("[9]");
    expect(h.started).toEqual(singles);
    for (const s of singles.slice(0, -1)) await h.done(s);
    expect(h.started).not.toContain("[9]");
    await h.done(singles.at(-1)!);
    expect(h.started.at(-1)).toBe("[9]");
  });
});
