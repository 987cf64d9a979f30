// Arbitraries of VALID chain and consensus values, and pools of really-signed ones. Mutating
// these is what lets the fuzzer past the first length check into the deep fields; the signed
// pools let the validator properties ask "does any damaged copy still verify?".
import fc from "fast-check";
import { kvDeleteKind, kvPutKind, transferKind } from "../../../src/chain/builtin-kinds.js";
import { makeBlock, txRoot as txRootOf, type Block } from "../../../src/chain/block.js";
import { toHex } from "../../../src/chain/encoding.js";
import { devKeyPair, nobleSignDomain, publicKeyHex, type KeyPair } from "../../../src/chain/keys.js";
import { commitPayload, makeSeal, type Seal } from "../../../src/chain/seal.js";
import { encodeSignedTx, decodeSignedTx, signTx, type SignedTx } from "../../../src/chain/tx.js";
import { validatorSet, type ValidatorSet } from "../../../src/chain/validator-set.js";
import {
  encodeMessage,
  newViewPayload,
  signedPayload,
  viewChangePayload,
  type ConsensusMessage,
  type PreparedCertificate,
  type ViewChange,
} from "../../../src/consensus/messages.js";

export const CHAIN = "fuzz-chain";
export const validatorKeys: KeyPair[] = [0, 1, 2, 3].map((i) => devKeyPair(`fuzz-validator-${i}`));
export const validatorIds = validatorKeys.map(publicKeyHex);
export const set: ValidatorSet = validatorSet(validatorIds);
const account = devKeyPair("fuzz-account");

const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
const sig64 = fc.uint8Array({ minLength: 64, maxLength: 64 });
const smallString = (min: number, max: number) => fc.string({ unit: "binary", minLength: min, maxLength: max }).filter((s) => Buffer.byteLength(s) >= min && Buffer.byteLength(s) <= max * 4);
const uint = fc.oneof(fc.integer({ min: 0, max: 300 }), fc.nat(), fc.constant(Number.MAX_SAFE_INTEGER));

/** A structurally valid signed tx (random signature: decoding does not verify). */
export const txBytes: fc.Arbitrary<Uint8Array> = fc
  .record({ chainId: smallString(0, 16), from: bytes32, nonce: uint, kind: smallString(1, 8), payload: fc.uint8Array({ maxLength: 160 }), signature: sig64 })
  .map(({ signature, ...tx }) => encodeSignedTx(tx, signature));

export const tx: fc.Arbitrary<SignedTx> = txBytes.map(decodeSignedTx);

const hexId = bytes32.map(toHex);

/** A seal with 0..5 distinct validators (random signatures). */
export const seal: fc.Arbitrary<Seal> = fc
  .record({
    height: uint,
    view: uint,
    blockHash: bytes32,
    commits: fc.uniqueArray(fc.record({ validator: hexId, signature: sig64 }), { maxLength: 5, selector: (c) => c.validator }),
  })
  .map((s) => makeSeal(s.height, s.view, s.blockHash, s.commits));

export const block: fc.Arbitrary<Block> = fc
  .record({
    chainId: smallString(0, 16),
    height: uint,
    view: uint,
    parentHash: bytes32,
    timestamp: uint,
    proposer: hexId,
    stateRoot: bytes32,
    validatorsHash: bytes32,
    txs: fc.array(tx, { maxLength: 3 }),
    lastCommit: fc.option(seal, { nil: null }),
  })
  .map(({ txs, lastCommit, ...h }) => {
    // txRoot is derived so the block is valid; makeBlock derives lastCommitHash.
    return makeBlock({ ...h, txRoot: txRootOf(txs) }, txs, lastCommit);
  });

// ---- really signed values -------------------------------------------------------------------------

export function signedTxPool(): SignedTx[] {
  const out: SignedTx[] = [];
  for (let nonce = 0; nonce < 8; nonce++) {
    out.push(signTx({ chainId: CHAIN, from: account.publicKey, nonce, kind: "transfer", payload: transferKind.encode({ to: validatorKeys[nonce % 4]!.publicKey, amount: BigInt(nonce + 1) }) }, account.secretKey));
    out.push(signTx({ chainId: CHAIN, from: account.publicKey, nonce, kind: "kv.put", payload: kvPutKind.encode({ key: `k${nonce}`, value: Uint8Array.of(nonce, 1, 2) }) }, account.secretKey));
    out.push(signTx({ chainId: CHAIN, from: account.publicKey, nonce, kind: "kv.delete", payload: kvDeleteKind.encode({ key: `key-${nonce}` }) }, account.secretKey));
  }
  return out;
}

