// Who validates, and who is primary: the one seam between PBFT and a selection scheme. The PBFT
// code only ever calls `primary`; it never asks which module it is talking to.
import type { Block, Genesis, StateView, StateWrites, TxRegistry, ValidatorId, ValidatorSet } from "../../chain/index.js";

export interface ValidatorSelection {
  readonly name: "poa" | "dbft";
  /** The set that validates block 1. */
  fromGenesis(genesis: Genesis): ValidatorSet;
  /** The module's own records in the genesis state (e.g. DBFT's registered candidates). */
  genesisWrites(genesis: Genesis): StateWrites;
  /** Add the module's governance tx kinds (PoA votes, DBFT register/vote) to the registry. */
  registerTxKinds(registry: TxRegistry): void;
  /** Pure fold over the chain: the set in force for the block after `block`, given the state after it. */
  afterBlock(set: ValidatorSet, block: Block, state: StateView): ValidatorSet;
  /** The primary (proposer) of (height, view). */
  primary(set: ValidatorSet, height: number, view: number): ValidatorId;
}
