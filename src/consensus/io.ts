// The core's whole interface with the world: `step(input) → actions`. The driver (node or
// simulator) feeds inputs from one FIFO queue and runs the actions in order; a `persist-vote`
// must be durable before any later action of the same step runs.
import type { Block, Seal, ValidatorId, ValidatorSet, VotePhase } from "../chain/index.js";
import type { ConsensusMessage } from "./messages.js";
import type { PreparedRecord } from "./vote-record.js";

export type Input =
  /** One tick of the consensus clock (tickMs of wall time in production, virtual in the sim). */
  | { readonly type: "tick" }
  /** A message from the network; its signature is not yet checked. */
  | { readonly type: "message"; readonly message: ConsensusMessage }
  /**
   * The mempool went from empty to holding txs: a primary waiting for txs proposes now rather
   * than at its next tick (idle submit-to-commit latency is then network + disk, not tickMs).
   */
  | { readonly type: "txs-waiting" }
  /** Answer to `build-block`: the proposal, or null when there is nothing to propose yet. */
  | { readonly type: "block-built"; readonly height: number; readonly view: number; readonly block: Block | null }
  /** Answer to `validate-block`: did executing the block reproduce its header (state root …)? */
  | {
      readonly type: "block-validated";
      readonly height: number;
      readonly view: number;
      readonly blockHash: Uint8Array;
      readonly valid: boolean;
      readonly reason?: string;
    }
  /**
   * A block was appended to the store (by this replica's `append-block`, or by sync). Carries the
   * set in force for the next height, so the core never evaluates the selection's fold itself.
   */
  | {
      readonly type: "block-appended";
      readonly height: number;
      readonly blockHash: Uint8Array;
      readonly timestamp: number;
      readonly nextValidators: ValidatorSet;
    };

/**
 * Why a view-changed action happened: this replica's timer expired with no usable proposal
 * ("timeout"), or after it refused the primary's proposal as invalid ("bad-proposal"); f+1
 * members asked for a higher view ("join"); or a new-view brought it into the view ("entered").
 */
export type ViewChangeReason = "timeout" | "bad-proposal" | "join" | "entered";

export type FaultKind =
  | "bad-signature"
  | "not-a-member"
  | "wrong-chain"
  | "wrong-primary"
  | "equivocation"
  | "invalid-block"
  | "lying-new-view"
  | "invalid-certificate"
  | "view-too-far"
  | "malformed";

export type Action =
  /**
   * Durably record one of our own signed messages before anything after it runs. A commit comes
   * with the prepared certificate that made us send it (and the block): both go into the same
   * record, one synced write (vote-record.ts), so a restart never leaves a commit without it.
   */
  | {
      readonly type: "persist-vote";
      readonly height: number;
      readonly view: number;
      readonly phase: VotePhase;
      readonly message: ConsensusMessage;
      readonly prepared?: PreparedRecord;
    }
  | { readonly type: "broadcast"; readonly message: ConsensusMessage }
  | { readonly type: "send"; readonly to: ValidatorId; readonly message: ConsensusMessage }
  /** Build a proposal on the head for (height, view); `allowEmpty` false means "only if txs wait". */
  | { readonly type: "build-block"; readonly height: number; readonly view: number; readonly allowEmpty: boolean }
  /** Execute the block against the head state and check header, txs and state root. */
  | { readonly type: "validate-block"; readonly height: number; readonly view: number; readonly block: Block }
  /** The block is decided: append it with its seal (the driver answers with block-appended). */
  | { readonly type: "append-block"; readonly block: Block; readonly seal: Seal }
  /** We are behind: fetch sealed blocks from `fromHeight` (up to `toHeight` if known) from `peers`. */
  | { readonly type: "request-sync"; readonly fromHeight: number; readonly toHeight: number | null; readonly peers: readonly ValidatorId[] }
  | { readonly type: "report-fault"; readonly peer: ValidatorId; readonly fault: FaultKind; readonly detail: string }
  /** A view change started or completed: for logs, metrics and the simulator's counters. */
  | { readonly type: "view-changed"; readonly height: number; readonly view: number; readonly reason: ViewChangeReason };
