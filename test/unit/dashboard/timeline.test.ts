// The dashboard's timeline (src/dashboard/public/timeline.js): per-node journals behind their
// cursors (a restarted node is read again), merged with the testnet's perturbations.
import { describe, expect, it } from "vitest";
import { EventJournal, MAX_TIMELINE, mergeTimeline } from "../../../src/dashboard/public/timeline.js";
import type { JournalEvent } from "../../../src/dashboard/public/shapes.js";
import { IDS } from "./fixtures.js";

const vc = (seq: number, at: number, height: number, view: number, reason: string): JournalEvent => ({ seq, at_ms: at, kind: "view-change", height, view, reason });
const fault = (seq: number, at: number, peer: string, name = "equivocation"): JournalEvent => ({ seq, at_ms: at, kind: "fault", peer, fault: name, detail: "two pre-prepares" });
const answer = (events: JournalEvent[], nextSince: number, uptimeMs = 10_000) => ({ events, next_since: nextSince, node: { uptime_ms: uptimeMs } });
const nameOf = (id: string | null): string => (id === IDS[3] ? "validator-3" : (id ?? "—"));

describe("EventJournal", () => {
  it("advances its cursor and ignores events it already has", () => {
    const j = new EventJournal();
    expect(j.since).toBe(0);
    expect(j.add(answer([vc(1, 100, 5, 1, "timeout"), vc(2, 200, 5, 2, "timeout")], 2))).toBe(false);
    expect(j.since).toBe(2);
    j.add(answer([vc(2, 200, 5, 2, "timeout"), vc(3, 300, 6, 1, "join")], 3, 11_000));
    expect(j.events.map((e) => e.event.seq)).toEqual([1, 2, 3]);
    expect(j.since).toBe(3);
  });

  it("reads a restarted node again from 0, keeping its old events apart", () => {
    const j = new EventJournal();
    j.add(answer([vc(1, 100, 5, 1, "timeout"), vc(2, 200, 5, 2, "timeout")], 2, 50_000));
    // Uptime went back: a new process, whose journal starts at seq 1 again.
    expect(j.add(answer([], 2, 1_000))).toBe(true);
    expect(j.since).toBe(0);
    j.add(answer([vc(1, 900, 9, 1, "timeout")], 1, 2_000));
    expect(j.events.map((e) => [e.epoch, e.event.seq])).toEqual([[0, 1], [0, 2], [1, 1]]);
    // A cursor past the node's journal is a restart too.
    expect(j.add(answer([], 0, 3_000))).toBe(true);
  });

  it("keeps at most its limit, dropping the oldest", () => {
    const j = new EventJournal(3);
    j.add(answer([1, 2, 3, 4, 5].map((s) => vc(s, s * 10, s, 1, "timeout")), 5));
    expect(j.events.map((e) => e.event.seq)).toEqual([3, 4, 5]);
  });
});

describe("mergeTimeline", () => {
  it("one entry per view change with its reasons and reporters; repeated faults within a bucket are one; newest first", () => {
    const a = new EventJournal();
    const b = new EventJournal();
    a.add(answer([vc(1, 1_000, 7, 1, "timeout"), fault(2, 2_000, IDS[3]!), fault(3, 2_500, IDS[3]!)], 3));
    b.add(answer([vc(1, 1_100, 7, 1, "join"), fault(2, 2_100, IDS[3]!), { seq: 3, at_ms: 3_000, kind: "perturbation", action: "partition", peer: IDS[3]!, detail: "unsafe_net_partition" }], 3));
    const items = mergeTimeline(new Map([["validator-0", a], ["validator-1", b]]), [{ seq: 1, at_ms: 4_000, action: "kill", node: "validator-2" }], nameOf);
    expect(items.map((i) => [i.kind, i.title, i.at_ms])).toEqual([
      ["perturbation", "kill validator-2", 4_000],
      ["perturbation", "partition validator-3 (on validator-1)", 3_000],
      ["fault", "fault: equivocation by validator-3", 2_000],
      ["view-change", "view change → view 1 at height 7", 1_000],
    ]);
    expect(items[2]!.count).toBe(3);
    expect(items[2]!.detail).toBe("reported by validator-0, validator-1 (×3) · two pre-prepares");
    expect(items[3]!.detail).toBe("reason: timeout, join · reported by validator-0, validator-1");
    expect(items[0]!.detail).toBe("");
  });

  it("faults far apart in time are separate entries, and the list is bounded", () => {
    const j = new EventJournal(1000);
    j.add(answer(Array.from({ length: 400 }, (_, i) => fault(i + 1, i * 10_000, IDS[3]!)), 400));
    const items = mergeTimeline(new Map([["validator-0", j]]), [], nameOf);
    expect(items).toHaveLength(MAX_TIMELINE);
    expect(items[0]!.at_ms).toBe(399 * 10_000);
  });
});
