// Mempool cost per proposal and per append with a full pool: 10k txs from 5,000 senders, a block
// of 500 of them. reap runs on every proposal and removeIncluded on every append, so neither may
// cost O(pool). Prints one JSON object.
//   node --import tsx bench/mempool.ts
import { performance } from "node:perf_hooks";
import {
  accountKey,
  builtinRegistry,
  ChainState,
  decodeSignedTx,
  devKeyPair,
  encodeAccount,
  encodeSignedTx,
  Mempool,
  MEMPOOL_DEFAULTS,
  readAccount,
  sha256,
  Signer,
  transferKind,
  txSigningPayload,
  utf8,
  type SignedTx,
  type StateView,
  type UnsignedTx,
} from "../src/chain/index.js";

const CHAIN = "triad-bench-mempool";
const SENDERS = 5_000;
const PER_SENDER = 2;
const BLOCK = 500;
const ROUNDS = 20;

const senders = Array.from({ length: SENDERS }, (_, i) => new Signer(sha256(utf8(`bench-mempool-${i}`))));
const payload = transferKind.encode({ to: devKeyPair("sink").publicKey, amount: 1n });
const txs: SignedTx[] = [];
for (let n = 0; n < PER_SENDER; n++) {
  for (const k of senders) {
    const unsigned: UnsignedTx = { chainId: CHAIN, from: k.publicKey, nonce: n, kind: "transfer", payload };
    txs.push(decodeSignedTx(encodeSignedTx(unsigned, k.signDomain("tx", CHAIN, txSigningPayload(unsigned)))));
  }
}

let state = ChainState.fromEntries(senders.map((k) => [accountKey(k.id), encodeAccount({ balance: 1_000_000n, nonce: 0 })] as const));
let reads = 0;
const view: StateView = {
  get(key) {
    reads++;
    return state.get(key);
  },
};
// Signatures are not what this measures: a pass-through verifier.
const pool = new Mempool({ chainId: CHAIN, ...MEMPOOL_DEFAULTS, maxTxs: 20_000 }, { registry: builtinRegistry(), state: () => view, verify: () => true });
for (const tx of txs) pool.add(tx);

const reapMs: number[] = [];
const removeMs: number[] = [];
const removeReads: number[] = [];
for (let round = 0; round < ROUNDS && pool.size > 0; round++) {
  let t = performance.now();
  const block = pool.reap(BLOCK, 1 << 30);
  reapMs.push(performance.now() - t);
  // Apply the block: each sender's nonce moves past its included tx.
  const next = new Map<string, number>();
  for (const tx of block) next.set(tx.sender, tx.nonce + 1);
  const entries = senders.map((k) => [accountKey(k.id), encodeAccount({ balance: 1_000_000n, nonce: next.get(k.id) ?? readAccount(state, k.id).nonce })] as const);
  state = ChainState.fromEntries(entries);
  reads = 0;
  t = performance.now();
  pool.removeIncluded(block);
  removeMs.push(performance.now() - t);
  removeReads.push(reads);
}

const median = (xs: number[]): number => Number([...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!.toFixed(3));
console.log(
  JSON.stringify(
    {
      bench: "mempool",
      pooled: txs.length,
      senders: SENDERS,
      blockTxs: BLOCK,
      rounds: reapMs.length,
      reapMsMedian: median(reapMs),
      removeIncludedMsMedian: median(removeMs),
      removeIncludedAccountReadsMedian: median(removeReads),
      left: pool.size,
    },
    null,
    2,
  ),
);
