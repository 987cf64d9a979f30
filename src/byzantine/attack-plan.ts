// One plan per run for every Byzantine node, drawn from the seed: which honest replicas hear which
// story of a (height, view), which minority a withholding node still talks to, and the two blocks
// an equivocating primary told. Behaviours that combine read the same plan, so several Byzantine
// nodes tell the same side the same story (independent random halves would mostly cancel out).
// Also counts what the behaviours did, as evidence that they bit.
import { faultTolerance, quorumSize, type Block, type ValidatorId } from "../chain/index.js";
import type { Prng } from "./prng.js";

/** Side 1 hears the primary's own block (A), side 2 its twin (B). */
export type Sides = readonly [readonly ValidatorId[], readonly ValidatorId[]];

/** The two blocks an equivocating primary pre-prepared for one (height, view). */
export interface Story {
  readonly a: Block;
  readonly b: Block;
}

/** Entries kept per map: the protocol only ever looks a few heights back. */
const KEEP = 256;

/** The value drawn for `key`, drawn once; the map keeps the KEEP newest keys. */
function memo<K, V>(map: Map<K, V>, key: K, draw: () => V): V {
  const known = map.get(key);
  if (known !== undefined) return known;
  const value = draw();
  map.set(key, value);
  if (map.size > KEEP) map.delete(map.keys().next().value!);
  return value;
}

/** One (height, view) slot as the set deciding it sees it. */
function slotKey(height: number, view: number, members: readonly ValidatorId[]): string {
  return `${height}/${view}/${members.join(",")}`;
}

export interface LureOptions {
  /** The Byzantine nodes with lone-decider. */
  readonly lurers: readonly ValidatorId[];
  /** How long the adversarial network silences a lured decider (virtual ms). */
  readonly silenceMs: number;
  /** The selection's primary of (height, view) for a set of members. */
  primary(members: readonly ValidatorId[], height: number, view: number): ValidatorId;
}

export class AttackPlan {
  /** What the behaviours did, by "behaviour:act" (the simulation summary shows it). */
  readonly acted = new Map<string, number>();
  private readonly byzantine: ReadonlySet<ValidatorId>;
  private readonly hiders: ReadonlySet<ValidatorId>;
  private readonly sides = new Map<string, Sides>();
  private readonly minorities = new Map<string, readonly ValidatorId[]>();
  private readonly stories = new Map<string, Story>();
  private readonly lurers: ReadonlySet<ValidatorId>;
  private readonly lures = new Map<string, readonly ValidatorId[]>();

  constructor(
    private readonly prng: Prng,
    byzantine: readonly ValidatorId[],
    /** The Byzantine nodes with adversarial-newview. */
    hiders: readonly ValidatorId[] = [],
    private readonly lureOptions: LureOptions | null = null,
  ) {
    this.byzantine = new Set(byzantine);
    this.hiders = new Set(hiders);
    this.lurers = new Set(lureOptions?.lurers ?? []);
  }

  /** How long the adversarial network silences a lured decider (virtual ms). */
  get lureSilenceMs(): number {
    return this.lureOptions?.silenceMs ?? 0;
  }

  get hasLurers(): boolean {
    return this.lurers.size > 0;
  }

  isByzantine(id: ValidatorId): boolean {
    return this.byzantine.has(id);
  }

  count(act: string, by = 1): void {
    this.acted.set(act, (this.acted.get(act) ?? 0) + by);
  }

  private honest(members: readonly ValidatorId[]): ValidatorId[] {
    return [...members].filter((m) => !this.byzantine.has(m)).sort();
  }

  /**
   * The honest members of (height, view) in two halves (side 1 the larger), the same for every
   * Byzantine node that asks: drawn from a fork named by the slot, so call order does not matter.
   */
  split(height: number, view: number, members: readonly ValidatorId[]): Sides {
    return memo(this.sides, slotKey(height, view, members), () => {
      const honest = this.prng.fork(`split/${height}/${view}`).shuffle(this.honest(members));
      const cut = Math.ceil(honest.length / 2);
      return [honest.slice(0, cut), honest.slice(cut)] as const;
    });
  }

  /** The side a member hears, or null for a Byzantine one (it hears story A). */
  sideOf(height: number, view: number, members: readonly ValidatorId[], id: ValidatorId): 1 | 2 | null {
    const [one, two] = this.split(height, view, members);
    return one.includes(id) ? 1 : two.includes(id) ? 2 : null;
  }

  /** At most f honest members of (height, view): all a withholding node sends its votes to. */
  minority(height: number, view: number, members: readonly ValidatorId[]): readonly ValidatorId[] {
    return memo(this.minorities, slotKey(height, view, members), () => {
      const prng = this.prng.fork(`minority/${height}/${view}`);
      const f = faultTolerance(members.length);
      const honest = prng.shuffle(this.honest(members));
      return honest.slice(0, prng.range(0, Math.min(f, honest.length)));
    });
  }

  /** An equivocating primary records the two blocks it told; the first record of a slot stands. */
  tell(height: number, view: number, story: Story): Story {
    return memo(this.stories, `${height}/${view}`, () => story);
  }

  story(height: number, view: number): Story | undefined {
    return this.stories.get(`${height}/${view}`);
  }

  /**
   * Is `primary` (of the view after a split one) an adversarial new primary? Then the split view
   * should leave it a prepared certificate it can hide: story A's votes go to one witness of
   * side 1 (it alone gets prepared) and no commit for A is sent (nobody decides it).
   */
  hides(primary: ValidatorId | null): boolean {
    return primary !== null && this.hiders.has(primary);
  }

  /** The one honest member of side 1 that story A's Byzantine prepares go to when a hide is planned. */
  witness(height: number, view: number, members: readonly ValidatorId[]): ValidatorId | undefined {
    return this.split(height, view, members)[0][0];
  }

  /**
   * The lone-decider attack on (height, view): the honest members that are to decide alone, or []
   * when this slot is not lured (drawn per slot). In a lured slot every Byzantine node sends its
   * commit to the deciders only (they all follow this plan), and the adversarial network silences
   * each decider once it sends its commit. So the deciders hold a quorum of commits (every commit
   * reaches them) while the other honest members stay one short; with the lone-decider nodes,
   * which play the height on after deciding it, they are still a quorum that can change the view.
   * Then only a new-view that re-proposes the prepared block keeps them from deciding another
   * block at this height.
   */
  lure(height: number, view: number, members: readonly ValidatorId[]): readonly ValidatorId[] {
    if (this.lurers.size === 0) return [];
    return memo(this.lures, slotKey(height, view, members), () => {
      const prng = this.prng.fork(`lure/${height}/${view}`);
      const q = quorumSize(members.length);
      const honest = prng.shuffle(this.honest(members));
      const lurers = members.filter((m) => this.lurers.has(m)).length;
      // The fewest deciders that leave the other honest members short of a quorum.
      const deciders = honest.length - q + 1;
      // Most often when a lone-decider is the next view's primary: then it can also lie in the new-view.
      const nextIsLurer = this.lurers.has(this.lureOptions!.primary(members, height, view + 1));
      const lured = lurers > 0 && deciders >= 1 && honest.length - deciders + lurers >= q && prng.chance(nextIsLurer ? 0.9 : 0.4);
      return lured ? honest.slice(0, deciders) : [];
    });
  }
}
