// The lies a bad-sync-server tells: each is something an importer must refuse or cannot use.
import { describe, expect, it } from "vitest";
import { makeSeal, SealError, verifySeal, type Block } from "../../../src/chain/index.js";
import { validatorSet } from "../../../src/chain/validator-set.js";
import { commitPayload } from "../../../src/chain/seal.js";
import type { SealedBlock } from "../../../src/driver/transport.js";
import { badSyncAnswer, BAD_SYNC_ANSWERS, type BadSyncAnswer } from "../../../src/byzantine/behaviours/index.js";
import { Prng } from "../../../src/byzantine/prng.js";
import { CHAIN_ID, GENESIS_HASH, makeKeys, makeTestBlock } from "../consensus/harness.js";

const keys = makeKeys(4);
const set = validatorSet(keys.map((k) => k.id));

/** Heights 1..5, each sealed by keys 0..2 in view 0. */
const chain: SealedBlock[] = [];
let parent = GENESIS_HASH;
for (let h = 1; h <= 5; h++) {
  const block: Block = makeTestBlock(h, 0, parent, keys[h % 4]!.id);
  const commits = keys.slice(0, 3).map((k) => ({ validator: k.id, signature: k.signer.signDomain("commit", CHAIN_ID, commitPayload(h, 0, block.hash)) }));
  chain.push({ block, seal: makeSeal(h, 0, block.hash, commits) });
  parent = block.hash;
}

const server = { signer: keys[3]!.signer, head: 5, getBlock: (h: number) => Promise.resolve(chain[h - 1]) };

describe("bad-sync-server answers", () => {
  it("tells every kind of lie, none of them what was asked for", async () => {
    const seen = new Set<BadSyncAnswer>();
    const honest = chain.slice(2, 5); // heights 3..5 asked for
    for (let seed = 1; seed < 60; seed++) {
      const lie = await badSyncAnswer(server, 3, honest, 4, new Prng(seed));
      if (lie === null) continue;
      seen.add(lie.kind);
      switch (lie.kind) {
        case "nothing":
          expect(lie.blocks).toEqual([]);
          break;
        case "truncated":
          expect(lie.blocks.length).toBeLessThan(honest.length);
          lie.blocks.forEach((b, i) => expect(b).toBe(honest[i]));
          break;
        case "other-heights":
          expect(lie.blocks.length).toBeGreaterThan(0);
          for (const b of lie.blocks) expect(b.block.header.height).not.toBe(3);
          expect(lie.blocks[0]!.block.header.height).not.toBe(3);
          break;
        case "duplicate-signers": {
          const { block, seal } = lie.blocks[0]!;
          expect(seal.commits).toHaveLength(3);
          expect(new Set(seal.commits.map((c) => c.validator)).size).toBe(1);
          expect(() => verifySeal(seal, CHAIN_ID, set, 3, block.hash)).toThrow(SealError);
          expect(() => verifySeal(seal, CHAIN_ID, set, 3, block.hash)).toThrow(/twice/);
          break;
        }
      }
    }
    expect([...seen].sort()).toEqual([...BAD_SYNC_ANSWERS].sort());
  });
});
