import { describe, expect, it } from "vitest";
import { windowChain } from "../../../../src/testnet/bench/network-run.js";

describe("windowChain", () => {
  it("counts only the blocks that arrived inside the window, with their mean and largest tx count", () => {
    const blocks = [
      { height: 1, at: 999, txs: 50 },
      { height: 2, at: 1000, txs: 10 },
      { height: 3, at: 1500, txs: 30 },
      { height: 4, at: 2999, txs: 5 },
      { height: 5, at: 3000, txs: 70 },
    ];
    expect(windowChain(blocks, 1000, 3000)).toEqual({ blocks: 3, blocksPerSec: 1.5, meanTxsPerBlock: 15, maxTxsPerBlock: 30 });
    expect(windowChain([], 0, 1000)).toEqual({ blocks: 0, blocksPerSec: 0, meanTxsPerBlock: 0, maxTxsPerBlock: 0 });
  });
});
