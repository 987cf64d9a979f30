// The check's verdicts on crafted chains: FakeNode makes real blocks with real seals (the same
// txs give the same blocks), and a source in memory serves them through the ChainSource
// interface, tampered where a test needs a fork, a bad seal or a broken link.
import { describe, expect, it } from "vitest";
import { toHex } from "../../../src/chain/encoding.js";
import { sha256 } from "../../../src/chain/hash.js";
import { publicKeyHex, devKeyPair } from "../../../src/chain/keys.js";
import { triadBlockJson } from "../../../src/rpc/methods-chain.js";
import type { TriadBlockJson } from "../../../src/rpc/types.js";
import { checkNetwork, manifestTargets, MAX_PROBLEMS, type CheckTarget } from "../../../src/testnet/agreement-check.js";
import type { TestnetManifest } from "../../../src/testnet/manifest.js";
import { parseAcks } from "../../../src/testnet/acks-file.js";
import type { ChainSource } from "../../../src/testnet/chain-source.js";
import { checkReportLines } from "../../../src/testnet/check-table.js";
import { account0, CHAIN_ID, FakeNode, transferTx } from "../../rpc/fake-node.js";

type Tamper = (b: TriadBlockJson) => TriadBlockJson;

class MemorySource implements ChainSource {
  calls = 0;
  validatorCalls = 0;
  constructor(
    private readonly node: FakeNode,
    private readonly tamper: Tamper = (b) => b,
    private readonly perCall = 100,
    private readonly members?: readonly string[],
  ) {}
  async status(): Promise<{ height: number; chainId: string }> {
    return { height: this.node.height, chainId: CHAIN_ID };
  }
  async blocks(min: number, max: number): Promise<readonly TriadBlockJson[]> {
    this.calls++;
    const top = Math.min(max, this.node.height, min + this.perCall - 1);
    const out: TriadBlockJson[] = [];
    for (let h = min; h <= top; h++) out.push(this.tamper(triadBlockJson(this.node.blocks[h - 1]!)));
    return out;
  }
  async validators(): Promise<readonly string[]> {
    this.validatorCalls++;
    return this.members ?? this.node.set.members;
  }
}

class DownSource implements ChainSource {
  status(): Promise<never> {
    return Promise.reject(new Error("connect ECONNREFUSED"));
  }
  blocks(): Promise<never> {
    return Promise.reject(new Error("down"));
  }
  validators(): Promise<never> {
    return Promise.reject(new Error("down"));
  }
}

/** Times out its first `timeouts` block reads (a node busy catching up), then serves. */
class SlowSource extends MemorySource {
  constructor(
    node: FakeNode,
    private timeouts: number,
  ) {
    super(node);
  }
  override async blocks(min: number, max: number): Promise<readonly TriadBlockJson[]> {
    if (this.timeouts > 0) {
      this.timeouts--;
      throw new DOMException("The operation was aborted due to timeout", "TimeoutError");
    }
    return super.blocks(min, max);
  }
}

/** A chain of `n` blocks; `txsAt(h)` gives block h's txs (default none). */
function chain(n: number, txsAt: (h: number) => ReturnType<typeof transferTx>[] = () => []): FakeNode {
  const node = new FakeNode();
  for (let h = 1; h <= n; h++) node.appendBlock(txsAt(h));
  return node;
}

const at = (height: number, change: Tamper): Tamper => (b) => (b.height === height ? change(b) : b);
const targets = (...sources: ChainSource[]): CheckTarget[] => sources.map((rpc, i) => ({ name: `node-${i}`, rpc, honest: true }));

