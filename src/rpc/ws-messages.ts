// The read loop of one WebSocket connection: text frames in, answers out, with backpressure.
// At most MAX_IN_FLIGHT_PER_CLIENT requests of a client run at once; beyond that its socket is
// not read, so a client cannot queue unbounded work. Frames already read off the wire wait in
// `queued`, which pausing bounds to about one socket read.
import type { RawData, WebSocket } from "ws";

export const MAX_IN_FLIGHT_PER_CLIENT = 32;

const BINARY_REFUSAL = JSON.stringify({
  jsonrpc: "2.0",
  id: null,
  error: { code: -32600, message: "Invalid Request", data: { reason: "send requests as text frames" } },
});

/** `handle` never rejects; it resolves with the text to send back, or null for none. */
export function serveMessages(socket: WebSocket, handle: (text: string) => Promise<string | null>, send: (text: string) => void): void {
  let inFlight = 0;
  const queued: string[] = [];
  const run = (text: string): void => {
    inFlight++;
    void handle(text).then((out) => {
      inFlight--;
      if (out !== null) send(out);
      const next = queued.shift();
      if (next !== undefined) run(next);
      else if (socket.isPaused) socket.resume();
    });
  };
  socket.on("message", (data: RawData, isBinary: boolean) => {
    if (isBinary) return send(BINARY_REFUSAL);
    const text = Array.isArray(data) ? Buffer.concat(data).toString("utf8") : Buffer.from(data as ArrayBuffer).toString("utf8");
    if (inFlight < MAX_IN_FLIGHT_PER_CLIENT) return run(text);
    queued.push(text);
    socket.pause();
  });
}
