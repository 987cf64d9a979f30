// Messages for a little ahead of where this replica is (the next heights, the next views) are
// kept so a replica that is a step behind loses nothing; everything else is dropped. The buffer
// is bounded in messages, per sender and in bytes, and drops its oldest first, so no peer can
// grow it without limit or crowd out the others. Only signature-checked messages enter it, so
// the per-sender cap really is per validator.
import type { ValidatorId } from "../chain/index.js";
import { messageView, type ConsensusMessage } from "./messages.js";

export interface FutureBufferLimits {
  readonly maxMessages: number;
  readonly maxPerSender: number;
  readonly maxBytes: number;
}

interface Entry {
  readonly key: string;
  readonly message: ConsensusMessage;
  readonly bytes: number;
}

/** One slot per (kind, height, view, sender): a repeated message is not stored twice. */
export function bufferKey(m: ConsensusMessage): string {
  return `${m.type}/${m.height}/${messageView(m)}/${m.from}`;
}

/** Rough in-memory size: a pre-prepare or view-change may carry a whole block. */
function sizeOf(m: ConsensusMessage): number {
  if (m.type === "pre-prepare") return m.block.bytes.length + 256;
  if (m.type === "view-change" && m.preparedBlock !== null) return m.preparedBlock.bytes.length + 256 + 96 * (m.prepared?.prepares.length ?? 0);
  if (m.type === "view-change") return 256 + 96 * (m.prepared?.prepares.length ?? 0);
  if (m.type === "new-view") return 256 + m.viewChanges.reduce((sum, vc) => sum + 256 + 96 * (vc.prepared?.prepares.length ?? 0), 0);
  return 256;
}

export class FutureBuffer {
  private nextSeq = 0;
  /** seq → entry; Map order is arrival order, so the first key is the oldest. */
  private readonly entries = new Map<number, Entry>();
  private readonly byKey = new Map<string, number>();
  private readonly bySender = new Map<ValidatorId, number[]>();
  private bytes = 0;

  constructor(private readonly limits: FutureBufferLimits) {}

  has(m: ConsensusMessage): boolean {
    return this.byKey.has(bufferKey(m));
  }

  /** Keep `m`, dropping the sender's oldest and then the overall oldest to stay in bounds. */
  add(m: ConsensusMessage): boolean {
    const key = bufferKey(m);
    if (this.byKey.has(key)) return false;
    const bytes = sizeOf(m);
    if (bytes > this.limits.maxBytes) return false;
    const own = this.bySender.get(m.from) ?? [];
    while (own.length >= this.limits.maxPerSender) this.remove(own[0]!);
    while (this.entries.size >= this.limits.maxMessages || this.bytes + bytes > this.limits.maxBytes) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.remove(oldest);
    }
    const seq = this.nextSeq++;
    this.entries.set(seq, { key, message: m, bytes });
    this.byKey.set(key, seq);
    const list = this.bySender.get(m.from);
    if (list === undefined) this.bySender.set(m.from, [seq]);
    else list.push(seq);
    this.bytes += bytes;
    return true;
  }

  /** Remove and return, oldest first, the messages `ready` accepts. */
  take(ready: (m: ConsensusMessage) => boolean): ConsensusMessage[] {
    const out: ConsensusMessage[] = [];
    for (const [seq, entry] of this.entries) {
      if (!ready(entry.message)) continue;
      out.push(entry.message);
      this.remove(seq);
    }
    return out;
  }

  /** Forget the messages `stale` accepts. */
  drop(stale: (m: ConsensusMessage) => boolean): void {
    for (const [seq, entry] of this.entries) if (stale(entry.message)) this.remove(seq);
  }

  find(match: (m: ConsensusMessage) => boolean): ConsensusMessage | undefined {
    for (const entry of this.entries.values()) if (match(entry.message)) return entry.message;
    return undefined;
  }

  get size(): number {
    return this.entries.size;
  }

  get totalBytes(): number {
    return this.bytes;
  }

  private remove(seq: number): void {
    const entry = this.entries.get(seq);
    if (entry === undefined) return;
    this.entries.delete(seq);
    this.byKey.delete(entry.key);
    this.bytes -= entry.bytes;
    const list = this.bySender.get(entry.message.from);
    if (list !== undefined) {
      const i = list.indexOf(seq);
      if (i >= 0) list.splice(i, 1);
      if (list.length === 0) this.bySender.delete(entry.message.from);
    }
  }
}
