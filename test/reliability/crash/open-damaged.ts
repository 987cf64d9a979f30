// Child process of damaged-store.test.ts: opens damaged copies of a validator's chain database
// through the node's real open path (openChainDb) and answers one JSON line per copy. It runs
// apart from the test because LevelDB 1.20 as classic-level builds it keeps its assertions: some
// damaged tables abort the process (SIGABRT in ExtractUserKey) instead of returning an error, and
// that must end this child, not the test's worker.
//
// argv: <home>. stdin: one line per copy, "<path>\t<probe: 0|1>" (probe: openChainDb reads the
// copy in a further child first, as `triad start` does). stdout: one OpenResult per line.
import { createInterface } from "node:readline";
import { toHex, type VoteRecord } from "../../../src/chain/index.js";
import { loadHome } from "../../../src/node/home.js";
import { openChainDb, StoreDamageError } from "../../../src/node/chain-db.js";
import { genesisInit } from "../../../src/node/node.js";

export type OpenResult =
  | {
      readonly opened: {
        readonly head: number;
        readonly hashes: readonly (readonly [number, string])[];
        readonly votes: readonly (readonly [string, string])[];
        readonly checkMs: number;
      };
    }
  | { readonly refused: { readonly message: string; readonly file?: string; readonly key?: string } }
  | { readonly error: string };

const voteKey = (v: VoteRecord): string => `${v.height}/${v.view}/${v.phase}`;

const home = process.argv[2];
if (home === undefined) throw new Error("usage: open-damaged.ts <home>");
const loaded = await loadHome(home);
const chainId = loaded.genesis.chainId;
const genesis = genesisInit(loaded.genesis);

async function open(path: string, probe: boolean): Promise<OpenResult> {
  try {
    const db = await openChainDb({ path, home: home!, chainId, genesis, probe });
    const hashes: [number, string][] = [];
    const head = db.store.head().height;
    for (let h = 1; h <= head; h++) {
      const stored = await db.store.getBlock(h);
      if (stored !== undefined) hashes.push([h, stored.block.id]);
    }
    const votes = (await db.votes.load()).map((v) => [voteKey(v), toHex(v.bytes)] as const);
    await db.votes.close();
    await db.store.close();
    return { opened: { head, hashes, votes, checkMs: db.check.ms } };
  } catch (err) {
    if (err instanceof StoreDamageError) {
      return { refused: { message: err.message, ...(err.damage.file === undefined ? {} : { file: err.damage.file }), ...(err.damage.key === undefined ? {} : { key: err.damage.key }) } };
    }
    return { error: `${(err as Error).name}: ${(err as Error).message}` };
  }
}

for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() === "") continue;
  const [path, probe] = line.trim().split("\t");
  process.stdout.write(`${JSON.stringify(await open(path!, probe === "1"))}\n`);
}
