// Free TCP ports on 127.0.0.1, chosen before any node starts so that every node's peers can be
// written into its config at init time.
//
// They are drawn from BELOW the kernel's ephemeral range: a port the kernel hands out for
// `listen(0)` is also one it may hand out a moment later as the local port of some outgoing
// connection (other nodes dialling, fetches), and a node that then tries to bind it fails with
// EADDRINUSE. Outside that range only another listener can take a port, and each candidate is
// test-bound first. All ports of one call are held open together, so none repeats.
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:net";

const LOWEST_PORT = 10_000;
const MAX_ATTEMPTS = 1_000;

/** The first port of the kernel's ephemeral range (Linux), or the IANA one elsewhere. */
function ephemeralStart(): number {
  try {
    const [low] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/).map(Number);
    if (low !== undefined && Number.isInteger(low) && low > LOWEST_PORT + 1_000) return low;
  } catch {
    // Not Linux.
  }
  return 49_152;
}

function tryListen(port: number): Promise<Server | null> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(null));
    server.listen({ host: "127.0.0.1", port, exclusive: true }, () => resolve(server));
  });
}

export async function freePorts(count: number): Promise<number[]> {
  const high = ephemeralStart();
  const servers: Server[] = [];
  const ports: number[] = [];
  try {
    for (let attempt = 0; ports.length < count; attempt++) {
      if (attempt >= MAX_ATTEMPTS) throw new Error(`found only ${ports.length} of ${count} free ports in ${LOWEST_PORT}..${high - 1}`);
      const port = LOWEST_PORT + Math.floor(Math.random() * (high - LOWEST_PORT));
      if (ports.includes(port)) continue;
      const server = await tryListen(port);
      if (server === null) continue;
      servers.push(server);
      ports.push(port);
    }
    return ports;
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}

/** True when every one of `ports` can be bound on 127.0.0.1 right now (all held together, then released). */
export async function portsFree(ports: readonly number[]): Promise<boolean> {
  const servers: Server[] = [];
  try {
    for (const port of ports) {
      const server = await tryListen(port);
      if (server === null) return false;
      servers.push(server);
    }
    return true;
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}
