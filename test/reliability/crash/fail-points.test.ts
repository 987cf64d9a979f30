// The fail-point module itself: the env syntax, typo safety, and that each point fires exactly
// at its chosen hit, once. A crash is replaced by a recorded call so this process survives.
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  armFailPoints,
  armFailPointsFromEnv,
  FAIL_POINT_NAMES,
  failPoint,
  FailPointError,
  noteAppended,
  parseFailPoints,
  setFailPointAction,
  type FailPointCrash,
} from "../../../src/fail-points.js";

afterEach(() => {
  armFailPoints(undefined);
  setFailPointAction(null);
});

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith(".ts") ? [path] : [];
  });
}

describe("fail points", () => {
  it("parses name=crash@N lists; crash alone is the first hit", () => {
    expect([...parseFailPoints("vote.after-sync=crash@3, sync.mid-batch=crash")]).toEqual([
      ["vote.after-sync", 3],
      ["sync.mid-batch", 1],
    ]);
    expect(parseFailPoints("").size).toBe(0);
  });

  it("refuses unknown names and malformed entries with a typed error", () => {
    const codeOf = (spec: string): string | undefined => {
      try {
        armFailPoints(spec);
      } catch (err) {
        expect(err).toBeInstanceOf(FailPointError);
        return (err as FailPointError).code;
      }
      return undefined;
    };
    expect(codeOf("vote.after-synk=crash@1")).toBe("UNKNOWN_FAIL_POINT");
    expect(codeOf("vote.after-sync=crash@0")).toBe("BAD_FAIL_POINT");
    expect(codeOf("vote.after-sync=panic")).toBe("BAD_FAIL_POINT");
    expect(codeOf("vote.after-sync")).toBe("BAD_FAIL_POINT");
    expect(() => armFailPointsFromEnv({ TRIAD_FAIL_POINTS: "nope=crash" })).toThrow(/unknown fail point "nope"/);
  });

  it("fires once, at the chosen hit, and logs the point, the hit and the appended height", () => {
    const dir = mkdtempSync(join(tmpdir(), "triad-fail-points-"));
    try {
      const log = join(dir, "crashes.jsonl");
      const crashes: FailPointCrash[] = [];
      setFailPointAction((c) => crashes.push(c));
      expect(armFailPointsFromEnv({ TRIAD_FAIL_POINTS: "block.after-append=crash@3", TRIAD_FAIL_POINTS_LOG: log })).toEqual(["block.after-append"]);
      for (let h = 1; h <= 5; h++) {
        noteAppended(h);
        failPoint("block.after-append", h);
        failPoint("vote.after-sync", h);
      }
      expect(crashes).toEqual([{ point: "block.after-append", hit: 3, pid: process.pid, appendedHeight: 3, detail: 3 }]);
      expect(JSON.parse(readFileSync(log, "utf8").trim())).toEqual(crashes[0]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("unarmed, nothing fires", () => {
    const crashes: FailPointCrash[] = [];
    setFailPointAction((c) => crashes.push(c));
    armFailPoints(undefined);
    for (const name of FAIL_POINT_NAMES) failPoint(name);
    expect(crashes).toEqual([]);
  });

  it("every listed point is called somewhere in src, and every call names a listed point", () => {
    const called = new Set<string>();
    for (const file of sourceFiles(join(import.meta.dirname, "../../../src"))) {
      for (const m of readFileSync(file, "utf8").matchAll(/\bfailPoint\("([^"]+)"/g)) called.add(m[1]!);
    }
    expect([...called].sort()).toEqual([...FAIL_POINT_NAMES].sort());
  });
});
