// A simulated network's genesis, built in memory from public dev keys (validator-i, account-i):
// the same options always give the same chain. Consensus parameters are sized for virtual time:
// a 10 ms tick, and a view-change timeout that still covers a few round trips of the slowest
// message the fault spec allows, so a timeout means a fault, not a slow link.
import {
  devKeyPair,
  genesisHash,
  genesisTimestamp,
  parseGenesis,
  Signer,
  toHex,
  type ConsensusParams,
  type Genesis,
  type GenesisInit,
  type KeyPair,
  type TxRegistry,
} from "../chain/index.js";
import { chainRegistry, genesisStateWrites, selectionFor, type ValidatorSelection } from "../consensus/selection/index.js";

export const SIM_CHAIN_ID = "triad-sim";
export const SIM_GENESIS_TIME = "2025-01-01T00:00:00Z";
export const SIM_TICK_MS = 10;
/** DBFT re-elects every this many blocks, so short runs cross several epochs. */
export const SIM_EPOCH_LENGTH = 3;
export const SIM_ACCOUNT_BALANCE = 1_000_000_000n;

export interface SimGenesisOptions {
  readonly validators: number;
  readonly selection: "poa" | "dbft";
  /** Funded client accounts (account-0 …). */
  readonly accounts: number;
  /** The slowest one-way message delay the run allows. */
  readonly maxDelayMs: number;
  readonly params?: Partial<ConsensusParams>;
  /**
   * Funded accounts that only the governance client uses (DBFT votes), outside the genesis
   * validators and the client accounts. 0 (the default) leaves the genesis as it always was.
   */
  readonly governanceVoters?: number;
}

export interface SimGenesis {
  readonly genesis: Genesis;
  readonly init: GenesisInit;
  readonly selection: ValidatorSelection;
  readonly registry: TxRegistry;
  readonly chainId: string;
  /** validator-i's key pair, by index. */
  readonly validatorKeys: readonly KeyPair[];
  readonly accountKeys: readonly KeyPair[];
  /** Funded accounts of the governance client (voter-i). */
  readonly voterKeys: readonly KeyPair[];
}

/** A governance voter's balance: far above every client account together, so its vote decides. */
export const SIM_VOTER_BALANCE = 1_000_000_000_000_000n;

/** Key pairs beyond the genesis validators, for validators a run adds (validator-n …). */
export function extraValidatorKeys(validators: number, count: number): KeyPair[] {
  return Array.from({ length: count }, (_, i) => simKey(`validator-${validators + i}`));
}

/** Key pairs of the observer slots (observer-i): they follow the chain and never validate. */
export function observerKeys(count: number): KeyPair[] {
  return Array.from({ length: count }, (_, i) => simKey(`observer-${i}`));
}

/** Consensus parameters for a simulation whose messages take at most `maxDelayMs`. */
export function simConsensusParams(maxDelayMs: number, overrides: Partial<ConsensusParams> = {}): ConsensusParams {
  const tickMs = overrides.tickMs ?? SIM_TICK_MS;
  // Three phases of one-way delays plus proposal and tick slack: 8 ticks at the default delays.
  const viewChangeTimeoutTicks = overrides.viewChangeTimeoutTicks ?? Math.max(8, Math.ceil((5 * maxDelayMs + 3 * tickMs) / tickMs));
  return {
    tickMs,
    viewChangeTimeoutTicks,
    maxViewChangeTimeoutTicks: overrides.maxViewChangeTimeoutTicks ?? viewChangeTimeoutTicks * 8,
    emptyBlockIntervalTicks: overrides.emptyBlockIntervalTicks ?? 1,
    maxBlockTxs: overrides.maxBlockTxs ?? 200,
    maxBlockBytes: overrides.maxBlockBytes ?? 256 * 1024,
  };
}

const keyCache = new Map<string, KeyPair>();
const signerCache = new Map<string, Signer>();
/** devKeyPair derives a key with noble (~1 ms); sweeps make thousands of clusters of the same keys. */
export function simKey(label: string): KeyPair {
  let pair = keyCache.get(label);
  if (pair === undefined) {
    pair = devKeyPair(label);
    keyCache.set(label, pair);
  }
  return pair;
}

/** The OpenSSL signer of a dev key (stateless, so shared by every run in the process). */
export function simSigner(pair: KeyPair): Signer {
  const id = toHex(pair.publicKey);
  let signer = signerCache.get(id);
  if (signer === undefined) {
    signer = new Signer(pair.secretKey);
    signerCache.set(id, signer);
  }
  return signer;
}

export function simGenesis(options: SimGenesisOptions): SimGenesis {
  const validatorKeys = Array.from({ length: options.validators }, (_, i) => simKey(`validator-${i}`));
  const accountKeys = Array.from({ length: options.accounts }, (_, i) => simKey(`account-${i}`));
  const voterKeys = Array.from({ length: options.governanceVoters ?? 0 }, (_, i) => simKey(`voter-${i}`));
  const validators = validatorKeys.map((k, i) => ({ id: toHex(k.publicKey), name: `validator-${i}` }));
  const dbft = options.selection === "dbft";
  const genesis = parseGenesis({
    chainId: SIM_CHAIN_ID,
    genesisTime: SIM_GENESIS_TIME,
    insecure: true,
    selection: dbft ? { name: "dbft", epochLength: SIM_EPOCH_LENGTH, validatorCount: options.validators } : { name: "poa" },
    validators,
    ...(dbft ? { candidates: validators } : {}),
    accounts: [
      ...accountKeys.map((k, i) => ({ id: toHex(k.publicKey), balance: SIM_ACCOUNT_BALANCE.toString(), name: `account-${i}` })),
      ...voterKeys.map((k, i) => ({ id: toHex(k.publicKey), balance: SIM_VOTER_BALANCE.toString(), name: `voter-${i}` })),
    ],
    consensus: simConsensusParams(options.maxDelayMs, options.params),
  });
  const selection = selectionFor(genesis.selection.name);
  const init: GenesisInit = {
    genesisHash: genesisHash(genesis),
    genesisTimestamp: genesisTimestamp(genesis),
    writes: genesisStateWrites(genesis, selection),
    validators: selection.fromGenesis(genesis),
  };
  return { genesis, init, selection, registry: chainRegistry(selection), chainId: genesis.chainId, validatorKeys, accountKeys, voterKeys };
}
