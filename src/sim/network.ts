// The virtual network between simulated nodes ("slots": a validator, or one copy of a twin).
// For each message copy it decides, from its own seeded stream, whether the copy is lost,
// duplicated, and after how many virtual ms it arrives; random delays inside the range are
// what reorder messages. Partitions block links between groups of slots from a start time until
// they heal. The liveness phase calls `heal()`: loss, duplication and partitions end for good.
import type { PartitionKind } from "./fault-spec.js";
import type { Prng } from "../byzantine/prng.js";

export interface Partition {
  readonly kind: PartitionKind;
  /** Virtual ms when the link cut starts and when it heals. */
  readonly start: number;
  readonly heal: number;
  /** isolate: the isolated slot; halves: one side; one-way: the slots whose messages are lost. */
  readonly group: ReadonlySet<number>;
  /** one-way only: the slots that cannot hear `group` (others hear it). */
  readonly deaf?: ReadonlySet<number>;
}

export interface NetworkOptions {
  readonly drop: number;
  readonly duplicate: number;
  readonly delayMs: { readonly min: number; readonly max: number };
}

/** An extra, permanent link rule (twins: each copy is seen by one part of the network only). */
export type LinkRule = (from: number, to: number) => boolean;

export class VirtualNetwork {
  private drop: number;
  private duplicate: number;
  private readonly delay: { readonly min: number; readonly max: number };
  private partitions: Partition[] = [];
  private readonly rules: LinkRule[] = [];
  /** After heal() no fault starts again, not even one the adversary asks for. */
  private healed = false;
  dropped = 0;
  duplicated = 0;

  constructor(
    private readonly prng: Prng,
    options: NetworkOptions,
  ) {
    this.drop = options.drop;
    this.duplicate = options.duplicate;
    this.delay = options.delayMs;
  }

  get maxDelayMs(): number {
    return this.delay.max;
  }

  addPartition(p: Partition): void {
    this.partitions.push(p);
  }

  /**
   * The adversary's network (safety must hold under asynchrony): from `now` until `heal`, nobody
   * hears `slot`, while it still hears everyone. Ignored once the network has healed.
   */
  silence(slot: number, now: number, heal: number): void {
    if (this.healed) return;
    this.partitions.push({ kind: "one-way", start: now, heal, group: new Set([slot]) });
  }

  addRule(rule: LinkRule): void {
    this.rules.push(rule);
  }

  /** The liveness phase: no more loss, duplication or partitions (link rules stay: they are behaviours). */
  heal(): void {
    this.healed = true;
    this.drop = 0;
    this.duplicate = 0;
    this.partitions = [];
  }

  /** Partitions in force at `now`. */
  activePartitions(now: number): Partition[] {
    return this.partitions.filter((p) => p.start <= now && now < p.heal);
  }

  reachable(from: number, to: number, now: number): boolean {
    for (const rule of this.rules) if (!rule(from, to)) return false;
    for (const p of this.partitions) {
      if (now < p.start || now >= p.heal) continue;
      if (cuts(p, from, to)) return false;
    }
    return true;
  }

  /** Delays (ms) of the copies of one message from `from` to `to` sent at `now`: [] when lost. */
  plan(from: number, to: number, now: number): number[] {
    if (!this.reachable(from, to, now)) {
      this.dropped++;
      return [];
    }
    if (this.prng.chance(this.drop)) {
      this.dropped++;
      return [];
    }
    const first = this.prng.range(this.delay.min, this.delay.max);
    if (!this.prng.chance(this.duplicate)) return [first];
    this.duplicated++;
    return [first, this.prng.range(this.delay.min, this.delay.max)];
  }
}

function cuts(p: Partition, from: number, to: number): boolean {
  switch (p.kind) {
    case "isolate":
    case "halves":
      return p.group.has(from) !== p.group.has(to);
    case "one-way":
      return p.group.has(from) && (p.deaf === undefined ? !p.group.has(to) : p.deaf.has(to));
  }
}

/**
 * A random partition of `slots` of the given kind over [start, heal). `halves` splits into two
 * groups that each lack a quorum when n is small; `one-way` silences a group towards the rest
 * while it still hears everyone.
 */
export function randomPartition(prng: Prng, kind: PartitionKind, slots: readonly number[], start: number, heal: number): Partition {
  const shuffled = prng.shuffle(slots);
  switch (kind) {
    case "isolate":
      return { kind, start, heal, group: new Set(shuffled.slice(0, 1)) };
    case "halves": {
      const cut = Math.max(1, Math.min(shuffled.length - 1, Math.floor(shuffled.length / 2) + prng.range(-1, 1)));
      return { kind, start, heal, group: new Set(shuffled.slice(0, cut)) };
    }
    case "one-way": {
      const size = prng.range(1, Math.max(1, Math.floor(shuffled.length / 2)));
      const group = new Set(shuffled.slice(0, size));
      const rest = shuffled.slice(size);
      const deaf = new Set(rest.filter(() => prng.chance(0.7)));
      if (deaf.size === 0 && rest.length > 0) deaf.add(rest[0]!);
      return { kind, start, heal, group, deaf };
    }
  }
}
