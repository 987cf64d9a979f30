import { describe, expect, it } from "vitest";
import { toHex, utf8 } from "../../../src/chain/encoding.js";
import { BlockError, MempoolError } from "../../../src/chain/errors.js";
import { builtinRegistry, kvPutKind, transferKind } from "../../../src/chain/builtin-kinds.js";
import { executeTxs, type BlockContext } from "../../../src/chain/execution.js";
import { devKeyPair, type KeyPair } from "../../../src/chain/keys.js";
import { Mempool, MEMPOOL_DEFAULTS, type MempoolOptions } from "../../../src/chain/mempool.js";
import { accountKey, ChainState, encodeAccount, readAccount, type StateView } from "../../../src/chain/state.js";
import { sha256 } from "../../../src/chain/hash.js";
import { Signer } from "../../../src/chain/signature.js";
import { decodeSignedTx, encodeSignedTx, MAX_TX_BYTES, signTx, txSigningPayload, type SignedTx, type UnsignedTx } from "../../../src/chain/tx.js";

const CHAIN_ID = "triad-test";
const registry = builtinRegistry();
const keys = [0, 1, 2, 3].map((i) => devKeyPair(`account-${i}`));
const sink = devKeyPair("sink");
const [alice, bob, carol, dave] = keys as [KeyPair, KeyPair, KeyPair, KeyPair];

function idOf(pair: KeyPair): string {
  return toHex(pair.publicKey);
}

function fundedState(nonces: Partial<Record<string, number>> = {}): ChainState {
  return ChainState.fromEntries(
    keys.map((k) => [accountKey(idOf(k)), encodeAccount({ balance: 1_000_000n, nonce: nonces[idOf(k)] ?? 0 })] as const),
  );
}

function transfer(from: KeyPair, nonce: number, options: { amount?: bigint; chainId?: string } = {}): SignedTx {
  return signTx(
    {
      chainId: options.chainId ?? CHAIN_ID,
      from: from.publicKey,
      nonce,
      kind: "transfer",
      payload: transferKind.encode({ to: sink.publicKey, amount: options.amount ?? 1n }),
    },
    from.secretKey,
  );
}

function setup(limits: Partial<Omit<MempoolOptions, "chainId">> = {}, state: ChainState = fundedState()) {
  const holder = { state };
  const pool = new Mempool({ chainId: CHAIN_ID, ...MEMPOOL_DEFAULTS, ...limits }, { registry, state: () => holder.state });
  return { pool, holder };
}

/** Run `fn`, expect a MempoolError with `code`, and check the pool did not change. */
function refused(pool: Mempool, code: string, fn: () => unknown): MempoolError {
  const before = { size: pool.size, bytes: pool.bytes, senders: pool.senders, pending: pool.pending(1_000).map((t) => t.id) };
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(MempoolError);
  const err = caught as MempoolError;
  expect(err.code).toBe(code);
  expect(err.message.length).toBeGreaterThan(0);
  expect({ size: pool.size, bytes: pool.bytes, senders: pool.senders, pending: pool.pending(1_000).map((t) => t.id) }).toEqual(before);
  return err;
}

const ctx: BlockContext = { chainId: CHAIN_ID, height: 1, timestamp: 1_700_000_000_000, proposer: idOf(alice) };

