// openChainDb names the damage, not its symptom: a record LevelDB skips in the middle of its
// write-ahead log leaves the later records applied, so the store's own check then fails on
// something downstream (a head whose state lacks one block's writes). The refusal must name the
// .log file and say records were skipped, with the remedy.
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Level } from "level";
import { afterEach, describe, expect, it } from "vitest";
import { Prng } from "../../../src/byzantine/prng.js";
import { openChainDb, StoreDamageError } from "../../../src/node/chain-db.js";
import { LevelBlockStore } from "../../../src/store/index.js";
import { decodeHead, GENESIS_KEY, HEAD_KEY } from "../../../src/store/level-block-layout.js";
import { chainFixture, nextAppend } from "../../fixtures/chain-fixture.js";

const fx = chainFixture();
const dirs: string[] = [];

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A closed store of `blocks` fixture blocks (each its own batch in the log), and its path. */
async function storeWith(blocks: number, txs = 3): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "triad-chain-db-"));
  dirs.push(dir);
  const store = new LevelBlockStore({ path: join(dir, "chain") });
  await store.open(fx.init);
  for (let i = 0; i < blocks; i++) await store.append(nextAppend(fx, store, { txs }));
  await store.close();
  return join(dir, "chain");
}

async function open(path: string) {
  return openChainDb({ path, home: join(path, ".."), chainId: fx.chainId, genesis: fx.init });
}

describe("openChainDb", () => {
  it("opens an undamaged store and checks its tail", async () => {
    const path = await storeWith(6);
    const db = await open(path);
    expect(db.store.head().height).toBe(6);
    expect(db.check.tailBlocks).toBe(6);
    await db.votes.close();
    await db.store.close();
  });

  it("a byte flipped mid-log is refused as skipped log records in that .log file, not as its symptom", async () => {
    // LevelDB's log is made of 32 KiB blocks; on a bad checksum it drops the rest of that block
    // and goes on with the next. 30 blocks of 10 txs fill three, so a flip in the first record
    // (the store's initialization: schema, genesis, genesis state) loses the first block's batches
    // while the later ones still apply: a head with no metadata.
    const path = await storeWith(30, 10);
    const log = readdirSync(path).find((f) => f.endsWith(".log"))!;
    const data = readFileSync(join(path, log));
    expect(data.length).toBeGreaterThan(2 * 32 * 1024);
    data[10] = data[10]! ^ 0x5a;
    writeFileSync(join(path, log), data);
    const err = await open(path).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StoreDamageError);
    const damage = (err as StoreDamageError).damage;
    expect(damage.file).toBe(log);
    expect(damage.reason).toMatch(/skipped damaged records of its write-ahead log/);
    expect((err as StoreDamageError).message).toMatch(/unsafe-reset-all/);
    // And the refused open wrote nothing of its own: no fresh genesis over the surviving blocks.
    const db = new Level<Uint8Array, Uint8Array>(path, { keyEncoding: "view", valueEncoding: "view" });
    try {
      expect(await db.get(GENESIS_KEY)).toBeUndefined();
      expect(decodeHead((await db.get(HEAD_KEY))!).height).toBe(30);
    } finally {
      await db.close();
    }
  });

  it("probed: a table LevelDB aborts on is refused as damage naming the table files, and this process lives", async () => {
    // 40 blocks of 5 txs, opened once more so the log became a table (.ldb): deterministic bytes.
    const path = await storeWith(40, 5);
    const again = new LevelBlockStore({ path });
    await again.open(fx.init);
    await again.close();
    const undamaged = await openChainDb({ path, home: join(path, ".."), chainId: fx.chainId, genesis: fx.init, probe: true });
    expect(undamaged.check.probe).toBe("ok");
    await undamaged.votes.close();
    await undamaged.store.close();
    // Byte flips in the table's last 512 bytes (its index and footer), drawn as a search with
    // seed 1 found them: the 34th draw makes LevelDB 1.20 fail `internal_key.size() >= 8` and abort.
    const damaged = join(path, "..", "damaged");
    cpSync(path, damaged, { recursive: true });
    const table = readdirSync(damaged).filter((f) => f.endsWith(".ldb")).sort().pop()!;
    const data = readFileSync(join(damaged, table));
    const prng = new Prng(1);
    let flips: [number, number][] = [];
    for (let draw = 0; draw <= 33; draw++) {
      flips = [];
      const n = 1 + (prng.u32() % 4);
      for (let k = 0; k < n; k++) flips.push([data.length - 1 - (prng.u32() % Math.min(512, data.length)), 1 + (prng.u32() % 255)]);
    }
    for (const [at, mask] of flips) data[at] = data[at]! ^ mask;
    writeFileSync(join(damaged, table), data);
    const err = await openChainDb({ path: damaged, home: join(path, ".."), chainId: fx.chainId, genesis: fx.init, probe: true }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StoreDamageError);
    const damage = (err as StoreDamageError).damage;
    expect(damage.file).toBe(table);
    expect(damage.reason).toMatch(/LevelDB ended the process reading it \(SIGABRT: .*Assertion .* failed/);
    expect((err as StoreDamageError).message).toMatch(/unsafe-reset-all/);
  });
});
