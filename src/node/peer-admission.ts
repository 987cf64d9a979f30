// Who may connect: the validator set in force for the next block (read from the store, so
// governance changes apply as soon as the block that makes them is appended), the observers
// named in config.toml, the peers config.toml tells us to dial, and on a DBFT chain every
// registered candidate (a candidate must be connected before an election makes it a validator).
import { multiaddr } from "@multiformats/multiaddr";
import type { BlockStore, ValidatorId, ValidatorSet } from "../chain/index.js";
import { DBFT_CANDIDATES_KEY, dbftTally } from "../consensus/selection/index.js";
import { parsePeer, tryValidatorIdFromPeerId } from "../p2p/identity.js";

/** The ed25519 key behind each `/p2p/<id>` peer address; addresses without one are skipped. */
export function peerKeysOf(addrs: readonly string[]): ValidatorId[] {
  const out: ValidatorId[] = [];
  for (const addr of addrs) {
    try {
      const id = multiaddr(addr).getPeerId();
      if (id === null) continue;
      const key = tryValidatorIdFromPeerId(parsePeer(id));
      if (key !== null) out.push(key);
    } catch {
      // a malformed address is reported by the p2p host when it is dialled
    }
  }
  return out;
}

export class PeerAdmission {
  private allowed = new Set<ValidatorId>();
  private lastSet: ValidatorSet | null = null;
  private lastCandidates: Uint8Array | undefined | null = null;

  constructor(
    private readonly store: Pick<BlockStore, "head" | "validatorsAt" | "state">,
    private readonly fixed: readonly ValidatorId[],
    private readonly dbft: boolean,
    /** `--only-peers`: when set, nobody outside it is admitted, whatever the chain says. */
    private readonly only: ReadonlySet<ValidatorId> | null = null,
  ) {
    this.refresh();
  }

  readonly isAllowed = (id: ValidatorId): boolean => this.allowed.has(id);

  /** Recompute after an append; true when the allow-list changed. */
  refresh(): boolean {
    const set = this.store.validatorsAt(this.store.head().height + 1);
    const state = this.store.state();
    const candidatesBytes = this.dbft ? state.get(DBFT_CANDIDATES_KEY) : undefined;
    if (set === this.lastSet && candidatesBytes === this.lastCandidates) return false;
    this.lastSet = set;
    this.lastCandidates = candidatesBytes;
    const next = new Set<ValidatorId>([...set.members, ...this.fixed]);
    if (this.dbft && candidatesBytes !== undefined) for (const c of dbftTally(state)) next.add(c.candidate);
    if (this.only !== null) for (const id of next) if (!this.only.has(id)) next.delete(id);
    const changed = next.size !== this.allowed.size || [...next].some((id) => !this.allowed.has(id));
    this.allowed = next;
    return changed;
  }

  get size(): number {
    return this.allowed.size;
  }
}
