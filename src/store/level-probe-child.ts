// The child process of level-probe.ts: reads what a node's open reads (metadata, every state
// entry and validator set, the votes, the last blocks) straight from LevelDB, decoding nothing,
// and prints "ok". If LevelDB aborts on a damaged table, this process dies in its place.
//
// argv: <path> <tailBlocks>
import { Level } from "level";
import * as layout from "./level-block-layout.js";

const [path, tailArg] = process.argv.slice(2);
if (path === undefined) throw new Error("usage: level-probe-child.ts <path> <tailBlocks>");
const tail = Number(tailArg ?? 32);

const db = new Level<Uint8Array, Uint8Array>(path, { keyEncoding: "view", valueEncoding: "view", createIfMissing: false });
try {
  await db.open();
} catch {
  // Not the probe's to judge: the node's own open says what is wrong, with its types.
  process.stdout.write("unopened\n");
  process.exit(0);
}
try {
  const [, , head] = await db.getMany([layout.SCHEMA_KEY, layout.GENESIS_KEY, layout.HEAD_KEY]);
  for await (const entry of db.iterator(layout.STATE_RANGE)) void entry;
  for await (const entry of db.iterator(layout.VALIDATORS_RANGE)) void entry;
  for await (const entry of db.sublevel<Uint8Array, Uint8Array>("votes", { keyEncoding: "view", valueEncoding: "view" }).iterator()) void entry;
  let height = 0;
  try {
    if (head !== undefined) height = layout.decodeHead(layout.plainBytes(head)).height;
  } catch {
    height = 0;
  }
  for (let h = height; h >= 1 && h > height - tail; h--) await db.getMany([layout.blockKey(h), layout.sealKey(h), layout.receiptsKey(h)]);
  process.stdout.write("ok\n");
} catch {
  process.stdout.write("unread\n");
} finally {
  await db.close().catch(() => undefined);
}
