// What the dashboard's timeline shows: the node's view changes, the faults it reported and the
// network faults injected into it (unsafe_net_*), each stamped with a sequence number and the
// node's clock, plus when each of the last blocks was appended. A page polls `since(cursor)`
// once a second, so reads are a walk over at most `max` entries, and the ring never grows
// past its capacity: a Byzantine peer that makes us report a fault per message only pushes
// old entries out.
import type { StoredBlock, ValidatorId } from "../chain/index.js";
import type { Action, FaultKind, ViewChangeReason } from "../consensus/index.js";

export const JOURNAL_CAPACITY = 1_000;
export const JOURNAL_READ_MAX = 200;
/** Appended blocks whose timing is kept (the dashboard's block table). */
export const JOURNAL_BLOCKS = 50;
/** Free text from a report-fault or a perturbation is cut to this many characters. */
const MAX_DETAIL_CHARS = 200;

export type JournalEvent =
  | { readonly seq: number; readonly at_ms: number; readonly kind: "view-change"; readonly height: number; readonly view: number; readonly reason: ViewChangeReason }
  | { readonly seq: number; readonly at_ms: number; readonly kind: "fault"; readonly peer: ValidatorId; readonly fault: FaultKind; readonly detail: string }
  | { readonly seq: number; readonly at_ms: number; readonly kind: "perturbation"; readonly action: string; readonly peer: string | null; readonly detail: string };

/** Distributes Omit over the union, so each event kind keeps its own fields. */
type WithoutStamp<E> = E extends JournalEvent ? Omit<E, "seq" | "at_ms"> : never;

export interface AppendedBlockTiming {
  readonly height: number;
  /** The node's clock when the block was appended. */
  readonly appended_ms: number;
  readonly source: "consensus" | "sync";
  /** Size of the block's canonical encoding (src/chain/block.ts). */
  readonly bytes: number;
}

export interface JournalPage {
  /** Events with seq > cursor, oldest first. */
  readonly events: readonly JournalEvent[];
  /** The cursor for the next read: the last seq returned, or the cursor itself when there was none. */
  readonly next: number;
}

export class ConsensusJournal {
  private readonly ring: (JournalEvent | undefined)[];
  /** seq of the newest event; the ring holds seq lastSeq-size+1 .. lastSeq. */
  private lastSeq = 0;
  private size = 0;
  private readonly blocks: AppendedBlockTiming[] = [];

  constructor(
    private readonly clock: { now(): number },
    private readonly capacity = JOURNAL_CAPACITY,
  ) {
    if (!(Number.isSafeInteger(capacity) && capacity >= 1)) throw new RangeError(`journal capacity must be a positive integer, got ${capacity}`);
    this.ring = new Array<JournalEvent | undefined>(capacity);
  }

  now(): number {
    return this.clock.now();
  }

  /** seq of the newest event (0 before the first). */
  get latest(): number {
    return this.lastSeq;
  }

  /** Fed from DriverEvents.onAction: view changes and the faults this node reported. */
  readonly onAction = (action: Action): void => {
    if (action.type === "view-changed") {
      this.push({ kind: "view-change", height: action.height, view: action.view, reason: action.reason });
    } else if (action.type === "report-fault") {
      this.push({ kind: "fault", peer: action.peer, fault: action.fault, detail: cut(action.detail) });
    }
  };

  /** A network fault injected into this node (unsafe_net_*), or one taken away. */
  perturbation(action: string, peer: string | null, detail: string): void {
    this.push({ kind: "perturbation", action, peer, detail: cut(detail) });
  }

  /** Fed from DriverEvents.onAppended, in height order. */
  readonly onAppended = (stored: StoredBlock, source: "consensus" | "sync"): void => {
    this.blocks.push({ height: stored.block.header.height, appended_ms: this.clock.now(), source, bytes: stored.block.bytes.length });
    if (this.blocks.length > JOURNAL_BLOCKS) this.blocks.splice(0, this.blocks.length - JOURNAL_BLOCKS);
  };

  /** The timing of the last ≤ 50 blocks this process appended, oldest first. */
  appendedBlocks(): readonly AppendedBlockTiming[] {
    return this.blocks;
  }

  /**
   * Events after `cursor`, oldest first, at most `max` (≤ 200). A cursor ahead of the newest
   * event is one a page kept from before this process restarted (seq starts again at 1): the
   * read then starts from the oldest event held, so the page does not wait forever.
   */
  since(cursor: number, max = JOURNAL_READ_MAX): JournalPage {
    const limit = Math.max(0, Math.min(Math.floor(max), JOURNAL_READ_MAX));
    const from = cursor > this.lastSeq ? 0 : cursor;
    const oldest = this.lastSeq - this.size + 1;
    const first = Math.max(from + 1, oldest);
    const last = Math.min(this.lastSeq, first + limit - 1);
    const events: JournalEvent[] = [];
    for (let seq = first; seq <= last; seq++) events.push(this.ring[seq % this.capacity]!);
    return { events, next: events.length > 0 ? last : from };
  }

  private push(event: WithoutStamp<JournalEvent>): void {
    const seq = ++this.lastSeq;
    this.ring[seq % this.capacity] = { seq, at_ms: this.clock.now(), ...event } as JournalEvent;
    if (this.size < this.capacity) this.size++;
  }
}

function cut(text: string): string {
  return text.length <= MAX_DETAIL_CHARS ? text : `${text.slice(0, MAX_DETAIL_CHARS - 1)}…`;
}
