// Found by the fuzz suite (test/reliability/fuzz/config-genesis-keys.test.ts): a config.toml that
// sets a section to a plain value (`node = 5`) and an env override into that section
// (TRIAD_MONIKER) threw a TypeError out of loadConfig instead of the ConfigError naming the field.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../../src/node/config.js";

describe("loadConfig: overrides into a section that is not a table", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "triad-config-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it.each([["node = 5"], ['node = "x"'], ["node = true"], ["p2p = 1.5"]])("%s with an env override is a ConfigError naming the section", (toml) => {
    const file = join(dir, "config.toml");
    writeFileSync(file, `${toml}\n`);
    const env = { TRIAD_MONIKER: "m", TRIAD_P2P_LISTEN: "/ip4/127.0.0.1/tcp/1" };
    let err: unknown;
    try {
      loadConfig(file, env);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toMatch(/node|p2p/);
  });

  it("an override into a section the file leaves out still applies", () => {
    const file = join(dir, "config.toml");
    writeFileSync(file, "[rpc]\nlisten = \"127.0.0.1:1\"\n");
    expect(loadConfig(file, { TRIAD_MONIKER: "m" }).node.moniker).toBe("m");
  });
});
