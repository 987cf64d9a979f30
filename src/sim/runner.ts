// One simulation, as the VOPR runs one: a safety phase (message loss, duplication, delays,
// partitions and crashes as the fault spec says, Byzantine behaviours on) and then a liveness
// phase (network healed, crashed nodes restarted, faults off, Byzantine behaviours still on) in
// which every honest replica must reach the target height within a bound of virtual time. The
// invariants are checked after every event; the first violation ends the run. Everything is
// derived from the seed, so the summary is byte-identical for the same options.
import { faultTolerance, toHex, VerifyCache, type ConsensusParams, type KeyPair, type ValidatorId } from "../chain/index.js";
import type { ConsensusMessage } from "../consensus/messages.js";
import { formatByzantineSpec, type ByzantineSpec } from "../byzantine/byzantine-spec.js";
import { Cluster, type SimEvent, type Slot } from "./cluster.js";
import { formatFaultSpec, NO_FAULTS, type FaultSpec } from "./fault-spec.js";
import { GovernanceClient, type SetChangeKind } from "./governance-client.js";
import { InvariantChecker, type Violation } from "./invariants.js";
import { randomPartition, VirtualNetwork } from "./network.js";
import { formatOutageSpec, Outage, type OutageSpec } from "./outage.js";
import { Prng } from "../byzantine/prng.js";
import { extraValidatorKeys, observerKeys, simGenesis, simKey } from "./sim-genesis.js";

export interface SimOptions {
  readonly seed: number;
  readonly validators: number;
  readonly selection: "poa" | "dbft";
  readonly byzantine?: ByzantineSpec;
  readonly faults?: FaultSpec;
  /** Every honest replica must reach this height in the liveness phase. */
  readonly heights: number;
  /** Keep the last this many events for the summary's trace (0: none). */
  readonly trace?: number;
  /** Funded client accounts (0: only empty blocks). Default 16. */
  readonly accounts?: number;
  /** Hard cap on events, against a run that never ends. Default scales with heights and n. */
  readonly maxEvents?: number;
  /** Validator-set changes the governance client makes in the run (default 0). */
  readonly setChanges?: number;
  /** The kinds of those changes, in order (default: drawn from the seed, each kind once first). */
  readonly setChangeKinds?: readonly SetChangeKind[];
  /** Non-validator slots that follow the chain (default 0). */
  readonly observers?: number;
  /** The crash chaos sometimes crashes several honest replicas together (up to f+1) and restarts them together. */
  readonly crashGroups?: boolean;
  /** One honest validator down for good, or flapping, from a height on (counts against f). */
  readonly outage?: OutageSpec | null;
  /** Also report the heights where honest replicas changed view (the summary's viewChangeHeights). */
  readonly detail?: boolean;
}

export interface SimSummary {
  readonly seed: number;
  readonly validators: number;
  readonly selection: "poa" | "dbft";
  readonly byzantine: string;
  readonly faults: string;
  /** The outage, when the run has one ("2:down@5"). */
  readonly outage?: string;
  /**
   * Head height per validator index (a twin: its first copy); validators a run adds come after
   * the genesis ones (v<n>…), then the observers.
   */
  readonly heights: Record<string, number>;
  readonly observers: number;
  /** Validator-set changes in force on the honest replicas' chain, and each as "h<height>: +v4 -v1". */
  readonly setChanges: number;
  readonly setChangeLog?: readonly string[];
  /** What the governance client did, change by change (only with set changes). */
  readonly governance?: readonly string[];
  readonly minHonestHeight: number;
  readonly target: number;
  /** Distinct (height, view > 0) pairs honest replicas moved to. */
  readonly viewChanges: number;
  /** With `detail`: the heights of those pairs, one per pair, ascending. */
  readonly viewChangeHeights?: readonly number[];
  /** Proposer standing changes on the honest chain: "h12: -v2" suspended, "h40: +v2" eligible again. */
  readonly standingChanges?: readonly string[];
  /** Message copies sent (per recipient, before loss). */
  readonly messages: number;
  readonly events: number;
  /** Virtual ms at the end, and when the liveness phase began. */
  readonly virtualMs: number;
  readonly livenessStartMs: number;
  readonly crashes: number;
  /** Times the chaos crashed several honest replicas together (only with crash groups). */
  readonly crashGroups?: number;
  /** Faults the honest replicas reported about their peers, by kind. */
  readonly faultsReported: Record<string, number>;
  /** Sync requests, and sync answers a forging peer tampered with. */
  readonly syncRequests: number;
  /** What the Byzantine behaviours did, by "behaviour:act" (evidence they bit). */
  readonly attacks: Record<string, number>;
  readonly violations: readonly Violation[];
  /** The last events before the end (only when `trace` was asked for). */
  readonly trace?: readonly string[];
}