describe("checkNetwork", () => {
  const base = chain(12, (h) => (h === 2 ? [transferTx(account0, 0), transferTx(account0, 1)] : []));

  it("passes four nodes holding one chain, verifying each seal and fetching each set once", async () => {
    const sources = [0, 1, 2, 3].map(() => new MemorySource(base));
    const report = await checkNetwork(targets(...sources));
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report).toMatchObject({ chainId: CHAIN_ID, from: 1, to: 12, txs: 2 });
    for (const n of report.nodes) expect(n).toMatchObject({ honest: true, reachable: true, height: 12, blocksChecked: 12, seals: 12, txs: 2, verdict: "ok" });
    expect(report.sealsVerified).toBe(4 * 12 * 3);
    // One set for the whole chain: one validators call across all nodes.
    expect(sources.reduce((s, x) => s + x.validatorCalls, 0)).toBe(1);
    // Ranges, not a call per height.
    expect(sources.every((s) => s.calls === 1)).toBe(true);
    expect(checkReportLines(report).at(-1)).toBe("verdict: ok");
  });

  it("fails two honest nodes with different blocks at one height (the negative control)", async () => {
    const other = chain(12, (h) => (h === 2 ? [transferTx(account0, 0), transferTx(account0, 1)] : h === 5 ? [transferTx(account0, 2)] : []));
    const report = await checkNetwork(targets(new MemorySource(base), new MemorySource(other)));
    expect(report.ok).toBe(false);
    expect(report.problems[0]).toMatch(/^fork at height 5: node-0 [0-9a-f]{64}; node-1 [0-9a-f]{64}$/);
    // After the fork each node's own chain still links; the fork is reported at every later height.
    expect(report.problems.filter((p) => p.startsWith("fork at height"))).toHaveLength(8);
    expect(report.nodes[1]!.verdict).toMatch(/^FAIL/);
  });

  it("lists a Byzantine node that differs without failing", async () => {
    const other = chain(12, (h) => (h === 7 ? [transferTx(account0, 5)] : []));
    const report = await checkNetwork([...targets(new MemorySource(base), new MemorySource(base), new MemorySource(base)), { name: "byz", rpc: new MemorySource(other), honest: false }]);
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
    const byz = report.nodes[3]!;
    expect(byz).toMatchObject({ honest: false, divergedAt: 2, verdict: expect.stringMatching(/^diverges from 2/) as unknown });
    expect(report.notes[0]).toMatch(/^byz \(not honest\) holds block [0-9a-f]{64} at height 2/);
  });

  it("fails a seal whose signature does not verify", async () => {
    const bad = at(4, (b) => {
      const sig = Buffer.from(b.seal.signatures[0]!.signature, "base64");
      sig[0] = sig[0]! ^ 1;
      return { ...b, seal: { ...b.seal, signatures: [{ ...b.seal.signatures[0]!, signature: sig.toString("base64") }, ...b.seal.signatures.slice(1)] } };
    });
    const report = await checkNetwork(targets(new MemorySource(base), new MemorySource(base, bad)));
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual([expect.stringMatching(/^node-1: the seal of block 4 does not verify: commit signature of [0-9a-f]{64} does not verify/)]);
    expect(report.nodes[1]!.seals).toBe(11);
  });

  it("fails a seal short of a quorum, or signed by a non-member", async () => {
    const short = at(3, (b) => ({ ...b, seal: { ...b.seal, signatures: b.seal.signatures.slice(0, 2) } }));
    const r1 = await checkNetwork(targets(new MemorySource(base), new MemorySource(base, short)));
    expect(r1.problems).toEqual([expect.stringMatching(/^node-1: the seal of block 3 does not verify: seal has 2 signers, quorum is 3/)]);
    const stranger = publicKeyHex(devKeyPair("stranger"));
    const alien = at(3, (b) => ({ ...b, seal: { ...b.seal, signatures: [...b.seal.signatures.slice(0, 2), { validator: stranger, signature: b.seal.signatures[2]!.signature }] } }));
    const r2 = await checkNetwork(targets(new MemorySource(base), new MemorySource(base, alien)));
    expect(r2.problems).toEqual([expect.stringMatching(/is not a validator at height 3/)]);
  });

  it("fails a validator set that does not hash to the block's validators_hash", async () => {
    const wrong = [...base.set.members.slice(0, 3), publicKeyHex(devKeyPair("stranger"))];
    const report = await checkNetwork(targets(new MemorySource(base, undefined, 100, wrong)));
    expect(report.ok).toBe(false);
    expect(report.problems[0]).toMatch(/^node-0: block 1: its validator set at height 1 hashes to [0-9a-f]{64}, the block says [0-9a-f]{64}$/);
  });

  it("fails a broken parent link", async () => {
    const report = await checkNetwork(targets(new MemorySource(base), new MemorySource(base, at(6, (b) => ({ ...b, parent_hash: toHex(sha256(new Uint8Array([1]))) })))));
    expect(report.ok).toBe(false);
    expect(report.problems).toContainEqual(expect.stringMatching(/^node-1: block 6 has parent [0-9a-f]{64}, its block 5 is [0-9a-f]{64}$/));
  });

  it("checks the parent link of the first block of a range that starts above 1", async () => {
    const report = await checkNetwork(targets(new MemorySource(base, at(6, (b) => ({ ...b, parent_hash: "00".repeat(32) })))), { from: 6, to: 8 });
    expect(report).toMatchObject({ ok: false, from: 6, to: 8 });
    expect(report.problems).toEqual([expect.stringMatching(/^node-0: block 6 has parent 0{64}/)]);
    expect(report.nodes[0]!.blocksChecked).toBe(3);
  });

  it("fails different app hashes", async () => {
    const report = await checkNetwork(targets(new MemorySource(base), new MemorySource(base, at(8, (b) => ({ ...b, app_hash: "ab".repeat(32) })))));
    expect(report.problems).toEqual([expect.stringMatching(/^app hashes differ at height 8: node-0 [0-9a-f]{64}; node-1 (ab){32}$/)]);
  });

  it("fails a tx id that is in the chain twice", async () => {
    const tx = transferTx(account0, 0);
    const twice = chain(5, (h) => (h === 2 || h === 4 ? [tx] : []));
    const report = await checkNetwork(targets(new MemorySource(twice), new MemorySource(twice)));
    expect(report.problems).toEqual([`tx ${tx.id} is in the chain twice: at heights 2 and 4`]);
  });

  it("finds every acked tx in every honest chain, and fails a missing one", async () => {
    const [a, b] = base.blocks[1]!.block.txs;
    const missing = "cd".repeat(32);
    const acks = parseAcks(
      [
        JSON.stringify({ id: a!.id, height: 2, node: "node-0" }),
        JSON.stringify({ id: b!.id, height: 2, node: "node-1" }),
        JSON.stringify({ id: missing, height: 9, node: "node-1" }),
        JSON.stringify({ id: "ef".repeat(32), height: 3, node: "byz" }),
        JSON.stringify({ id: "ee".repeat(32), height: 99, node: "node-0" }),
        '{"id": "torn',
      ].join("\n"),
    );
    expect(acks.bad).toBe(1);
    const sources = [...targets(new MemorySource(base), new MemorySource(base)), { name: "byz", rpc: new MemorySource(base), honest: false }];
    const report = await checkNetwork(sources, { acks: acks.acks });
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual([
      `node-0: tx ${missing}, acknowledged by node-1 at height 9, is not in its block 9`,
      `node-1: tx ${missing}, acknowledged by node-1 at height 9, is not in its block 9`,
    ]);
    expect(report.acks).toEqual({ total: 5, checked: 3, outOfRange: 1, fromNonHonest: 1, badLines: 0 });
    expect(report.nodes[0]).toMatchObject({ ackedChecked: 3, ackedFound: 2 });
    expect(report.nodes[2]).toMatchObject({ ackedChecked: 0 });
  });

  it("fails an honest node that cannot be reached, unless allowed; a Byzantine one never", async () => {
    const down = await checkNetwork(targets(new MemorySource(base), new DownSource()));
    expect(down.ok).toBe(false);
    expect(down.problems).toEqual(["node-1 cannot be reached: connect ECONNREFUSED"]);
    const allowed = await checkNetwork(targets(new MemorySource(base), new DownSource()), { allowDown: true });
    expect(allowed.ok).toBe(true);
    expect(allowed.nodes[1]!.verdict).toBe("down");
    const byz = await checkNetwork([...targets(new MemorySource(base)), { name: "byz", rpc: new DownSource(), honest: false }]);
    expect(byz.ok).toBe(true);
  });

  it("reads a range again after a timeout, and fails a node that keeps timing out", async () => {
    const slow = await checkNetwork(targets(new MemorySource(base), new SlowSource(base, 2)), { concurrency: 1 });
    expect(slow.ok).toBe(true);
    const stuck = await checkNetwork(targets(new MemorySource(base), new SlowSource(base, 3)), { concurrency: 1 });
    expect(stuck.ok).toBe(false);
    expect(stuck.problems).toEqual(["node-1: cannot read blocks from 1: The operation was aborted due to timeout"]);
  });

  it("checks up to the lowest honest head; a Byzantine node ahead or behind does not move it", async () => {
    const short = chain(9, (h) => (h === 2 ? [transferTx(account0, 0), transferTx(account0, 1)] : []));
    const report = await checkNetwork([...targets(new MemorySource(base), new MemorySource(short)), { name: "byz", rpc: new MemorySource(chain(3)), honest: false }]);
    expect(report).toMatchObject({ ok: true, to: 9 });
    expect(report.nodes.map((n) => n.blocksChecked)).toEqual([9, 9, 3]);
  });

  it("pages through long chains in ranges, however few blocks a node answers per call", async () => {
    const long = chain(230);
    const small = new MemorySource(long, undefined, 30);
    const full = new MemorySource(long);
    const report = await checkNetwork(targets(small, full), { concurrency: 2 });
    expect(report.problems).toEqual([]);
    expect(report.nodes.map((n) => n.blocksChecked)).toEqual([230, 230]);
    expect(full.calls).toBe(3);
    // 1..100 and 101..200 take four calls each (30+30+30+10), 201..230 one.
    expect(small.calls).toBe(9);
  });

  it("caps the problems it lists and still fails", async () => {
    const long = chain(80);
    const broken = new MemorySource(long, (b) => ({ ...b, app_hash: "00".repeat(32) }));
    const report = await checkNetwork(targets(new MemorySource(long), broken));
    expect(report.ok).toBe(false);
    expect(report.problems).toHaveLength(MAX_PROBLEMS);
    expect(report.problemsOmitted).toBe(80 - MAX_PROBLEMS);
    expect(checkReportLines(report)).toContain(`  … and ${80 - MAX_PROBLEMS} more`);
  });

  it("holds manifest nodes to agreement unless they are Byzantine or a twin's copy", () => {
    const node = (name: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ name, rpc: `http://127.0.0.1:1/${name}`, ...extra });
    const manifest = {
      chainId: CHAIN_ID,
      nodes: [node("validator-0"), node("validator-1", { byzantine: ["equivocate"] }), node("validator-2", { byzantine: [] }), node("validator-2-twin", { twinOf: "validator-2" })],
    } as unknown as TestnetManifest;
    expect(manifestTargets(manifest).map((t) => [t.name, t.honest])).toEqual([
      ["validator-0", true],
      ["validator-1", false],
      ["validator-2", true],
      ["validator-2-twin", false],
    ]);
  });
});
