import { describe, expect, it } from "vitest";
import { bytesEqual } from "../../../src/chain/encoding.js";
import type { Action } from "../../../src/consensus/io.js";
import type { ConsensusMessage } from "../../../src/consensus/messages.js";
import { Replica } from "../../../src/consensus/replica.js";
import type { OwnCertificate } from "../../../src/consensus/replica-config.js";
import {
  certificate,
  Cluster,
  commit,
  cryptoFor,
  expectNoDoubleSigning,
  GENESIS_HASH,
  loneReplica,
  makeKeys,
  makeTestBlock,
  messageKey,
  of,
  PARAMS,
  prePrepare,
  prepare,
  viewChange,
} from "./harness.js";

const keys = makeKeys(4);

/** Replica keys[0] at height 1 that records what it persists, and can be rebuilt from it. */
function durable() {
  const lone = loneReplica(keys, 0);
  const persisted: ConsensusMessage[] = [];
  const certificates: OwnCertificate[] = [];
  let replica = lone.replica;
  const step = (input: Parameters<Replica["step"]>[0]): Action[] => {
    const out = replica.step(input);
    for (const a of out) {
      if (a.type !== "persist-vote") continue;
      persisted.push(a.message);
      if (a.prepared !== undefined) certificates.push({ height: a.height, ...a.prepared });
    }
    return out;
  };
  /** `ownCertificates` as a store would give them back; omitted, the records are the older kind without them. */
  const restart = (ownCertificates?: readonly OwnCertificate[]) => {
    replica = new Replica(lone.config, cryptoFor(keys[0]!), {
      head: { height: 0, hash: GENESIS_HASH, timestamp: 0 },
      validators: lone.validators,
      ownVotes: [...persisted],
      ...(ownCertificates === undefined ? {} : { ownCertificates }),
    });
  };
  return { step, restart, persisted, certificates, status: () => replica.status() };
}

/** Own signed messages (persisted or sent) of one kind and view. */
function signed(actions: readonly Action[], type: string, view: number): ConsensusMessage[] {
  return actions.flatMap((a) => (a.type === "persist-vote" || a.type === "broadcast" ? [a.message] : [])).filter((m) => m.from === keys[0]!.id && m.type === type && (m.type === "view-change" ? m.newView : m.view) === view);
}