/**
 * Virtual ms the liveness phase may take: recovery from the worst state the safety phase can
 * leave (timeouts at their cap, replicas in different views, some behind), then each remaining
 * height may cost a run of view changes past faulty primaries (T + 2T + 4T …).
 */
function livenessBoundMs(params: ConsensusParams, byzantine: number, maxDelayMs: number, remaining: number): number {
  const timeoutMs = params.viewChangeTimeoutTicks * params.tickMs;
  const capMs = params.maxViewChangeTimeoutTicks * params.tickMs;
  const perHeight = (2 ** Math.min(byzantine, 8) + 2) * timeoutMs + 12 * maxDelayMs + 4 * params.tickMs;
  const recovery = 4 * capMs + 40 * maxDelayMs;
  return recovery + remaining * perHeight;
}

export async function runSimulation(options: SimOptions): Promise<SimSummary> {
  checkOptions(options);
  const faults = options.faults ?? NO_FAULTS;
  const byzantine = options.byzantine ?? [];
  const root = new Prng(options.seed);
  const n = options.validators;
  const setChanges = options.setChanges ?? 0;
  const dbft = options.selection === "dbft";
  // Validators a run may add: one that comes online (an observer slot until elected; two from
  // three changes on) and one that never does. DBFT adds zero-weight registrants, which never
  // come online either. Every slot receives every broadcast, so slots are what a run costs.
  const onlineCount = setChanges === 0 ? 0 : setChanges >= 3 ? 2 : 1;
  const extraKeys = extraValidatorKeys(n, setChanges > 0 ? onlineCount + 1 : 0);
  const online = extraKeys.slice(0, onlineCount);
  const offline = extraKeys.slice(onlineCount);
  const registrants = dbft && setChanges > 0 ? lowRegistrants(Math.min(n, 4)) : [];
  const observers = observerKeys(options.observers ?? 0);
  const genesis = simGenesis({
    validators: n,
    selection: options.selection,
    accounts: options.accounts ?? 16,
    maxDelayMs: faults.delayMs.max,
    ...(dbft && setChanges > 0 ? { governanceVoters: 1 } : {}),
  });
  const params = genesis.genesis.consensus;
  const names = new Map<ValidatorId, string>();
  genesis.validatorKeys.forEach((k, i) => names.set(toHex(k.publicKey), `v${i}`));
  extraKeys.forEach((k, i) => names.set(toHex(k.publicKey), `v${n + i}`));
  registrants.forEach((k, i) => names.set(toHex(k.publicKey), `r${i}`));
  observers.forEach((k, i) => names.set(toHex(k.publicKey), `o${i}`));
  const extraSlots = [
    ...online.map((pair, i) => ({ pair, index: n + i, name: `v${n + i}` })),
    ...observers.map((pair, i) => ({ pair, index: n + extraKeys.length + i, name: `o${i}` })),
  ];
  const governance =
    setChanges === 0
      ? null
      : new GovernanceClient(root.fork("governance"), {
          chainId: genesis.chainId,
          selection: genesis.selection,
          changes: setChanges,
          ...(options.setChangeKinds === undefined ? {} : { kinds: options.setChangeKinds }),
          voters: [...genesis.validatorKeys, ...online],
          byzantine: new Set(byzantine.map((b) => toHex(genesis.validatorKeys[b.index]!.publicKey))),
          down: new Set(options.outage == null ? [] : [toHex(genesis.validatorKeys[options.outage.index]!.publicKey)]),
          onlineExtras: online,
          offline,
          dbftVoter: genesis.voterKeys[0] ?? null,
          registrants,
          names,
          resendMs: 40 * params.tickMs,
        });
  const network = new VirtualNetwork(root.fork("network"), { drop: faults.drop, duplicate: faults.duplicate, delayMs: faults.delayMs });
  let clock = 0;
  const verifyCache = new VerifyCache(200_000);
  const checker = new InvariantChecker(genesis.chainId, genesis.init.genesisHash, () => clock, (...args) => verifyCache.verify(...args), names);
  const cluster = new Cluster({
    genesis,
    byzantine,
    network,
    prng: root,
    checker,
    verifyCache,
    clientIntervalMs: (options.accounts ?? 16) > 0 || governance !== null ? 2 * params.tickMs : 0,
    extraSlots,
    governance,
    ...(dbft && governance !== null ? { dbftVotes: false } : {}),
  });
  await cluster.start();

  const outageSlot = options.outage == null ? null : cluster.slots.find((s) => s.index === options.outage!.index && s.honest) ?? null;
  const outage = outageSlot === null ? null : new Outage(options.outage!, outageSlot, 4 * params.viewChangeTimeoutTicks * params.tickMs, 12 * params.viewChangeTimeoutTicks * params.tickMs);
  // Checked for safety as every honest replica is; the liveness target does not wait for the outage.
  const allHonest = cluster.honestSlots();
  const honest = allHonest.filter((s) => s !== outageSlot);
  const f = faultTolerance(options.validators);
  // The safety phase lasts about as long as half the heights take on a calm network, and with
  // faults on at least several view-change timeouts, so partitions and crashes cost view changes.
  // It ends early once the target height is reached (the liveness phase still adds one).
  const timeoutMs = params.viewChangeTimeoutTicks * params.tickMs;
  const msPerHeight = (params.emptyBlockIntervalTicks + 2) * params.tickMs + 3 * faults.delayMs.max;
  const faulty = faults.partitions.length > 0 || faults.crash || faults.drop > 0 || faults.duplicate > 0;
  const plannedMs = Math.max(Math.ceil(options.heights / 2) * msPerHeight, faulty ? 6 * timeoutMs : 0, 10 * params.tickMs);
  // A long outage (a partition as long as the capped timeout or more) stretches the phase to its heal.
  const capMs = params.maxViewChangeTimeoutTicks * params.tickMs;
  const safetyMs = scheduleFaults(cluster, network, root.fork("chaos"), faults, plannedMs, timeoutMs, capMs);
  const maxEvents = options.maxEvents ?? 2_000 + options.heights * cluster.slots.length * 4_000;
  const chaosPrng = root.fork("crash-targets");
  const groupPrng = options.crashGroups === true ? root.fork("crash-groups") : null;

  const keep = options.trace ?? 0;
  const trace: { time: number; event: SimEvent }[] = [];
  let events = 0;
  let phase = "safety" as "safety" | "liveness";
  let livenessStartMs = safetyMs;
  let target = options.heights;
  let deadline = Number.POSITIVE_INFINITY;
  let reported = 0;
  let crashGroups = 0;

  const maxHonest = (): number => Math.max(0, ...honest.map((s) => cluster.headOf(s)));
  const startLiveness = async (): Promise<void> => {
    phase = "liveness";
    livenessStartMs = cluster.now;
    network.heal();
    cluster.stopCrashes();
    for (const slot of cluster.slots) if (!slot.up && !(outage?.owns(slot) ?? false)) await cluster.restart(slot);
    target = Math.max(options.heights, maxHonest() + 1);
    const remaining = target - Math.min(...honest.map((s) => cluster.headOf(s)));
    // Members that never come online cost view changes as Byzantine ones do.
    deadline = cluster.now + livenessBoundMs(params, byzantine.length + offline.length + (outage === null ? 0 : 1), faults.delayMs.max, remaining);
  };

  for (;;) {
    const next = cluster.queue.pop();
    if (next === undefined) break;
    clock = next.time;
    events++;
    if (keep > 0) {
      trace.push(next);
      if (trace.length > keep) trace.shift();
    }
    const event = next.event;
    if (event.kind === "liveness") {
      if (phase === "safety") await startLiveness();
    } else if (event.kind === "chaos") {
      if (phase === "safety" && (await chaosCrash(cluster, chaosPrng, groupPrng, f, timeoutMs, capMs, outageSlot))) crashGroups++;
    } else {
      await cluster.handle(event);
    }
    for (; reported < cluster.halted.length; reported++) {
      const h = cluster.halted[reported]!;
      if (allHonest.some((s) => s.index === h.index)) checker.assertionFailed(h.index, h.error);
    }
    await outage?.step(cluster, maxHonest());
    checker.afterEvent(allHonest);
    if (!checker.ok) break;
    if (phase === "safety" && maxHonest() >= options.heights) await startLiveness();
    if (phase === "liveness") {
      if (honest.every((s) => s.up && s.store.head().height >= target)) break;
      if (cluster.now > deadline) {
        checker.livenessFailure(`honest heights ${honest.map((s) => `v${s.index}=${cluster.headOf(s)}`).join(" ")} short of ${target} after ${cluster.now - livenessStartMs} ms of the liveness phase`);
        break;
      }
    }
    if (events >= maxEvents) {
      checker.livenessFailure(`event budget of ${maxEvents} exhausted at ${cluster.now} ms (min honest height ${Math.min(...honest.map((s) => cluster.headOf(s)))})`);
      break;
    }
  }
  if (checker.ok) await checker.finalCheck(allHonest);

  const heights: Record<string, number> = {};
  for (const slot of cluster.slots) if (slot.twin !== 1) heights[String(slot.index)] = cluster.headOf(slot);
  const setChangeLog = checker.setChanges();
  const standingChanges = checker.standingChanges();
  const summary: SimSummary = {
    seed: options.seed,
    validators: options.validators,
    selection: options.selection,
    byzantine: formatByzantineSpec(byzantine),
    faults: formatFaultSpec(faults),
    ...(outage === null ? {} : { outage: formatOutageSpec(outage.spec) }),
    heights,
    observers: observers.length,
    setChanges: setChangeLog.length,
    ...(setChanges > 0 || setChangeLog.length > 0 ? { setChangeLog } : {}),
    ...(governance === null ? {} : { governance: [...governance.log] }),
    minHonestHeight: Math.min(...honest.map((s) => cluster.headOf(s))),
    target,
    viewChanges: cluster.counters.views.size,
    ...(options.detail === true ? { viewChangeHeights: [...cluster.counters.views].map((k) => Number(k.split("/")[0])).sort((a, b) => a - b) } : {}),
    ...(standingChanges.length > 0 ? { standingChanges } : {}),
    messages: cluster.counters.messages,
    events,
    virtualMs: cluster.now,
    livenessStartMs,
    crashes: cluster.slots.reduce((sum, s) => sum + s.crashes, 0),
    ...(groupPrng === null ? {} : { crashGroups }),
    faultsReported: Object.fromEntries([...cluster.counters.faultsReported.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))),
    syncRequests: cluster.counters.syncRequests,
    attacks: Object.fromEntries([...cluster.plan.acted.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))),
    violations: [...checker.violations],
    ...(keep > 0 ? { trace: trace.map((t) => describeEvent(cluster, t.time, t.event)) } : {}),
  };
  for (const slot of cluster.slots) await cluster.crash(slot);
  return summary;
}

