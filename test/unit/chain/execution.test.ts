import { describe, expect, it } from "vitest";
import { builtinRegistry, kvDeleteKind, kvPutKind, transferKind } from "../../../src/chain/builtin-kinds.js";
import { toHex, utf8 } from "../../../src/chain/encoding.js";
import { BlockError, type BlockErrorCode } from "../../../src/chain/errors.js";
import {
  checkStateRoot,
  contextOf,
  executeTxs,
  type BlockContext,
  type ExecutionResult,
} from "../../../src/chain/execution.js";
import { devKeyPair, publicKeyHex, type KeyPair } from "../../../src/chain/keys.js";
import {
  decodeReceipt,
  encodeReceipt,
  ExecutionFailure,
  failureReceipt,
  MAX_LOG_BYTES,
  OK_RECEIPT,
  RECEIPT_CODES,
  receiptCodeName,
} from "../../../src/chain/receipt.js";
import { accountKey, ChainState, encodeAccount, kvKey, readAccount, StateOverlay, type StateView } from "../../../src/chain/state.js";
import { decodeSignedTx, encodeSignedTx, signTx, type SignedTx } from "../../../src/chain/tx.js";
import { TxRegistry, type TxKind } from "../../../src/chain/tx-registry.js";
import { Prng } from "../../fixtures/prng.js";

const CHAIN = "triad-test";
const U64_MAX = (1n << 64n) - 1n;
const alice = devKeyPair("exec-alice");
const bob = devKeyPair("exec-bob");
const carol = devKeyPair("exec-carol");
const ALICE = publicKeyHex(alice);
const BOB = publicKeyHex(bob);
const CAROL = publicKeyHex(carol);
const ctx: BlockContext = { chainId: CHAIN, height: 1, timestamp: 1_700_000_000_000, proposer: BOB };
const registry = builtinRegistry();

function genesisState(balances: Record<string, bigint> = { [ALICE]: 1000n, [BOB]: 50n }): ChainState {
  return ChainState.fromEntries(Object.entries(balances).map(([id, balance]) => [accountKey(id), encodeAccount({ balance, nonce: 0 })]));
}

function transfer(from: KeyPair, nonce: number, to: KeyPair, amount: bigint, chainId = CHAIN): SignedTx {
  return signTx({ chainId, from: from.publicKey, nonce, kind: "transfer", payload: transferKind.encode({ to: to.publicKey, amount }) }, from.secretKey);
}

function kvPut(from: KeyPair, nonce: number, key: string, value: string): SignedTx {
  return signTx({ chainId: CHAIN, from: from.publicKey, nonce, kind: "kv.put", payload: kvPutKind.encode({ key, value: utf8(value) }) }, from.secretKey);
}

function kvDelete(from: KeyPair, nonce: number, key: string): SignedTx {
  return signTx({ chainId: CHAIN, from: from.publicKey, nonce, kind: "kv.delete", payload: kvDeleteKind.encode({ key }) }, from.secretKey);
}

function expectBlockError(fn: () => unknown, code: BlockErrorCode): BlockError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(BlockError);
  expect((caught as BlockError).code).toBe(code);
  return caught as BlockError;
}

/** The state after applying a result, as a view. */
function after(base: StateView, result: ExecutionResult): StateOverlay {
  const o = new StateOverlay(base);
  for (const [k, v] of result.writes) {
    if (v === null) o.delete(k);
    else o.set(k, v);
  }
  return o;
}

/** A tx with a byte of its signature flipped, re-decoded so its hash/id match its bytes. */
function withBadSignature(tx: SignedTx): SignedTx {
  const sig = Uint8Array.from(tx.signature);
  sig[0]! ^= 1;
  return decodeSignedTx(encodeSignedTx(tx, sig));
}

