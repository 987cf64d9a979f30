// HTTP plumbing of the RPC server: reading a request body under a size limit (refusing as soon
// as the limit is known to be exceeded, before buffering the rest), answering 413, and writing
// JSON responses.
import type { IncomingMessage, ServerResponse } from "node:http";

/** What a too-large body may still send after the 413 before the socket is cut. */
const MAX_DISCARD_BYTES = 16 * 1024 * 1024;

export class BodyTooLarge extends Error {}

/** `text` null: nothing to send (all notifications) → 204. */
export function respond(res: ServerResponse, status: number, text: string | null): void {
  if (res.headersSent || res.destroyed) return;
  if (text === null) {
    res.statusCode = status === 200 ? 204 : status;
    res.end();
    return;
  }
  res.statusCode = status;
  res.setHeader("Content-Type", "application/json");
  res.setHeader("Content-Length", Buffer.byteLength(text));
  res.end(text);
}

/** The body as text, or BodyTooLarge as soon as it is known to exceed `limit` bytes. */
export function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(new BodyTooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        req.off("data", onData);
        req.off("end", onEnd);
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => resolve(Buffer.concat(chunks).toString("utf8"));
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", reject);
  });
}

/**
 * Answer 413 with `body`, then drain what the client is still sending (bounded): a socket
 * closed on unread data is reset, and the client would never see the answer.
 */
export function rejectBody(req: IncomingMessage, res: ServerResponse, body: string): void {
  res.shouldKeepAlive = false;
  res.setHeader("Connection", "close");
  respond(res, 413, body);
  let discarded = 0;
  req.on("data", (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > MAX_DISCARD_BYTES) req.socket.destroy();
  });
  req.resume();
}
