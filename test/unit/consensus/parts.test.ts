import { describe, expect, it } from "vitest";
import { FutureBuffer } from "../../../src/consensus/future-buffer.js";
import { SigningRecord } from "../../../src/consensus/signing-record.js";
import { rebroadcastIntervalTicks, viewTimeoutTicks, ViewTimer } from "../../../src/consensus/timeouts.js";
import { chooseCertificate } from "../../../src/consensus/view-change.js";
import { VoteLog } from "../../../src/consensus/vote-log.js";
import { certificate, commit, GENESIS_HASH, makeKeys, makeTestBlock, prePrepare, prepare, viewChange } from "./harness.js";

const keys = makeKeys(4);
const a = makeTestBlock(1, 0, GENESIS_HASH, keys[1]!.id);
const b = makeTestBlock(1, 0, GENESIS_HASH, keys[1]!.id, 1);

describe("timeouts", () => {
  it("double per view from the base and stop at the cap", () => {
    const params = { viewChangeTimeoutTicks: 20, maxViewChangeTimeoutTicks: 640, emptyBlockIntervalTicks: 10 };
    expect([0, 1, 2, 3, 4, 5, 6, 50, 1_000_000].map((v) => viewTimeoutTicks(params, v))).toEqual([20, 40, 80, 160, 320, 640, 640, 640, 640]);
    expect(rebroadcastIntervalTicks(params)).toBe(5);
    expect(rebroadcastIntervalTicks({ ...params, viewChangeTimeoutTicks: 2 })).toBe(2);
  });

  it("a timer stays expired until reset", () => {
    const t = new ViewTimer(2);
    expect([t.tick(), t.tick(), t.tick()]).toEqual([false, true, true]);
    t.reset(1);
    expect(t.tick()).toBe(true);
  });
});

describe("vote log", () => {
  it("counts one vote per validator key and keeps its first", () => {
    const log = new VoteLog();
    expect(log.add(prepare(keys[1]!, 1, 0, a.hash))).toBe(true);
    expect(log.add(prepare(keys[1]!, 1, 0, a.hash))).toBe(false);
    expect(log.add(prepare(keys[1]!, 1, 0, b.hash))).toBe(false);
    expect(log.add(commit(keys[1]!, 1, 0, a.hash))).toBe(true); // another phase: its own slot
    expect(log.count("prepare", 0, a.id)).toBe(1);
    expect(log.count("prepare", 0, b.id)).toBe(0);
    expect(log.count("commit", 0, a.id)).toBe(1);
    log.add(commit(keys[2]!, 1, 3, a.hash));
    expect(log.quorumViews("commit", a.id, 1).sort()).toEqual([0, 3]);
    log.pruneViewsBelow(1);
    expect(log.count("commit", 0, a.id)).toBe(0);
  });
});

describe("signing record", () => {
  it("refuses a second value for a slot and votes below a view-change's view", () => {
    const record = new SigningRecord([prepare(keys[0]!, 1, 0, a.hash), viewChange(keys[0]!, 1, 2, null)]);
    expect(record.refusal(1, 0, "prepare", b.hash)).toBe("conflict");
    expect(record.refusal(1, 1, "commit", a.hash)).toBe("abandoned-view");
    expect(record.refusal(1, 2, "prepare", a.hash)).toBeUndefined();
    expect(record.refusal(1, 2, "view-change", null)).toBe("conflict");
    expect(record.refusal(2, 0, "prepare", b.hash)).toBeUndefined();
    record.pruneBelow(2);
    expect(record.at(1)).toEqual([]);
    expect(record.floor(1)).toBe(0);
  });
});