describe("executeTxs: transfers", () => {
  it("moves the balance and bumps the sender's nonce", () => {
    const base = genesisState();
    const result = executeTxs(ctx, [transfer(alice, 0, bob, 300n)], base, registry);
    expect(result.receipts).toEqual([OK_RECEIPT]);
    const s = after(base, result);
    expect(readAccount(s, ALICE)).toEqual({ balance: 700n, nonce: 1 });
    expect(readAccount(s, BOB)).toEqual({ balance: 350n, nonce: 0 });
    // base untouched
    expect(readAccount(base, ALICE)).toEqual({ balance: 1000n, nonce: 0 });
  });

  it("creates the recipient's account and chains several txs from one sender", () => {
    const base = genesisState();
    const txs = [transfer(alice, 0, carol, 1n), transfer(alice, 1, carol, 2n), transfer(alice, 2, bob, 997n)];
    const result = executeTxs(ctx, txs, base, registry);
    expect(result.receipts.map((r) => r.code)).toEqual([0, 0, 0]);
    const s = after(base, result);
    expect(readAccount(s, ALICE)).toEqual({ balance: 0n, nonce: 3 });
    expect(readAccount(s, CAROL)).toEqual({ balance: 3n, nonce: 0 });
    expect(readAccount(s, BOB)).toEqual({ balance: 1047n, nonce: 0 });
  });

  it("a self-transfer keeps the balance and consumes the nonce", () => {
    const base = genesisState();
    const result = executeTxs(ctx, [transfer(alice, 0, alice, 1000n)], base, registry);
    expect(result.receipts).toEqual([OK_RECEIPT]);
    expect(readAccount(after(base, result), ALICE)).toEqual({ balance: 1000n, nonce: 1 });
  });

  it("insufficient balance: a failure receipt, effects rolled back, nonce consumed", () => {
    const base = genesisState();
    const result = executeTxs(ctx, [transfer(bob, 0, carol, 51n), transfer(bob, 1, carol, 50n)], base, registry);
    expect(result.receipts[0]!.code).toBe(RECEIPT_CODES.INSUFFICIENT_BALANCE);
    expect(receiptCodeName(result.receipts[0]!.code)).toBe("INSUFFICIENT_BALANCE");
    expect(result.receipts[0]!.log).toMatch(/balance 50 < amount 51/);
    expect(result.receipts[1]).toEqual(OK_RECEIPT);
    const s = after(base, result);
    expect(readAccount(s, BOB)).toEqual({ balance: 0n, nonce: 2 });
    expect(readAccount(s, CAROL)).toEqual({ balance: 50n, nonce: 0 });
  });

  it("a failed tx alone writes only the nonce bump", () => {
    const base = genesisState();
    const result = executeTxs(ctx, [transfer(bob, 0, carol, 1000n)], base, registry);
    expect([...result.writes.keys()]).toEqual([accountKey(BOB)]);
    expect(readAccount(after(base, result), BOB)).toEqual({ balance: 50n, nonce: 1 });
    expect(readAccount(after(base, result), CAROL)).toEqual({ balance: 0n, nonce: 0 });
  });

  it("a sender with no account has balance 0", () => {
    const result = executeTxs(ctx, [transfer(carol, 0, alice, 1n)], genesisState(), registry);
    expect(result.receipts[0]!.code).toBe(RECEIPT_CODES.INSUFFICIENT_BALANCE);
  });

  it("a credit that would overflow u64 fails the tx instead of crashing the block", () => {
    const base = genesisState({ [ALICE]: U64_MAX, [BOB]: U64_MAX });
    const result = executeTxs(ctx, [transfer(alice, 0, bob, 1n), transfer(alice, 1, carol, 5n)], base, registry);
    expect(result.receipts[0]!.code).toBe(RECEIPT_CODES.LIMIT_EXCEEDED);
    expect(result.receipts[1]).toEqual(OK_RECEIPT);
    const s = after(base, result);
    expect(readAccount(s, ALICE)).toEqual({ balance: U64_MAX - 5n, nonce: 2 });
    expect(readAccount(s, BOB)).toEqual({ balance: U64_MAX, nonce: 0 });
  });
});

