// Fuzzing the files an operator (or whoever could write to the node's home) hands the node:
// genesis.json, the key file, config.toml with its TRIAD_* environment overrides. Each must load
// or be refused with its own typed error (GenesisError, KeyFileError, ConfigError) naming the
// damage; what loads must be usable (the genesis hashes, the key pair belongs together, the
// config survives being written back).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, it } from "vitest";
import { bytesEqual, toHex } from "../../../src/chain/encoding.js";
import { genesisHash, GenesisError, parseGenesis, parseGenesisText } from "../../../src/chain/genesis.js";
import { devKeyPair, publicKeyHex } from "../../../src/chain/keys.js";
import { ConfigError, configSchema, defaultConfig, loadConfig, parseHostPort, writeConfig } from "../../../src/node/config.js";
import { checkKeyFileMode, KeyFileError, keyFileJson, parseKeyFile } from "../../../src/node/key-file.js";
import { assert, check, mutated, pool, returnsOrThrowsTyped } from "./fuzz-support.js";

const dir = mkdtempSync(join(tmpdir(), "triad-fuzz-config-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const utf8Lossy = new TextDecoder("utf-8", { fatal: false });
/** Text damaged the way a byte-level mutation damages it (then read back as UTF-8, as a file would be). */
const mutatedText = (valid: fc.Arbitrary<string>): fc.Arbitrary<string> => mutated(valid.map((t) => new TextEncoder().encode(t))).map((m) => utf8Lossy.decode(m.bytes));

/** A JSON value with one field at a random path replaced by an arbitrary JSON value (or removed). */
function withFieldReplaced(base: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  const replacement = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constant(undefined), fc.integer(), fc.string(), fc.constantFrom(-1, 0, 1e308, 2 ** 53, "0", "", "__proto__"));
  return fc.tuple(base, fc.array(fc.nat(), { minLength: 1, maxLength: 4 }), replacement).map(([value, path, r]) => {
    const copy = structuredClone(value) as Record<string, unknown>;
    let node: unknown = copy;
    for (let i = 0; i < path.length; i++) {
      if (typeof node !== "object" || node === null) break;
      const keys = Object.keys(node);
      if (keys.length === 0) break;
      const key = keys[path[i]! % keys.length]!;
      const last = i === path.length - 1;
      const child = (node as Record<string, unknown>)[key];
      if (last || typeof child !== "object" || child === null) {
        if (r === undefined) delete (node as Record<string, unknown>)[key];
        else (node as Record<string, unknown>)[key] = r;
        break;
      }
      node = child;
    }
    return copy;
  });
}

// ---- genesis ----------------------------------------------------------------------------------------

const ids = [0, 1, 2, 3, 4, 5].map((i) => publicKeyHex(devKeyPair(`fuzz-genesis-${i}`)));
const validGenesis = fc.record({
  chainId: fc.stringMatching(/^[a-zA-Z0-9][a-zA-Z0-9._-]{0,20}$/),
  genesisTime: fc.date({ min: new Date(0), max: new Date(4_000_000_000_000), noInvalidDate: true }).map((d) => d.toISOString()),
  insecure: fc.boolean(),
  selection: fc.oneof(fc.constant({ name: "poa" }), fc.record({ name: fc.constant("dbft"), epochLength: fc.integer({ min: 1, max: 100 }), validatorCount: fc.integer({ min: 4, max: 6 }) })),
  validators: fc.shuffledSubarray(ids, { minLength: 4 }).map((vs) => vs.map((id) => ({ id }))),
  accounts: fc.array(fc.record({ id: fc.constantFrom(...ids), balance: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map(String) }), { maxLength: 3 }).map((as) => as.filter((a, i) => as.findIndex((b) => b.id === a.id) === i)),
  consensus: fc.record({ tickMs: fc.integer({ min: 5, max: 1000 }), viewChangeTimeoutTicks: fc.integer({ min: 20, max: 100 }), emptyBlockIntervalTicks: fc.integer({ min: 0, max: 19 }) }),
});

describe("fuzz: genesis", () => {
  const genesisErrors = (e: unknown): boolean => e instanceof GenesisError;

  it("parseGenesis returns a genesis that hashes (stably), or throws GenesisError", () => {
    const inputs = fc.oneof({ weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) }, { weight: 5, arbitrary: withFieldReplaced(pool(validGenesis, 200)) }, { weight: 1, arbitrary: validGenesis });
    check(
      fc.property(inputs, (json) => {
        const r = returnsOrThrowsTyped(() => parseGenesis(json), genesisErrors);
        if (!r.ok) return;
        const hash = genesisHash(r.value);
        // What a node writes and another reads back is the same chain.
        assert(bytesEqual(genesisHash(parseGenesis(JSON.parse(JSON.stringify(r.value)))), hash), "genesis hash changes across a write and a read");
      }),
    );
  });

  it("parseGenesisText takes any text: a genesis, or GenesisError", () => {
    const text = fc.oneof(fc.string({ maxLength: 200 }), mutatedText(pool(validGenesis.map((g) => JSON.stringify(g, null, 1)), 100)));
    check(
      fc.property(text, (t) => {
        const r = returnsOrThrowsTyped(() => parseGenesisText(t), genesisErrors);
        if (r.ok) genesisHash(r.value);
      }),
    );
  });
});

// ---- key files --------------------------------------------------------------------------------------

