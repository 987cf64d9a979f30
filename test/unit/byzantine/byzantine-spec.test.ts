import { describe, expect, it } from "vitest";
import { BEHAVIOUR_HELP, BEHAVIOURS, formatByzantineSpec, parseByzantineSpec, SimSpecError } from "../../../src/byzantine/byzantine-spec.js";
import { FAULT_HELP, FAULT_NAMES, formatFaultSpec, NO_FAULTS, parseFaultSpec } from "../../../src/sim/fault-spec.js";

describe("parseByzantineSpec", () => {
  it("reads <index>:<behaviour>[+<behaviour>…] lists, sorted by index", () => {
    expect(parseByzantineSpec("3:silent,0:equivocate", { validators: 7 })).toEqual([
      { index: 0, behaviours: ["equivocate"] },
      { index: 3, behaviours: ["silent"] },
    ]);
    expect(parseByzantineSpec("2:twins+replay", { validators: 4 })).toEqual([{ index: 2, behaviours: ["twins", "replay"] }]);
    expect(parseByzantineSpec(" 1:replay+replay ", { validators: 4 })).toEqual([{ index: 1, behaviours: ["replay"] }]);
    expect(parseByzantineSpec("", { validators: 4 })).toEqual([]);
    expect(parseByzantineSpec("none", { validators: 4 })).toEqual([]);
  });

  it("knows every behaviour, each with a help line", () => {
    for (const b of BEHAVIOURS) {
      expect(parseByzantineSpec(`0:${b}`, { validators: 4 })).toEqual([{ index: 0, behaviours: [b] }]);
      expect(BEHAVIOUR_HELP[b].length).toBeGreaterThan(10);
    }
  });

  it("refuses what cannot be run, saying why", () => {
    const bad: [string, RegExp][] = [
      ["0", /is not <validator index>:<behaviour>/],
      ["x:silent", /is not/],
      ["0:silent:1", /is not/],
      ["4:silent", /out of range.*0\.\.3/],
      ["0:sleepy", /unknown behaviour "sleepy"/],
      ["0:silent+", /unknown behaviour ""/],
      ["1:silent,1:replay", /named twice/],
      ["0:silent,1:silent", /exceed f = 1 for n = 4.*--allow-over-f/],
    ];
    for (const [text, message] of bad) {
      expect(() => parseByzantineSpec(text, { validators: 4 }), text).toThrow(SimSpecError);
      expect(() => parseByzantineSpec(text, { validators: 4 }), text).toThrow(message);
    }
  });

  it("allows more than f only when asked", () => {
    expect(parseByzantineSpec("0:silent,1:silent", { validators: 4, allowOverF: true })).toHaveLength(2);
    expect(parseByzantineSpec("0:silent,1:silent", { validators: 7 })).toHaveLength(2);
  });

  it("formats back to the same text", () => {
    for (const text of ["0:equivocate,3:silent", "2:twins+replay", "none"]) {
      expect(formatByzantineSpec(parseByzantineSpec(text, { validators: 7 }))).toBe(text);
    }
  });
});

describe("parseFaultSpec", () => {
  it("reads drop, dup, delay, partition and crash", () => {
    expect(parseFaultSpec("drop=0.2,dup=0.1,delay=5..80,partition,crash")).toEqual({
      drop: 0.2,
      duplicate: 0.1,
      delayMs: { min: 5, max: 80 },
      partitions: ["isolate", "halves", "one-way"],
      crash: true,
    });
    expect(parseFaultSpec("partition=halves|one-way").partitions).toEqual(["halves", "one-way"]);
    expect(parseFaultSpec("none")).toEqual(NO_FAULTS);
    expect(parseFaultSpec("")).toEqual(NO_FAULTS);
  });

  it("refuses bad values, saying why", () => {
    const bad: [string, RegExp][] = [
      ["drop", /probability from 0 to 1/],
      ["drop=1.5", /probability/],
      ["dup=x", /probability/],
      ["delay=80..5", /range of ms/],
      ["delay=5", /range of ms/],
      ["partition=sideways", /unknown partition kind "sideways"/],
      ["crash=1", /takes no value/],
      ["flood", /unknown fault "flood"/],
      ["drop=0.1,drop=0.2", /named twice/],
    ];
    for (const [text, message] of bad) expect(() => parseFaultSpec(text), text).toThrow(message);
  });

  it("formats canonically and round-trips", () => {
    for (const text of ["drop=0.2,dup=0.1,delay=5..80,partition,crash", "partition=isolate", "none", "crash"]) {
      expect(formatFaultSpec(parseFaultSpec(text))).toBe(text);
    }
    expect(formatFaultSpec(parseFaultSpec("crash,drop=0.2"))).toBe("drop=0.2,crash");
    for (const name of FAULT_NAMES) expect(FAULT_HELP[name]).toContain(name);
  });
});
