// What a real node (`triad start --byzantine`, `triad testnet --byzantine`) can run of the
// catalogue. Two behaviours only exist in the simulator: `lone-decider` needs the adversarial
// network to silence the replicas it lured, and `bad-sync-server` is played by the simulator's
// virtual transport. A node refuses them by name rather than running as an honest node that
// claims to be Byzantine.
import { BEHAVIOURS, SimSpecError, type BehaviourName } from "./byzantine-spec.js";

export const SIM_ONLY_BEHAVIOURS: readonly BehaviourName[] = ["lone-decider", "bad-sync-server"];

/** Throws INVALID_SPEC when one of `names` only runs in `triad sim`. */
export function checkNodeBehaviours(names: readonly BehaviourName[]): void {
  const simOnly = names.filter((n) => SIM_ONLY_BEHAVIOURS.includes(n));
  if (simOnly.length > 0) {
    throw new SimSpecError(
      "INVALID_SPEC",
      `${simOnly.join(", ")} only run${simOnly.length === 1 ? "s" : ""} in the simulator (it needs the sim's adversarial network or virtual transport): use \`triad sim --byzantine <index>:${simOnly[0]}\``,
    );
  }
}

/** `equivocate+replay` → ["equivocate", "replay"] (distinct, in order); unknown names throw. */
export function parseBehaviourList(text: string): BehaviourName[] {
  const out: BehaviourName[] = [];
  for (const raw of text.split("+")) {
    const name = raw.trim();
    if (!(BEHAVIOURS as readonly string[]).includes(name)) {
      throw new SimSpecError("INVALID_SPEC", `unknown behaviour ${JSON.stringify(name)}; known: ${BEHAVIOURS.join(", ")}`);
    }
    if (!out.includes(name as BehaviourName)) out.push(name as BehaviourName);
  }
  return out;
}
