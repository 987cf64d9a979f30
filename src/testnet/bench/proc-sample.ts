// What a node process costs, read from Linux itself rather than from the node: CPU time from
// /proc/<pid>/stat, peak resident memory from /proc/<pid>/status, and bytes sent from the
// kernel's per-socket TCP counters (`ss -tinpH`). Parsers are pure (tested on fixture text);
// the readers return null where the source is missing (not Linux, process gone, no `ss`).
import { execFile, execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

export interface CpuTicks {
  readonly utime: number;
  readonly stime: number;
}

/**
 * utime and stime (fields 14 and 15, in clock ticks) of a /proc/<pid>/stat line. The command
 * name (field 2) is in parentheses and may itself hold spaces or ')', so fields are counted
 * from the LAST ')'.
 */
export function parseProcStat(text: string): CpuTicks | null {
  const close = text.lastIndexOf(")");
  if (close < 0) return null;
  // After ") " comes field 3 (state); utime is field 14, i.e. index 11 from there.
  const fields = text.slice(close + 2).trim().split(/\s+/);
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime) || fields.length < 13) return null;
  return { utime, stime };
}

/** VmHWM (peak resident set) of a /proc/<pid>/status text, in bytes. */
export function parseVmHwm(text: string): number | null {
  const m = /^VmHWM:\s+(\d+)\s+kB$/m.exec(text);
  return m === null ? null : Number(m[1]) * 1024;
}

let clockTicks: number | null | undefined;

/** Clock ticks per second (`getconf CLK_TCK`; 100 on nearly every Linux). */
export function clkTck(): number {
  if (clockTicks === undefined) {
    try {
      const n = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());
      clockTicks = Number.isFinite(n) && n > 0 ? n : null;
    } catch {
      clockTicks = null;
    }
  }
  return clockTicks ?? 100;
}

/** CPU seconds (user + system) used so far by `pid`; null when it cannot be read. */
export function cpuSeconds(pid: number): number | null {
  try {
    const ticks = parseProcStat(readFileSync(`/proc/${pid}/stat`, "utf8"));
    return ticks === null ? null : (ticks.utime + ticks.stime) / clkTck();
  } catch {
    return null;
  }
}

/** Peak resident memory of `pid` in bytes; null when it cannot be read. */
export function peakRssBytes(pid: number): number | null {
  try {
    return parseVmHwm(readFileSync(`/proc/${pid}/status`, "utf8"));
  } catch {
    return null;
  }
}

/** One TCP socket from `ss -tinpH`. */
export interface TcpSocket {
  readonly pid: number;
  readonly local: string;
  readonly peer: string;
  readonly bytesSent: number;
}

function portOfAddress(address: string): number {
  return Number(address.slice(address.lastIndexOf(":") + 1));
}

export function localPort(s: TcpSocket): number {
  return portOfAddress(s.local);
}

export function peerPort(s: TcpSocket): number {
  return portOfAddress(s.peer);
}

/**
 * The sockets of `ss -tinpH` output: a socket line (state, queues, local, peer, users:((…pid=N…)))
 * followed by an indented line of TCP info holding `bytes_sent:N`. Sockets without a pid or
 * without the counter (an old kernel) are left out.
 */
export function parseSs(text: string): TcpSocket[] {
  const out: TcpSocket[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.length === 0 || /^\s/.test(line)) continue;
    const cols = line.trim().split(/\s+/);
    const info = lines[i + 1] ?? "";
    if (!/^\s/.test(info) || cols.length < 5) continue;
    const sent = /\bbytes_sent:(\d+)/.exec(info);
    if (sent === null) continue;
    const [local, peer] = [cols[3]!, cols[4]!];
    for (const m of line.matchAll(/pid=(\d+)/g)) out.push({ pid: Number(m[1]), local, peer, bytesSent: Number(sent[1]) });
  }
  return out;
}

/** Every TCP socket with its owner and bytes sent, or null (and why) when `ss` cannot tell. */
export function readSockets(): Promise<{ sockets: TcpSocket[] } | { sockets: null; why: string }> {
  return new Promise((resolve) => {
    execFile("ss", ["-tinpH"], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 }, (err, stdout) => {
      if (err !== null) return resolve({ sockets: null, why: `ss -tinpH failed: ${err.message.split("\n")[0]}` });
      const sockets = parseSs(stdout);
      if (sockets.length === 0 && stdout.trim().length > 0) return resolve({ sockets: null, why: "ss -tinpH shows no bytes_sent counters or no owning pids" });
      resolve({ sockets });
    });
  });
}

/**
 * Bytes `pid` sent between two snapshots over sockets still open at the end (a socket opened
 * in between counts from zero). Sockets closed in between are missed: fine for long-lived
 * peer links, an undercount for short RPC connections.
 */
export function bytesSentBetween(before: readonly TcpSocket[], after: readonly TcpSocket[], pid: number, filter: (s: TcpSocket) => boolean = () => true): number {
  const key = (s: TcpSocket): string => `${s.local} ${s.peer}`;
  const start = new Map(before.filter((s) => s.pid === pid).map((s) => [key(s), s.bytesSent]));
  let total = 0;
  for (const s of after) {
    if (s.pid !== pid || !filter(s)) continue;
    total += Math.max(0, s.bytesSent - (start.get(key(s)) ?? 0));
  }
  return total;
}
