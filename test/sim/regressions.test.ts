// Seeds that once failed, pinned with the options they ran with (not re-drawn from the seed, so a
// change to the scenario generator cannot silently retire them). Each says what it caught; each
// was checked to fail again with its fix taken out.
import { describe, it } from "vitest";
import { parseByzantineSpec } from "../../src/byzantine/byzantine-spec.js";
import { parseFaultSpec } from "../../src/sim/fault-spec.js";
import type { SimOptions } from "../../src/sim/runner.js";
import { expectClean } from "./sweep-helpers.js";

function pinned(seed: number, validators: number, selection: "poa" | "dbft", byzantine: string, faults: string, heights: number): SimOptions {
  return { seed, validators, selection, byzantine: parseByzantineSpec(byzantine, { validators }), faults: parseFaultSpec(faults), heights };
}

describe("pinned regression seeds", () => {
  it("seeds 4, 7, 34: capped view-change timeouts kept honest replicas one view apart for ever", async () => {
    // Liveness (first seen as sweep seed 40). With one silent validator of four, after a long
    // outage every timer was at the cap; v2 always timed out of view t a few ms before v0 and v1
    // left t-1, so no view ever had a quorum of view-changes. Fixed in the replica (PBFT 4.5.2):
    // the timer of a view-change target runs only once q members ask for that view or a later one.
    for (const seed of [4, 7, 34]) await expectClean(pinned(seed, 4, "dbft", "3:silent", "partition,crash", 14));
  }, 120_000);

  it("seeds 55, 171: laggards never synced from the one honest replica ahead of them", async () => {
    // Liveness (first seen as seeds 28 and 121, and sweep seed 380). One silent of four: v1
    // appended height h with the commits of v0 and v2, which then crashed and lost v1's commit;
    // nobody repeats commits of a height it has left, and sync needed f+1 = 2 members ahead while
    // only v1 was. Fixed in the replica: one member ahead triggers sync after a base timeout
    // (every seal is verified, so a Byzantine member ahead costs a request, never safety).
    for (const seed of [55, 171]) await expectClean(pinned(seed, 4, "dbft", "3:silent", "dup=0.3,crash", 15));
  }, 120_000);

  it("seed 124: a restarted replica could not rebuild the certificate its view-changes must carry", async () => {
    // Liveness (first seen as seeds 5, 38, 73). v0 committed in a view, so its view-changes must
    // carry that view's prepared certificate; it crashed and lost the prepares behind it. v1 and
    // v2 had moved on to a view-change without a certificate and no longer repeated their
    // prepares, so v0 never sent a view-change and the next view never had a quorum. Fixed in the
    // replica: a peer's repeated commit for a view we left, on a block we prepared there, gets our
    // prepare sent back.
    await expectClean(pinned(124, 4, "dbft", "3:forge+silent", "dup=0.1,partition=isolate|halves,crash", 14));
  }, 120_000);

  it("seed 5, twins+replay under loss: a sync import queued behind a finishing drain hung the driver", async () => {
    // Driver.kick() ran while drain() had returned but its `finally` had not yet cleared
    // `processing`, so the import job sat in the queue until the next input, and idle() (the
    // simulator's barrier) waited for ever. Fixed in the driver: re-kick when work is left.
    await expectClean(pinned(5, 4, "dbft", "2:twins+replay", "drop=0.2,dup=0.1,partition", 10));
  }, 120_000);
});
