// What this replica has signed, consulted before every signature: a correct replica never signs
// two different values for one (height, view, phase), and once it has sent a view-change for view
// t it never votes in a view below t (its view-change promised the new primary its prepared
// certificate was final). Rebuilt from the durably recorded own votes on restart, so a crash
// cannot make it forget (the double signing after restart that hurt the anchors).
import { bytesEqual, type VotePhase } from "../chain/index.js";
import { messageView, type ConsensusMessage } from "./messages.js";

export type Refusal = "conflict" | "abandoned-view";

function slot(height: number, view: number, phase: VotePhase): string {
  return `${height}/${view}/${phase}`;
}

/** The block hash a pre-prepare, prepare or commit stands for. */
export function votedHash(m: ConsensusMessage): Uint8Array | null {
  switch (m.type) {
    case "pre-prepare":
      return m.block.hash;
    case "prepare":
    case "commit":
      return m.blockHash;
    default:
      return null;
  }
}

export class SigningRecord {
  private readonly signed = new Map<string, ConsensusMessage>();
  /** height → the highest view this replica asked for in a view-change at that height. */
  private readonly viewChangeFloor = new Map<number, number>();

  constructor(ownVotes: readonly ConsensusMessage[] = []) {
    for (const m of ownVotes) this.add(m);
  }

  get(height: number, view: number, phase: VotePhase): ConsensusMessage | undefined {
    return this.signed.get(slot(height, view, phase));
  }

  /**
   * Whether a new signature for (height, view, phase) over `hash` is allowed: undefined means yes;
   * otherwise why not. A same-valued earlier signature is reported by `get`, not refused here.
   */
  refusal(height: number, view: number, phase: VotePhase, hash: Uint8Array | null): Refusal | undefined {
    const existing = this.get(height, view, phase);
    if (existing !== undefined) {
      const previous = votedHash(existing);
      // A view-change or new-view is signed at most once per (height, view), whatever it carries.
      if (previous === null || hash === null || !bytesEqual(previous, hash)) return "conflict";
    }
    if (phase !== "view-change" && phase !== "new-view" && view < this.floor(height)) return "abandoned-view";
    return undefined;
  }

  add(m: ConsensusMessage): void {
    const view = messageView(m);
    const key = slot(m.height, view, m.type);
    if (!this.signed.has(key)) this.signed.set(key, m);
    if (m.type === "view-change" && view > this.floor(m.height)) this.viewChangeFloor.set(m.height, view);
  }

  /** Votes (pre-prepare, prepare, commit) below this view at `height` are never signed again. */
  floor(height: number): number {
    return this.viewChangeFloor.get(height) ?? 0;
  }

  /** Everything signed at `height`, oldest first. */
  at(height: number): ConsensusMessage[] {
    const out: ConsensusMessage[] = [];
    for (const m of this.signed.values()) if (m.height === height) out.push(m);
    return out;
  }

  /** Heights below a seal are decided: nothing will be signed there again. */
  pruneBelow(height: number): void {
    for (const [key, m] of this.signed) if (m.height < height) this.signed.delete(key);
    for (const h of this.viewChangeFloor.keys()) if (h < height) this.viewChangeFloor.delete(h);
  }
}
