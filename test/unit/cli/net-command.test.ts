import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseDelay, parseGroups, parseProbability } from "../../../src/cli/net-command.js";
import { runCli } from "./run-cli.js";

describe("triad net argument parsing", () => {
  it("parses partition groups", () => {
    expect(parseGroups("0,1,2/3,4,5,6")).toEqual([
      ["0", "1", "2"],
      ["3", "4", "5", "6"],
    ]);
    expect(parseGroups("validator-0 / validator-1,validator-2")).toEqual([["validator-0"], ["validator-1", "validator-2"]]);
    expect(() => parseGroups("0,1,2")).toThrow(/two or more groups/);
    expect(() => parseGroups("0,1//2")).toThrow(/two or more groups/);
  });

  it("parses delays: fixed, ranges, units", () => {
    expect(parseDelay("80ms")).toEqual({ ms: 80 });
    expect(parseDelay("80")).toEqual({ ms: 80 });
    expect(parseDelay("1.5s")).toEqual({ ms: 1500 });
    expect(parseDelay("80-120ms")).toEqual({ ms: 80, maxMs: 120 });
    expect(() => parseDelay("120-80ms")).toThrow(/upper end/);
    expect(() => parseDelay("fast")).toThrow(/delay like/);
    expect(() => parseDelay("61s")).toThrow(/60s/);
  });

  it("parses probabilities", () => {
    expect(parseProbability("0.2")).toBe(0.2);
    expect(parseProbability("25%")).toBe(0.25);
    expect(parseProbability("1")).toBe(1);
    expect(() => parseProbability("1.5")).toThrow(/probability/);
    expect(() => parseProbability("-0.1")).toThrow(/probability/);
    expect(() => parseProbability("x")).toThrow(/probability/);
  });

  it("reports a missing or stopped testnet and unknown nodes clearly", () => {
    const dir = mkdtempSync(join(tmpdir(), "triad-net-"));
    try {
      const missing = runCli(["net", "heal", "--dir", join(dir, "none")]);
      expect(missing.status).not.toBe(0);
      expect(missing.stderr).toMatch(/testnet\.json/);
      const node = (i: number): Record<string, unknown> => ({
        name: `validator-${i}`,
        role: "validator",
        id: String(i).repeat(64),
        nodeId: "12D3KooWx",
        rpc: `http://127.0.0.1:${30000 + i}`,
        p2p: `/ip4/127.0.0.1/tcp/${31000 + i}`,
        pid: null,
        home: "h",
        key: "k",
      });
      const manifest = { version: 1, chainId: "c", selection: "poa", genesis: "g", genesisHash: "0".repeat(64), insecure: true, nodes: [0, 1, 2, 3].map(node), accounts: [] };
      writeFileSync(join(dir, "testnet.json"), JSON.stringify(manifest));
      const stopped = runCli(["net", "kill", "1", "--dir", dir]);
      expect(stopped.status).not.toBe(0);
      expect(stopped.stderr).toMatch(/is not running/);
      writeFileSync(join(dir, "testnet.json"), JSON.stringify({ ...manifest, control: "http://127.0.0.1:9" }));
      const unknown = runCli(["net", "isolate", "validator-9", "--dir", dir]);
      expect(unknown.status).not.toBe(0);
      expect(unknown.stderr).toMatch(/no node "validator-9"; nodes: 0=validator-0/);
      const bad = runCli(["net", "loss", "0", "2", "--dir", dir]);
      expect(bad.stderr).toMatch(/probability/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
