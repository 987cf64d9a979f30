// The read loop of one WebSocket connection: text frames in, answers out, with backpressure.
// At most MAX_IN_FLIGHT_PER_CLIENT requests of a client run at once; beyond that its socket is
// not read, so a client cannot queue unbounded work. A batch counts as the whole allowance: it
// runs alone, its requests one after another, as CometBFT serves a connection. (Counted as one,
// 32 batches of 100 calls ran interleaved and the first answer came only after ~3,200 calls, so
// a client that never reads was not even detected.) Frames already read off the wire wait in
// `queued`, in order, which pausing bounds to about one socket read.
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
  const weightOf = (text: string): number => (text.trimStart().startsWith("[") ? MAX_IN_FLIGHT_PER_CLIENT : 1);
  const fits = (text: string): boolean => inFlight === 0 || inFlight + weightOf(text) <= MAX_IN_FLIGHT_PER_CLIENT;
  const run = (text: string): void => {
    const weight = weightOf(text);
    inFlight += weight;
    void handle(text).then((out) => {
      inFlight -= weight;
      if (out !== null) send(out);
      while (queued.length > 0 && fits(queued[0]!)) run(queued.shift()!);
      if (queued.length === 0 && socket.isPaused) socket.resume();
    });
  };
  socket.on("message", (data: RawData, isBinary: boolean) => {
    if (isBinary) return send(BINARY_REFUSAL);
    const text = Array.isArray(data) ? Buffer.concat(data).toString("utf8") : Buffer.from(data as ArrayBuffer).toString("utf8");
    if (queued.length === 0 && fits(text)) return run(text);
    queued.push(text);
    socket.pause();
  });
}
