// The networked node end to end: four `triad start` processes (homes made by `triad init`),
// real TCP on 127.0.0.1 with port 0, LevelDB in a temp dir. One network serves every check, in
// order: txs over JSON-RPC and agreement of every node; bad RPC input; the CLI; and last, a
// validator killed with SIGKILL that restarts from its database and catches up.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Comet38Client, connectComet } from "@cosmjs/tendermint-rpc";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devKeyPair, signTx, toHex, transferKind } from "../../src/chain/index.js";
import { CHECK_TX_CODES, RPC_ERROR_CODES, TriadClient } from "../../src/rpc/client.js";
import { heightOf, NodeProcess, pollFor, runCli, waitForHeight, waitForTx, writeDevGenesis } from "./node-helpers.js";

const N = 4;
let dir: string;
let netDir: string;
let chainId: string;
const nodes: NodeProcess[] = [];

const account = (i: number) => devKeyPair(`account-${i}`);
const accountId = (i: number): string => toHex(account(i).publicKey);
const clients = (): TriadClient[] => nodes.filter((n) => n.running).map((n) => n.client());

/** Every running node agrees on heights from..upTo: block hash, app hash and receipts. */
async function expectAgreement(upTo: number, from = 1): Promise<void> {
  const cs = clients();
  await Promise.all(cs.map((c) => waitForHeight(c, upTo)));
  const checkHeight = async (h: number): Promise<void> => {
    const blocks = await Promise.all(cs.map((c) => c.block(h)));
    const results = await Promise.all(cs.map((c) => c.call<{ txs_results: unknown }>("block_results", { height: String(h) })));
    for (let i = 1; i < cs.length; i++) {
      expect(blocks[i]!.block_id.hash, `block hash at ${h}`).toBe(blocks[0]!.block_id.hash);
      expect(blocks[i]!.block.header.app_hash, `app hash at ${h}`).toBe(blocks[0]!.block.header.app_hash);
      expect(results[i]!.txs_results, `receipts at ${h}`).toEqual(results[0]!.txs_results);
    }
  };
  // A few heights at a time: every block is compared, without thousands of sequential calls.
  for (let h = from; h <= upTo; h += 16) {
    await Promise.all(Array.from({ length: Math.min(16, upTo - h + 1) }, (_, k) => checkHeight(h + k)));
  }
}

async function postRaw(url: string, body: string): Promise<{ status: number; json: { error?: { code: number; data?: unknown }; result?: unknown } }> {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body });
  return { status: res.status, json: (await res.json()) as { error?: { code: number }; result?: unknown } };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "triad-e2e-node-"));
  netDir = join(dir, "net");
  ({ chainId } = await writeDevGenesis(netDir, N));
  // The real user path: one `triad init` per home (in parallel), then `triad start`.
  const inits = await Promise.all(
    Array.from({ length: N }, (_, i) =>
      runCli([
        "init",
        "--home",
        join(dir, `v${i}`),
        "--genesis",
        join(netDir, "genesis.json"),
        "--key",
        join(netDir, "keys", `validator-${i}.json`),
        "--moniker",
        `v${i}`,
        "--p2p-listen",
        "/ip4/127.0.0.1/tcp/0",
        "--rpc-listen",
        "127.0.0.1:0",
        "--json",
      ]),
    ),
  );
  for (const r of inits) expect(r.code, r.stderr).toBe(0);
  // Each node dials the ones started before it: a full mesh with every port chosen by the OS.
  const addrs: string[] = [];
  for (let i = 0; i < N; i++) {
    const node = new NodeProcess(join(dir, `v${i}`));
    nodes.push(node);
    const info = await node.start(addrs.length === 0 ? [] : ["--peers", addrs.join(",")]);
    expect(info.validatorId).toBe(toHex(devKeyPair(`validator-${i}`).publicKey));
    expect(info.rpc).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    addrs.push(info.p2p[0]!);
  }
  await Promise.all(clients().map((c) => waitForHeight(c, 1, 90_000)));
}, 180_000);