function checkOptions(options: SimOptions): void {
  if (!Number.isSafeInteger(options.seed) || options.seed < 0 || options.seed > 0xffff_ffff) throw new RangeError("seed must be an integer from 0 to 2^32-1");
  if (!Number.isSafeInteger(options.validators) || options.validators < 4 || options.validators > 64) throw new RangeError("validators must be from 4 to 64");
  if (!Number.isSafeInteger(options.heights) || options.heights < 1) throw new RangeError("heights must be a positive integer");
  const setChanges = options.setChanges ?? 0;
  if (!Number.isSafeInteger(setChanges) || setChanges < 0 || setChanges > 1000) throw new RangeError("setChanges must be from 0 to 1000");
  const observers = options.observers ?? 0;
  if (!Number.isSafeInteger(observers) || observers < 0 || observers > 16) throw new RangeError("observers must be from 0 to 16");
  const outage = options.outage;
  if (outage != null) {
    if (!Number.isSafeInteger(outage.index) || outage.index < 0 || outage.index >= options.validators) throw new RangeError("the outage names no validator of the run");
    if ((options.byzantine ?? []).some((b) => b.index === outage.index)) throw new RangeError("the outage's validator must be an honest one");
  }
}

/**
 * DBFT registrants as an attacker picks them: the keys that sort lowest of a few dozen, so a rule
 * that filled seats in key order would hand them the set.
 */