describe("restart", () => {
  const b = makeTestBlock(1, 0, GENESIS_HASH, keys[1]!.id);
  const b2 = makeTestBlock(1, 0, GENESIS_HASH, keys[1]!.id, 5);

  it("does not prepare a second block in a view after a restart (the primary equivocates)", () => {
    const r = durable();
    r.step({ type: "message", message: prePrepare(keys[1]!, 1, 0, b) });
    r.step({ type: "block-validated", height: 1, view: 0, blockHash: b.hash, valid: true });
    expect(r.persisted.map((m) => m.type)).toEqual(["prepare"]);
    r.restart();
    const out = [
      ...r.step({ type: "message", message: prePrepare(keys[1]!, 1, 0, b2) }),
      ...r.step({ type: "block-validated", height: 1, view: 0, blockHash: b2.hash, valid: true }),
      ...[1, 2, 3].flatMap((i) => r.step({ type: "message", message: prepare(keys[i]!, 1, 0, b2.hash) })),
    ];
    for (const m of [...signed(out, "prepare", 0), ...signed(out, "commit", 0)]) {
      expect((m.type === "prepare" || m.type === "commit") && bytesEqual(m.blockHash, b.hash), "signed for the second block").toBe(true);
    }
    expect(of(out, "persist-vote")).toEqual([]);
  });

  it("does not commit a second block in a view after a restart", () => {
    const r = durable();
    r.step({ type: "message", message: prePrepare(keys[1]!, 1, 0, b) });
    r.step({ type: "block-validated", height: 1, view: 0, blockHash: b.hash, valid: true });
    r.step({ type: "message", message: prepare(keys[1]!, 1, 0, b.hash) });
    r.step({ type: "message", message: prepare(keys[2]!, 1, 0, b.hash) });
    expect(r.persisted.map((m) => m.type)).toEqual(["prepare", "commit"]);
    r.restart();
    expect(r.status()).toMatchObject({ view: 0, phase: "prepared" });
    const out = [
      ...r.step({ type: "message", message: prePrepare(keys[1]!, 1, 0, b2) }),
      ...r.step({ type: "block-validated", height: 1, view: 0, blockHash: b2.hash, valid: true }),
      ...[1, 2, 3].flatMap((i) => r.step({ type: "message", message: prepare(keys[i]!, 1, 0, b2.hash) })),
    ];
    expect(of(out, "persist-vote")).toEqual([]);
    for (const m of signed(out, "commit", 0)) expect(m.type === "commit" && bytesEqual(m.blockHash, b.hash)).toBe(true);
  });

  it("re-broadcasts its recorded votes once after a restart, without signing them again", () => {
    const r = durable();
    r.step({ type: "message", message: prePrepare(keys[1]!, 1, 0, b) });
    r.step({ type: "block-validated", height: 1, view: 0, blockHash: b.hash, valid: true });
    r.restart();
    const out = r.step({ type: "tick" });
    expect(of(out, "persist-vote")).toEqual([]);
    expect(of(out, "broadcast").map((a) => messageKey(a.message))).toEqual(r.persisted.map(messageKey));
    expect(of(r.step({ type: "tick" }), "broadcast").filter((a) => a.message.type === "prepare").length).toBeLessThanOrEqual(1);
  });

  it("sends the same view-change again after a restart, never a different one, and no vote in the abandoned view", () => {
    const r = durable();
    r.step({ type: "message", message: prePrepare(keys[1]!, 1, 0, b) });
    r.step({ type: "block-validated", height: 1, view: 0, blockHash: b.hash, valid: true });
    for (let t = 0; t < PARAMS.viewChangeTimeoutTicks; t++) r.step({ type: "tick" });
    const vc = r.persisted.find((m) => m.type === "view-change")!;
    expect(vc).toBeDefined();
    r.restart();
    expect(r.status()).toMatchObject({ view: 0, phase: "view-change" });
    // Now it learns of a prepared certificate: still it may not sign another view-change for view 1.
    const cert = certificate([keys[1]!, keys[2]!, keys[3]!], 1, 0, b.hash);
    const out = [
      ...r.step({ type: "message", message: viewChange(keys[1]!, 1, 1, cert) }),
      ...r.step({ type: "message", message: viewChange(keys[3]!, 1, 1, null) }),
      ...Array.from({ length: 3 * PARAMS.viewChangeTimeoutTicks }, () => r.step({ type: "tick" })).flat(),
      ...[1, 2, 3].flatMap((i) => r.step({ type: "message", message: prepare(keys[i]!, 1, 0, b.hash) })),
      ...[1, 2, 3].flatMap((i) => r.step({ type: "message", message: commit(keys[i]!, 1, 0, b.hash) })).filter((a) => a.type !== "append-block"),
    ];
    for (const m of signed(out, "view-change", 1)) expect(messageKey(m)).toBe(messageKey(vc));
    expect(signed(out, "commit", 0)).toEqual([]);
    // The next view-change (for view 2) carries the certificate it learned.
    const next = signed(out, "view-change", 2)[0];
    expect(next?.type === "view-change" && next.prepared !== null && bytesEqual(next.prepared.blockHash, b.hash)).toBe(true);
  });

  it("a replica that committed and lost its certificate in a restart withholds view-changes until it has one again", () => {
    const r = durable();
    r.step({ type: "message", message: prePrepare(keys[1]!, 1, 0, b) });
    r.step({ type: "block-validated", height: 1, view: 0, blockHash: b.hash, valid: true });
    r.step({ type: "message", message: prepare(keys[1]!, 1, 0, b.hash) });
    r.step({ type: "message", message: prepare(keys[2]!, 1, 0, b.hash) });
    r.restart();
    const quiet = Array.from({ length: 2 * PARAMS.viewChangeTimeoutTicks }, () => r.step({ type: "tick" })).flat();
    expect(signed(quiet, "view-change", 1)).toEqual([]);
    // The prepares come again (peers repeat them): the certificate is rebuilt and rides along.
    r.step({ type: "message", message: prepare(keys[1]!, 1, 0, b.hash) });
    r.step({ type: "message", message: prepare(keys[2]!, 1, 0, b.hash) });
    const out = r.step({ type: "tick" });
    const [vc] = signed(out, "view-change", 1);
    expect(vc?.type === "view-change" && vc.prepared?.view === 0 && bytesEqual(vc.prepared.blockHash, b.hash)).toBe(true);
  });

  it("a replica restored with the certificate recorded with its commit sends its view-change at once, carrying it and the block", () => {
    const r = durable();
    r.step({ type: "message", message: prePrepare(keys[1]!, 1, 0, b) });
    r.step({ type: "block-validated", height: 1, view: 0, blockHash: b.hash, valid: true });
    r.step({ type: "message", message: prepare(keys[1]!, 1, 0, b.hash) });
    r.step({ type: "message", message: prepare(keys[2]!, 1, 0, b.hash) });
    expect(r.certificates).toHaveLength(1);
    expect(r.certificates[0]!.certificate.prepares).toHaveLength(3);
    r.restart(r.certificates);
    const out = Array.from({ length: PARAMS.viewChangeTimeoutTicks }, () => r.step({ type: "tick" })).flat();
    const [vc] = signed(out, "view-change", 1);
    expect(vc?.type === "view-change" && vc.prepared?.view === 0 && bytesEqual(vc.prepared.blockHash, b.hash)).toBe(true);
    expect(vc?.type === "view-change" && vc.preparedBlock?.id).toBe(b.id);
  });

  it("a recorded certificate that does not verify is not carried (the replica waits, as without one)", () => {
    const r = durable();
    r.step({ type: "message", message: prePrepare(keys[1]!, 1, 0, b) });
    r.step({ type: "block-validated", height: 1, view: 0, blockHash: b.hash, valid: true });
    r.step({ type: "message", message: prepare(keys[1]!, 1, 0, b.hash) });
    r.step({ type: "message", message: prepare(keys[2]!, 1, 0, b.hash) });
    const rotten = r.certificates.map((c) => ({
      ...c,
      certificate: { ...c.certificate, prepares: c.certificate.prepares.map((p, i) => (i === 0 ? { ...p, signature: new Uint8Array(64) } : p)) },
    }));
    r.restart(rotten);
    const out = Array.from({ length: 2 * PARAMS.viewChangeTimeoutTicks }, () => r.step({ type: "tick" })).flat();
    expect(signed(out, "view-change", 1)).toEqual([]);
  });

  it("a cluster with a replica restarted at every stage still agrees and nobody signs twice in one slot", () => {
    const c = new Cluster(4);
    let restarts = 0;
    for (let round = 0; round < 60 && !c.reached(6); round++) {
      c.tick();
      // Restart one replica every tick, in turn.
      c.restart(c.node(restarts % 4));
      restarts++;
    }
    c.runUntil(() => c.reached(6), 500);
    expect(restarts).toBeGreaterThanOrEqual(4);
    c.expectAgreement();
    for (const node of c.nodes.values()) expectNoDoubleSigning(node.persisted, node.log, node.id);
  });

  it("regression (issue 7, bug 3): two committers restart together while the Byzantine one withholds its prepare, and the primary is gone", () => {
    const c = new Cluster(4);
    // roundRobin: keys[1] is the primary of (1, 0) and keys[2] of (1, 1).
    const [a, primary, next, byzantine] = [c.node(0), c.node(1), c.node(2), c.node(3)];
    const isVote = (m: ConsensusMessage) => (m.type === "prepare" || m.type === "commit") && m.view === 0;
    c.filter = (from, to, m) => {
      // The Byzantine replica withholds its votes of view 0, and (as it may) hides that it saw a
      // prepared certificate: here it never learns one, so its view-changes carry none.
      if (from === byzantine.id && isVote(m)) return false;
      if (to === byzantine.id && m.type === "prepare" && m.view === 0) return false;
      // The primary crashes before its commit leaves.
      if (from === primary.id && m.type === "commit") return false;
      return true;
    };
    const committed = (n: typeof a) => n.persisted.some((m) => m.type === "commit");
    c.runUntil(() => committed(a) && committed(next), 20);
    // Two commits of view 0 exist (fewer than q = 3): nothing is decided yet.
    expect(c.reached(1, [a, next, byzantine])).toBe(false);
    c.silent.add(primary.id);
    c.restart(a);
    c.restart(next);
    // Re-gathered prepares of view 0 are only the two restarted replicas' own: below q.
    c.runUntil(() => c.reached(1, [a, next, byzantine]), 400);
    c.expectAgreement();
    for (const node of [a, next]) expectNoDoubleSigning(node.persisted, node.log, node.id);
    // The block prepared in view 0 is the one decided (the new-view re-proposed it).
    expect(a.chain[0]!.block.header.view).toBe(0);
  });
});
