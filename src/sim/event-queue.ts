// Virtual time for the simulator: a binary min-heap of events ordered by (time, sequence). The
// sequence number is the order of scheduling, so two events at the same millisecond always run
// in the same order for the same seed: ties are never broken by the heap's internal layout.

interface Entry<E> {
  readonly time: number;
  readonly seq: number;
  readonly event: E;
}

export class EventQueue<E> {
  private readonly heap: Entry<E>[] = [];
  private seq = 0;
  private clock = 0;

  /** The time of the event last popped (virtual ms since the start). */
  get now(): number {
    return this.clock;
  }

  get size(): number {
    return this.heap.length;
  }

  /** Schedule at an absolute time; a time in the past runs as soon as possible (now). */
  at(time: number, event: E): void {
    if (!Number.isFinite(time)) throw new RangeError(`event time must be finite, got ${time}`);
    this.push({ time: Math.max(time, this.clock), seq: this.seq++, event });
  }

  /** Schedule `delayMs` after now. */
  after(delayMs: number, event: E): void {
    this.at(this.clock + delayMs, event);
  }

  peekTime(): number | undefined {
    return this.heap[0]?.time;
  }

  /** The next event, advancing the clock to its time. */
  pop(): { time: number; event: E } | undefined {
    const top = this.heap[0];
    if (top === undefined) return undefined;
    const last = this.heap.pop()!;
    if (this.heap.length > 0) {
      this.heap[0] = last;
      this.down(0);
    }
    this.clock = top.time;
    return { time: top.time, event: top.event };
  }

  private static before<E>(x: Entry<E>, y: Entry<E>): boolean {
    return x.time < y.time || (x.time === y.time && x.seq < y.seq);
  }

  private push(entry: Entry<E>): void {
    const h = this.heap;
    h.push(entry);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!EventQueue.before(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  private down(i: number): void {
    const h = this.heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && EventQueue.before(h[l]!, h[m]!)) m = l;
      if (r < h.length && EventQueue.before(h[r]!, h[m]!)) m = r;
      if (m === i) return;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
}
