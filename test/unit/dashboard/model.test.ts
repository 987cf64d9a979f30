// The dashboard's model (src/dashboard/public/model.js): roles, network height, merged blocks
// and chart series from fixture snapshots, with the clock passed in.
import { describe, expect, it } from "vitest";
import {
  DOWN_AFTER_MS,
  RECENT_SEAL_BLOCKS,
  isAnswering,
  latencySeries,
  majorityPrimary,
  mergeBlocks,
  namer,
  networkRows,
  nodeRows,
  shortId,
  throughputSeries,
  type NodeFeed,
} from "../../../src/dashboard/public/model.js";
import { IDS, NAMES, block, network, networkNode, snapshot } from "./fixtures.js";

const NOW = 5_000_000;

function feeds(entries: [number, Partial<NodeFeed> & { snapshot: NodeFeed["snapshot"] }][]): Map<string, NodeFeed> {
  return new Map(entries.map(([i, f]) => [NAMES[i]!, { name: NAMES[i]!, answeredAtMs: NOW - 500, connected: true, ...f }]));
}

const roles = (rows: { name: string; role: string }[]): Record<string, string> => Object.fromEntries(rows.map((r) => [r.name, r.role]));

describe("isAnswering", () => {
  it("needs a connection, an answer, and that answer within DOWN_AFTER_MS", () => {
    const f: NodeFeed = { name: "n", snapshot: snapshot(0), answeredAtMs: NOW - DOWN_AFTER_MS, connected: true };
    expect(isAnswering(f, NOW)).toBe(true);
    expect(isAnswering({ ...f, answeredAtMs: NOW - DOWN_AFTER_MS - 1 }, NOW)).toBe(false);
    expect(isAnswering({ ...f, connected: false }, NOW)).toBe(false);
    expect(isAnswering({ ...f, snapshot: null }, NOW)).toBe(false);
    expect(isAnswering(undefined, NOW)).toBe(false);
  });
});

describe("majorityPrimary", () => {
  it("takes the primary most nodes report; a tie goes to the reporter furthest ahead", () => {
    expect(majorityPrimary([{ primary: "a", height: 5, view: 0 }, { primary: "b", height: 5, view: 1 }, { primary: "b", height: 5, view: 1 }])).toEqual({ primary: "b", view: 1 });
    expect(majorityPrimary([{ primary: "a", height: 5, view: 0 }, { primary: "b", height: 6, view: 0 }])).toEqual({ primary: "b", view: 0 });
    expect(majorityPrimary([{ primary: "a", height: 7, view: 0 }, { primary: "b", height: 6, view: 3 }])).toEqual({ primary: "a", view: 0 });
    expect(majorityPrimary([{ primary: null, height: 1, view: 0 }])).toBeNull();
    expect(majorityPrimary([])).toBeNull();
  });
});

