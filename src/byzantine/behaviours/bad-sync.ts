// `bad-sync-server`: no filter on consensus (it votes as a correct replica) but a lying block-sync
// server. Asked for blocks from height h, it answers with validly sealed blocks of other heights,
// a truncated range, nothing, or a block whose seal repeats its own commit signature q times. An
// honest importer must refuse each and still catch up from the others (virtual-transport.ts).
import { commitPayload, makeBlock, makeSeal, quorumSize, type Seal, type Signer } from "../../chain/index.js";
import type { SealedBlock } from "../../driver/transport.js";
import type { Prng } from "../prng.js";

export const BAD_SYNC_ANSWERS = ["other-heights", "truncated", "nothing", "duplicate-signers"] as const;
export type BadSyncAnswer = (typeof BAD_SYNC_ANSWERS)[number];

export interface BadSyncServer {
  readonly signer: Signer;
  /** The server's stored blocks, by height (undefined above its head). */
  getBlock(height: number): Promise<SealedBlock | undefined>;
  readonly head: number;
}

/**
 * A lying answer to "count blocks from fromHeight", or null when this server has nothing to lie
 * with (then it answers honestly). `honest` is what a correct server would send.
 */
export async function badSyncAnswer(
  server: BadSyncServer,
  fromHeight: number,
  honest: readonly SealedBlock[],
  members: number,
  prng: Prng,
): Promise<{ kind: BadSyncAnswer; blocks: readonly SealedBlock[] } | null> {
  const kind = prng.pick(BAD_SYNC_ANSWERS);
  switch (kind) {
    case "nothing":
      return { kind, blocks: [] };
    case "truncated":
      // A valid prefix at most, never the whole range (and nothing when there is one block).
      if (honest.length === 0) return { kind, blocks: [] };
      return { kind, blocks: honest.slice(0, prng.int(honest.length)) };
    case "other-heights": {
      // Validly sealed blocks, but not the ones asked for: an older one, or the range shifted by one.
      if (server.head < 1) return null;
      const start = prng.chance(0.5) ? prng.range(1, server.head) : fromHeight + 1;
      const out: SealedBlock[] = [];
      for (let h = start; h <= Math.min(server.head, start + Math.max(0, honest.length - 1)); h++) {
        if (h === fromHeight) continue;
        const b = await server.getBlock(h);
        if (b !== undefined) out.push(b);
      }
      return out.length === 0 ? null : { kind, blocks: out };
    }
    case "duplicate-signers": {
      // The block asked for (or a twin of it), sealed by our own commit signature q times.
      const first = honest[0];
      if (first === undefined) return null;
      const block = prng.chance(0.5) ? first.block : makeBlock({ ...first.block.header, timestamp: first.block.header.timestamp + 1 }, first.block.txs, first.block.lastCommit);
      const view = first.seal.view;
      const signature = server.signer.signDomain("commit", block.header.chainId, commitPayload(block.header.height, view, block.hash));
      const commits = Array.from({ length: quorumSize(members) }, () => ({ validator: server.signer.id, signature }));
      // makeSeal sorts; equal ids stay repeated (a non-canonical seal only this lie would build).
      const seal: Seal = makeSeal(block.header.height, view, block.hash, commits);
      return { kind, blocks: [{ block, seal }] };
    }
  }
}
