// The fault layer as the unsafe_net_* methods see it, with each change written to the node's
// consensus journal: the dashboard's timeline shows a partition or a delay beside the view
// changes it causes. Only changes that took effect are written (a refused spec throws first).
import type { NetFaultControl, NetFaultDirection } from "../rpc/methods-unsafe.js";
import type { ConsensusJournal } from "./consensus-journal.js";

/** More peers than this are named by count in an event's detail. */
const NAMED_PEERS = 4;

export function journaledFaults(control: NetFaultControl, journal: ConsensusJournal): NetFaultControl {
  return {
    set(peers, direction: NetFaultDirection, spec) {
      control.set(peers, direction, spec);
      const what = Object.entries(spec)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `${k}=${String(v)}`)
        .join(" ");
      journal.perturbation("net-fault", onePeer(peers), `${direction} ${what} (${peerList(peers)})`);
    },
    clear(peers) {
      control.clear(peers);
      journal.perturbation("net-clear", peers === undefined ? null : onePeer(peers), peers === undefined ? "every fault cleared" : `cleared (${peerList(peers)})`);
    },
    list: () => control.list(),
    counters: () => control.counters(),
  };
}

/** The peer an event is about, when it is about exactly one ("*" is every peer). */
function onePeer(peers: readonly string[]): string | null {
  return peers.length === 1 && peers[0] !== "*" ? peers[0]! : null;
}

function peerList(peers: readonly string[]): string {
  if (peers.includes("*")) return "every peer";
  if (peers.length > NAMED_PEERS) return `${peers.length} peers`;
  return peers.map((p) => p.slice(0, 8)).join(", ");
}