describe("fuzz: key files", () => {
  const pairs = [0, 1, 2].map((i) => devKeyPair(`fuzz-key-${i}`));
  const validKey = fc.record({ pair: fc.constantFrom(...pairs), insecure: fc.boolean(), label: fc.option(fc.string({ minLength: 1, maxLength: 64 }), { nil: undefined }) }).map(({ pair, ...o }) => keyFileJson(pair, o));

  it("parseKeyFile takes any text: a key pair that belongs together, or KeyFileError", () => {
    const text = fc.oneof(
      { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
      { weight: 3, arbitrary: mutatedText(validKey.map((k) => JSON.stringify(k, null, 2))) },
      { weight: 3, arbitrary: withFieldReplaced(validKey).map((k) => JSON.stringify(k) ?? "null") },
    );
    check(
      fc.property(text, (t) => {
        const r = returnsOrThrowsTyped(() => parseKeyFile(t, "/fuzz/key.json"), (e) => e instanceof KeyFileError);
        if (!r.ok) return;
        const json = JSON.parse(t) as { publicKey: string };
        assert(toHex(r.value.pair.publicKey) === json.publicKey, "a key file loaded with a public key it does not hold");
      }),
    );
  });

  it("checkKeyFileMode refuses exactly the modes group or others may access, with KeyFileError", () => {
    check(
      fc.property(fc.integer({ min: 0, max: 0o177777 }), fc.constantFrom<NodeJS.Platform>("linux", "darwin", "win32"), (mode, platform) => {
        const r = returnsOrThrowsTyped(() => checkKeyFileMode("/fuzz/key.json", mode, platform), (e) => e instanceof KeyFileError && e.code === "KEY_FILE_PERMISSIONS");
        assert(r.ok === (platform === "win32" || (mode & 0o077) === 0), `mode 0${mode.toString(8)} on ${platform}: ${r.ok ? "accepted" : "refused"}`);
      }),
    );
  });
});

// ---- config.toml ------------------------------------------------------------------------------------

const ENV_NAMES = [
  "TRIAD_MONIKER",
  "TRIAD_LOG_LEVEL",
  "TRIAD_LOG_FORMAT",
  "TRIAD_P2P_LISTEN",
  "TRIAD_P2P_PEERS",
  "TRIAD_P2P_OBSERVERS",
  "TRIAD_RPC_LISTEN",
  "TRIAD_RPC_CORS_ALLOWED_ORIGINS",
  "TRIAD_RPC_ALLOWED_HOSTS",
  "TRIAD_METRICS_LISTEN",
  "TRIAD_TICK_MS",
  "TRIAD_VIEW_CHANGE_TIMEOUT_TICKS",
];

describe("fuzz: config.toml and its environment overrides", () => {
  const file = join(dir, "config.toml");
  const back = join(dir, "written.toml");
  writeConfig(file, defaultConfig());
  const validToml = pool(
    fc
      .record({
        moniker: fc.string({ minLength: 1, maxLength: 20 }),
        peers: fc.array(fc.string({ maxLength: 30 }), { maxLength: 3 }),
        max_clients: fc.integer({ min: 1, max: 10_000 }),
        tick_ms: fc.integer({ min: 0, max: 10_000 }),
        origins: fc.array(fc.string({ minLength: 1, maxLength: 30 }), { maxLength: 3 }),
      })
      .map((v) => {
        const c = defaultConfig();
        const cfg = { ...c, node: { ...c.node, moniker: v.moniker }, p2p: { ...c.p2p, peers: v.peers }, rpc: { ...c.rpc, max_clients: v.max_clients, cors_allowed_origins: v.origins }, consensus: { ...c.consensus, tick_ms: v.tick_ms } };
        writeConfig(back, cfg);
        return readFileSync(back, "utf8");
      }),
    100,
  );
  const env = fc.dictionary(fc.constantFrom(...ENV_NAMES), fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom("1", "-1", "1e9", "NaN", "info", "json", "a,b,,c", "127.0.0.1:1")), { maxKeys: 3 });

  it("loadConfig takes any file and environment: a config that survives a write and a read, or ConfigError", () => {
    const text = fc.oneof({ weight: 1, arbitrary: fc.string({ maxLength: 120 }) }, { weight: 4, arbitrary: mutatedText(validToml) }, { weight: 1, arbitrary: validToml }, { weight: 1, arbitrary: fc.constantFrom("node = 5", "[node]\nmoniker = 5", "rpc = []", "[[p2p]]\nlisten = 1", "[consensus]\ntick_ms = 1e400") });
    check(
      fc.property(text, fc.option(env, { nil: {} }), (t, e) => {
        writeFileSync(file, t);
        const r = returnsOrThrowsTyped(() => loadConfig(file, e), (err) => err instanceof ConfigError);
        if (!r.ok) return;
        writeConfig(back, r.value);
        const again = configSchema.parse(loadConfig(back, {}));
        assert(JSON.stringify(again) === JSON.stringify(r.value), "config changes across a write and a read");
      }),
    );
  });

  it("parseHostPort: a host and a port in 0..65535, or ConfigError", () => {
    check(
      fc.property(fc.oneof(fc.string({ maxLength: 40 }), fc.tuple(fc.string({ maxLength: 20 }), fc.oneof(fc.integer({ min: -10, max: 70_000 }).map(String), fc.string({ maxLength: 6 }))).map(([h, p]) => `${h}:${p}`)), (s) => {
        const r = returnsOrThrowsTyped(() => parseHostPort(s), (err) => err instanceof ConfigError);
        if (r.ok) assert(Number.isInteger(r.value.port) && r.value.port >= 0 && r.value.port <= 65_535 && r.value.host.length > 0, `parsed ${JSON.stringify(s)} as ${JSON.stringify(r.value)}`);
      }),
    );
  });
});
