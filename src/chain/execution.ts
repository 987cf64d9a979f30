// Deterministic execution of a block's txs over a state view. Envelope-level faults (wrong chain,
// bad signature, unknown kind, undecodable payload, wrong nonce, duplicate) make the *block*
// invalid: an honest proposer never includes such a tx. Failures inside a kind's rules (say, an
// insufficient balance) fail only that tx: its effects roll back, its nonce is still consumed.
import { bytesEqual, toHex } from "./encoding.js";
import { BlockError, TriadError } from "./errors.js";
import { ExecutionFailure, failureReceipt, OK_RECEIPT, type Receipt } from "./receipt.js";
import { accountKey, encodeAccount, readAccount, StateOverlay, type StateView, type StateWrites } from "./state.js";
import type { TxRegistry } from "./tx-registry.js";
import { verifyTx, type SignedTx } from "./tx.js";
import type { BlockHeader } from "./block.js";

export interface BlockContext {
  readonly chainId: string;
  readonly height: number;
  readonly timestamp: number;
  readonly proposer: string;
}

export interface ExecutionResult {
  readonly receipts: readonly Receipt[];
  readonly writes: StateWrites;
}

export interface ExecutionOptions {
  /** Tx ids whose signatures were already verified (e.g. by the mempool): not verified again. */
  readonly verified?: { has(id: string): boolean };
}

/** Throws BlockError("BAD_TX") if a tx could never be in a valid block at this point. */
export function checkTxEnvelope(
  tx: SignedTx,
  index: number,
  ctx: BlockContext,
  state: StateView,
  registry: TxRegistry,
  options: ExecutionOptions,
): unknown {
  try {
    if (options.verified?.has(tx.id) !== true) verifyTx(tx, ctx.chainId);
    else if (tx.chainId !== ctx.chainId) verifyTx(tx, ctx.chainId);
    const payload = registry.decodePayload(tx);
    const expected = readAccount(state, tx.sender).nonce;
    if (tx.nonce !== expected) {
      throw new BlockError("BAD_TX", `tx ${tx.id} has nonce ${tx.nonce}, account expects ${expected}`, { index, reason: "BAD_NONCE", expected, actual: tx.nonce });
    }
    return payload;
  } catch (err) {
    if (err instanceof BlockError) throw err;
    const e = err as TriadError;
    throw new BlockError("BAD_TX", `tx ${index} (${tx.id}) is invalid: ${e.message}`, { index, tx: tx.id, reason: e.code ?? "INVALID" });
  }
}

/** Execute one tx into `overlay`: nonce bump, then the kind's rules in a nested overlay. */
export function executeTx(ctx: BlockContext, overlay: StateOverlay, tx: SignedTx, payload: unknown, registry: TxRegistry): Receipt {
  const account = readAccount(overlay, tx.sender);
  overlay.set(accountKey(tx.sender), encodeAccount({ ...account, nonce: account.nonce + 1 }));
  const nested = new StateOverlay(overlay);
  try {
    registry.get(tx.kind).apply({ ...ctx, state: nested }, tx, payload);
  } catch (err) {
    if (err instanceof ExecutionFailure) return failureReceipt(err);
    throw err;
  }
  overlay.merge(nested);
  return OK_RECEIPT;
}

export function executeTxs(
  ctx: BlockContext,
  txs: readonly SignedTx[],
  base: StateView,
  registry: TxRegistry,
  options: ExecutionOptions = {},
): ExecutionResult {
  const overlay = new StateOverlay(base);
  const receipts: Receipt[] = [];
  const seen = new Set<string>();
  txs.forEach((tx, index) => {
    if (seen.has(tx.id)) throw new BlockError("DUPLICATE_TX", `tx ${tx.id} appears twice in the block`, { index, tx: tx.id });
    seen.add(tx.id);
    const payload = checkTxEnvelope(tx, index, ctx, overlay, registry, options);
    receipts.push(executeTx(ctx, overlay, tx, payload, registry));
  });
  return { receipts, writes: overlay.writes };
}

export function contextOf(header: BlockHeader): BlockContext {
  return { chainId: header.chainId, height: header.height, timestamp: header.timestamp, proposer: header.proposer };
}

export function checkStateRoot(expected: Uint8Array, actual: Uint8Array): void {
  if (!bytesEqual(expected, actual)) {
    throw new BlockError("STATE_ROOT_MISMATCH", "stateRoot does not match the result of executing the block", {
      expected: toHex(expected),
      actual: toHex(actual),
    });
  }
}
