import { describe, expect, it } from "vitest";
import { EventQueue } from "../../../src/sim/event-queue.js";
import { Prng } from "../../../src/byzantine/prng.js";

describe("EventQueue", () => {
  it("pops in time order and advances virtual time", () => {
    const q = new EventQueue<string>();
    q.at(30, "c");
    q.at(10, "a");
    q.at(20, "b");
    expect(q.size).toBe(3);
    expect(q.peekTime()).toBe(10);
    expect(q.pop()).toEqual({ time: 10, event: "a" });
    expect(q.now).toBe(10);
    q.after(5, "a+5");
    expect([q.pop()?.event, q.pop()?.event, q.pop()?.event]).toEqual(["a+5", "b", "c"]);
    expect(q.now).toBe(30);
    expect(q.pop()).toBeUndefined();
  });

  it("breaks ties by scheduling order, whatever the heap layout", () => {
    const q = new EventQueue<number>();
    const prng = new Prng(9);
    const scheduled: { time: number; id: number }[] = [];
    for (let id = 0; id < 500; id++) {
      const time = prng.int(20);
      q.at(time, id);
      scheduled.push({ time, id });
    }
    const expected = [...scheduled].sort((a, b) => a.time - b.time || a.id - b.id).map((e) => e.id);
    const popped: number[] = [];
    for (let e = q.pop(); e !== undefined; e = q.pop()) popped.push(e.event);
    expect(popped).toEqual(expected);
  });

  it("runs an event scheduled in the past at the current time", () => {
    const q = new EventQueue<string>();
    q.at(50, "x");
    q.pop();
    q.at(10, "late");
    expect(q.pop()).toEqual({ time: 50, event: "late" });
    expect(() => q.at(Number.NaN, "bad")).toThrow(RangeError);
  });

  it("interleaves events scheduled while popping", () => {
    const q = new EventQueue<string>();
    q.at(0, "tick");
    const seen: string[] = [];
    for (let e = q.pop(); e !== undefined && seen.length < 6; e = q.pop()) {
      seen.push(`${e.time}:${e.event}`);
      if (e.event === "tick") {
        q.after(10, "tick");
        q.after(5, "msg");
      }
    }
    expect(seen).toEqual(["0:tick", "5:msg", "10:tick", "15:msg", "20:tick", "25:msg"]);
  });
});
