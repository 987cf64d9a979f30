// Triad's own methods: account and key-value reads, governance reads of the selection module,
// and the consensus signer metrics. Heights and nonces are JSON numbers here (safe integers);
// balances are decimal strings (u64).
import { MAX_KV_KEY_BYTES } from "../chain/builtin-kinds.js";
import { RpcError, invalidParams } from "./errors.js";
import { base64 } from "./format.js";
import type { MethodDef, RpcEnv } from "./method-context.js";
import type { JsonValue } from "./node-api.js";
import { requiredKeyHex, requiredString } from "./params.js";
import type { ResultAccount, ResultKv } from "./types.js";

/** A selection-specific read on a chain that uses the other selection module. */
function governance(value: JsonValue | null, selection: string, method: string): JsonValue {
  if (value === null) throw new RpcError("METHOD_NOT_ENABLED", { reason: `${method} needs a chain using ${selection} selection`, method });
  return value;
}

async function headHeight(env: RpcEnv): Promise<number> {
  return (await env.api.status()).height;
}

export function triadMethods(): MethodDef[] {
  return [
    {
      name: "triad_account",
      params: ["id"],
      handler: async (p, { env }): Promise<ResultAccount> => {
        const id = requiredKeyHex(p, "id");
        const [a, height] = await Promise.all([env.api.account(id), headHeight(env)]);
        return { id, balance: a.balance.toString(), nonce: a.nonce, pending_nonce: a.pendingNonce ?? a.nonce, height };
      },
    },
    {
      name: "triad_kv",
      params: ["key"],
      handler: async (p, { env }): Promise<ResultKv> => {
        const key = requiredString(p, "key", MAX_KV_KEY_BYTES);
        const n = Buffer.byteLength(key, "utf8");
        if (n === 0 || n > MAX_KV_KEY_BYTES) throw invalidParams("key", `must be 1..${MAX_KV_KEY_BYTES} bytes of UTF-8`, { bytes: n });
        const [value, height] = await Promise.all([env.api.kv(key), headHeight(env)]);
        return { key, value: value === undefined ? null : base64(value), height };
      },
    },
    {
      name: "poa_getPendingVotes",
      params: [],
      handler: async (_p, { env }) => governance(await env.api.poaPendingVotes(), "poa", "poa_getPendingVotes"),
    },
    {
      name: "dbft_getCandidates",
      params: [],
      handler: async (_p, { env }) => governance(await env.api.dbftCandidates(), "dbft", "dbft_getCandidates"),
    },
    { name: "consensus_getSignerMetrics", params: [], handler: async (_p, { env }) => env.api.signerMetrics() },
    {
      name: "triad_status",
      params: [],
      handler: async (_p, { env }): Promise<JsonValue> => {
        const api = env.api;
        if (api.triadStatus === undefined) throw new RpcError("METHOD_NOT_ENABLED", { reason: "this node does not count its consensus events", method: "triad_status" });
        const [status, t] = await Promise.all([api.status(), api.triadStatus()]);
        return {
          node: { moniker: status.moniker, validator_id: status.validatorId, peer_id: status.nodeId, version: status.version },
          role: t.role,
          byzantine: [...t.byzantine],
          height: status.height,
          view: status.view,
          phase: t.phase,
          primary: t.primary,
          syncing: status.syncing,
          uptime_ms: t.uptimeMs,
          view_changes: { ...t.viewChanges },
          faults_reported: { ...t.faultsReported },
          faults_by_peer: { ...t.faultsByPeer },
          messages_refused: t.messagesRefused,
          byzantine_acts: { ...t.byzantineActs },
          peers_refused: [...t.peersRefused],
          peer_bans: t.peerBans,
        };
      },
    },
  ];
}