describe("Mempool admission", () => {
  it("admits a valid tx from bytes or as a SignedTx and tracks size, bytes, senders", () => {
    const { pool } = setup();
    const a0 = transfer(alice, 0);
    const b0 = transfer(bob, 0);
    const added = pool.add(a0.bytes);
    expect(added.id).toBe(a0.id);
    pool.add(b0);
    expect(pool.size).toBe(2);
    expect(pool.bytes).toBe(a0.bytes.length + b0.bytes.length);
    expect(pool.senders).toBe(2);
    expect(pool.has(a0.id)).toBe(true);
    expect(pool.get(b0.id)?.nonce).toBe(0);
    expect(pool.get("00".repeat(32))).toBeUndefined();
    expect(pool.pending(10).map((t) => t.id)).toEqual([a0.id, b0.id]);
    expect(pool.pending(1).map((t) => t.id)).toEqual([a0.id]);
    expect(pool.pending(0)).toEqual([]);
  });

  it("is the verified set for execution", () => {
    const { pool } = setup();
    const a0 = pool.add(transfer(alice, 0));
    const verified: { has(id: string): boolean } = pool;
    expect(verified.has(a0.id)).toBe(true);
    expect(pool.verified.has(a0.id)).toBe(true);
    expect(pool.verified.has("ff".repeat(32))).toBe(false);
  });

  it("refuses a duplicate with ALREADY_KNOWN naming the id", () => {
    const { pool } = setup();
    const a0 = pool.add(transfer(alice, 0));
    const err = refused(pool, "ALREADY_KNOWN", () => pool.add(a0.bytes));
    expect(err.details.id).toBe(a0.id);
  });

  it("refuses a flipped signature byte with BAD_SIGNATURE", () => {
    const { pool } = setup();
    const bytes = Uint8Array.from(transfer(alice, 0).bytes);
    bytes[bytes.length - 1]! ^= 0x01;
    const err = refused(pool, "BAD_SIGNATURE", () => pool.add(bytes));
    expect(err.details.id).toMatch(/^[0-9a-f]{64}$/);
  });

  it("refuses a tx for another chain with WRONG_CHAIN", () => {
    const { pool } = setup();
    const tx = transfer(alice, 0, { chainId: "other-chain" });
    const err = refused(pool, "WRONG_CHAIN", () => pool.add(tx.bytes));
    expect(err.details).toMatchObject({ id: tx.id, expected: CHAIN_ID, actual: "other-chain" });
  });

  it("refuses a nonce below the account's with STALE_NONCE", () => {
    const { pool } = setup({}, fundedState({ [idOf(alice)]: 3 }));
    const tx = transfer(alice, 2);
    const err = refused(pool, "STALE_NONCE", () => pool.add(tx));
    expect(err.details).toMatchObject({ id: tx.id, expected: 3, actual: 2 });
    expect(pool.add(transfer(alice, 3)).nonce).toBe(3);
  });

  it("refuses a nonce too far ahead with NONCE_GAP", () => {
    const { pool } = setup({ maxNonceGap: 4 });
    pool.add(transfer(alice, 4));
    const tx = transfer(alice, 5);
    const err = refused(pool, "NONCE_GAP", () => pool.add(tx));
    expect(err.details).toMatchObject({ id: tx.id, expected: 0, actual: 5 });
  });

  it("refuses a second tx for the same (sender, nonce) with NONCE_TAKEN", () => {
    const { pool } = setup();
    const first = pool.add(transfer(alice, 0, { amount: 1n }));
    const second = transfer(alice, 0, { amount: 2n });
    const err = refused(pool, "NONCE_TAKEN", () => pool.add(second));
    expect(err.details).toMatchObject({ id: second.id, holder: first.id, nonce: 0 });
  });

  it("refuses oversize bytes with TX_TOO_LARGE before decoding", () => {
    const { pool } = setup();
    refused(pool, "TX_TOO_LARGE", () => pool.add(new Uint8Array(MAX_TX_BYTES + 1)));
  });

  it("refuses an unknown kind with UNKNOWN_KIND", () => {
    const { pool } = setup();
    const tx = signTx({ chainId: CHAIN_ID, from: alice.publicKey, nonce: 0, kind: "mint", payload: new Uint8Array([1]) }, alice.secretKey);
    const err = refused(pool, "UNKNOWN_KIND", () => pool.add(tx));
    expect(err.details.id).toBe(tx.id);
  });

  it("refuses a payload its kind cannot decode with BAD_PAYLOAD", () => {
    const { pool } = setup();
    const junk = signTx({ chainId: CHAIN_ID, from: alice.publicKey, nonce: 0, kind: "transfer", payload: new Uint8Array([1, 2, 3]) }, alice.secretKey);
    refused(pool, "BAD_PAYLOAD", () => pool.add(junk));
    const zero = signTx(
      { chainId: CHAIN_ID, from: alice.publicKey, nonce: 0, kind: "transfer", payload: transferKind.encode({ to: sink.publicKey, amount: 0n }) },
      alice.secretKey,
    );
    const err = refused(pool, "BAD_PAYLOAD", () => pool.add(zero));
    expect(err.details.id).toBe(zero.id);
  });

  it("refuses trailing bytes and truncation with BAD_PAYLOAD", () => {
    const { pool } = setup();
    const tx = transfer(alice, 0);
    const trailing = new Uint8Array(tx.bytes.length + 1);
    trailing.set(tx.bytes);
    const err = refused(pool, "BAD_PAYLOAD", () => pool.add(trailing));
    expect(err.details.reason).toBe("TRAILING_BYTES");
    refused(pool, "BAD_PAYLOAD", () => pool.add(tx.bytes.subarray(0, tx.bytes.length - 1)));
    refused(pool, "BAD_PAYLOAD", () => pool.add(new Uint8Array(0)));
  });

  it("refuses a SignedTx whose fields disagree with its bytes", () => {
    const { pool } = setup();
    const real = transfer(alice, 0);
    const forged: SignedTx = { ...real, nonce: 1 };
    refused(pool, "BAD_PAYLOAD", () => pool.add(forged));
  });

  it("refuses with MEMPOOL_FULL when full by count", () => {
    const { pool } = setup({ maxTxs: 2 });
    pool.add(transfer(alice, 0));
    pool.add(transfer(bob, 0));
    const err = refused(pool, "MEMPOOL_FULL", () => pool.add(transfer(carol, 0)));
    expect(err.details.reason).toBe("COUNT");
  });

  it("refuses with MEMPOOL_FULL when full by bytes", () => {
    const size = transfer(alice, 0).bytes.length;
    const { pool } = setup({ maxBytes: size * 2 + Math.floor(size / 2) });
    pool.add(transfer(alice, 0));
    pool.add(transfer(bob, 0));
    const err = refused(pool, "MEMPOOL_FULL", () => pool.add(transfer(carol, 0)));
    expect(err.details.reason).toBe("BYTES");
  });

  it("refuses with MEMPOOL_FULL past the per-sender cap", () => {
    const { pool } = setup({ maxTxsPerSender: 2 });
    pool.add(transfer(alice, 0));
    pool.add(transfer(alice, 1));
    const err = refused(pool, "MEMPOOL_FULL", () => pool.add(transfer(alice, 2)));
    expect(err.details).toMatchObject({ reason: "SENDER_LIMIT", sender: idOf(alice) });
    pool.add(transfer(bob, 0));
  });

  it("rejects nonsensical limits", () => {
    expect(() => setup({ maxTxs: 0 })).toThrow(RangeError);
    expect(() => setup({ maxNonceGap: -1 })).toThrow(RangeError);
  });
});

