// Turning metrics on: config.toml's [metrics] listen (off by default), TRIAD_METRICS_LISTEN and
// the flag over it; a testnet's metrics ports (base + i, free ports when one is taken).
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConfigError, defaultConfig } from "../../../src/node/config.js";
import { buildGenesis, writeGenesisDir } from "../../../src/node/genesis-builder.js";
import { initHome, loadHome } from "../../../src/node/home.js";
import { metricsPorts } from "../../../src/testnet/setup.js";
import { freePorts } from "../../../src/testnet/index.js";

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "triad-metrics-config-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("metrics config", () => {
  it("is off by default, set by init, overridden by env and flags, and checked", async () => {
    expect(defaultConfig().metrics.listen).toBe("");
    const built = buildGenesis({ selection: "poa", validators: 4, dev: true, genesisTime: "2026-01-01T00:00:00Z" });
    const genesisFile = (await writeGenesisDir(join(dir, "net"), built)).genesisPath;
    const keyFile = join(dir, "net", "keys", "validator-0.json");
    const home = join(dir, "home");
    await initHome({ home, genesisFile, keyFile, metricsListen: "127.0.0.1:9100" });
    expect((await loadHome(home, {})).config.metrics.listen).toBe("127.0.0.1:9100");
    expect((await loadHome(home, { TRIAD_METRICS_LISTEN: "127.0.0.1:9200" })).config.metrics.listen).toBe("127.0.0.1:9200");
    expect((await loadHome(home, { TRIAD_METRICS_LISTEN: "127.0.0.1:9200" }, { "metrics.listen": "" })).config.metrics.listen).toBe("");
    await expect(initHome({ home: join(dir, "bad"), genesisFile, keyFile, metricsListen: "nope" })).rejects.toThrow(ConfigError);
    await expect(initHome({ home: join(dir, "bad"), genesisFile, keyFile, metricsListen: "nope" })).rejects.toThrow(/metrics\.listen/);
  });
});

describe("testnet metrics ports", () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  });

  it("base + i when all are free, free ports (with a note) when one is taken, free ports for 0, none for null", async () => {
    const [base] = await freePorts(1);
    // freePorts checks only the port it returns; look for a run of 3 free ones from it.
    const notes: string[] = [];
    const wanted = await metricsPorts(3, base!, notes);
    if (notes.length === 0) expect(wanted).toEqual([base, base! + 1, base! + 2]);

    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen({ host: "127.0.0.1", port: base! + 1 }, () => resolve()));
    servers.push(taken);
    const fallbackNotes: string[] = [];
    const fallback = await metricsPorts(3, base!, fallbackNotes);
    expect(fallback).toHaveLength(3);
    expect(fallback).not.toEqual([base, base! + 1, base! + 2]);
    expect(fallbackNotes[0]).toMatch(/not all free/);

    const zeroNotes: string[] = [];
    expect(await metricsPorts(2, 0, zeroNotes)).toHaveLength(2);
    expect(zeroNotes).toEqual([]);
    expect(await metricsPorts(2, null, [])).toBeNull();
  });
});