describe("future buffer", () => {
  it("is bounded in total, per sender and in bytes, dropping the oldest", () => {
    const buffer = new FutureBuffer({ maxMessages: 4, maxPerSender: 2, maxBytesPerSender: 10_000, maxBytes: 10_000 });
    for (let v = 0; v < 3; v++) buffer.add(prepare(keys[1]!, 2, v, a.hash));
    expect(buffer.size).toBe(2);
    expect(buffer.find((m) => m.type === "prepare" && m.view === 0)).toBeUndefined();
    expect(buffer.add(prepare(keys[1]!, 2, 2, a.hash))).toBe(false); // the same slot again
    for (let i = 2; i <= 3; i++) buffer.add(prepare(keys[i]!, 2, 0, a.hash));
    buffer.add(prepare(keys[0]!, 2, 0, a.hash));
    expect(buffer.size).toBe(4);
    expect(buffer.find((m) => m.from === keys[1]!.id && m.type === "prepare" && m.view === 1)).toBeUndefined();
    const taken = buffer.take((m) => m.from === keys[2]!.id);
    expect(taken.map((m) => m.from)).toEqual([keys[2]!.id]);
    expect(buffer.size).toBe(3);
    const small = new FutureBuffer({ maxMessages: 100, maxPerSender: 100, maxBytesPerSender: 600, maxBytes: 600 });
    for (let v = 0; v < 5; v++) small.add(commit(keys[1]!, 2, v, a.hash));
    expect(small.size).toBe(2);
    expect(small.totalBytes).toBeLessThanOrEqual(600);
  });
});

describe("future buffer byte caps (issue 7)", () => {
  it("a member sending large pre-prepares evicts only its own messages, never another member's", () => {
    const buffer = new FutureBuffer({ maxMessages: 1000, maxPerSender: 1000, maxBytesPerSender: 2_000, maxBytes: 8_000 });
    const others = [0, 2, 3].map((i) => prepare(keys[i]!, 2, 0, a.hash));
    for (const m of others) expect(buffer.add(m)).toBe(true);
    // keys[1] floods with pre-prepares of later views, far past the overall bound.
    for (let v = 0; v < 30; v++) buffer.add(prePrepare(keys[1]!, 2, v, makeTestBlock(2, v, a.hash, keys[1]!.id, v)));
    for (const m of others) expect(buffer.has(m)).toBe(true);
    expect(buffer.bytesOf(keys[1]!.id)).toBeLessThanOrEqual(2_000);
    // Its latest messages are the ones kept.
    expect(buffer.find((m) => m.type === "pre-prepare" && m.view === 29)).toBeDefined();
    expect(buffer.find((m) => m.type === "pre-prepare" && m.view === 0)).toBeUndefined();
    expect(buffer.totalBytes).toBeLessThanOrEqual(8_000);
  });

  it("the overall bound is perSender x members under the absolute ceiling, and a message over the sender's cap is refused", () => {
    const buffer = new FutureBuffer({ maxMessages: 1000, maxPerSender: 1000, maxBytesPerSender: 300, maxBytes: 1_000 });
    buffer.setMembers(7);
    expect(buffer.byteLimit).toBe(1_000);
    buffer.setMembers(2);
    expect(buffer.byteLimit).toBe(600);
    expect(buffer.add(prePrepare(keys[1]!, 2, 0, a))).toBe(false);
    expect(buffer.size).toBe(0);
  });
});

describe("new-view choice", () => {
  it("is the prepared certificate with the highest view, ties broken by the smallest hash", () => {
    const ks = [keys[1]!, keys[2]!, keys[3]!];
    const low = viewChange(keys[1]!, 1, 3, certificate(ks, 1, 0, a.hash));
    const high = viewChange(keys[2]!, 1, 3, certificate(ks, 1, 2, b.hash));
    const none = viewChange(keys[3]!, 1, 3, null);
    expect(chooseCertificate([low, none, high])?.view).toBe(2);
    expect(chooseCertificate([none])).toBeNull();
    const tieA = viewChange(keys[1]!, 1, 3, certificate(ks, 1, 2, a.hash));
    const smaller = Buffer.compare(Buffer.from(a.hash), Buffer.from(b.hash)) < 0 ? a : b;
    expect(chooseCertificate([high, tieA])!.blockHash).toEqual(smaller.hash);
    expect(chooseCertificate([tieA, high])!.blockHash).toEqual(smaller.hash);
  });
});
