// Read methods over the block log: the CometBFT shapes and Triad's mapping of its header,
// seal and validator set into them.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toHex } from "../../src/chain/encoding.js";
import { genesisHashHex } from "../../src/chain/genesis.js";
import { publicKeyHex } from "../../src/chain/keys.js";
import { validatorsHash } from "../../src/chain/validator-set.js";
import { RPC_ERROR_CODES } from "../../src/rpc/errors.js";
import { COMET_RPC_VERSION } from "../../src/rpc/format.js";
import type {
  ResultBlock,
  ResultBlockchain,
  ResultCommit,
  ResultConsensusState,
  ResultGenesis,
  ResultNetInfo,
  ResultStatus,
  ResultValidators,
} from "../../src/rpc/types.js";
import { account0, CHAIN_ID, transferTx, validatorKeys } from "./fake-node.js";
import { startRpc, type RpcHarness } from "./helpers.js";

const up = (b: Uint8Array): string => toHex(b).toUpperCase();

describe("chain read methods", () => {
  let h: RpcHarness;
  beforeAll(async () => {
    h = await startRpc();
    h.node.appendBlock([]);
    h.node.appendBlock([transferTx(account0, 0), transferTx(account0, 1)]);
    for (let i = 0; i < 23; i++) h.node.appendBlock([]);
  });
  afterAll(() => h.close());

  it("status: node info, sync info, validator info and triad extras", async () => {
    const s = await h.result<ResultStatus>("status");
    const head = h.node.blocks[24]!;
    const first = h.node.blocks[0]!;
    const v0 = publicKeyHex(validatorKeys[0]!);
    // version is the CometBFT RPC version Triad speaks (cosmjs picks its client from it); Triad's
    // own version is under other and triad.
    expect(s.node_info).toEqual({
      protocol_version: { p2p: "8", block: "11", app: "0" },
      id: v0,
      network: CHAIN_ID,
      moniker: "fake-0",
      version: COMET_RPC_VERSION,
      channels: "",
      listen_addr: "/ip4/127.0.0.1/tcp/26656",
      other: { tx_index: "on", rpc_address: `tcp://127.0.0.1:${h.address.port}`, peer_id: "12D3KooWFakePeerIdForTests", triad_version: "0.1.0-test" },
    });
    expect(COMET_RPC_VERSION).toMatch(/^0\.38\.\d+$/);
    expect(s.sync_info).toEqual({
      latest_block_hash: up(head.block.hash),
      latest_app_hash: up(head.block.header.stateRoot),
      latest_block_height: "25",
      latest_block_time: new Date(head.block.header.timestamp).toISOString(),
      earliest_block_hash: up(first.block.hash),
      earliest_app_hash: up(first.block.header.stateRoot),
      earliest_block_height: "1",
      earliest_block_time: new Date(first.block.header.timestamp).toISOString(),
      catching_up: false,
    });
    expect(s.sync_info.latest_block_time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(s.validator_info).toEqual({
      address: v0.toUpperCase(),
      pub_key: { type: "tendermint/PubKeyEd25519", value: Buffer.from(validatorKeys[0]!.publicKey).toString("base64") },
      voting_power: "1",
    });
    expect(s.triad).toEqual({
      view: 0,
      node_id: "12D3KooWFakePeerIdForTests",
      validator_id: v0,
      genesis_hash: genesisHashHex(h.node.genesis()),
      selection: "poa",
      version: "0.1.0-test",
    });
  });

  it("net_info lists peers with CometBFT's node_info and connection_status shapes", async () => {
    const openedAt = Date.parse("2026-01-01T00:00:00Z");
    h.node.firstPeerConnectedAt = openedAt;
    const before = BigInt(Date.now() - openedAt) * 1_000_000n;
    const n = await h.result<ResultNetInfo>("net_info");
    h.node.firstPeerConnectedAt = undefined;
    expect(n.listening).toBe(true);
    expect(n.n_peers).toBe("3");
    expect(n.peers[0]).toMatchObject({
      is_outbound: true,
      remote_ip: "10.0.0.2",
      triad: { peer_id: "12D3KooWPeer1" },
    });
    // What only the peer knows (its versions, RPC address, tx indexing) is empty: peers exchange
    // no NodeInfo. The protocol versions are the ones it speaks with this node.
    expect(n.peers[0]!.node_info).toEqual({
      protocol_version: { p2p: "8", block: "11", app: "0" },
      id: publicKeyHex(validatorKeys[1]!),
      listen_addr: "/ip4/10.0.0.2/tcp/26656",
      network: CHAIN_ID,
      version: "",
      channels: "",
      moniker: "validator-1",
      other: { tx_index: "", rpc_address: "", peer_id: "12D3KooWPeer1", triad_version: "" },
    });
    // The connection's age is known; bytes, rates and channels are not tracked: zeros.
    const cs = n.peers[0]!.connection_status;
    expect(BigInt(cs.Duration)).toBeGreaterThanOrEqual(before);
    expect(cs.Channels).toEqual([]);
    const zeros = { Bytes: "0", Samples: "0", InstRate: "0", CurRate: "0", AvgRate: "0", PeakRate: "0", BytesRem: "0", Idle: "0", TimeRem: "0", Progress: 0, Active: true };
    expect(cs.SendMonitor).toEqual({ Start: "2026-01-01T00:00:00.000Z", Duration: cs.Duration, ...zeros });
    expect(cs.RecvMonitor).toEqual(cs.SendMonitor);
    // A connection whose opening time is unknown: zero time, zero duration.
    expect(n.peers[1]!.connection_status).toEqual({
      Duration: "0",
      SendMonitor: { Start: "0001-01-01T00:00:00Z", Duration: "0", ...zeros },
      RecvMonitor: { Start: "0001-01-01T00:00:00Z", Duration: "0", ...zeros },
      Channels: [],
    });
  });

  it("block: header mapping, txs as base64, last_commit from the previous block's seal", async () => {
    const stored = h.node.blocks[1]!;
    const prev = h.node.blocks[0]!;
    const r = await h.result<ResultBlock>("block", { height: "2" });
    expect(r.block_id).toEqual({ hash: up(stored.block.hash), parts: { total: 1, hash: up(stored.block.hash) } });
    const hd = r.block.header;
    expect(hd).toMatchObject({
      version: { block: "11", app: "0" },
      chain_id: CHAIN_ID,
      height: "2",
      time: new Date(stored.block.header.timestamp).toISOString(),
      last_block_id: { hash: up(prev.block.hash), parts: { total: 1, hash: up(prev.block.hash) } },
      data_hash: up(stored.block.header.txRoot),
      app_hash: up(stored.block.header.stateRoot),
      validators_hash: up(stored.block.header.validatorsHash),
      next_validators_hash: up(validatorsHash(h.node.set)),
      proposer_address: stored.block.header.proposer.toUpperCase(),
      triad: { view: 0, proposer: stored.block.header.proposer, parent_hash: toHex(prev.block.hash) },
    });
    expect(r.block.data.txs).toEqual(stored.block.txs.map((t) => Buffer.from(t.bytes).toString("base64")));
    expect(r.block.evidence).toEqual({ evidence: [] });
    const lc = r.block.last_commit;
    expect(lc.height).toBe("1");
    expect(lc.round).toBe(0);
    expect(lc.block_id.hash).toBe(up(prev.block.hash));
    const signed = lc.signatures.filter((s) => s.block_id_flag === 2);
    expect(signed).toHaveLength(prev.seal.commits.length);
    for (const c of prev.seal.commits) {
      expect(signed).toContainEqual({
        block_id_flag: 2,
        validator_address: c.validator.toUpperCase(),
        timestamp: new Date(prev.block.header.timestamp).toISOString(),
        signature: Buffer.from(c.signature).toString("base64"),
      });
    }
    // Four validators, a quorum of three signed: the fourth is listed as absent, as CometBFT does.
    expect(lc.signatures).toHaveLength(4);
    expect(lc.signatures.filter((s) => s.block_id_flag === 1)).toEqual([{ block_id_flag: 1, validator_address: "", timestamp: "0001-01-01T00:00:00Z", signature: null }]);
  });

  it("block 1 has CometBFT's empty last_commit; no height means the head", async () => {
    const one = await h.result<ResultBlock>("block", { height: 1 });
    expect(one.block.last_commit).toEqual({ height: "0", round: 0, block_id: { hash: "", parts: { total: 0, hash: "" } }, signatures: [] });
    expect((await h.result<ResultBlock>("block")).block.header.height).toBe("25");
    expect((await h.result<ResultBlock>("block", { height: null })).block.header.height).toBe("25");
  });

  it("a height above the head → -32001", async () => {
    const r = await h.rpc("block", { height: 26 });
    expect(r.error?.code).toBe(RPC_ERROR_CODES.NOT_FOUND);
    expect(r.error?.data).toMatchObject({ height: 26, head: 25 });
  });

  it("height 0 → -32602 (heights start at 1)", async () => {
    expect((await h.rpc("block", { height: 0 })).error?.code).toBe(RPC_ERROR_CODES.INVALID_PARAMS);
  });

  it("block_by_hash takes hex in any case, with or without 0x, and base64", async () => {
    const stored = h.node.blocks[2]!;
    const forms = [toHex(stored.block.hash), up(stored.block.hash), `0x${toHex(stored.block.hash)}`, Buffer.from(stored.block.hash).toString("base64")];
    for (const hash of forms) {
      const r = await h.result<ResultBlock>("block_by_hash", { hash });
      expect(r.block.header.height).toBe("3");
    }
    const missing = await h.rpc("block_by_hash", { hash: "00".repeat(32) });
    expect(missing.error?.code).toBe(RPC_ERROR_CODES.NOT_FOUND);
  });

  it("header, header_by_hash, block_results", async () => {
    const stored = h.node.blocks[1]!;
    const hd = await h.result<{ header: { height: string } }>("header", { height: 2 });
    expect(hd.header.height).toBe("2");
    const byHash = await h.result<{ header: { height: string } }>("header_by_hash", { hash: stored.block.id });
    expect(byHash.header.height).toBe("2");
    const res = await h.result<{ height: string; txs_results: { code: number }[]; app_hash: string }>("block_results", { height: 2 });
    expect(res.height).toBe("2");
    expect(res.txs_results.map((t) => t.code)).toEqual([0, 0]);
    expect(res.app_hash).toBe(Buffer.from(stored.block.header.stateRoot).toString("base64"));
  });

  it("blockchain: newest first, at most 20 metas, clamped like CometBFT", async () => {
    const all = await h.result<ResultBlockchain>("blockchain", {});
    expect(all.last_height).toBe("25");
    expect(all.block_metas.map((m) => m.header.height)).toEqual(Array.from({ length: 20 }, (_, i) => String(25 - i)));
    const some = await h.result<ResultBlockchain>("blockchain", { minHeight: "2", maxHeight: "4" });
    expect(some.block_metas.map((m) => m.header.height)).toEqual(["4", "3", "2"]);
    const meta = some.block_metas[2]!;
    expect(meta).toMatchObject({ num_txs: "2", block_size: String(h.node.blocks[1]!.block.bytes.length) });
    const wide = await h.result<ResultBlockchain>("blockchain", { minHeight: 1, maxHeight: 1000 });
    expect(wide.block_metas).toHaveLength(20);
    expect(wide.block_metas[0]!.header.height).toBe("25");
    const bad = await h.rpc("blockchain", { minHeight: 10, maxHeight: 5 });
    expect(bad.error?.code).toBe(RPC_ERROR_CODES.INVALID_PARAMS);
    expect(bad.error?.data?.param).toBe("minHeight");
  });

  it("commit: the block's own seal as signed_header.commit", async () => {
    const stored = h.node.blocks[1]!;
    const r = await h.result<ResultCommit>("commit", { height: 2 });
    expect(r.canonical).toBe(true);
    expect(r.signed_header.header.height).toBe("2");
    expect(r.signed_header.commit.height).toBe("2");
    expect(r.signed_header.commit.block_id.hash).toBe(up(stored.block.hash));
    expect(r.signed_header.commit.signatures.filter((s) => s.block_id_flag === 2).map((s) => s.validator_address)).toEqual(
      stored.seal.commits.map((c) => c.validator.toUpperCase()),
    );
  });

  it("validators: the next height's set by default, paged", async () => {
    const r = await h.result<ResultValidators>("validators", {});
    expect(r.block_height).toBe("26");
    expect(r.total).toBe("4");
    expect(r.count).toBe("4");
    expect(r.validators.map((v) => v.address)).toEqual(h.node.set.members.map((m) => m.toUpperCase()));
    expect(r.validators[0]).toMatchObject({ voting_power: "1", proposer_priority: "0", pub_key: { type: "tendermint/PubKeyEd25519" } });
    const page2 = await h.result<ResultValidators>("validators", { height: "3", page: "2", per_page: "3" });
    expect(page2).toMatchObject({ block_height: "3", count: "1", total: "4" });
    const tooFar = await h.rpc("validators", { page: 3, per_page: 3 });
    expect(tooFar.error?.code).toBe(RPC_ERROR_CODES.INVALID_PARAMS);
    expect(tooFar.error?.data?.param).toBe("page");
    expect((await h.rpc("validators", { height: 27 })).error?.code).toBe(RPC_ERROR_CODES.NOT_FOUND);
  });

  it("genesis: CometBFT's document plus the Triad genesis and its hash", async () => {
    const g = await h.result<ResultGenesis>("genesis");
    expect(g.genesis).toMatchObject({ chain_id: CHAIN_ID, genesis_time: "2026-01-01T00:00:00Z", initial_height: "1", app_hash: "" });
    expect(g.genesis.validators).toHaveLength(4);
    expect(g.genesis.validators[0]).toMatchObject({ power: "1", name: "validator-0" });
    expect(g.genesis.consensus_params.block.max_bytes).toBe(String(h.node.genesis().consensus.maxBlockBytes));
    expect(g.genesis.consensus_params.abci).toEqual({ vote_extensions_enable_height: "0" });
    expect(g.triad.genesis_hash).toBe(genesisHashHex(h.node.genesis()));
    expect((g.triad.genesis as { chainId: string }).chainId).toBe(CHAIN_ID);
  });

  it("consensus_state: height/view/phase and the primary", async () => {
    const c = await h.result<ResultConsensusState>("consensus_state");
    const primary = h.node.set.members[(26 + 0) % 4]!;
    expect(c.round_state).toMatchObject({ "height/round/step": "26/0/prepare", height: "26", round: 0, step: "prepare", proposer: { address: primary.toUpperCase(), index: 26 % 4 } });
    expect(c.triad).toEqual({ height: 26, view: 0, phase: "prepare", primary });
    // Without a replica's round: CometBFT's values before its first round.
    expect(c.round_state).toMatchObject({ start_time: "0001-01-01T00:00:00Z", proposal_block_hash: "", locked_block_hash: "", valid_block_hash: "", height_vote_set: [] });
  });

  it("consensus_state: the round's start, proposal, locked and valid blocks and the vote set, in CometBFT's strings", async () => {
    const members = h.node.set.members;
    const block = new Uint8Array(32).fill(0xab);
    const other = new Uint8Array(32).fill(0xcd);
    const signature = new Uint8Array(64).fill(0x11);
    const vote = (i: number, hash = block) => ({ validator: members[i]!, blockHash: hash, signature });
    h.node.view = 1;
    h.node.round = {
      startedAt: Date.parse("2026-01-02T03:04:05.678Z"),
      proposalHash: block,
      lockedHash: other,
      validHash: block,
      members,
      votes: [
        { view: 0, prepares: [vote(0, other), vote(1, other), vote(2, other), null], commits: [vote(0, other), null, null, null] },
        { view: 1, prepares: [vote(0), null, vote(2), vote(3)], commits: [null, null, null, null] },
      ],
    };
    try {
      const c = await h.result<ResultConsensusState>("consensus_state");
      const r = c.round_state;
      expect(r).toMatchObject({
        "height/round/step": "26/1/prepare",
        start_time: "2026-01-02T03:04:05.678Z",
        proposal_block_hash: up(block),
        locked_block_hash: up(other),
        valid_block_hash: up(block),
      });
      expect(r.height_vote_set.map((v) => v.round)).toEqual([0, 1]);
      const [v0, v1] = r.height_vote_set;
      const addr = (i: number): string => members[i]!.slice(0, 12).toUpperCase();
      expect(v1!.prevotes[0]).toBe(`Vote{0:${addr(0)} 26/01/1(Prevote) ABABABABABAB 111111111111 000000000000 @ 0001-01-01T00:00:00.000000000Z}`);
      expect(v1!.prevotes[1]).toBe("nil-Vote");
      expect(v1!.prevotes_bit_array).toBe("BA{4:x_xx} 3/4 = 0.75");
      expect(v1!.precommits_bit_array).toBe("BA{4:____} 0/4 = 0.00");
      expect(v0!.precommits[0]).toBe(`Vote{0:${addr(0)} 26/00/2(Precommit) CDCDCDCDCDCD 111111111111 000000000000 @ 0001-01-01T00:00:00.000000000Z}`);
      expect(v0!.precommits_bit_array).toBe("BA{4:x___} 1/4 = 0.25");
    } finally {
      h.node.view = 0;
      h.node.round = undefined;
    }
  });

  it("abci_info and health", async () => {
    expect(await h.result("health")).toEqual({});
    const info = await h.result<{ response: { last_block_height: string } }>("abci_info");
    expect(info.response.last_block_height).toBe("25");
  });
});

describe("before the first block", () => {
  it("status reports height 0 with the genesis hash; block → -32001; blockchain is empty", async () => {
    const h = await startRpc();
    try {
      const s = await h.result<ResultStatus>("status");
      expect(s.sync_info.latest_block_height).toBe("0");
      expect(s.sync_info.latest_block_hash).toBe(genesisHashHex(h.node.genesis()).toUpperCase());
      expect(s.sync_info.earliest_block_height).toBe("0");
      expect((await h.rpc("block")).error?.code).toBe(RPC_ERROR_CODES.NOT_FOUND);
      expect(await h.result("blockchain")).toEqual({ last_height: "0", block_metas: [] });
      expect((await h.result<ResultValidators>("validators")).block_height).toBe("1");
    } finally {
      await h.close();
    }
  });
});