afterAll(async () => {
  await Promise.all(nodes.map((n) => n.stop("SIGTERM").catch(() => undefined)));
  await Promise.all(nodes.map((n) => n.stop("SIGKILL").catch(() => undefined)));
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe("a 4-validator PoA network of triad processes", () => {
  it("commits txs submitted over JSON-RPC, and every node has the same blocks, app hashes and receipts", async () => {
    const sent: string[] = [];
    // Account i sends through node i, two txs each: nonces come from the node's pending nonce.
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < N; i++) {
        const c = nodes[i]!.client();
        const tx = await c.transfer({ key: account(i), to: accountId((i + 1) % N), amount: 10 + round });
        const r = await c.broadcast(tx, "sync");
        expect(r.code, r.log).toBe(0);
        sent.push(tx.id);
      }
    }
    const kv = await nodes[0]!.client().kvPut({ key: account(0), kvKey: "greeting", value: "hello" });
    expect((await nodes[0]!.client().broadcast(kv, "sync")).code).toBe(0);
    sent.push(kv.id);

    const heights = await Promise.all(sent.map((id) => waitForTx(nodes[3]!.client(), id)));
    const top = Math.max(...heights);
    await expectAgreement(top);
    for (const c of clients()) {
      for (const id of sent) expect((await c.tx(id)).tx_result.code).toBe(0);
      expect(new TextDecoder().decode((await c.kv("greeting")) ?? new Uint8Array())).toBe("hello");
      // account-0: 1e9 − 10 − 11 sent + 10 + 11 received from account-3.
      expect((await c.account(accountId(0))).balance).toBe("1000000000");
      expect((await c.account(accountId(1))).balance).toBe("1000000000");
    }
  });

  it("cosmjs's connectComet picks its CometBFT 0.38 client and reads status, block, block_results, tx, net_info and consensus_state", async () => {
    const node = nodes[2]!;
    const c = node.client();
    const tx = await c.transfer({ key: account(1), to: accountId(2), amount: 1 });
    const committed = await c.broadcast(tx, "commit");
    const height = Number(committed.height);
    const comet = await connectComet(node.info!.rpc!);
    try {
      // connectComet reads status().nodeInfo.version: anything not "0.38." falls back to the 0.37 client.
      expect(comet).toBeInstanceOf(Comet38Client);
      const s = await comet.status();
      expect(s.nodeInfo.version).toMatch(/^0\.38\./);
      expect(s.nodeInfo.network).toBe(chainId);
      expect(s.syncInfo.latestBlockHeight).toBeGreaterThanOrEqual(height);
      const b = await comet.block(height);
      expect(b.block.header.height).toBe(height);
      expect(b.block.txs.map((t) => toHex(t))).toContain(toHex(tx.bytes));
      const r = await comet.blockResults(height);
      expect(r.results.map((x) => x.code)).toContain(0);
      const t = await comet.tx({ hash: Buffer.from(tx.id, "hex") });
      expect(t.height).toBe(height);
      expect(t.result.code).toBe(0);
      expect(toHex(t.tx)).toBe(toHex(tx.bytes));
    } finally {
      comet.disconnect();
    }
    // What cosmjs does not decode, checked as JSON: peers in CometBFT's shape, a round state.
    const net = await c.call<{ peers: { node_info: { protocol_version: unknown; other: object }; connection_status: { Duration: string } }[] }>("net_info");
    expect(net.peers.length).toBeGreaterThan(0);
    for (const p of net.peers) {
      expect(p.node_info.protocol_version).toEqual({ p2p: "8", block: "11", app: "0" });
      expect(BigInt(p.connection_status.Duration)).toBeGreaterThan(0n);
    }
    const cs = await c.call<{ round_state: { start_time: string; height_vote_set: { round: number; prevotes: string[] }[] } }>("consensus_state");
    expect(Date.parse(cs.round_state.start_time)).toBeGreaterThan(Date.parse("2020-01-01T00:00:00Z"));
    expect(cs.round_state.height_vote_set.length).toBeGreaterThan(0);
    expect(cs.round_state.height_vote_set.at(-1)!.prevotes).toHaveLength(N);
  });

  it("answers bad RPC input with the documented codes and keeps serving", async () => {
    const node = nodes[1]!;
    const url = node.info!.rpc!;
    const c = node.client();

    const malformed = await postRaw(url, '{"jsonrpc":"2.0","id":1,"method":');
    expect(malformed.json.error?.code).toBe(RPC_ERROR_CODES.PARSE_ERROR);

    const wrongType = await postRaw(url, JSON.stringify({ jsonrpc: "2.0", id: 2, method: "block", params: { height: { nested: true } } }));
    expect(wrongType.json.error?.code).toBe(RPC_ERROR_CODES.INVALID_PARAMS);

    const unknown = await postRaw(url, JSON.stringify({ jsonrpc: "2.0", id: 3, method: "no_such_method" }));
    expect(unknown.json.error?.code).toBe(RPC_ERROR_CODES.METHOD_NOT_FOUND);

    const oversize = await postRaw(url, JSON.stringify({ jsonrpc: "2.0", id: 4, method: "status", params: { pad: "x".repeat(2 * 1024 * 1024) } }));
    expect(oversize.status).toBe(413);
    expect(oversize.json.error?.code).toBe(RPC_ERROR_CODES.BODY_TOO_LARGE);

    const badBase64 = await postRaw(url, JSON.stringify({ jsonrpc: "2.0", id: 5, method: "broadcast_tx_sync", params: { tx: "@@not base64@@" } }));
    expect(badBase64.json.error?.code).toBe(RPC_ERROR_CODES.INVALID_PARAMS);

    const sender = account(2);
    const nonce = await c.nextNonce(accountId(2));
    const good = signTx({ chainId, from: sender.publicKey, nonce, kind: "transfer", payload: transferKind.encode({ to: account(3).publicKey, amount: 1n }) }, sender.secretKey);

    const forged = new Uint8Array(good.bytes);
    forged[forged.length - 1]! ^= 0xff;
    const badSig = await c.broadcast(forged, "sync");
    expect(badSig.code).toBe(CHECK_TX_CODES.BAD_SIGNATURE);

    const otherChain = signTx({ chainId: "some-other-chain", from: sender.publicKey, nonce, kind: "transfer", payload: transferKind.encode({ to: account(3).publicKey, amount: 1n }) }, sender.secretKey);
    expect((await c.broadcast(otherChain, "sync")).code).toBe(CHECK_TX_CODES.WRONG_CHAIN);

    // The good tx commits; the same tx again is "committed", a different tx with its nonce is stale.
    const committed = await c.broadcast(good, "commit");
    expect(committed.check_tx.code).toBe(0);
    expect(Number(committed.height)).toBeGreaterThan(0);
    const again = await c.broadcast(good, "sync");
    expect(again.code).toBe(0);
    expect(again.triad.status).toBe("committed");
    const replay = signTx({ chainId, from: sender.publicKey, nonce, kind: "transfer", payload: transferKind.encode({ to: account(3).publicKey, amount: 2n }) }, sender.secretKey);
    expect((await c.broadcast(replay, "sync")).code).toBe(CHECK_TX_CODES.STALE_NONCE);

    // Still serving, and still making blocks.
    const h = await heightOf(c);
    await waitForHeight(c, h + 1);
    expect(await c.health()).toEqual({});
  });

  it("CLI: init, show-validator, show-node-id, status, block, validators, unsafe-reset-all guard, tx transfer --wait commit", async () => {
    const node = nodes[0]!;
    const rpc = node.info!.rpc!;

    // One round of independent commands, run in parallel.
    const [again, validator, nodeId, status, block, validators, unreachable, reset] = await Promise.all([
      runCli(["init", "--home", node.home, "--genesis", join(netDir, "genesis.json"), "--key", join(netDir, "keys", "validator-0.json")]),
      runCli(["show-validator", "--home", node.home]),
      runCli(["show-node-id", "--home", node.home]),
      runCli(["status", "--rpc", rpc]),
      runCli(["block", "1"], { TRIAD_RPC: rpc }),
      runCli(["validators", "--rpc", rpc]),
      runCli(["status", "--rpc", "http://127.0.0.1:1"]),
      runCli(["unsafe-reset-all", "--home", node.home, "--yes"]),
    ]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already exists/);
    expect(validator.stdout.trim()).toBe(toHex(devKeyPair("validator-0").publicKey));
    expect(nodeId.stdout.trim()).toBe(node.info!.nodeId);
    expect(status.code, status.stderr).toBe(0);
    expect((JSON.parse(status.stdout) as { node_info: { network: string } }).node_info.network).toBe(chainId);
    expect((JSON.parse(block.stdout) as { block: { header: { height: string } } }).block.header.height).toBe("1");
    expect((JSON.parse(validators.stdout) as { total: string }).total).toBe("4");
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(/cannot reach/);
    // The home of a running node is not reset.
    expect(reset.code).toBe(1);
    expect(reset.stderr).toMatch(/is running/);

    const to = accountId(3);
    const before = BigInt((await node.client().account(to)).balance);
    const tx = await runCli(["tx", "transfer", "--rpc", rpc, "--key", join(netDir, "keys", "account-1.json"), "--to", to, "--amount", "5", "--wait", "commit", "--json"]);
    expect(tx.code, tx.stderr).toBe(0);
    const result = JSON.parse(tx.stdout) as { height: number; code: number; tx_result: { code: number } };
    expect(Number(result.height)).toBeGreaterThan(0);
    expect(result.tx_result.code).toBe(0);
    expect(BigInt((await node.client().account(to)).balance)).toBe(before + 5n);
  }, 180_000);

  it("a validator killed with SIGKILL restarts from its database, catches up, and the network keeps committing", async () => {
    const victim = nodes[2]!;
    const survivor = nodes[0]!.client();
    const beforeCrash = await heightOf(victim.client());
    expect(await victim.stop("SIGKILL")).toBeNull();

    // The other three are a quorum: txs keep committing while it is down.
    const whileDown = await survivor.transfer({ key: account(0), to: accountId(2), amount: 3 });
    expect((await survivor.broadcast(whileDown, "sync")).code).toBe(0);
    const downHeight = await waitForTx(survivor, whileDown.id);
    await waitForHeight(survivor, Math.max(downHeight, beforeCrash) + 3);

    const others = nodes.filter((n) => n !== victim).map((n) => n.info!.p2p[0]!);
    const info = await victim.start(["--peers", others.join(",")]);
    expect(info.validatorId).toBe(toHex(devKeyPair("validator-2").publicKey));
    const target = await heightOf(survivor);
    await waitForHeight(victim.client(), target, 90_000);
    // It holds the tx committed while it was down.
    expect((await victim.client().tx(whileDown.id)).tx_result.code).toBe(0);

    // And it takes part again: a tx sent through it commits everywhere. Its RPC refuses txs while
    // it still counts itself catching up (the network moved on while it fetched `target`).
    await pollFor("the restarted validator to be caught up", async () => ((await victim.client().status()).sync_info.catching_up ? undefined : true), 90_000, 200);
    const after = await victim.client().transfer({ key: account(2), to: accountId(1), amount: 4 });
    expect((await victim.client().broadcast(after, "sync")).code).toBe(0);
    const h = await Promise.all(clients().map((c) => waitForTx(c, after.id)));
    await expectAgreement(Math.max(...h));
    // The restarted validator is primary again in its turn (round robin): blocks it proposed
    // are appended by the others (counted by the survivor over the blocks it stores).
    const proposed = async (): Promise<number> => {
      const m = (await survivor.signerMetrics()) as { validators: Record<string, { proposed: number }> };
      return m.validators[info.validatorId!]?.proposed ?? 0;
    };
    const base = await proposed();
    await pollFor("a block proposed by the restarted validator", async () => ((await proposed()) > base ? true : undefined), 60_000, 300);
  }, 240_000);
});
