// Chain values → CometBFT-shaped JSON. The mapping (see README.md): block hash → block_id.hash,
// parentHash → last_block_id.hash, txRoot → data_hash, stateRoot → app_hash, proposer key →
// proposer_address, the seal → commit signatures, view → round. Triad has no part sets, so a
// block id's `parts` is one part named by the block hash itself.
import type { Block } from "../chain/block.js";
import type { TxLocation } from "../chain/block-store.js";
import { fromHex, toHex } from "../chain/encoding.js";
import type { Receipt } from "../chain/receipt.js";
import type { Seal } from "../chain/seal.js";
import type { SignedTx } from "../chain/tx.js";
import { validatorsHash, type ValidatorId, type ValidatorSet } from "../chain/validator-set.js";
import type { JsonObject } from "./node-api.js";
import type {
  BlockIdJson,
  BlockJson,
  CommitJson,
  CommitSigJson,
  HeaderJson,
  PubKeyJson,
  ResultTx,
  TxResultJson,
  TxTriadJson,
  ValidatorJson,
} from "./types.js";

/**
 * The CometBFT RPC version Triad speaks, reported as node_info.version: cosmjs's connectComet
 * picks its client from it (anything not "0.38." falls back to the 0.37 client). The newest 0.38
 * release, whose rpc/openapi/openapi.yaml and Go types (rpc/core/types, p2p/node_info.go,
 * consensus/types) the shapes were checked against; they did not change across 0.38.x.
 */
export const COMET_RPC_VERSION = "0.38.25";
/** CometBFT's block protocol version; clients only check it parses. */
export const BLOCK_PROTOCOL_VERSION = "11";
export const P2P_PROTOCOL_VERSION = "8";
/** Codespace of every non-zero code Triad returns (receipts and mempool refusals). */
export const CODESPACE = "triad";
/** CometBFT's zero time, which it prints for absent commit signatures. */
const ZERO_TIME = "0001-01-01T00:00:00Z";

export const upperHex = (bytes: Uint8Array): string => toHex(bytes).toUpperCase();
export const base64 = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
/** RFC 3339 with milliseconds, UTC: block timestamps are milliseconds. */
export const rfc3339 = (ms: number): string => new Date(ms).toISOString();

export function blockIdJson(hash: Uint8Array): BlockIdJson {
  const hex = upperHex(hash);
  return { hash: hex, parts: { total: 1, hash: hex } };
}

/** What CometBFT prints for "no block" (the last commit of block 1). */
export const EMPTY_BLOCK_ID: BlockIdJson = { hash: "", parts: { total: 0, hash: "" } };

export function pubKeyJson(id: ValidatorId): PubKeyJson {
  return { type: "tendermint/PubKeyEd25519", value: base64(fromHex(id)) };
}

/** In PBFT every validator's vote weighs the same. */
export function validatorJson(id: ValidatorId): ValidatorJson {
  return { address: id.toUpperCase(), pub_key: pubKeyJson(id), voting_power: "1", proposer_priority: "0" };
}

/**
 * `nextValidators` is the set in force at height + 1; its hash is CometBFT's
 * next_validators_hash. Hashes Triad's header does not have are empty strings.
 */
export function headerJson(block: Block, nextValidators: ValidatorSet): HeaderJson {
  const h = block.header;
  return {
    version: { block: BLOCK_PROTOCOL_VERSION, app: "0" },
    chain_id: h.chainId,
    height: String(h.height),
    time: rfc3339(h.timestamp),
    last_block_id: blockIdJson(h.parentHash),
    last_commit_hash: "",
    data_hash: upperHex(h.txRoot),
    validators_hash: upperHex(h.validatorsHash),
    next_validators_hash: upperHex(validatorsHash(nextValidators)),
    consensus_hash: "",
    app_hash: upperHex(h.stateRoot),
    last_results_hash: "",
    evidence_hash: "",
    proposer_address: h.proposer.toUpperCase(),
    triad: { view: h.view, proposer: h.proposer, parent_hash: toHex(h.parentHash) },
  };
}

/**
 * A seal as a CometBFT commit: one entry per member of `set` in set order (signers with flag 2,
 * the rest absent with flag 1), as CometBFT lists every validator. Triad's commit signatures
 * carry no time of their own, so each shows the block's timestamp.
 */
export function commitJson(seal: Seal, set: ValidatorSet, timestamp: number): CommitJson {
  const byValidator = new Map(seal.commits.map((c) => [c.validator, c.signature]));
  const time = rfc3339(timestamp);
  const signatures: CommitSigJson[] = set.members.map((id) => {
    const signature = byValidator.get(id);
    if (signature === undefined) return { block_id_flag: 1, validator_address: "", timestamp: ZERO_TIME, signature: null };
    byValidator.delete(id);
    return { block_id_flag: 2, validator_address: id.toUpperCase(), timestamp: time, signature: base64(signature) };
  });
  // A seal verified against the set has no other signers; should one appear, show it rather than hide it.
  for (const [id, signature] of byValidator) {
    signatures.push({ block_id_flag: 2, validator_address: id.toUpperCase(), timestamp: time, signature: base64(signature) });
  }
  return { height: String(seal.height), round: seal.view, block_id: blockIdJson(seal.blockHash), signatures };
}

/** The `last_commit` of block 1: there is no block 0 to have a seal. */
export const EMPTY_COMMIT: CommitJson = { height: "0", round: 0, block_id: EMPTY_BLOCK_ID, signatures: [] };

export function blockJson(block: Block, nextValidators: ValidatorSet, lastCommit: CommitJson): BlockJson {
  return {
    header: headerJson(block, nextValidators),
    data: { txs: block.txs.map((tx) => base64(tx.bytes)) },
    evidence: { evidence: [] },
    last_commit: lastCommit,
  };
}

export function txResultJson(receipt: Receipt): TxResultJson {
  return {
    code: receipt.code,
    data: null,
    log: receipt.log,
    info: "",
    gas_wanted: "0",
    gas_used: "0",
    events: [],
    codespace: receipt.code === 0 ? "" : CODESPACE,
  };
}

export function txTriadJson(tx: SignedTx, describe?: (tx: SignedTx) => JsonObject): TxTriadJson {
  const base = { id: tx.id, sender: tx.sender, nonce: tx.nonce, kind: tx.kind, chain_id: tx.chainId };
  if (describe === undefined) return base;
  try {
    return { ...base, payload: describe(tx) };
  } catch {
    // A payload view is a convenience: a kind that cannot describe itself must not fail the read.
    return base;
  }
}

export function resultTx(loc: TxLocation, describe?: (tx: SignedTx) => JsonObject): ResultTx {
  return {
    hash: upperHex(loc.tx.hash),
    height: String(loc.height),
    index: loc.index,
    tx_result: txResultJson(loc.receipt),
    tx: base64(loc.tx.bytes),
    triad: txTriadJson(loc.tx, describe),
  };
}
