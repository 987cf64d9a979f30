// Foundation benchmarks: crypto, codec, block store and mempool. Prints one JSON object.
//   npm run bench
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import {
  builtinRegistry,
  ChainState,
  commitPayload,
  decodeBlock,
  decodeSignedTx,
  devKeyPair,
  encodeAccount,
  encodeSignedTx,
  accountKey,
  executeTxs,
  makeBlock,
  makeSeal,
  Mempool,
  nobleSign,
  nobleVerify,
  publicKeyHex,
  quorumSize,
  sha256,
  Signer,
  signingBytes,
  transferKind,
  txRoot,
  txSigningPayload,
  validatorSet,
  validatorsHash,
  verify,
  type SignedTx,
} from "../src/chain/index.js";
import { LevelBlockStore } from "../src/store/index.js";

const CHAIN = "triad-bench";

/** Run `fn` repeatedly for about `ms` and return operations per second. */
function opsPerSecond(fn: () => void, ms = 1000): number {
  let n = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    for (let i = 0; i < 16; i++) fn();
    n += 16;
    now = performance.now();
  }
  return Math.round((n * 1000) / (now - start));
}

/** Sign with OpenSSL: building thousands of txs with noble would dominate the bench. */
function fastTransfers(count: number, senders: number, startNonce = 0): SignedTx[] {
  const keys = Array.from({ length: senders }, (_, i) => devKeyPair(`bench-${i}`));
  const signers = keys.map((k) => new Signer(k.secretKey));
  const to = devKeyPair("bench-sink").publicKey;
  const txs: SignedTx[] = [];
  const nonces = keys.map(() => startNonce);
  for (let i = 0; i < count; i++) {
    const s = i % senders;
    const unsigned = { chainId: CHAIN, from: keys[s]!.publicKey, nonce: nonces[s]!++, kind: "transfer", payload: transferKind.encode({ to, amount: 1n }) };
    const signature = signers[s]!.signDomain("tx", CHAIN, txSigningPayload(unsigned));
    txs.push(decodeSignedTx(encodeSignedTx(unsigned, signature)));
  }
  return txs;
}

function fundedState(senders: number): ChainState {
  const writes = new Map<string, Uint8Array | null>();
  for (let i = 0; i < senders; i++) writes.set(accountKey(publicKeyHex(devKeyPair(`bench-${i}`))), encodeAccount({ balance: 1n << 40n, nonce: 0 }));
  return ChainState.fromEntries([...writes].map(([k, v]) => [k, v!] as const));
}

async function main(): Promise<void> {
  const key = devKeyPair("bench");
  const signer = new Signer(key.secretKey);
  const message = signingBytes("prepare", CHAIN, new Uint8Array(48).fill(7));
  const nobleSig = nobleSign(message, key.secretKey);

  const crypto = {
    nobleSignOpsPerSec: opsPerSecond(() => nobleSign(message, key.secretKey)),
    nobleVerifyOpsPerSec: opsPerSecond(() => nobleVerify(nobleSig, message, key.publicKey)),
    opensslSignOpsPerSec: opsPerSecond(() => signer.sign(message)),
    opensslVerifyOpsPerSec: opsPerSecond(() => verify(nobleSig, message, key.publicKey)),
  };
  const mib = new Uint8Array(1024 * 1024).fill(1);
  const sha256MBps = Math.round(opsPerSecond(() => sha256(mib), 1000));

  // A 1,000-tx block: encode and decode (decode includes the tx root check).
  const senders = 100;
  const state = fundedState(senders);
  const txs = fastTransfers(1000, senders);
  const validators = validatorSet([0, 1, 2, 3].map((i) => publicKeyHex(devKeyPair(`validator-${i}`))));
  const exec = executeTxs({ chainId: CHAIN, height: 1, timestamp: 1, proposer: validators.members[0]! }, txs, state, builtinRegistry());
  const header = {
    chainId: CHAIN, height: 1, view: 0, parentHash: new Uint8Array(32), timestamp: 1, proposer: validators.members[0]!,
    txRoot: txRoot(txs), stateRoot: state.rootWith(exec.writes), validatorsHash: validatorsHash(validators),
  };
  const block = makeBlock(header, txs);
  const encodeRuns = 50;
  let t = performance.now();
  for (let i = 0; i < encodeRuns; i++) makeBlock(header, txs);
  const encodeMs = (performance.now() - t) / encodeRuns;
  t = performance.now();
  for (let i = 0; i < encodeRuns; i++) decodeBlock(block.bytes);
  const decodeMs = (performance.now() - t) / encodeRuns;
  const executeRuns = 5;
  t = performance.now();
  for (let i = 0; i < executeRuns; i++) executeTxs({ chainId: CHAIN, height: 1, timestamp: 1, proposer: validators.members[0]! }, txs, state, builtinRegistry());
  const executeMs = (performance.now() - t) / executeRuns;

  // Block store: append 1,000-tx blocks to real LevelDB (each a synced batch).
  const dir = mkdtempSync(join(tmpdir(), "triad-bench-"));
  const store = new LevelBlockStore({ path: join(dir, "chain") });
  const signers = [0, 1, 2, 3].map((i) => new Signer(devKeyPair(`validator-${i}`).secretKey));
  await store.open({ genesisHash: sha256(new Uint8Array([1])), genesisTimestamp: 0, writes: new Map([...state.entries()]), validators });
  const blocks = 20;
  let appendMs = 0;
  for (let h = 1; h <= blocks; h++) {
    const head = store.head();
    const hTxs = fastTransfers(1000, senders, (h - 1) * 10);
    const e = executeTxs({ chainId: CHAIN, height: h, timestamp: h, proposer: validators.members[0]! }, hTxs, store.state(), builtinRegistry(), { verified: { has: () => true } });
    const b = makeBlock({ ...header, height: h, parentHash: head.hash, timestamp: h, txRoot: txRoot(hTxs), stateRoot: store.state().rootWith(e.writes) }, hTxs);
    const payload = commitPayload(h, 0, b.hash);
    const seal = makeSeal(h, 0, b.hash, signers.slice(0, quorumSize(4)).map((s) => ({ validator: s.id, signature: s.signDomain("commit", CHAIN, payload) })));
    const start = performance.now();
    await store.append({ block: b, seal, receipts: e.receipts, writes: e.writes, nextValidators: validators });
    appendMs += performance.now() - start;
  }
  await store.close();
  rmSync(dir, { recursive: true, force: true });

  // Mempool admission: decode + checks + signature verify per tx.
  const poolTxs = fastTransfers(5000, 500);
  const poolState = fundedState(500);
  const pool = new Mempool({ chainId: CHAIN, maxTxs: 10_000, maxBytes: 64 << 20, maxNonceGap: 64, maxTxsPerSender: 256 }, { registry: builtinRegistry(), state: () => poolState });
  t = performance.now();
  for (const tx of poolTxs) pool.add(tx.bytes);
  const admissionMs = performance.now() - t;

  console.log(
    JSON.stringify(
      {
        node: process.version,
        crypto,
        sha256MBps,
        block1000Txs: { bytes: block.bytes.length, encodeMs: round(encodeMs), decodeMs: round(decodeMs), executeMs: round(executeMs) },
        blockStoreAppend1000Txs: { blocks, blocksPerSec: round((blocks * 1000) / appendMs), txsPerSec: Math.round((blocks * 1000 * 1000) / appendMs), msPerBlock: round(appendMs / blocks) },
        mempoolAdmission: { txs: poolTxs.length, txsPerSec: Math.round((poolTxs.length * 1000) / admissionMs) },
      },
      null,
      2,
    ),
  );
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

await main();
