import { describe, expect, it } from "vitest";
import { ConsensusJournal, JOURNAL_BLOCKS, JOURNAL_READ_MAX } from "../../../src/node/consensus-journal.js";
import type { StoredBlock } from "../../../src/chain/index.js";

const PEER = "ab".repeat(32);

function clock(start = 1_000): { now(): number; t: number } {
  const c = { t: start, now: () => c.t };
  return c;
}

function viewChange(journal: ConsensusJournal, view: number): void {
  journal.onAction({ type: "view-changed", height: 7, view, reason: "timeout" });
}

/** Just what the journal reads of a stored block. */
function stored(height: number, bytes = 10): StoredBlock {
  return { block: { header: { height }, bytes: new Uint8Array(bytes) } } as unknown as StoredBlock;
}

describe("ConsensusJournal", () => {
  it("stamps events with rising seq and the node's clock, and keeps only view changes and faults of the actions", () => {
    const c = clock();
    const j = new ConsensusJournal(c);
    viewChange(j, 1);
    c.t = 1_500;
    j.onAction({ type: "report-fault", peer: PEER, fault: "equivocation", detail: "two pre-prepares" });
    j.onAction({ type: "broadcast", message: {} } as never);
    c.t = 2_000;
    j.perturbation("net-fault", null, "both block=true (every peer)");
    expect(j.since(0).events).toEqual([
      { seq: 1, at_ms: 1_000, kind: "view-change", height: 7, view: 1, reason: "timeout" },
      { seq: 2, at_ms: 1_500, kind: "fault", peer: PEER, fault: "equivocation", detail: "two pre-prepares" },
      { seq: 3, at_ms: 2_000, kind: "perturbation", action: "net-fault", peer: null, detail: "both block=true (every peer)" },
    ]);
    expect(j.latest).toBe(3);
  });

  it("reads after the cursor, oldest first, with a cursor that picks up where the last read stopped", () => {
    const j = new ConsensusJournal(clock());
    for (let v = 1; v <= 5; v++) viewChange(j, v);
    const first = j.since(0, 2);
    expect(first.events.map((e) => e.seq)).toEqual([1, 2]);
    expect(first.next).toBe(2);
    const second = j.since(first.next);
    expect(second.events.map((e) => e.seq)).toEqual([3, 4, 5]);
    expect(second.next).toBe(5);
    const none = j.since(second.next);
    expect(none).toEqual({ events: [], next: 5 });
    viewChange(j, 6);
    expect(j.since(5).events.map((e) => e.seq)).toEqual([6]);
  });

  it("gives at most 200 events per read", () => {
    const j = new ConsensusJournal(clock());
    for (let v = 1; v <= 450; v++) viewChange(j, v);
    const page = j.since(0, 10_000);
    expect(page.events).toHaveLength(JOURNAL_READ_MAX);
    expect(page.events[0]!.seq).toBe(1);
    expect(page.next).toBe(200);
  });

  it("is a ring: past its capacity the oldest events go, and a cursor behind them reads from the oldest kept", () => {
    const j = new ConsensusJournal(clock(), 10);
    for (let v = 1; v <= 25; v++) viewChange(j, v);
    const page = j.since(3);
    expect(page.events.map((e) => e.seq)).toEqual([16, 17, 18, 19, 20, 21, 22, 23, 24, 25]);
    expect(page.events.map((e) => (e.kind === "view-change" ? e.view : -1))).toEqual([16, 17, 18, 19, 20, 21, 22, 23, 24, 25]);
  });

  it("holds the default 1,000 events and no more", () => {
    const j = new ConsensusJournal(clock());
    for (let v = 1; v <= 1_500; v++) viewChange(j, v);
    let cursor = 0;
    const seqs: number[] = [];
    for (;;) {
      const page = j.since(cursor);
      if (page.events.length === 0) break;
      seqs.push(...page.events.map((e) => e.seq));
      cursor = page.next;
    }
    expect(seqs).toHaveLength(1_000);
    expect(seqs[0]).toBe(501);
    expect(seqs.at(-1)).toBe(1_500);
  });

  it("reads from the start when the cursor is ahead of every event (a page older than this process)", () => {
    const j = new ConsensusJournal(clock());
    viewChange(j, 1);
    viewChange(j, 2);
    const page = j.since(9_999);
    expect(page.events.map((e) => e.seq)).toEqual([1, 2]);
    expect(page.next).toBe(2);
    expect(new ConsensusJournal(clock()).since(42)).toEqual({ events: [], next: 0 });
  });

  it("cuts long details", () => {
    const j = new ConsensusJournal(clock());
    j.onAction({ type: "report-fault", peer: PEER, fault: "malformed", detail: "x".repeat(10_000) });
    const e = j.since(0).events[0]!;
    expect(e.kind === "fault" && e.detail.length).toBe(200);
  });

  it("keeps the timing of the last 50 appended blocks: the clock, the source and the encoded size", () => {
    const c = clock(5_000);
    const j = new ConsensusJournal(c);
    for (let h = 1; h <= 60; h++) {
      c.t = 5_000 + h;
      j.onAppended(stored(h, 100 + h), h % 2 === 0 ? "sync" : "consensus");
    }
    const blocks = j.appendedBlocks();
    expect(blocks).toHaveLength(JOURNAL_BLOCKS);
    expect(blocks[0]).toEqual({ height: 11, appended_ms: 5_011, source: "consensus", bytes: 111 });
    expect(blocks.at(-1)).toEqual({ height: 60, appended_ms: 5_060, source: "sync", bytes: 160 });
  });

  it("refuses a capacity that is not a positive integer", () => {
    expect(() => new ConsensusJournal(clock(), 0)).toThrow(RangeError);
  });
});