describe("Mempool reap", () => {
  it("keeps each sender's nonce order and is round-robin across senders by first arrival", () => {
    const { pool } = setup();
    // Arrival: bob first, then alice (out of nonce order), then carol.
    const b = [transfer(bob, 0), transfer(bob, 1), transfer(bob, 2)];
    const a = [transfer(alice, 1), transfer(alice, 0)];
    const c = [transfer(carol, 0)];
    for (const tx of [b[0]!, a[0]!, b[1]!, a[1]!, c[0]!, b[2]!]) pool.add(tx);
    const reaped = pool.reap(100, 1 << 20).map((t) => t.id);
    expect(reaped).toEqual([b[0]!.id, a[1]!.id, c[0]!.id, b[1]!.id, a[0]!.id, b[2]!.id]);
    // Deterministic, and reaping leaves the pool alone.
    expect(pool.reap(100, 1 << 20).map((t) => t.id)).toEqual(reaped);
    expect(pool.size).toBe(6);
  });

  it("respects maxTxs and maxBytes", () => {
    const { pool } = setup();
    for (const k of [alice, bob]) for (let n = 0; n < 3; n++) pool.add(transfer(k, n));
    expect(pool.reap(3, 1 << 20)).toHaveLength(3);
    expect(pool.reap(0, 1 << 20)).toEqual([]);
    expect(pool.reap(Number.NaN, 1 << 20)).toEqual([]);
    expect(pool.reap(2.5, 1 << 20)).toHaveLength(2);
    expect(pool.pending(Number.NaN)).toEqual([]);
    const size = transfer(alice, 0).bytes.length;
    const byBytes = pool.reap(100, size * 4 + size - 1);
    expect(byBytes).toHaveLength(4);
    expect(byBytes.reduce((s, t) => s + t.bytes.length, 0)).toBeLessThanOrEqual(size * 5 - 1);
    expect(pool.reap(100, size - 1)).toEqual([]);
  });

  it("a tx too big for the remaining bytes ends its sender's run but not the others'", () => {
    const { pool } = setup();
    const big = signTx(
      { chainId: CHAIN_ID, from: alice.publicKey, nonce: 0, kind: "kv.put", payload: kvPutKind.encode({ key: "k", value: new Uint8Array(1000) }) },
      alice.secretKey,
    );
    pool.add(big);
    pool.add(transfer(alice, 1));
    pool.add(transfer(bob, 0));
    pool.add(transfer(bob, 1));
    const reaped = pool.reap(100, 800);
    expect(reaped.map((t) => [t.sender, t.nonce])).toEqual([
      [idOf(bob), 0],
      [idOf(bob), 1],
    ]);
  });

  it("stops a sender at a nonce gap and skips senders whose next nonce is missing", () => {
    const { pool } = setup();
    pool.add(transfer(alice, 0));
    pool.add(transfer(alice, 1));
    pool.add(transfer(alice, 3));
    pool.add(transfer(bob, 1));
    const reaped = pool.reap(100, 1 << 20);
    expect(reaped.map((t) => [t.sender, t.nonce])).toEqual([
      [idOf(alice), 0],
      [idOf(alice), 1],
    ]);
  });

  it("starts each sender at its account nonce", () => {
    const { pool, holder } = setup();
    pool.add(transfer(alice, 0));
    pool.add(transfer(alice, 1));
    pool.add(transfer(alice, 2));
    holder.state = fundedState({ [idOf(alice)]: 1 });
    expect(pool.reap(100, 1 << 20).map((t) => t.nonce)).toEqual([1, 2]);
  });

  it("a reaped set executes as a valid block", () => {
    const state = fundedState({ [idOf(dave)]: 5 });
    const { pool } = setup({}, state);
    const order: SignedTx[] = [];
    for (let round = 0; round < 4; round++) {
      for (const k of keys) {
        const base = k === dave ? 5 : 0;
        order.push(transfer(k, base + (round % 2 === 0 ? round + 1 : round - 1)));
      }
    }
    for (const tx of order) pool.add(tx);
    const reaped = pool.reap(1_000, 1 << 20);
    expect(reaped).toHaveLength(16);
    const result = executeTxs(ctx, reaped, state, registry, { verified: pool });
    expect(result.receipts.every((r) => r.code === 0)).toBe(true);
    // The same set also passes without the verified shortcut (signatures really verify).
    expect(() => executeTxs(ctx, reaped, state, registry)).not.toThrow(BlockError);

    state.apply(result.writes);
    expect(readAccount(state, idOf(dave)).nonce).toBe(9);
    pool.removeIncluded(reaped);
    expect(pool.size).toBe(0);
    expect(pool.bytes).toBe(0);
    expect(pool.senders).toBe(0);
  });

  it("is proportional to what it returns: reaping 100 from 10k txs reads ~100 accounts", () => {
    // OpenSSL signing keeps building 10k txs quick (noble signing would take seconds).
    const senders = Array.from({ length: 500 }, (_, i) => new Signer(sha256(utf8(`bulk-${i}`))));
    const state = ChainState.fromEntries(senders.map((k) => [accountKey(k.id), encodeAccount({ balance: 1_000n, nonce: 0 })] as const));
    let reads = 0;
    const counting: StateView = {
      get(key) {
        reads++;
        return state.get(key);
      },
    };
    const pool = new Mempool({ chainId: CHAIN_ID, ...MEMPOOL_DEFAULTS }, { registry, state: () => counting });
    const payload = transferKind.encode({ to: sink.publicKey, amount: 1n });
    const txs: SignedTx[] = [];
    for (let n = 0; n < 20; n++) {
      for (const k of senders) {
        const unsigned: UnsignedTx = { chainId: CHAIN_ID, from: k.publicKey, nonce: n, kind: "transfer", payload };
        txs.push(decodeSignedTx(encodeSignedTx(unsigned, k.signDomain("tx", CHAIN_ID, txSigningPayload(unsigned)))));
      }
    }
    for (const tx of txs) pool.add(tx);
    expect(pool.size).toBe(10_000);

    reads = 0;
    const few = pool.reap(100, 1 << 30);
    expect(few).toHaveLength(100);
    expect(reads).toBeLessThanOrEqual(100);

    const all = pool.reap(10_000, 1 << 30);
    expect(all).toHaveLength(10_000);
    // Round-robin: the first 500 are each sender's nonce 0, in arrival order.
    expect(all.slice(0, 500).every((t, i) => t.nonce === 0 && t.sender === senders[i]!.id)).toBe(true);
    expect(all.slice(500, 1000).every((t) => t.nonce === 1)).toBe(true);
  }, 60_000);
});

