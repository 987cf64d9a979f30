// triad_status: the node's NodeApi counters in the contract's snake_case shape; a node without
// them answers -32006.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RPC_ERROR_CODES } from "../../src/rpc/errors.js";
import type { TriadStatusInfo } from "../../src/rpc/node-api.js";
import { FakeNode } from "./fake-node.js";
import { startRpc, type RpcHarness } from "./helpers.js";

class CountingNode extends FakeNode {
  triadStatus(): TriadStatusInfo {
    return {
      role: "backup",
      byzantine: ["equivocate", "replay"],
      phase: "prepare",
      primary: "ab".repeat(32),
      uptimeMs: 1234,
      viewChanges: { timeout: 2, "bad-proposal": 1, join: 0, entered: 3 },
      faultsReported: { "invalid-block": 4 },
      faultsByPeer: { ["cd".repeat(32)]: 4 },
      messagesRefused: 7,
      byzantineActs: { "equivocate:pre-prepare": 5 },
      peersRefused: ["ef".repeat(32)],
      peerBans: 2,
    };
  }
}

describe("triad_status", () => {
  let h: RpcHarness;
  let plain: RpcHarness;
  beforeAll(async () => {
    h = await startRpc({}, new CountingNode());
    plain = await startRpc();
  });
  afterAll(async () => {
    await h.close();
    await plain.close();
  });

  it("answers the contract's shape, numbers as JSON numbers", async () => {
    const s = await h.result<Record<string, unknown>>("triad_status");
    expect(Object.keys(s).sort()).toEqual(
      ["node", "role", "byzantine", "height", "view", "phase", "primary", "syncing", "uptime_ms", "view_changes", "faults_reported", "faults_by_peer", "messages_refused", "byzantine_acts", "peers_refused", "peer_bans"].sort(),
    );
    expect(Object.keys(s.node as object).sort()).toEqual(["moniker", "peer_id", "validator_id", "version"]);
    expect(s).toMatchObject({
      role: "backup",
      byzantine: ["equivocate", "replay"],
      phase: "prepare",
      primary: "ab".repeat(32),
      uptime_ms: 1234,
      view_changes: { timeout: 2, "bad-proposal": 1, join: 0, entered: 3 },
      faults_reported: { "invalid-block": 4 },
      faults_by_peer: { ["cd".repeat(32)]: 4 },
      messages_refused: 7,
      byzantine_acts: { "equivocate:pre-prepare": 5 },
      peers_refused: ["ef".repeat(32)],
      peer_bans: 2,
      syncing: false,
    });
    expect(typeof s.height).toBe("number");
  });

  it("is not enabled on a node without the counters", async () => {
    const r = await plain.rpc("triad_status");
    expect(r.error?.code).toBe(RPC_ERROR_CODES.METHOD_NOT_ENABLED);
  });
});
