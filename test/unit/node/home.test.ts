import { mkdtempSync, rmSync, statSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { devKeyPair, toHex } from "../../../src/chain/index.js";
import { ConfigError, homePaths } from "../../../src/node/config.js";
import { buildGenesis, writeGenesisDir } from "../../../src/node/genesis-builder.js";
import { HomeError, initHome, loadHome, resetHomeData } from "../../../src/node/home.js";
import { writeKeyFile } from "../../../src/node/key-file.js";
import { effectiveParams } from "../../../src/node/node.js";
import { peerIdFromValidatorId } from "../../../src/p2p/index.js";

let dir: string;
let genesisFile: string;
let keyFile: string;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "triad-home-"));
  const built = buildGenesis({ selection: "poa", validators: 4, dev: true, genesisTime: "2026-01-01T00:00:00Z" });
  genesisFile = (await writeGenesisDir(join(dir, "net"), built)).genesisPath;
  keyFile = join(dir, "net", "keys", "validator-1.json");
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("node home", () => {
  it("init copies genesis and key (0600), writes config, and load layers env and flags over it", async () => {
    const home = join(dir, "home");
    const peer = `/ip4/127.0.0.1/tcp/5/p2p/${peerIdFromValidatorId(toHex(devKeyPair("validator-0").publicKey)).toString()}`;
    const r = await initHome({ home, genesisFile, keyFile, moniker: "one", p2pListen: "/ip4/127.0.0.1/tcp/0", rpcListen: "127.0.0.1:0", peers: [peer] });
    expect(r.validatorId).toBe(toHex(devKeyPair("validator-1").publicKey));
    expect(r.isGenesisValidator).toBe(true);
    const paths = homePaths(home);
    expect(statSync(paths.key).mode & 0o777).toBe(0o600);
    expect(await readFile(paths.genesis, "utf8")).toBe(await readFile(genesisFile, "utf8"));

    const plain = await loadHome(home, {});
    expect(plain.config.node.moniker).toBe("one");
    expect(plain.config.p2p.peers).toEqual([peer]);
    const layered = await loadHome(home, { TRIAD_RPC_LISTEN: "127.0.0.1:7000", TRIAD_MONIKER: "env" }, { "node.moniker": "flag" });
    expect(layered.config.rpc.listen).toBe("127.0.0.1:7000");
    expect(layered.config.node.moniker).toBe("flag");

    await expect(initHome({ home, genesisFile, keyFile })).rejects.toBeInstanceOf(HomeError);
    await initHome({ home, genesisFile, keyFile, force: true });
  });

  it("refuses bad values before writing anything", async () => {
    const home = join(dir, "bad");
    await expect(initHome({ home, genesisFile, keyFile, peers: ["/ip4/127.0.0.1/tcp/5"] })).rejects.toBeInstanceOf(ConfigError);
    await expect(initHome({ home, genesisFile, keyFile, rpcListen: "nohost" })).rejects.toBeInstanceOf(ConfigError);
    await expect(initHome({ home, genesisFile, keyFile, observers: ["xyz"] })).rejects.toBeInstanceOf(ConfigError);
    await expect(loadHome(home, {})).rejects.toBeInstanceOf(HomeError);
  });

  it("flags a key that is not a genesis validator (an observer)", async () => {
    const other = join(dir, "observer.json");
    await writeKeyFile(other, devKeyPair("observer-0"));
    const r = await initHome({ home: join(dir, "obs"), genesisFile, keyFile: other });
    expect(r.isGenesisValidator).toBe(false);
  });

  it("unsafe reset deletes data/ only", async () => {
    const home = join(dir, "home");
    await initHome({ home, genesisFile, keyFile });
    const paths = homePaths(home);
    await writeFile(join(paths.data, "junk"), "x");
    await resetHomeData(home);
    expect(() => statSync(join(paths.data, "junk"))).toThrow();
    expect(statSync(paths.key).isFile()).toBe(true);
    // A live pid in node-info.json means a running node: refuse.
    await writeFile(join(paths.data, "node-info.json"), JSON.stringify({ pid: process.ppid }));
    await expect(resetHomeData(home)).rejects.toBeInstanceOf(HomeError);
  });

  it("applies config timing overrides to the genesis consensus parameters (0 keeps the genesis value)", () => {
    const g = buildGenesis({ selection: "poa", validators: 4, dev: true, genesisTime: "2026-01-01T00:00:00Z" }).genesis;
    const config = { consensus: { tick_ms: 20, view_change_timeout_ticks: 0, max_view_change_timeout_ticks: 0, empty_block_interval_ticks: 3 } };
    const p = effectiveParams(g, config as Parameters<typeof effectiveParams>[1]);
    expect(p).toEqual({ ...g.consensus, tickMs: 20, emptyBlockIntervalTicks: 3 });
  });
});