describe("executeTxs: key-value store", () => {
  it("kv.put writes, kv.delete removes, and reads see earlier txs in the block", () => {
    const base = genesisState();
    const result = executeTxs(ctx, [kvPut(alice, 0, "color", "blue"), kvPut(alice, 1, "color", "red"), kvPut(bob, 0, "size", "xl")], base, registry);
    expect(result.receipts.map((r) => r.code)).toEqual([0, 0, 0]);
    const s = after(base, result);
    expect(s.get(kvKey("color"))).toEqual(utf8("red"));
    expect(s.get(kvKey("size"))).toEqual(utf8("xl"));

    const state = genesisState();
    state.apply(result.writes);
    const del = executeTxs({ ...ctx, height: 2 }, [kvDelete(alice, 2, "color")], state, registry);
    expect(del.receipts).toEqual([OK_RECEIPT]);
    expect(del.writes.get(kvKey("color"))).toBeNull();
    state.apply(del.writes);
    expect(state.get(kvKey("color"))).toBeUndefined();
    expect(state.get(kvKey("size"))).toEqual(utf8("xl"));
  });

  it("kv.delete of a missing key is a NOT_FOUND receipt that still consumes the nonce", () => {
    const base = genesisState();
    const result = executeTxs(ctx, [kvDelete(alice, 0, "nope"), kvPut(alice, 1, "k", "v"), kvDelete(alice, 2, "k"), kvDelete(alice, 3, "k")], base, registry);
    expect(result.receipts.map((r) => receiptCodeName(r.code))).toEqual(["NOT_FOUND", "OK", "OK", "NOT_FOUND"]);
    const s = after(base, result);
    expect(s.get(kvKey("k"))).toBeUndefined();
    expect(readAccount(s, ALICE).nonce).toBe(4);
  });
});

describe("executeTxs: envelope faults invalidate the block", () => {
  const base = genesisState();

  it("a wrong nonce is BAD_TX (too high, too low, replayed)", () => {
    let e = expectBlockError(() => executeTxs(ctx, [transfer(alice, 1, bob, 1n)], base, registry), "BAD_TX");
    expect(e.details).toMatchObject({ index: 0, reason: "BAD_NONCE", expected: 0, actual: 1 });
    e = expectBlockError(() => executeTxs(ctx, [transfer(alice, 0, bob, 1n), transfer(alice, 0, bob, 2n)], base, registry), "BAD_TX");
    expect(e.details).toMatchObject({ index: 1, reason: "BAD_NONCE", expected: 1, actual: 0 });
    const state = genesisState();
    state.apply(executeTxs(ctx, [transfer(alice, 0, bob, 1n)], state, registry).writes);
    expectBlockError(() => executeTxs(ctx, [transfer(alice, 0, bob, 1n)], state, registry), "BAD_TX");
  });

  it("a bad signature is BAD_TX", () => {
    const e = expectBlockError(() => executeTxs(ctx, [transfer(alice, 0, bob, 1n), withBadSignature(transfer(bob, 0, alice, 1n))], base, registry), "BAD_TX");
    expect(e.details).toMatchObject({ index: 1, reason: "BAD_SIGNATURE" });
  });

  it("a tx for another chain is BAD_TX", () => {
    const e = expectBlockError(() => executeTxs(ctx, [transfer(alice, 0, bob, 1n, "triad-other")], base, registry), "BAD_TX");
    expect(e.details).toMatchObject({ index: 0, reason: "WRONG_CHAIN" });
  });

  it("an unknown kind or undecodable payload is BAD_TX", () => {
    const mint = signTx({ chainId: CHAIN, from: alice.publicKey, nonce: 0, kind: "mint", payload: new Uint8Array(0) }, alice.secretKey);
    expect(expectBlockError(() => executeTxs(ctx, [mint], base, registry), "BAD_TX").details).toMatchObject({ reason: "UNKNOWN_KIND" });
    const zero = transfer(alice, 0, bob, 0n);
    expect(expectBlockError(() => executeTxs(ctx, [zero], base, registry), "BAD_TX").details).toMatchObject({ reason: "BAD_PAYLOAD" });
  });

  it("the same tx twice is DUPLICATE_TX", () => {
    const tx = transfer(alice, 0, bob, 1n);
    const e = expectBlockError(() => executeTxs(ctx, [tx, tx], base, registry), "DUPLICATE_TX");
    expect(e.details).toMatchObject({ index: 1, tx: tx.id });
  });
});