describe("networkRows", () => {
  it("one row per node: the primary the honest nodes report, backups, and the network height", () => {
    const view = networkRows(network(), feeds([0, 1, 2, 3].map((i) => [i, { snapshot: snapshot(i, { height: 10 + i, primary: 2 }) }])), NOW);
    expect(roles(view.rows)).toEqual({ "validator-0": "backup", "validator-1": "backup", "validator-2": "primary", "validator-3": "backup" });
    expect(view.height).toBe(13);
    expect(view.primary).toBe(IDS[2]);
    expect(view.rows.map((r) => r.validator)).toEqual(IDS);
    expect(view.rows[1]).toMatchObject({ height: 11, view: 0, phase: "prepare", status: "running", peers: 3 });
  });

  it("marks a node Byzantine from network.json or from its own snapshot, over primary; a Byzantine node's primary does not count", () => {
    const net = network([networkNode(0), networkNode(1, { byzantine: ["silent"] }), networkNode(2), networkNode(3)]);
    const view = networkRows(
      net,
      feeds([
        [0, { snapshot: snapshot(0, { primary: 0 }) }],
        [1, { snapshot: snapshot(1, { primary: 1 }) }],
        [2, { snapshot: snapshot(2, { primary: 0 }) }],
        // The node says it runs a behaviour the testnet did not declare (a node started by hand).
        [3, { snapshot: snapshot(3, { primary: 3, byzantine: ["equivocate"] }) }],
      ]),
      NOW,
    );
    expect(roles(view.rows)).toEqual({ "validator-0": "primary", "validator-1": "byzantine", "validator-2": "backup", "validator-3": "byzantine" });
    expect(view.rows[1]!.behaviours).toEqual(["silent"]);
    expect(view.rows[3]!.behaviours).toEqual(["equivocate"]);
    // A Byzantine primary is still shown as Byzantine.
    const byzPrimary = networkRows(net, feeds([0, 1, 2, 3].map((i) => [i, { snapshot: snapshot(i, { primary: 1 }) }])), NOW);
    expect(byzPrimary.rows[1]!.role).toBe("byzantine");
    expect(byzPrimary.primary).toBe(IDS[1]);
  });

  it("marks a node down when stopped or paused, when not connected, or when it has not answered for DOWN_AFTER_MS, even if Byzantine", () => {
    const net = network([networkNode(0, { state: "stopped" }), networkNode(1, { state: "paused" }), networkNode(2, { byzantine: ["silent"] }), networkNode(3)]);
    const view = networkRows(
      net,
      feeds([
        [0, { snapshot: snapshot(0) }],
        [1, { snapshot: snapshot(1) }],
        [2, { snapshot: snapshot(2), answeredAtMs: NOW - DOWN_AFTER_MS - 1 }],
        [3, { snapshot: snapshot(3, { height: 12 }), connected: true }],
      ]),
      NOW,
    );
    expect(roles(view.rows)).toEqual({ "validator-0": "down", "validator-1": "down", "validator-2": "down", "validator-3": "backup" });
    expect(view.rows.map((r) => r.status)).toEqual(["stopped", "paused", "no answer", "running"]);
    // Only answering, running nodes count towards the network height.
    expect(view.height).toBe(12);
    const noFeed = networkRows(network(), new Map(), NOW);
    expect(noFeed.rows.every((r) => r.role === "down" && r.height === null)).toBe(true);
    expect(noFeed.height).toBeNull();
  });

  it("shows faults honest nodes report against a validator, and a twin as Byzantine", () => {
    const withFaults = snapshot(0);
    withFaults.validators[3]!.faults = 4;
    const net = network([networkNode(0), networkNode(1), networkNode(2), networkNode(3), { ...networkNode(3), name: "validator-3-twin", twin_of: "validator-3" }]);
    const view = networkRows(net, feeds([[0, { snapshot: withFaults }], [1, { snapshot: snapshot(1) }]]), NOW);
    expect(view.rows[3]!.faults).toBe(4);
    expect(view.rows[4]!.role).toBe("down");
    const twinUp = networkRows(net, new Map([...feeds([[0, { snapshot: snapshot(0) }]]), ["validator-3-twin", { name: "validator-3-twin", snapshot: snapshot(3), answeredAtMs: NOW, connected: true }]]), NOW);
    expect(twinUp.rows[4]).toMatchObject({ role: "byzantine", behaviours: ["twin of validator-3"], validator: IDS[3] });
  });

  it("an observer is an observer, not a backup", () => {
    const obs = snapshot(0);
    obs.node.role = "observer";
    const view = networkRows(network([networkNode(0, { role: "observer" })]), feeds([[0, { snapshot: obs }]]), NOW);
    expect(view.rows[0]!.role).toBe("observer");
  });
});