function lowRegistrants(count: number): KeyPair[] {
  const keys = Array.from({ length: 24 }, (_, i) => simKey(`registrant-${i}`));
  return keys.sort((a, b) => (toHex(a.publicKey) < toHex(b.publicKey) ? -1 : 1)).slice(0, count);
}

/**
 * Partitions (one after another, each healing) and crash times across the safety phase; returns
 * when the safety phase ends. Most partitions last a few view-change timeouts; one in four lasts
 * as long as the capped timeout or longer, so replicas leave it with their timers at the cap and
 * in different views (where view synchronisation bugs live), and the phase is stretched to its heal.
 */
function scheduleFaults(cluster: Cluster, network: VirtualNetwork, prng: Prng, faults: FaultSpec, plannedMs: number, timeoutMs: number, capMs: number): number {
  let end = plannedMs;
  const slots = cluster.slots.map((s) => s.slot);
  if (faults.partitions.length > 0) {
    let t = prng.range(0, Math.floor(plannedMs / 5));
    while (t < plannedMs) {
      const long = prng.chance(0.25);
      const length = long ? prng.range(capMs, 2 * capMs) : prng.range(Math.min(2 * timeoutMs, Math.floor(plannedMs / 3)), Math.floor(plannedMs / 2));
      network.addPartition(randomPartition(prng, prng.pick(faults.partitions), slots, t, t + length));
      if (long) end = Math.max(end, t + length + timeoutMs);
      t += length + prng.range(Math.floor(plannedMs / 20), Math.floor(plannedMs / 5));
    }
  }
  if (faults.crash) {
    let t = prng.range(0, Math.floor(plannedMs / 6));
    while (t < end) {
      cluster.queue.at(t, { kind: "chaos" });
      t += prng.range(Math.floor(plannedMs / 10), Math.floor(plannedMs / 4));
    }
  }
  cluster.queue.at(end, { kind: "liveness" });
  return end;
}

