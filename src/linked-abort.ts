// A child AbortSignal tied to long-lived parents (a module's `stopping` signal, a request's
// signal) plus an optional timeout, that lets go of the parents when the operation ends.
//
// `AbortSignal.any([parent, AbortSignal.timeout(ms)])` would do the same, but on Node 20 every
// call leaves a listener and a dependent-signal record on the parent for as long as the parent
// lives (nodejs/node#48951, #54614): a node that syncs, redials and answers RPC for days grows
// without bound. Here the listener is removed and the timer cleared by `done()`, or as soon as
// the child aborts, so a parent's listener count returns to where it started.
//
// Cross-cutting on purpose (node, p2p and rpc all use it), so it lives beside polyfill.ts rather
// than in any one module.

export interface LinkedAbort {
  /** Aborts when any parent aborts (with the parent's reason) or when the timeout elapses. */
  readonly signal: AbortSignal;
  /** True once the timeout, not a parent, aborted the signal. */
  readonly timedOut: boolean;
  /** The operation is over: detach from the parents and clear the timer. Idempotent; never aborts. */
  done(): void;
}

/** The reason `AbortSignal.timeout` uses, so callers that look at `reason.name` see no change. */
function timeoutReason(ms: number): DOMException {
  return new DOMException(`The operation was aborted due to timeout (${ms} ms)`, "TimeoutError");
}

/**
 * Link a fresh signal to `parents` (undefined entries are skipped) and, when `timeoutMs` is
 * given, to a timer. Call `done()` in a `finally` once the operation that uses the signal ends.
 */
export function linkAbort(parents: readonly (AbortSignal | undefined)[], timeoutMs?: number): LinkedAbort {
  const controller = new AbortController();
  const linked: AbortSignal[] = [];
  let timer: ReturnType<typeof setTimeout> | null = null;
  let timedOut = false;
  let finished = false;

  const done = (): void => {
    if (finished) return;
    finished = true;
    if (timer !== null) clearTimeout(timer);
    timer = null;
    for (const parent of linked) parent.removeEventListener("abort", onParentAbort);
    linked.length = 0;
  };
  function onParentAbort(this: AbortSignal): void {
    const reason: unknown = this.reason;
    done();
    controller.abort(reason);
  }

  for (const parent of parents) {
    if (parent === undefined) continue;
    if (parent.aborted) {
      done();
      controller.abort(parent.reason);
      break;
    }
    parent.addEventListener("abort", onParentAbort, { once: true });
    linked.push(parent);
  }
  if (!finished && timeoutMs !== undefined) {
    timer = setTimeout(() => {
      timedOut = true;
      done();
      controller.abort(timeoutReason(timeoutMs));
    }, timeoutMs);
    // Like AbortSignal.timeout: a pending timeout alone does not keep the process alive.
    timer.unref?.();
  }

  return {
    signal: controller.signal,
    get timedOut() {
      return timedOut;
    },
    done,
  };
}