describe("Mempool removeIncluded and clear", () => {
  it("drops included txs and those made stale by the new state", () => {
    const { pool, holder } = setup();
    const a = [0, 1, 2].map((n) => pool.add(transfer(alice, n)));
    const b = [0, 1].map((n) => pool.add(transfer(bob, n)));
    const c0 = pool.add(transfer(carol, 0));
    // A block (from another proposer) included alice 0 and a different bob nonce-0 tx.
    const otherBob0 = transfer(bob, 0, { amount: 7n });
    const block = [a[0]!, otherBob0];
    const result = executeTxs(ctx, block, holder.state, registry);
    const next = fundedState();
    next.apply(result.writes);
    holder.state = next;

    pool.removeIncluded(block);
    expect(pool.has(a[0]!.id)).toBe(false);
    expect(pool.has(b[0]!.id)).toBe(false);
    expect(pool.pending(100).map((t) => t.id)).toEqual([a[1]!.id, a[2]!.id, b[1]!.id, c0.id]);
    expect(pool.size).toBe(4);
    expect(pool.bytes).toBe([a[1]!, a[2]!, b[1]!, c0].reduce((s, t) => s + t.bytes.length, 0));
    expect(pool.reap(100, 1 << 20).map((t) => [t.sender, t.nonce])).toEqual([
      [idOf(alice), 1],
      [idOf(bob), 1],
      [idOf(carol), 0],
      [idOf(alice), 2],
    ]);
    // The freed (sender, nonce) slot cannot be refilled with a stale tx.
    refused(pool, "STALE_NONCE", () => pool.add(b[0]!));
  });

  it("drops a whole sender when its account moved past all of its txs", () => {
    const { pool, holder } = setup();
    pool.add(transfer(alice, 0));
    pool.add(transfer(alice, 1));
    pool.add(transfer(bob, 0));
    holder.state = fundedState({ [idOf(alice)]: 2 });
    pool.removeIncluded([]);
    expect(pool.size).toBe(1);
    expect(pool.senders).toBe(1);
  });

  it("reads the block's senders' accounts plus a bounded sweep, not the whole pool's, and the sweep still finds a moved account", () => {
    const senders = Array.from({ length: 500 }, (_, i) => new Signer(sha256(utf8(`sweep-${i}`))));
    const nonces = new Map(senders.map((k) => [k.id, 0]));
    let reads = 0;
    const view = (): StateView => {
      const state = ChainState.fromEntries(senders.map((k) => [accountKey(k.id), encodeAccount({ balance: 1_000n, nonce: nonces.get(k.id)! })] as const));
      return {
        get(key) {
          reads++;
          return state.get(key);
        },
      };
    };
    let current = view();
    const pool = new Mempool({ chainId: CHAIN_ID, ...MEMPOOL_DEFAULTS }, { registry, state: () => current });
    const payload = transferKind.encode({ to: sink.publicKey, amount: 1n });
    const sign = (k: Signer, nonce: number): SignedTx => {
      const unsigned: UnsignedTx = { chainId: CHAIN_ID, from: k.publicKey, nonce, kind: "transfer", payload };
      return decodeSignedTx(encodeSignedTx(unsigned, k.signDomain("tx", CHAIN_ID, txSigningPayload(unsigned))));
    };
    const first = senders.map((k) => pool.add(sign(k, 0)));
    for (const k of senders) pool.add(sign(k, 1));
    expect(pool.size).toBe(1000);

    // A block with sender 0's first tx.
    nonces.set(senders[0]!.id, 1);
    current = view();
    reads = 0;
    pool.removeIncluded([first[0]!]);
    expect(pool.has(first[0]!.id)).toBe(false);
    expect(pool.size).toBe(999);
    expect(reads).toBeLessThanOrEqual(1 + 64);

    // An account that moved with no tx of it in the block is caught by the sweep within a few appends.
    const moved = senders[321]!;
    nonces.set(moved.id, 2);
    current = view();
    for (let i = 0; i < Math.ceil(500 / 64) + 1; i++) pool.removeIncluded([]);
    expect(pool.has(first[321]!.id)).toBe(false);
    expect(pool.size).toBe(997);
    expect(pool.pendingNonce(senders[5]!.id, 0)).toBe(2);
    expect(pool.pendingNonce(senders[5]!.id, 1)).toBe(2);
    expect(pool.pendingNonce(moved.id, 2)).toBe(2);
  });

  it("clear empties everything", () => {
    const { pool } = setup();
    const a0 = pool.add(transfer(alice, 0));
    pool.add(transfer(bob, 0));
    pool.clear();
    expect([pool.size, pool.bytes, pool.senders]).toEqual([0, 0, 0]);
    expect(pool.has(a0.id)).toBe(false);
    expect(pool.reap(10, 1 << 20)).toEqual([]);
    expect(pool.add(a0).id).toBe(a0.id);
  });
});

