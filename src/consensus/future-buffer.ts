// Messages for a little ahead of where this replica is (the next heights, the next views) are
// kept so a replica that is a step behind loses nothing; everything else is dropped. The buffer
// is bounded in messages and bytes per sender, and in messages and bytes overall, and drops the
// oldest first, so no peer can grow it without limit or crowd out the others: a sender over its
// own cap loses its own oldest messages, never anyone else's. The overall byte bound is the
// per-sender cap times the members (setMembers), under an absolute ceiling; only signature-
// checked messages from members enter, so it binds only when the set is larger than the
// ceiling allows. The per-sender caps really are per validator for the same reason.
import type { ValidatorId } from "../chain/index.js";
import { messageView, type ConsensusMessage } from "./messages.js";

export interface FutureBufferLimits {
  readonly maxMessages: number;
  readonly maxPerSender: number;
  /** Bytes one sender may hold; at least one largest message, so an honest proposal fits. */
  readonly maxBytesPerSender: number;
  /** Absolute ceiling on the bytes held; the bound in force is min(this, perSender × members). */
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
  private readonly senderBytes = new Map<ValidatorId, number>();
  private bytes = 0;
  private byteBound: number;

  constructor(private readonly limits: FutureBufferLimits) {
    this.byteBound = limits.maxBytes;
  }

  /** Size the overall byte bound for `members` senders: perSender × members, under maxBytes. */
  setMembers(members: number): void {
    this.byteBound = Math.min(this.limits.maxBytes, this.limits.maxBytesPerSender * Math.max(1, members));
  }

  get byteLimit(): number {
    return this.byteBound;
  }

  /** Bytes held for `sender`. */
  bytesOf(sender: ValidatorId): number {
    return this.senderBytes.get(sender) ?? 0;
  }

  has(m: ConsensusMessage): boolean {
    return this.byKey.has(bufferKey(m));
  }

  /** Keep `m`, dropping the sender's oldest and then the overall oldest to stay in bounds. */
  add(m: ConsensusMessage): boolean {
    const key = bufferKey(m);
    if (this.byKey.has(key)) return false;
    const bytes = sizeOf(m);
    if (bytes > this.limits.maxBytesPerSender || bytes > this.byteBound) return false;
    const own = this.bySender.get(m.from) ?? [];
    // The sender pays for its own excess first: its oldest go until it is within its caps.
    while (own.length > 0 && (own.length >= this.limits.maxPerSender || this.bytesOf(m.from) + bytes > this.limits.maxBytesPerSender)) {
      this.remove(own[0]!);
    }
    while (this.entries.size >= this.limits.maxMessages || this.bytes + bytes > this.byteBound) {
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
    this.senderBytes.set(m.from, this.bytesOf(m.from) + bytes);
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
    const left = this.bytesOf(entry.message.from) - entry.bytes;
    if (left > 0) this.senderBytes.set(entry.message.from, left);
    else this.senderBytes.delete(entry.message.from);
    const list = this.bySender.get(entry.message.from);
    if (list !== undefined) {
      const i = list.indexOf(seq);
      if (i >= 0) list.splice(i, 1);
      if (list.length === 0) this.bySender.delete(entry.message.from);
    }
  }
}
