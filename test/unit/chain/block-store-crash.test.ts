// Crash safety of LevelBlockStore: a child process appends blocks in a loop and is SIGKILLed at
// an arbitrary moment, three times over on the same directory. After each kill the store must
// hold a clean prefix of the chain — every block up to the head whole (seal, receipts, tx index),
// nothing above it — and at least every block the child reported as appended.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Level } from "level";
import { afterEach, describe, expect, it } from "vitest";
import { bytesEqual, toHex, verifySeal } from "../../../src/chain/index.js";
import { LevelBlockStore } from "../../../src/store/index.js";
import { BLOCK_RANGE, blockKey } from "../../../src/store/level-block-layout.js";
import { chainFixture } from "../../fixtures/chain-fixture.js";

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
const fx = chainFixture();
/** Children still running, killed after each test so a failure never leaves one behind. */
const running = new Set<ChildProcess>();

/**
 * Runs the append loop until it has reported `appends` more heights, then SIGKILLs it.
 * Resolves with the last height it reported, once the process is gone.
 */
function runAndKill(dir: string, appends: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "test/fixtures/append-loop.ts", dir], {
      cwd: repoRoot,
      stdio: ["ignore", "pipe", "pipe"],
    });
    running.add(child);
    let out = "";
    let err = "";
    let reported: number[] = [];
    let killed = false;
    child.stdout.setEncoding("utf8");
    child.stderr.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      out += chunk;
      const lines = out.split("\n");
      out = lines.pop()!;
      reported = reported.concat(lines.map(Number));
      if (!killed && reported.length >= appends) {
        killed = true;
        child.kill("SIGKILL");
      }
    });
    child.stderr.on("data", (chunk: string) => (err += chunk));
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      running.delete(child);
      if (!killed || signal !== "SIGKILL") {
        reject(new Error(`append loop exited on its own (code ${code}, signal ${signal}): ${err}`));
        return;
      }
      // Lines are only printed after their append resolved; a partial last line is not a report.
      resolve(reported[reported.length - 1]!);
    });
  });
}

async function checkCleanPrefix(dir: string, lastReported: number): Promise<number> {
  const store = new LevelBlockStore({ path: dir });
  await store.open(fx.init);
  try {
    const head = store.head();
    expect(head.height).toBeGreaterThanOrEqual(lastReported);
    let parent = fx.init.genesisHash;
    for (let h = 1; h <= head.height; h++) {
      const stored = await store.getBlock(h);
      expect(stored, `block ${h}`).toBeDefined();
      const { block, seal, receipts } = stored!;
      expect(block.header.height).toBe(h);
      expect(toHex(block.header.parentHash)).toBe(toHex(parent));
      verifySeal(seal, fx.chainId, store.validatorsAt(h), h, block.hash);
      expect(receipts.length).toBe(block.txs.length);
      for (const [index, tx] of block.txs.entries()) {
        const location = await store.getTx(tx.id);
        expect(location).toMatchObject({ height: h, index, receipt: receipts[index] });
      }
      parent = block.hash;
    }
    expect(bytesEqual(parent, head.hash)).toBe(true);
    const headBlock = await store.getBlock(head.height);
    expect(toHex(store.state().root())).toBe(toHex(headBlock!.block.header.stateRoot));
    expect(await store.getBlock(head.height + 1)).toBeUndefined();
    return head.height;
  } finally {
    await store.close();
  }
}

/** The highest block key on disk, read past the store: nothing may sit above the head. */
async function highestStoredBlockKey(dir: string): Promise<string | undefined> {
  const db = new Level<Uint8Array, Uint8Array>(dir, { keyEncoding: "view", valueEncoding: "view" });
  await db.open();
  try {
    const keys = await db.keys({ ...BLOCK_RANGE, reverse: true, limit: 1 }).all();
    return keys[0] === undefined ? undefined : toHex(keys[0]);
  } finally {
    await db.close();
  }
}

describe("LevelBlockStore crash safety", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const child of running) child.kill("SIGKILL");
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it("holds a clean prefix of the chain after SIGKILL mid-append, three times over", async () => {
    const dir = mkdtempSync(join(tmpdir(), "triad-crash-"));
    dirs.push(dir);
    let previousHead = 0;
    for (const appends of [20, 27, 34]) {
      const lastReported = await runAndKill(dir, appends);
      expect(lastReported).toBeGreaterThanOrEqual(previousHead + appends);
      const head = await checkCleanPrefix(dir, lastReported);
      expect(await highestStoredBlockKey(dir)).toBe(toHex(blockKey(head)));
      previousHead = head;
    }
  });
});