describe("Mempool unfunded senders (issue 11: anyone could fill the pool for free)", () => {
  const kvPut = (k: Signer, nonce: number): SignedTx => {
    const unsigned: UnsignedTx = { chainId: CHAIN_ID, from: k.publicKey, nonce, kind: "kv.put", payload: kvPutKind.encode({ key: `k${nonce}`, value: new Uint8Array(8) }) };
    return decodeSignedTx(encodeSignedTx(unsigned, k.signDomain("tx", CHAIN_ID, txSigningPayload(unsigned))));
  };
  const fresh = (n: number, tag: string): Signer[] => Array.from({ length: n }, (_, i) => new Signer(sha256(utf8(`${tag}-${i}`))));

  it("a flood from fresh unfunded keys fills only its quota; funded accounts still get in", () => {
    const { pool } = setup({ maxTxs: 200, maxUnfundedTxs: 50 });
    const flood = fresh(300, "flood");
    let admitted = 0;
    for (const k of flood) {
      try {
        pool.add(kvPut(k, 0));
        admitted++;
      } catch (err) {
        expect(err).toBeInstanceOf(MempoolError);
        expect((err as MempoolError).code).toBe("UNFUNDED_QUOTA");
        expect((err as MempoolError).details).toMatchObject({ reason: "QUOTA", limit: 50 });
      }
    }
    expect(admitted).toBe(50);
    expect(pool.unfunded).toBe(50);
    refused(pool, "UNFUNDED_QUOTA", () => pool.add(kvPut(flood[299]!, 0)));
    // Every funded account gets in, up to the pool's own limits.
    for (const k of keys) for (let n = 0; n < 10; n++) pool.add(transfer(k, n));
    expect(pool.size).toBe(90);
    expect(pool.unfunded).toBe(50);
  });

  it("caps each unfunded sender, and frees its places as its txs leave", () => {
    const { pool, holder } = setup({ maxTxsPerUnfundedSender: 2 });
    const [k] = fresh(1, "one") as [Signer];
    const t0 = pool.add(kvPut(k, 0));
    pool.add(kvPut(k, 1));
    const err = refused(pool, "UNFUNDED_QUOTA", () => pool.add(kvPut(k, 2)));
    expect(err.details).toMatchObject({ reason: "SENDER_LIMIT", sender: k.id, limit: 2 });
    expect(pool.unfunded).toBe(2);
    // The block with its nonce 0 leaves it with nonce 1 and still no balance.
    holder.state = ChainState.fromEntries([[accountKey(k.id), encodeAccount({ balance: 0n, nonce: 1 })]]);
    pool.removeIncluded([t0]);
    expect(pool.unfunded).toBe(1);
    pool.add(kvPut(k, 2));
    expect(pool.unfunded).toBe(2);
    pool.clear();
    expect(pool.unfunded).toBe(0);
  });

  it("a sender funded since its first tx leaves the quota", () => {
    const { pool, holder } = setup({ maxUnfundedTxs: 1 });
    const [a, b] = fresh(2, "later") as [Signer, Signer];
    pool.add(kvPut(a, 0));
    refused(pool, "UNFUNDED_QUOTA", () => pool.add(kvPut(b, 0)));
    holder.state = ChainState.fromEntries([[accountKey(a.id), encodeAccount({ balance: 5n, nonce: 0 })]]);
    pool.add(kvPut(a, 1)); // funded now: moves out, and may hold up to maxTxsPerSender
    expect(pool.unfunded).toBe(0);
    for (let n = 2; n < 10; n++) pool.add(kvPut(a, n));
    pool.add(kvPut(b, 0));
    expect(pool.unfunded).toBe(1);
    expect(pool.size).toBe(11);
  });

  it("exempt senders (the node's validators) are never held to the quota", () => {
    const [validator, stranger] = fresh(2, "exempt") as [Signer, Signer];
    const pool = new Mempool(
      { chainId: CHAIN_ID, ...MEMPOOL_DEFAULTS, maxUnfundedTxs: 1, maxTxsPerUnfundedSender: 1 },
      { registry, state: () => fundedState(), exempt: (s) => s === validator.id },
    );
    pool.add(kvPut(stranger, 0));
    for (let n = 0; n < 5; n++) pool.add(kvPut(validator, n));
    expect(pool.unfunded).toBe(1);
    expect(pool.size).toBe(6);
  });

  it("rejects nonsensical unfunded limits", () => {
    expect(() => setup({ maxUnfundedTxs: 0 })).toThrow(RangeError);
    expect(() => setup({ maxTxsPerUnfundedSender: 1.5 })).toThrow(RangeError);
  });
});
