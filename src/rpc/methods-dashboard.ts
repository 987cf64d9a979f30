// `triad_dashboard`: one call gives the live page all it draws of a node (its status, the
// validators with their seal participation, the last blocks, the timeline's new events). The
// page polls it about once a second with the cursor of the events it already has.
import { RpcError } from "./errors.js";
import type { MethodDef } from "./method-context.js";
import type { DashboardInfo } from "./node-api.js";
import { optionalInt } from "./params.js";

export function dashboardMethods(): MethodDef[] {
  return [
    {
      name: "triad_dashboard",
      params: ["since"],
      handler: async (p, { env }): Promise<DashboardInfo> => {
        // Checked before asking whether the node has it: a bad cursor is the caller's error either way.
        const since = optionalInt(p, "since", 0) ?? 0;
        const api = env.api;
        if (api.dashboard === undefined) throw new RpcError("METHOD_NOT_ENABLED", { reason: "this node keeps no dashboard journal", method: "triad_dashboard" });
        return api.dashboard(since);
      },
    },
  ];
}
