import { describe, expect, it } from "vitest";
import { bytesSentBetween, parseProcStat, parseSs, parseVmHwm } from "../../../../src/testnet/bench/proc-sample.js";

describe("/proc parsing", () => {
  it("reads utime and stime (fields 14, 15) of a stat line", () => {
    const stat = "18340 (node) S 18300 18340 11553 0 -1 4194560 51234 0 12 0 812 97 0 0 20 0 11 0 837086 1207713792 48613 18446744073709551615 1 1 0 0 0";
    expect(parseProcStat(stat)).toEqual({ utime: 812, stime: 97 });
  });

  it("counts fields from the last ')' when the command name holds spaces and parentheses", () => {
    const stat = "42 (we(ird) name) R 1 42 42 0 -1 4194304 100 0 0 0 5 6 0 0 20 0 1 0 9 0 0";
    expect(parseProcStat(stat)).toEqual({ utime: 5, stime: 6 });
    expect(parseProcStat("garbage")).toBeNull();
    expect(parseProcStat("1 (x) S 1 2")).toBeNull();
  });

  it("reads VmHWM in bytes from a status text", () => {
    const status = "Name:\tnode\nVmPeak:\t 1200000 kB\nVmHWM:\t  204800 kB\nVmRSS:\t  190000 kB\n";
    expect(parseVmHwm(status)).toBe(204800 * 1024);
    expect(parseVmHwm("Name:\tkthreadd\n")).toBeNull();
  });
});

describe("ss -tinpH parsing", () => {
  const ss = (a: number, b: number): string =>
    [
      `ESTAB 0      0               127.0.0.1:36950          127.0.0.1:10001 users:(("node",pid=100,fd=20))`,
      `\t cubic wscale:7,7 rto:204 rtt:0.03/0.01 mss:32768 bytes_sent:${a} bytes_acked:${a + 1} bytes_received:5 segs_out:4`,
      `ESTAB 0      0      [::ffff:127.0.0.1]:10002 [::ffff:127.0.0.1]:51000 users:(("node",pid=100,fd=21))`,
      `\t cubic wscale:7,7 rto:204 rtt:0.04/0.02 mss:32768 bytes_sent:${b} bytes_acked:${b} bytes_received:5`,
      `ESTAB 0      0               127.0.0.1:40000          127.0.0.1:10001 users:(("node",pid=200,fd=9))`,
      `\t cubic bytes_sent:999 bytes_acked:999`,
      "",
    ].join("\n");

  it("pairs each socket line with its info line", () => {
    const sockets = parseSs(ss(5, 7));
    expect(sockets).toEqual([
      { pid: 100, local: "127.0.0.1:36950", peer: "127.0.0.1:10001", bytesSent: 5 },
      { pid: 100, local: "[::ffff:127.0.0.1]:10002", peer: "[::ffff:127.0.0.1]:51000", bytesSent: 7 },
      { pid: 200, local: "127.0.0.1:40000", peer: "127.0.0.1:10001", bytesSent: 999 },
    ]);
  });

  it("bytes sent between snapshots: per pid, a new socket from zero, a filter on ports", () => {
    const before = parseSs(ss(5, 7)).slice(0, 1);
    const after = parseSs(ss(105, 57));
    expect(bytesSentBetween(before, after, 100)).toBe(100 + 57);
    expect(bytesSentBetween(before, after, 100, (s) => s.peer.endsWith(":10001"))).toBe(100);
    expect(bytesSentBetween(before, after, 300)).toBe(0);
  });
});
