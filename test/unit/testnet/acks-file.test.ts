import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { AcksWriter, parseAcks } from "../../../src/testnet/acks-file.js";

const ack = (i: number) => ({ id: i.toString(16).padStart(64, "0"), height: i + 1, node: "validator-0" });
const LINE = `${JSON.stringify(ack(0))}\n`.length;

describe("the acks file", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it("stops growing at its limit, in whole lines, and counts what it skipped", async () => {
    const dir = mkdtempSync(join(tmpdir(), "triad-acks-"));
    dirs.push(dir);
    const path = join(dir, "load-acks.jsonl");
    // An earlier run left two lines: they count towards the limit of five.
    writeFileSync(path, `${JSON.stringify(ack(7))}\n${JSON.stringify(ack(8))}\n`);
    const writer = new AcksWriter(path, 5 * LINE);
    for (let i = 0; i < 2; i++) writer.add(ack(i));
    await writer.flush();
    for (let i = 2; i < 6; i++) writer.add(ack(i));
    await writer.flush();
    expect({ written: writer.written, skipped: writer.skipped, failed: writer.failed }).toEqual({ written: 3, skipped: 3, failed: null });
    const { acks, bad } = parseAcks(readFileSync(path, "utf8"));
    expect(bad).toBe(0);
    expect(acks.map((a) => a.height)).toEqual([8, 9, 1, 2, 3]);
  });
});