describe("nodeRows", () => {
  it("rows from the node's validator list: itself with height, view and phase; the others with their last sealed height", () => {
    const s = snapshot(1, { height: 20, view: 2, primary: 3 });
    s.validators[0]!.last_sealed_height = 19;
    const view = nodeRows(s, true);
    expect(roles(view.rows)).toEqual({ "validator-1": "backup", [shortId(IDS[0]!)]: "backup", [shortId(IDS[2]!)]: "backup", [shortId(IDS[3]!)]: "primary" });
    expect(view.rows[1]).toMatchObject({ self: true, height: 20, view: 2, phase: "prepare", status: "this node" });
    expect(view.rows[0]).toMatchObject({ self: false, height: 19, view: null, phase: null, status: "connected" });
    expect(view.height).toBe(20);
    expect(view.primary).toBe(IDS[3]);
  });

  it("down: not connected and not in the recent seals; Byzantine: faults reported against it", () => {
    const s = snapshot(0, { height: 50 });
    s.validators[1] = { ...s.validators[1]!, connected: false, last_sealed_height: 50 - RECENT_SEAL_BLOCKS - 1 };
    s.validators[2] = { ...s.validators[2]!, connected: false, last_sealed_height: 50 - RECENT_SEAL_BLOCKS };
    s.validators[3] = { ...s.validators[3]!, faults: 2 };
    const view = nodeRows(s, true);
    expect(view.rows.map((r) => r.role)).toEqual(["primary", "down", "backup", "byzantine"]);
    expect(view.rows[2]!.status).toBe("sealing, not connected");
    const never = snapshot(0);
    never.validators[1] = { ...never.validators[1]!, connected: false, last_sealed_height: null };
    expect(nodeRows(never, true).rows[1]!.role).toBe("down");
  });

  it("the node itself is down when it does not answer, and Byzantine when it runs behaviours", () => {
    expect(nodeRows(snapshot(0), false).rows[0]!.role).toBe("down");
    expect(nodeRows(snapshot(2, { byzantine: ["silent"] }), true).rows[2]!.role).toBe("byzantine");
    expect(nodeRows(null, false)).toEqual({ rows: [], height: null, primary: null, view: null });
  });

  it("an observer's page adds a row for the node itself", () => {
    const s = snapshot(0);
    s.validators = s.validators.map((v) => ({ ...v, self: false }));
    s.node.role = "observer";
    const rows = nodeRows(s, true).rows;
    expect(rows).toHaveLength(5);
    expect(rows[4]).toMatchObject({ role: "observer", self: true, name: "validator-0" });
  });
});

describe("mergeBlocks", () => {
  it("merges by height, newest first, with the median of the nodes' latencies; blocks from sync have none", () => {
    const merged = mergeBlocks([
      [block(1, { latency_ms: 100 }), block(2, { latency_ms: 300 })],
      [block(2, { latency_ms: 100 }), block(3, { latency_ms: null, appended_ms: null, source: "sync" })],
      [block(2, { latency_ms: 200 })],
    ]);
    expect(merged.map((b) => [b.height, b.latency_ms])).toEqual([[3, null], [2, 200], [1, 100]]);
    expect(merged[0]!.conflict).toBe(false);
  });

  it("keeps the first list's hash at a height and flags a conflict", () => {
    const merged = mergeBlocks([[block(4)], [block(4, { hash: "ff".repeat(32), latency_ms: 900 })]]);
    expect(merged[0]).toMatchObject({ hash: block(4).hash, conflict: true, latency_ms: 100 });
  });

  it("keeps at most 50 blocks", () => {
    const many = Array.from({ length: 80 }, (_, i) => block(i + 1));
    const merged = mergeBlocks([many]);
    expect(merged).toHaveLength(50);
    expect(merged[0]!.height).toBe(80);
    expect(merged[49]!.height).toBe(31);
  });
});

describe("chart series", () => {
  it("throughput: txs per second over the sliding window ending at each block, oldest first", () => {
    // One block a second with 10 txs each; the window is 4 s.
    const blocks = mergeBlocks([Array.from({ length: 8 }, (_, i) => block(i + 1))]);
    const [xs, ys] = throughputSeries(blocks, 4000);
    expect(xs).toEqual(Array.from({ length: 8 }, (_, i) => (1_000_000 + (i + 1) * 1000) / 1000));
    // First block: no span yet. Then the span so far (2 blocks in 1 s → 20 tx/s … ), then 4 blocks per 4 s.
    expect(ys).toEqual([null, 20, 15, 13.33, 10, 10, 10, 10]);
  });

  it("throughput with no blocks is empty", () => {
    expect(throughputSeries([])).toEqual([[], []]);
  });

  it("latency: per block in time order, gaps for blocks without one", () => {
    const blocks = mergeBlocks([[block(2, { latency_ms: 50 }), block(1, { latency_ms: null })]]);
    expect(latencySeries(blocks)).toEqual([[1_001_000 / 1000, 1_002_000 / 1000], [null, 50]]);
  });
});

describe("namer", () => {
  it("names ids from network.json, then from the snapshots' monikers, else a short id", () => {
    const nameOf = namer(network([networkNode(0)]), [snapshot(1), null]);
    expect(nameOf(IDS[0]!)).toBe("validator-0");
    expect(nameOf(IDS[1]!)).toBe("validator-1");
    expect(nameOf("12D3KooWpeer1")).toBe("validator-1");
    expect(nameOf(IDS[2]!)).toBe(`${IDS[2]!.slice(0, 8)}…`);
    expect(nameOf(null)).toBe("—");
  });
});
