// Who may connect: the validator set in force for the next block (read from the store, so
// governance changes apply as soon as the block that makes them is appended), the observers
// named in config.toml, the peers config.toml tells us to dial, and on a DBFT chain the
// candidates that could be elected: those holding vote weight > 0 and the set the next epoch
// boundary would elect from today's state (a candidate must be connected before an election
// makes it a validator). Registering is free, so a registrant nobody voted for is refused.
//
// On a PoA chain, a validator voted out is refused from the height its removal takes effect even
// when config.toml lists it as a peer or observer: the chain decides for the keys it governs,
// config only for keys it never made validators. "Made a validator" means in the genesis set or
// in a set this process saw; a key added and removed before a restart is known again only
// through config. (A DBFT validator that loses its seat at an epoch is not voted out: standby
// validators fill empty seats, so config still admits them.)
import { multiaddr } from "@multiformats/multiaddr";
import { bytesEqual, type BlockStore, type ValidatorId, type ValidatorSet } from "../chain/index.js";
import { dbftElect, dbftTally } from "../consensus/selection/index.js";
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
  /** DBFT weights move with any vote or transfer: recomputed at every new head. */
  private lastHead: Uint8Array | null = null;
  /** Keys the chain made validators (genesis, and every set seen since start). */
  private readonly governed = new Set<ValidatorId>();

  constructor(
    private readonly store: Pick<BlockStore, "head" | "validatorsAt" | "state">,
    private readonly fixed: readonly ValidatorId[],
    private readonly dbft: boolean,
    /** `--only-peers`: when set, nobody outside it is admitted, whatever the chain says. */
    private readonly only: ReadonlySet<ValidatorId> | null = null,
  ) {
    for (const id of store.validatorsAt(1).members) this.governed.add(id);
    this.refresh();
  }

  readonly isAllowed = (id: ValidatorId): boolean => this.allowed.has(id);

  /** Recompute after an append; true when the allow-list changed. */
  refresh(): boolean {
    const head = this.store.head();
    const set = this.store.validatorsAt(head.height + 1);
    if (set === this.lastSet && (!this.dbft || (this.lastHead !== null && bytesEqual(head.hash, this.lastHead)))) return false;
    this.lastSet = set;
    this.lastHead = head.hash;
    for (const id of set.members) this.governed.add(id);
    const next = new Set<ValidatorId>(set.members);
    for (const id of this.fixed) if (this.dbft || !this.governed.has(id)) next.add(id);
    if (this.dbft) {
      const state = this.store.state();
      for (const c of dbftTally(state)) if (c.weight > 0n) next.add(c.candidate);
      for (const id of dbftElect(state).members) next.add(id);
    }
    if (this.only !== null) for (const id of next) if (!this.only.has(id)) next.delete(id);
    const changed = next.size !== this.allowed.size || [...next].some((id) => !this.allowed.has(id));
    this.allowed = next;
    return changed;
  }

  get size(): number {
    return this.allowed.size;
  }
}