/**
 * Crash a random honest slot that is up (at most f+1 down at once) and schedule its restart:
 * usually within a few timeouts, sometimes after one as long as the capped timeout. With crash
 * groups, sometimes 2..f+1 honest slots crash together and restart together: with f Byzantine
 * that leaves fewer than a quorum up, so nothing moves until they are back, and they come back
 * from their stores alone (their votes are durable, so safety holds with any number down).
 */
async function chaosCrash(cluster: Cluster, prng: Prng, groupPrng: Prng | null, f: number, timeoutMs: number, capMs: number, outage: Slot | null): Promise<boolean> {
  // The outage's validator is down already as far as f goes, and only the outage restarts it.
  const honest = cluster.honestSlots().filter((s) => s !== outage);
  if (outage !== null) f -= 1;
  const down = honest.filter((s) => !s.up).length;
  const up = honest.filter((s) => s.up && !s.halted);
  if (down > f || up.length === 0) return false;
  if (groupPrng !== null && down === 0 && up.length >= 2 && groupPrng.chance(0.35)) {
    const victims = groupPrng.shuffle(up).slice(0, groupPrng.range(2, Math.min(up.length, Math.max(2, f + 1))));
    const downtime = groupPrng.chance(0.2) ? groupPrng.range(capMs, 2 * capMs) : groupPrng.range(Math.floor(timeoutMs / 2), 3 * timeoutMs);
    for (const victim of victims) {
      await cluster.handle({ kind: "crash", slot: victim.slot, torn: groupPrng.chance(0.5) });
      cluster.queue.after(downtime, { kind: "restart", slot: victim.slot });
    }
    return true;
  }
  const victim: Slot = prng.pick(up);
  await cluster.handle({ kind: "crash", slot: victim.slot, torn: prng.chance(0.5) });
  const downtime = prng.chance(0.2) ? prng.range(capMs, 2 * capMs) : prng.range(Math.floor(timeoutMs / 2), 3 * timeoutMs);
  cluster.queue.after(downtime, { kind: "restart", slot: victim.slot });
  return false;
}

