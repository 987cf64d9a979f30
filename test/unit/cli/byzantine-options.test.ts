// `triad start --byzantine …` and `triad testnet --byzantine …` refuse what cannot run, at parse
// time, before a home is read or a directory created.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli, tempDir } from "./run-cli.js";

describe("--byzantine options", () => {
  it("triad start refuses unknown and simulator-only behaviours and bad ids", () => {
    const unknown = runCli(["start", "--home", "/nonexistent", "--byzantine", "silent+loud"]);
    expect(unknown.status).not.toBe(0);
    expect(unknown.stderr).toMatch(/unknown behaviour "loud"/);
    const simOnly = runCli(["start", "--home", "/nonexistent", "--byzantine", "bad-sync-server"]);
    expect(simOnly.stderr).toMatch(/bad-sync-server only runs in the simulator.*triad sim --byzantine <index>:bad-sync-server/);
    const ids = runCli(["start", "--home", "/nonexistent", "--only-peers", "abc"]);
    expect(ids.stderr).toMatch(/"abc" is not a validator id/);
  });

  it("triad testnet checks the spec (index range, f, known names) before creating anything", () => {
    const { dir, remove } = tempDir();
    try {
      const net = join(dir, "net");
      const overF = runCli(["testnet", "--dir", net, "--validators", "4", "--byzantine", "0:silent,1:replay"]);
      expect(overF.status).not.toBe(0);
      expect(overF.stderr).toMatch(/--byzantine: 2 Byzantine validators exceed f = 1.*--allow-over-f/);
      const range = runCli(["testnet", "--dir", net, "--validators", "4", "--byzantine", "4:silent"]);
      expect(range.stderr).toMatch(/index 4 is out of range/);
      expect(existsSync(net)).toBe(false);
    } finally {
      remove();
    }
  });
});
