// Parameter parsing and the event query language, without a server.
import { describe, expect, it } from "vitest";
import { RpcError } from "../../src/rpc/errors.js";
import { bytesString, hashString, namedParams, optionalInt } from "../../src/rpc/params.js";
import { parseQuery, queryMatches } from "../../src/rpc/query.js";

function paramError(fn: () => unknown): Record<string, unknown> | undefined {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(RpcError);
    return { code: (err as RpcError).code, ...(err as RpcError).data };
  }
  return undefined;
}

describe("params", () => {
  it("namedParams: absent, by name, by position; too many positions refused", () => {
    expect(namedParams(undefined, ["a"])).toEqual({});
    expect(namedParams({ a: 1, extra: 2 }, ["a"])).toEqual({ a: 1, extra: 2 });
    expect(namedParams([1, 2], ["a", "b"])).toEqual({ a: 1, b: 2 });
    expect(paramError(() => namedParams([1, 2], ["a"]))).toMatchObject({ code: -32602, param: "params" });
  });

  it("integers from numbers and decimal strings only", () => {
    expect(optionalInt({ h: "5" }, "h", 1)).toBe(5);
    expect(optionalInt({ h: 5 }, "h", 1)).toBe(5);
    expect(optionalInt({ h: null }, "h", 1)).toBeUndefined();
    for (const bad of ["05", "5e2", "0x5", " ", "1.0", 1.5, "9007199254740993", 0, false]) {
      expect(paramError(() => optionalInt({ h: bad }, "h", 1))).toMatchObject({ code: -32602, param: "h" });
    }
  });

  it("hashes: hex any case with or without 0x, base64 and base64url; nothing else", () => {
    const hex = "ab".repeat(32);
    const b64 = Buffer.from(hex, "hex").toString("base64");
    expect(hashString(hex, "hash")).toBe(hex);
    expect(hashString(hex.toUpperCase(), "hash")).toBe(hex);
    expect(hashString(`0x${hex}`, "hash")).toBe(hex);
    expect(hashString(b64, "hash")).toBe(hex);
    expect(hashString(Buffer.from(hex, "hex").toString("base64url"), "hash")).toBe(hex);
    for (const bad of ["ab", "zz".repeat(32), "ab".repeat(31), b64.slice(1), 5]) {
      expect(paramError(() => hashString(bad, "hash"))).toMatchObject({ code: -32602, param: "hash" });
    }
  });

  it("bytes: strict padded base64; 0x-hex only in URI requests; bounded", () => {
    expect([...bytesString("AQID", "tx", 10, { uri: false })]).toEqual([1, 2, 3]);
    expect([...bytesString("0x010203", "tx", 10, { uri: true })]).toEqual([1, 2, 3]);
    // Outside URI requests "0x…" is read as base64, as CometBFT's JSON decoding of []byte does.
    expect(paramError(() => bytesString("0x0102", "tx", 10, { uri: false }))).toMatchObject({ param: "tx" });
    for (const bad of ["AQI", "AQ=D", "A Q I D", "AQID\n", "", "AAAAAAAAAAAAAAAA"]) {
      expect(paramError(() => bytesString(bad, "tx", 10, { uri: false }))).toMatchObject({ code: -32602, param: "tx" });
    }
  });
});

describe("event queries", () => {
  const tx = { "tm.event": ["Tx"], "tx.height": ["7"], "tx.sender": ["abc"], "tx.hash": ["FF"] };

  it("parses AND-joined conditions with strings and numbers", () => {
    const q = parseQuery("tm.event = 'Tx' AND tx.height>=5 AND tx.sender EXISTS");
    expect(q.conditions).toEqual([
      { key: "tm.event", op: "=", value: "Tx" },
      { key: "tx.height", op: ">=", value: 5 },
      { key: "tx.sender", op: "EXISTS", value: null },
    ]);
    expect(queryMatches(q, tx)).toBe(true);
  });

  it("matches =, <, <=, >, >=, CONTAINS, EXISTS", () => {
    const yes = ["tm.event='Tx'", "tx.height=7", "tx.height<8", "tx.height<=7", "tx.height>6", "tx.height>=7", "tx.sender CONTAINS 'b'", "tx.hash EXISTS"];
    const no = ["tm.event='NewBlock'", "tx.height=8", "tx.height<7", "tx.height>7", "tx.sender CONTAINS 'z'", "block.height EXISTS"];
    for (const text of yes) expect(queryMatches(parseQuery(text), tx), text).toBe(true);
    for (const text of no) expect(queryMatches(parseQuery(text), tx), text).toBe(false);
  });

  it("refuses what it cannot parse, naming the query param", () => {
    for (const bad of ["", "   ", "tm.event", "tm.event=", "a='b' AND", "a='b' OR c='d'", "a < 'b'", "'a'='b'", "a='unterminated", "x".repeat(513)]) {
      expect(paramError(() => parseQuery(bad)), bad).toMatchObject({ code: -32602, param: "query" });
    }
    const many = Array.from({ length: 17 }, (_, i) => `k${i}=1`).join(" AND ");
    expect(paramError(() => parseQuery(many))).toMatchObject({ param: "query" });
  });
});
