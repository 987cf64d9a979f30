// The load generator's acknowledgements: one JSON line `{ "id", "height", "node" }` per tx a node
// reported in a block. `triad check` reads them back to prove that every tx a client was told
// was committed is in every honest node's chain at that height.
import { appendFile, readFile, stat } from "node:fs/promises";

export interface TxAck {
  /** The tx id, lower-case hex. */
  readonly id: string;
  readonly height: number;
  /** The node that reported the tx in a block (a manifest name, or its RPC URL). */
  readonly node: string;
}

export const ACKS_FILE = "load-acks.jsonl";

function isAck(v: unknown): v is TxAck {
  if (typeof v !== "object" || v === null) return false;
  const a = v as Record<string, unknown>;
  return typeof a.id === "string" && /^[0-9a-f]{64}$/.test(a.id) && Number.isSafeInteger(a.height) && (a.height as number) >= 1 && typeof a.node === "string";
}

/** Every well-formed line; `bad` counts the rest (a torn last line while the writer runs, say). */
export function parseAcks(text: string): { acks: TxAck[]; bad: number } {
  const acks: TxAck[] = [];
  let bad = 0;
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    try {
      const v: unknown = JSON.parse(line);
      if (isAck(v)) acks.push({ id: v.id, height: v.height, node: v.node });
      else bad++;
    } catch {
      bad++;
    }
  }
  return { acks, bad };
}

export async function readAcks(path: string): Promise<{ acks: TxAck[]; bad: number }> {
  return parseAcks(await readFile(path, "utf8"));
}

/**
 * The most an acks file grows to (about 600,000 acks): a testnet left running for days must not
 * fill the disk, and `triad check` reads the file whole. Past it, acks are counted, not written.
 */
export const MAX_ACKS_FILE_BYTES = 64 * 1024 * 1024;

/**
 * Appends acks in batches: one write per flush, never one per tx. Lines are queued until the
 * previous write is done, so the file only ever grows by whole lines in order.
 */
export class AcksWriter {
  private queue: string[] = [];
  private writing: Promise<void> = Promise.resolve();
  /** The file's size (read once, then kept): null until the first write. */
  private bytes: number | null = null;
  written = 0;
  /** Acks not written because the file reached maxBytes. */
  skipped = 0;
  failed: Error | null = null;

  constructor(
    readonly path: string,
    private readonly maxBytes = MAX_ACKS_FILE_BYTES,
  ) {}

  add(ack: TxAck): void {
    this.queue.push(`${JSON.stringify({ id: ack.id, height: ack.height, node: ack.node })}\n`);
  }

  /** Write what is queued; resolves when it (and every earlier flush) is on disk. */
  flush(): Promise<void> {
    if (this.queue.length === 0) return this.writing;
    const lines = this.queue;
    this.queue = [];
    this.writing = this.writing.then(async () => {
      try {
        this.bytes ??= await stat(this.path).then((st) => st.size, () => 0);
        let text = "";
        let kept = 0;
        for (const line of lines) {
          if (this.bytes + text.length + line.length > this.maxBytes) break;
          text += line;
          kept++;
        }
        this.skipped += lines.length - kept;
        if (kept === 0) return;
        await appendFile(this.path, text);
        this.bytes += text.length;
        this.written += kept;
      } catch (err) {
        this.failed = err as Error;
      }
    });
    return this.writing;
  }
}
