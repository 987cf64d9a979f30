import { describe, expect, it } from "vitest";
import { ConsensusJournal } from "../../../src/node/consensus-journal.js";
import { journaledFaults } from "../../../src/node/journaled-faults.js";
import { FaultLayer } from "../../../src/p2p/fault-layer.js";

const A = "a".repeat(64);
const B = "b".repeat(64);

describe("journaledFaults", () => {
  it("writes each change that took effect to the journal as a perturbation, and passes everything to the fault layer", () => {
    const layer = new FaultLayer({ seed: 1 });
    const journal = new ConsensusJournal({ now: () => 77 });
    const net = journaledFaults(layer, journal);
    net.set([A], "both", { block: true });
    net.set(["*"], "in", { delayMs: 100, delayMaxMs: 200 });
    expect(() => net.set([B], "out", { drop: 2 })).toThrow();
    net.clear([A, B]);
    net.clear();
    expect(net.list()).toEqual(layer.list());
    expect(journal.since(0).events).toEqual([
      { seq: 1, at_ms: 77, kind: "perturbation", action: "net-fault", peer: A, detail: `both block=true (${A.slice(0, 8)})` },
      { seq: 2, at_ms: 77, kind: "perturbation", action: "net-fault", peer: null, detail: "in delayMs=100 delayMaxMs=200 (every peer)" },
      { seq: 3, at_ms: 77, kind: "perturbation", action: "net-clear", peer: null, detail: `cleared (${A.slice(0, 8)}, ${B.slice(0, 8)})` },
      { seq: 4, at_ms: 77, kind: "perturbation", action: "net-clear", peer: null, detail: "every fault cleared" },
    ]);
  });
});