// ---- trace -----------------------------------------------------------------------------------

function slotName(cluster: Cluster, slot: number): string {
  const s = cluster.slots[slot];
  if (s === undefined) return `?${slot}`;
  return `${s.name}${s.twin === 1 ? "'" : ""}`;
}

function describeMessage(cluster: Cluster, m: ConsensusMessage): string {
  const from = cluster.slots.find((s) => s.id === m.from);
  const who = from === undefined ? m.from.slice(0, 8) : from.name;
  switch (m.type) {
    case "pre-prepare":
      return `pre-prepare h=${m.height} v=${m.view} block=${m.block.id.slice(0, 8)} txs=${m.block.txs.length} by ${who}`;
    case "prepare":
    case "commit":
      return `${m.type} h=${m.height} v=${m.view} block=${toHex(m.blockHash).slice(0, 8)} by ${who}`;
    case "view-change":
      return `view-change h=${m.height} to v=${m.newView} prepared=${m.prepared === null ? "-" : `${m.prepared.view}:${toHex(m.prepared.blockHash).slice(0, 8)}`} by ${who}`;
    case "new-view":
      return `new-view h=${m.height} v=${m.view} vcs=${m.viewChanges.length} chosen=${m.chosenBlockHash === null ? "-" : toHex(m.chosenBlockHash).slice(0, 8)} by ${who}`;
  }
}

export function describeEvent(cluster: Cluster, time: number, e: SimEvent): string {
  const t = `${String(time).padStart(7)}ms`;
  switch (e.kind) {
    case "tick":
      return `${t} tick ${slotName(cluster, e.slot)}`;
    case "deliver":
      return `${t} deliver ${slotName(cluster, e.from)}→${slotName(cluster, e.slot)} ${describeMessage(cluster, e.message)}`;
    case "later":
      return `${t} delayed ${e.action.type} from ${slotName(cluster, e.slot)}${"message" in e.action ? ` ${describeMessage(cluster, e.action.message)}` : ""}`;
    case "client":
      return `${t} client submits txs`;
    case "crash":
      return `${t} crash ${slotName(cluster, e.slot)}${e.torn ? " (torn)" : ""}`;
    case "crash-now":
      return `${t} crash ${slotName(cluster, e.slot)} (between steps)`;
    case "restart":
      return `${t} restart ${slotName(cluster, e.slot)}`;
    case "liveness":
      return `${t} liveness phase: network healed, faults off`;
    case "chaos":
      return `${t} chaos: crash a random honest validator`;
  }
}