describe("executeTxs: determinism and the verified set", () => {
  it("the same txs over the same state give the same receipts, writes and root", () => {
    const prng = new Prng(2024);
    const keys = [alice, bob, carol];
    const nonces = [0, 0, 0];
    const txs: SignedTx[] = [];
    for (let i = 0; i < 60; i++) {
      const who = prng.int(3);
      const from = keys[who]!;
      const roll = prng.int(3);
      const nonce = nonces[who]!++;
      if (roll === 0) txs.push(transfer(from, nonce, keys[prng.int(3)]!, BigInt(1 + prng.int(400))));
      else if (roll === 1) txs.push(kvPut(from, nonce, `k${prng.int(5)}`, `v${prng.int(100)}`));
      else txs.push(kvDelete(from, nonce, `k${prng.int(5)}`));
    }
    const run = () => {
      const state = genesisState();
      const result = executeTxs(ctx, txs, state, registry);
      return { result, root: toHex(state.rootWith(result.writes)), state };
    };
    const a = run();
    const b = run();
    expect(b.result.receipts).toEqual(a.result.receipts);
    expect([...b.result.writes]).toEqual([...a.result.writes]);
    expect(b.root).toBe(a.root);
    // Decoded copies of the txs give the same result.
    const decoded = txs.map((t) => decodeSignedTx(t.bytes));
    const c = executeTxs(ctx, decoded, genesisState(), registry);
    expect(toHex(genesisState().rootWith(c.writes))).toBe(a.root);
    // and the root really is the root after applying
    a.state.apply(a.result.writes);
    expect(toHex(a.state.root())).toBe(a.root);
    expect(a.result.receipts.some((r) => r.code !== 0)).toBe(true);
    expect(a.result.receipts.some((r) => r.code === 0)).toBe(true);
  });

  it("an empty block writes nothing and keeps the root", () => {
    const state = genesisState();
    const result = executeTxs(ctx, [], state, registry);
    expect(result.receipts).toEqual([]);
    expect(result.writes.size).toBe(0);
    expect(state.rootWith(result.writes)).toEqual(state.root());
  });

  it("{ verified } skips the signature check only for the listed ids", () => {
    const base = genesisState();
    const forged = withBadSignature(transfer(alice, 0, bob, 10n));
    const other = withBadSignature(transfer(bob, 0, alice, 10n));
    // Listed: the (pretend pre-verified) tx executes.
    const result = executeTxs(ctx, [forged], base, registry, { verified: new Set([forged.id]) });
    expect(result.receipts).toEqual([OK_RECEIPT]);
    // Not listed: its signature is checked.
    const e = expectBlockError(() => executeTxs(ctx, [forged, other], base, registry, { verified: new Set([forged.id]) }), "BAD_TX");
    expect(e.details).toMatchObject({ index: 1, reason: "BAD_SIGNATURE" });
    // A listed tx is still checked for chain, nonce and payload.
    const wrongChain = transfer(alice, 0, bob, 1n, "triad-other");
    expect(expectBlockError(() => executeTxs(ctx, [wrongChain], base, registry, { verified: new Set([wrongChain.id]) }), "BAD_TX").details).toMatchObject({
      reason: "WRONG_CHAIN",
    });
    const badNonce = transfer(alice, 5, bob, 1n);
    expect(expectBlockError(() => executeTxs(ctx, [badNonce], base, registry, { verified: new Set([badNonce.id]) }), "BAD_TX").details).toMatchObject({
      reason: "BAD_NONCE",
    });
    // An empty set verifies everything.
    expectBlockError(() => executeTxs(ctx, [forged], base, registry, { verified: new Set() }), "BAD_TX");
  });
});

