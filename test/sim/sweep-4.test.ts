// The seeded sweep, part 4 of 4 (seeds 376..500): each seed draws a cluster of 4, 5, 7 or 10
// validators, PoA or DBFT, up to f Byzantine validators with one or two behaviours, and a fault
// mix, and must keep every invariant and reach its target height. A failure prints the replay
// command (`triad sim --random --seed N --trace`); pin such seeds in regressions.test.ts.
import { describe, it } from "vitest";
import { chunks, sweep } from "./sweep-helpers.js";

describe("seeded sweep 4/4", () => {
  for (const [from, to] of chunks(376, 500, 25)) {
    it(`seeds ${from}..${to}`, () => sweep(from, to), 300_000);
  }
});
