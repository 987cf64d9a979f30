// Hostile connections against a real node's RPC: 1,000 subscriptions on one WebSocket, slow-loris
// sockets dribbling headers or a body (from other loopback addresses, so the per-IP cap is
// theirs and not the honest client's), and a WebSocket client that never reads what it asked
// for. Each is refused with its documented error or cut off, while the honest client's status
// and committed tx keep succeeding.
import { describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { RPC_ERROR_CODES } from "../../../src/rpc/client.js";
import { call, clientFrame, openSocket, pause, post, rawWebSocket, watchSocket, within, type HostileNet, type JsonRpcAnswer } from "./harness.js";

/** The node's [rpc] settings for these attacks (the rest are defaults). */
export const CONNECTION_LIMITS = { max_connections_per_ip: 20, headers_timeout_ms: 2_000, request_timeout_ms: 4_000 } as const;

/** How long the server may take to cut a socket off once its limit is passed (the limits above plus Node's 1 s check). */
const CUT_OFF_BOUND_MS = 20_000;

export function connectionAttacks(net: () => HostileNet): void {
  describe("hostile connections", () => {
    it("caps one WebSocket client at 10 subscriptions: 990 of 1,000 get −32007, the connection keeps working", async () => {
      const h = net();
      const socket = new WebSocket(h.wsUrl);
      const answers = new Map<number, JsonRpcAnswer>();
      socket.on("message", (data) => {
        const msg = JSON.parse(String(data)) as JsonRpcAnswer;
        // Events carry their subscribe request's id too: keep only the answers.
        const isEvent = (msg.result as { query?: string } | undefined)?.query !== undefined;
        if (typeof msg.id === "number" && !isEvent) answers.set(msg.id, msg);
      });
      await new Promise<void>((resolve, reject) => {
        socket.once("open", () => resolve());
        socket.once("error", reject);
      });
      const attack = (async (): Promise<void> => {
        for (let i = 0; i < 1000; i++) socket.send(JSON.stringify({ jsonrpc: "2.0", id: i, method: "subscribe", params: { query: `tm.event='NewBlock' AND block.height > ${i}` } }));
        socket.send(JSON.stringify({ jsonrpc: "2.0", id: 1000, method: "subscribe", params: { query: "tm.event='NewBlock' AND block.height > 0" } }));
        await within("1,001 subscribe answers", 60_000, (async () => {
          while (![...Array(1001).keys()].every((i) => answers.has(i))) await pause(50);
        })());
      })();
      await h.honest.during(attack);
      const ok = [...answers.values()].filter((a) => a.id !== 1000 && a.error === undefined);
      const refused = [...answers.values()].filter((a) => a.error?.code === RPC_ERROR_CODES.TOO_MANY);
      expect(ok).toHaveLength(10);
      expect(refused).toHaveLength(990);
      expect(refused[0]!.error!.data).toMatchObject({ limit: 10 });
      // A duplicate query is refused as such.
      expect(answers.get(1000)!.error?.code).toBe(RPC_ERROR_CODES.INVALID_PARAMS);
      // The connection still answers, and its subscriptions deliver.
      socket.send(JSON.stringify({ jsonrpc: "2.0", id: "after", method: "health" }));
      await within("an event and the health answer", 30_000, new Promise<void>((resolve) => {
        let event = false;
        let health = false;
        socket.on("message", (data) => {
          const msg = JSON.parse(String(data)) as JsonRpcAnswer;
          if (msg.id === "after") health = true;
          if ((msg.result as { query?: string } | undefined)?.query !== undefined) event = true;
          if (event && health) resolve();
        });
      }));
      socket.close();
    });

    it("cuts off slow-loris headers: one IP holds at most 20 sockets, each cut at the headers timeout", async () => {
      const h = net();
      const attacker = "127.0.0.2";
      const sockets = await Promise.all(Array.from({ length: CONNECTION_LIMITS.max_connections_per_ip }, () => openSocket(h.port, attacker)));
      const watched = sockets.map(watchSocket);
      // Half dribble a POST's headers, half a WebSocket upgrade's.
      sockets.forEach((s, i) => s.write(i % 2 === 0 ? "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n" : "GET /websocket HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"));
      const dribble = setInterval(() => {
        for (const s of sockets) if (!s.destroyed) s.write("X-Slow: 1\r\n");
      }, 300);
      try {
        // The next socket from the same IP is closed unanswered, even with a whole request.
        const extra = await post(h.url, JSON.stringify({ jsonrpc: "2.0", id: 1, method: "health" }), { localAddress: attacker, timeoutMs: CUT_OFF_BOUND_MS }).then(
          () => "answered",
          (err: Error) => err.message,
        );
        expect(extra).toMatch(/ECONNRESET|socket hang up|EPIPE/);
        // The honest client (another IP) is served meanwhile.
        await h.honest.round();
        await within("the server cutting off every slow-loris socket", CUT_OFF_BOUND_MS, Promise.all(watched.map((w) => w.closed)));
      } finally {
        clearInterval(dribble);
        for (const s of sockets) s.destroy();
      }
      // None got an answer to its half request but the timeout's 408 (if any).
      for (const w of watched) expect(w.received()).toMatch(/^(|HTTP\/1\.1 408[^]*)$/);
      // Its slots are free again.
      const after = await post(h.url, JSON.stringify({ jsonrpc: "2.0", id: 1, method: "health" }), { localAddress: attacker });
      expect(after.status).toBe(200);
    });

    it("cuts off a body dribbled past the request timeout with 408", async () => {
      const h = net();
      const socket = await openSocket(h.port, "127.0.0.3");
      const watched = watchSocket(socket);
      socket.write("POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n[");
      const dribble = setInterval(() => {
        if (!socket.destroyed) socket.write(" ");
      }, 200);
      try {
        await h.honest.during(within("the server cutting off the slow body", CUT_OFF_BOUND_MS, watched.closed));
      } finally {
        clearInterval(dribble);
        socket.destroy();
      }
      expect(watched.received()).toMatch(/^HTTP\/1\.1 408/);
    });

    it("drops a WebSocket client that never reads its answers once its send buffer is full", async () => {
      const h = net();
      const socket = await rawWebSocket(h.port);
      const watched = watchSocket(socket);
      // Each message asks for 100 × 20 block metas (about 2 MB of answer); nothing is read back.
      const batch = JSON.stringify(Array.from({ length: 100 }, (_, i) => ({ jsonrpc: "2.0", id: i, method: "blockchain" })));
      const frame = clientFrame(batch);
      let sent = 0;
      const attack = (async (): Promise<void> => {
        const cutOff = within("the server dropping the non-reading client", 60_000, watched.closed);
        while (!watched.isClosed() && sent < 400) {
          socket.write(frame);
          sent++;
          await pause(20);
        }
        await cutOff;
      })();
      await h.honest.during(attack);
      expect(watched.isClosed()).toBe(true);
      expect((await call(h.url, "health")).result).toEqual({});
    });
  });
}