export function signedBlock(height: number, txs: readonly SignedTx[], lastCommit: Seal | null): Block {
  const h = { chainId: CHAIN, height, view: 0, parentHash: new Uint8Array(32).fill(height), timestamp: 1_700_000_000_000 + height, proposer: validatorIds[height % 4]!, stateRoot: new Uint8Array(32).fill(7), validatorsHash: new Uint8Array(32).fill(9) };
  return makeBlock({ ...h, txRoot: txRootOf(txs) }, txs, lastCommit);
}

/** A real seal: `signers` of the four validators commit to (height, view, blockHash). */
export function realSeal(height: number, view: number, blockHash: Uint8Array, signers: readonly number[]): Seal {
  const payload = commitPayload(height, view, blockHash);
  return makeSeal(height, view, blockHash, signers.map((i) => ({ validator: validatorIds[i]!, signature: nobleSignDomain("commit", CHAIN, payload, validatorKeys[i]!.secretKey) })));
}

type Unsigned<M> = M extends ConsensusMessage ? Omit<M, "signature"> : never;

function sign(m: Unsigned<ConsensusMessage>, key: KeyPair): ConsensusMessage {
  const unsigned = { ...m, signature: new Uint8Array(64) } as ConsensusMessage;
  return { ...unsigned, signature: nobleSignDomain(m.type, CHAIN, signedPayload(unsigned), key.secretKey) };
}

/** Every kind of consensus message, really signed by the validators, as encoded on the wire. */
export function signedMessagePool(): { message: ConsensusMessage; bytes: Uint8Array }[] {
  const pool = signedTxPool();
  const b1 = signedBlock(1, pool.slice(0, 3), null);
  const s1 = realSeal(1, 0, b1.hash, [0, 1, 2]);
  const b2 = signedBlock(2, pool.slice(3, 5), s1);
  const msgs: ConsensusMessage[] = [];
  const vk = (i: number) => validatorKeys[i]!;
  msgs.push(sign({ type: "pre-prepare", chainId: CHAIN, height: 2, view: 0, block: b2, from: validatorIds[2]! }, vk(2)));
  msgs.push(sign({ type: "pre-prepare", chainId: CHAIN, height: 1, view: 0, block: b1, from: validatorIds[1]! }, vk(1)));
  for (let i = 0; i < 4; i++) {
    msgs.push(sign({ type: "prepare", chainId: CHAIN, height: 2, view: i, blockHash: b2.hash, from: validatorIds[i]! }, vk(i)));
    msgs.push(sign({ type: "commit", chainId: CHAIN, height: 2, view: 0, blockHash: b2.hash, from: validatorIds[i]! }, vk(i)));
  }
  const prepares = [0, 1, 3].map((i) => {
    const p = sign({ type: "prepare", chainId: CHAIN, height: 2, view: 0, blockHash: b2.hash, from: validatorIds[i]! }, vk(i));
    return { from: p.from, signature: p.signature };
  });
  const cert: PreparedCertificate = { view: 0, blockHash: b2.hash, prepares };
  const vcs: ViewChange[] = [0, 1, 2].map((i) => {
    const prepared = i === 0 ? cert : null;
    const unsigned = { type: "view-change" as const, chainId: CHAIN, height: 2, newView: 1, prepared, preparedBlock: null, from: validatorIds[i]! };
    return { ...unsigned, signature: nobleSignDomain("view-change", CHAIN, viewChangePayload(2, 1, prepared), vk(i).secretKey) };
  });
  msgs.push(...vcs);
  msgs.push({ ...vcs[0]!, preparedBlock: b2 });
  const nvUnsigned = { type: "new-view" as const, chainId: CHAIN, height: 2, view: 1, viewChanges: vcs, chosenBlockHash: b2.hash, from: validatorIds[1]! };
  msgs.push({ ...nvUnsigned, signature: nobleSignDomain("new-view", CHAIN, newViewPayload(2, 1, vcs, b2.hash), vk(1).secretKey) });
  const nvEmpty = { type: "new-view" as const, chainId: CHAIN, height: 2, view: 1, viewChanges: vcs.slice(1), chosenBlockHash: null, from: validatorIds[1]! };
  msgs.push({ ...nvEmpty, signature: nobleSignDomain("new-view", CHAIN, newViewPayload(2, 1, vcs.slice(1), null), vk(1).secretKey) });
  return msgs.map((message) => ({ message, bytes: encodeMessage(message) }));
}