describe("execution helpers and receipts", () => {
  it("contextOf takes the header's facts; checkStateRoot compares roots", () => {
    const header = {
      chainId: CHAIN,
      height: 9,
      view: 2,
      parentHash: new Uint8Array(32),
      timestamp: 123,
      proposer: ALICE,
      txRoot: new Uint8Array(32),
      stateRoot: new Uint8Array(32),
      validatorsHash: new Uint8Array(32),
      lastCommitHash: new Uint8Array(32),
    };
    expect(contextOf(header)).toEqual({ chainId: CHAIN, height: 9, timestamp: 123, proposer: ALICE });
    expect(() => checkStateRoot(new Uint8Array(32), new Uint8Array(32))).not.toThrow();
    expectBlockError(() => checkStateRoot(new Uint8Array(32), new Uint8Array(32).fill(1)), "STATE_ROOT_MISMATCH");
  });

  it("a kind's apply sees the block context; a non-ExecutionFailure error propagates", () => {
    const seen: unknown[] = [];
    const probe: TxKind<null> = {
      kind: "probe",
      maxPayloadBytes: 1,
      encode: () => new Uint8Array(0),
      decode: () => null,
      toJSON: () => ({}),
      apply(c, tx) {
        seen.push({ chainId: c.chainId, height: c.height, timestamp: c.timestamp, proposer: c.proposer, sender: tx.sender });
        if (c.height === 99) throw new Error("bug in kind");
      },
    };
    const reg = new TxRegistry().register(probe);
    const tx = signTx({ chainId: CHAIN, from: alice.publicKey, nonce: 0, kind: "probe", payload: new Uint8Array(0) }, alice.secretKey);
    expect(executeTxs(ctx, [tx], genesisState(), reg).receipts).toEqual([OK_RECEIPT]);
    expect(seen).toEqual([{ chainId: CHAIN, height: 1, timestamp: ctx.timestamp, proposer: BOB, sender: ALICE }]);
    expect(() => executeTxs({ ...ctx, height: 99 }, [tx], genesisState(), reg)).toThrow("bug in kind");
  });

  it("receipts round trip and failure logs always fit MAX_LOG_BYTES without splitting characters", () => {
    expect(decodeReceipt(encodeReceipt(OK_RECEIPT))).toEqual(OK_RECEIPT);
    const r = failureReceipt(new ExecutionFailure("NOT_FOUND", "kv key \"x\" not found"));
    expect(r).toEqual({ code: RECEIPT_CODES.NOT_FOUND, log: "kv key \"x\" not found" });
    expect(decodeReceipt(encodeReceipt(r))).toEqual(r);
    for (const message of ["a".repeat(2000), "日".repeat(300), "😀".repeat(200), `x${"😀".repeat(200)}`]) {
      const long = failureReceipt(new ExecutionFailure("INVALID", message));
      expect(Buffer.byteLength(long.log, "utf8")).toBeLessThanOrEqual(MAX_LOG_BYTES);
      expect(message.startsWith(long.log)).toBe(true);
      expect(long.log.length).toBeGreaterThan(0);
      // no lone surrogate at the cut
      expect(Buffer.from(long.log, "utf8").toString("utf8")).toBe(long.log);
      expect(decodeReceipt(encodeReceipt(long))).toEqual(long);
    }
    expect(receiptCodeName(77)).toBe("UNKNOWN");
  });
});
