// The unsafe_net_* methods (CometBFT's "unsafe" routes): inject network faults into this node's
// p2p layer, for Byzantine test networks. They exist only on a node started with --unsafe
// (rpc.unsafe); elsewhere they are "method not found". Never enable them on a node that matters:
// anyone who reaches the RPC can partition it.
import { invalidParams, RpcError } from "./errors.js";
import type { MethodDef } from "./method-context.js";
import { optionalBool, optionalEnum, typeOf, type Params } from "./params.js";

export type NetFaultDirection = "in" | "out" | "both";

/** One current fault, as `unsafe_net_faults` lists it. */
export interface NetFaultEntry {
  readonly peer: string;
  readonly direction: NetFaultDirection;
  readonly drop: number;
  readonly delay_ms: number;
  readonly delay_max_ms: number;
  readonly duplicate: number;
  readonly block: boolean;
}

export interface NetFaultCounters {
  readonly dropped: number;
  readonly delayed: number;
  readonly duplicated: number;
  readonly blocked: number;
}

/** What the methods need of the node's fault layer (src/p2p/fault-layer.ts fits it). */
export interface NetFaultControl {
  /** Merge into the peers' faults; throws on a bad value (mapped to invalid params). */
  set(
    peers: readonly string[],
    direction: NetFaultDirection,
    spec: { drop?: number; delayMs?: number; delayMaxMs?: number; duplicate?: number; block?: boolean },
  ): void;
  clear(peers?: readonly string[]): void;
  list(): NetFaultEntry[];
  counters(): Record<string, NetFaultCounters>;
}

/** The wildcard peer: every peer. */
const ANY = "*";
const MAX_PEERS = 1024;
const MAX_DELAY_MS = 60_000;
const PEER_HEX = /^(0x)?[0-9a-fA-F]{64}$/;

function peersParam(p: Params, required: boolean): string[] | undefined {
  const raw = p.peers;
  if (raw === undefined || raw === null) {
    if (required) throw invalidParams("peers", "is required: validator ids (64 hex digits) or [\"*\"] for every peer");
    return undefined;
  }
  if (!Array.isArray(raw)) throw invalidParams("peers", "must be an array of validator ids (hex) or [\"*\"]", { got: typeOf(raw) });
  if (raw.length === 0 || raw.length > MAX_PEERS) throw invalidParams("peers", `must list 1..${MAX_PEERS} peers`, { length: raw.length });
  return raw.map((peer: unknown, i) => {
    if (peer === ANY) return ANY;
    if (typeof peer !== "string" || !PEER_HEX.test(peer)) {
      throw invalidParams("peers", `entry ${i} must be a validator id (64 hex digits, the peer's ed25519 key) or "*"`, { got: String(peer).slice(0, 80) });
    }
    return (peer.startsWith("0x") ? peer.slice(2) : peer).toLowerCase();
  });
}

function probability(p: Params, name: string): number | undefined {
  const raw = p[name];
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== "number" || !Number.isFinite(raw) || raw < 0 || raw > 1) throw invalidParams(name, "must be a probability: a number in [0, 1]", { got: String(raw).slice(0, 40) });
  return raw;
}

function delay(p: Params, name: string): number | undefined {
  const raw = p[name];
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== "number" || !Number.isSafeInteger(raw) || raw < 0 || raw > MAX_DELAY_MS) {
    throw invalidParams(name, `must be a whole number of milliseconds in [0, ${MAX_DELAY_MS}]`, { got: String(raw).slice(0, 40) });
  }
  return raw;
}

function snapshot(net: NetFaultControl): { faults: NetFaultEntry[]; counters: Record<string, NetFaultCounters> } {
  return { faults: net.list(), counters: net.counters() };
}

export function unsafeMethods(net: NetFaultControl): MethodDef[] {
  return [
    {
      name: "unsafe_net_set_fault",
      params: ["peers", "direction", "drop", "delay_ms", "delay_max_ms", "duplicate", "block"],
      handler: (p) => {
        const peers = peersParam(p, true)!;
        const direction = optionalEnum(p, "direction", ["in", "out", "both"] as const);
        if (direction === undefined) throw invalidParams("direction", 'is required: "in", "out" or "both"');
        const spec = {
          drop: probability(p, "drop"),
          delayMs: delay(p, "delay_ms"),
          delayMaxMs: delay(p, "delay_max_ms"),
          duplicate: probability(p, "duplicate"),
          block: optionalBool(p, "block"),
        };
        const given = Object.fromEntries(Object.entries(spec).filter(([, v]) => v !== undefined));
        if (Object.keys(given).length === 0) throw invalidParams("params", "set at least one of drop, delay_ms, delay_max_ms, duplicate, block");
        if (spec.delayMaxMs !== undefined && spec.delayMaxMs < (spec.delayMs ?? 0)) {
          throw invalidParams("delay_max_ms", "must not be below delay_ms", { delay_ms: spec.delayMs ?? 0, delay_max_ms: spec.delayMaxMs });
        }
        try {
          net.set(peers, direction, given);
        } catch (err) {
          throw new RpcError("INVALID_PARAMS", { reason: (err as Error).message });
        }
        return { faults: net.list() };
      },
    },
    {
      name: "unsafe_net_clear",
      params: ["peers"],
      handler: (p) => {
        net.clear(peersParam(p, false));
        return { faults: net.list() };
      },
    },
    { name: "unsafe_net_faults", params: [], handler: () => snapshot(net) },
  ];
}
