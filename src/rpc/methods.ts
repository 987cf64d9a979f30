// The method table: each RPC method is a name, its positional parameter order (CometBFT's route
// argument list, for array params) and a handler over the node's API. The groups live in
// methods-chain.ts, methods-tx.ts and methods-triad.ts; subscribe/unsubscribe are added by the
// WebSocket layer, which owns the connection they act on.
import type { MethodDef } from "./method-context.js";
import { chainMethods } from "./methods-chain.js";
import { dashboardMethods } from "./methods-dashboard.js";
import { triadMethods } from "./methods-triad.js";
import { txMethods } from "./methods-tx.js";
import { unsafeMethods, type NetFaultControl } from "./methods-unsafe.js";

export type { MethodContext, MethodDef, RpcEnv, RpcLimits } from "./method-context.js";

/** `unsafe`: the node's fault layer when started with --unsafe; only then do unsafe_* exist. */
export function allMethods(unsafe?: NetFaultControl): MethodDef[] {
  return [...chainMethods(), ...txMethods(), ...triadMethods(), ...dashboardMethods(), ...(unsafe === undefined ? [] : unsafeMethods(unsafe))];
}

/** Names of the methods served over HTTP and WebSocket alike (subscriptions are WebSocket-only). */
export function methodNames(): string[] {
  return allMethods().map((m) => m.name);
}
