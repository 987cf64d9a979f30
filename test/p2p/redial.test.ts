// A node the gater refuses backs off its redials. The refusal comes after the Noise handshake, so
// the refused side sees its dial succeed and the connection close a few milliseconds later;
// libp2p's KEEP_ALIVE reconnect took that as a reason to dial again at once (about 20 dials a
// second, each a handshake for the refusing validator). Here the refused host runs on a simulated
// clock and timer: the test moves time, lets each dial finish, and counts the dials the
// refusing validator saw.
import { afterAll, describe, expect, it } from "vitest";
import { decodeSignedTx, isMember, toHex, type ValidatorId } from "../../src/chain/index.js";
import { P2PHost, type RedialScheduler } from "../../src/p2p/index.js";
import { CHAIN_ID, emptyStore, guard, intruderId, intruderKey, key, logger, STALE_BELOW, startHost, validatorIds, validators, type TestHost } from "./helpers.js";

/** A clock and repeating timer that move only when the test says so. */
class SimulatedScheduler implements RedialScheduler {
  t = 0;
  private timers: Array<{ every: number; next: number; fn: () => void; live: boolean }> = [];
  now = (): number => this.t;
  random = (): number => 0.5;
  every = (ms: number, fn: () => void): (() => void) => {
    const timer = { every: ms, next: this.t + ms, fn, live: true };
    this.timers.push(timer);
    return () => {
      timer.live = false;
    };
  };
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const due = this.timers.filter((x) => x.live && x.next <= end).sort((a, b) => a.next - b.next)[0];
      if (due === undefined) break;
      this.t = due.next;
      due.next += due.every;
      due.fn();
    }
    this.t = end;
  }
}

/** Wait (polling the event loop, never a fixed sleep) until `check` holds; a guard turns a hang into an error. */
async function settle(what: string, check: () => boolean): Promise<void> {
  await guard(
    (async () => {
      while (!check()) await new Promise((r) => setTimeout(r, 2));
    })(),
    what,
  );
}

describe("redial back-off of a refused node", () => {
  const hosts: P2PHost[] = [];
  afterAll(async () => {
    await Promise.all(hosts.map((h) => h.stop()));
  });

  it("dials a validator that refuses it a handful of times a minute, not 20 times a second, and starts over after a lasting connection", async () => {
    let admitIntruder = false;
    let seenAtValidator = 0;
    const validator: TestHost = await startHost({
      key: key(0),
      isAllowed: (id: ValidatorId) => {
        if (id === intruderId) {
          seenAtValidator++;
          return admitIntruder;
        }
        return validatorIds.includes(id);
      },
    });
    hosts.push(validator.host);
    const clock = new SimulatedScheduler();
    const intruder = new P2PHost(
      { chainId: CHAIN_ID, secretKey: intruderKey.secretKey, listen: ["/ip4/127.0.0.1/tcp/0"], peers: [validator.host.multiaddrs()[0]!], redialIntervalMs: 100 },
      {
        logger,
        redialClock: clock,
        isAllowed: () => true,
        isValidator: (id) => isMember(validators, id),
        isStale: (m) => m.height < STALE_BELOW,
        onConsensusMessage: () => undefined,
        onTx: (bytes) => void decodeSignedTx(bytes),
        relayTargets: () => validatorIds,
        store: emptyStore,
      },
    );
    hosts.push(intruder);
    await intruder.start();
    const v = validator.id;
    const connected = (): boolean => intruder.connectedPeers().includes(v);
    // A dial has ended once its promise settled and the connection it may have opened closed:
    // its failure is recorded by then (the dial's rejection, or the close of a short connection).
    const settled = (): boolean => intruder.redialsInFlight === 0 && !connected();

    // One simulated minute in 100 ms steps, each dial let finish before time moves on.
    const dialTimes: number[] = [];
    for (let step = 0; step <= 600; step++) {
      if (step > 0) clock.advance(100);
      if (intruder.redialAttempts > dialTimes.length) {
        dialTimes.push(clock.t);
        await settle(`dial ${dialTimes.length} to end`, settled);
      }
      if (step === 0) {
        // An absence check, not a synchronisation: with the simulated clock held still, nothing
        // may dial the validator again. libp2p's KEEP_ALIVE reconnect did so within milliseconds
        // of each close, in real time (gossipsub's one dial of its direct peers, about a second
        // after start, is the +1).
        await new Promise((r) => setTimeout(r, 1_500));
        expect(seenAtValidator).toBeLessThanOrEqual(intruder.redialAttempts + 1);
      }
    }
    // 0, 0.375, 1.125, 2.6, 5.6, 11.6, then every 11.25 s (cap 15 s, jitter at its middle): 10 dials.
    expect(intruder.redialAttempts).toBeGreaterThanOrEqual(6);
    expect(intruder.redialAttempts).toBeLessThanOrEqual(12);
    const gaps = dialTimes.slice(1).map((t, i) => t - dialTimes[i]!);
    for (const g of gaps) expect(g).toBeLessThanOrEqual(15_000 + 100);
    expect(gaps[gaps.length - 1]!).toBeGreaterThanOrEqual(7_500);
    // Every handshake the validator paid for was one of these dials (gossipsub dials its direct
    // peers once, about a second after start: at most one more). Nothing redials behind our back.
    expect(seenAtValidator).toBeGreaterThanOrEqual(intruder.redialAttempts);
    expect(seenAtValidator).toBeLessThanOrEqual(intruder.redialAttempts + 1);

    // Admitted now: the next due dial connects, and the connection lasts.
    admitIntruder = true;
    const before = intruder.redialAttempts;
    for (let i = 0; i < 200 && !connected(); i++) {
      clock.advance(100);
      if (intruder.redialAttempts > before) await settle("the admitted dial", () => intruder.redialsInFlight === 0);
    }
    expect(connected()).toBe(true);
    clock.advance(6_000);
    // Refused again: the connection lasted past stableMs, so the back-off starts over.
    admitIntruder = false;
    await validator.host.enforceAllowList();
    await settle("the intruder to see the close and start over", () => !connected() && intruder.redialState(v).failures === 0);
    expect(intruder.redialState(v)).toEqual({ failures: 0, nextAt: clock.t });
    expect(toHex(intruderKey.publicKey)).toBe(intruderId);
  }, 60_000);
});
