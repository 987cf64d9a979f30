// What each node process spent during a load window: CPU seconds per 1,000 committed txs,
// peak RSS, and bytes sent per committed tx (all TCP, and the peer links alone), from
// snapshots taken when the window opens and closes (./proc-sample.ts).
import { bytesSentBetween, cpuSeconds, localPort, peakRssBytes, peerPort, readSockets, type TcpSocket } from "./proc-sample.js";
import { round1 } from "./stats.js";

export interface WatchedNode {
  readonly name: string;
  readonly pid: number;
}

export interface NodeSnapshot {
  readonly at: number;
  readonly cpu: ReadonlyMap<number, number | null>;
  readonly sockets: readonly TcpSocket[] | null;
  readonly socketsWhy: string | null;
}

export interface NodeCost {
  readonly name: string;
  readonly pid: number;
  readonly cpuSeconds: number | null;
  /** CPU seconds per 1,000 committed txs (= CPU ms per committed tx). */
  readonly cpuSecPer1kTx: number | null;
  readonly peakRssMB: number | null;
  /** All TCP bytes the node sent (peer links, RPC answers, WebSocket events) per committed tx. */
  readonly bytesSentPerTx: number | null;
  /** Bytes sent on the links to other nodes' p2p ports per committed tx. */
  readonly p2pBytesSentPerTx: number | null;
  readonly bytesNote?: string;
}

export async function snapshotNodes(nodes: readonly WatchedNode[]): Promise<NodeSnapshot> {
  const cpu = new Map(nodes.map((n) => [n.pid, cpuSeconds(n.pid)]));
  const s = await readSockets();
  return { at: Date.now(), cpu, sockets: s.sockets, socketsWhy: s.sockets === null ? s.why : null };
}

export function nodeCosts(nodes: readonly WatchedNode[], before: NodeSnapshot, after: NodeSnapshot, committed: number, p2pPorts: ReadonlySet<number>): NodeCost[] {
  const perTx = (x: number): number | null => (committed === 0 ? null : round1(x / committed));
  return nodes.map((n) => {
    const c0 = before.cpu.get(n.pid);
    const c1 = after.cpu.get(n.pid);
    const cpu = c0 === null || c0 === undefined || c1 === null || c1 === undefined ? null : c1 - c0;
    const rss = peakRssBytes(n.pid);
    const haveSockets = before.sockets !== null && after.sockets !== null;
    const isP2p = (s: TcpSocket): boolean => p2pPorts.has(localPort(s)) || p2pPorts.has(peerPort(s));
    const note = haveSockets ? undefined : (after.socketsWhy ?? before.socketsWhy ?? "no socket counters");
    return {
      name: n.name,
      pid: n.pid,
      cpuSeconds: cpu === null ? null : Math.round(cpu * 100) / 100,
      cpuSecPer1kTx: cpu === null || committed === 0 ? null : Math.round((cpu / committed) * 1000 * 1000) / 1000,
      peakRssMB: rss === null ? null : round1(rss / (1024 * 1024)),
      bytesSentPerTx: haveSockets ? perTx(bytesSentBetween(before.sockets!, after.sockets!, n.pid)) : null,
      p2pBytesSentPerTx: haveSockets ? perTx(bytesSentBetween(before.sockets!, after.sockets!, n.pid, isP2p)) : null,
      ...(note === undefined ? {} : { bytesNote: note }),
    };
  });
}
