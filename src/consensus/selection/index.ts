// The selection modules' public surface: pick one by the genesis name, and build the registry a
// chain with that module executes with.
import { builtinRegistry, genesisAccountWrites, type Genesis, type TxRegistry } from "../../chain/index.js";
import { dbftSelection } from "./dbft.js";
import { poaSelection } from "./poa.js";
import type { ValidatorSelection } from "./validator-selection.js";

export type { ValidatorSelection } from "./validator-selection.js";
export * from "./poa.js";
export * from "./dbft.js";
export * from "./proposer-standing.js";

export function selectionFor(name: "poa" | "dbft"): ValidatorSelection {
  switch (name) {
    case "poa":
      return poaSelection;
    case "dbft":
      return dbftSelection;
  }
}

/** The chain's own tx kinds plus the selection's governance kinds. */
export function chainRegistry(selection: ValidatorSelection): TxRegistry {
  const registry = builtinRegistry();
  selection.registerTxKinds(registry);
  return registry;
}

/** The whole state before block 1: funded accounts plus the selection's own records. */
export function genesisStateWrites(
  genesis: Genesis,
  selection: ValidatorSelection = selectionFor(genesis.selection.name),
): ReadonlyMap<string, Uint8Array> {
  const writes = new Map<string, Uint8Array>();
  // Genesis starts from nothing, so a deletion there writes nothing.
  for (const source of [genesisAccountWrites(genesis), selection.genesisWrites(genesis)]) {
    for (const [key, value] of source) if (value !== null) writes.set(key, value);
  }
  return writes;
}
