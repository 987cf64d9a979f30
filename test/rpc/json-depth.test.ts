// The nesting scan that runs before JSON.parse: counts arrays and objects, not brackets inside
// strings (escaped quotes included), and stops at the first level past the limit.
import { expect, it } from "vitest";
import { MAX_JSON_DEPTH, nestsDeeperThan } from "../../src/rpc/json-depth.js";

it("counts the depth of arrays and objects", () => {
  expect(nestsDeeperThan("[]", 1)).toBe(false);
  expect(nestsDeeperThan("[[]]", 1)).toBe(true);
  expect(nestsDeeperThan('{"a":{"b":[1]}}', 3)).toBe(false);
  expect(nestsDeeperThan('{"a":{"b":[1]}}', 2)).toBe(true);
  expect(nestsDeeperThan("[[],[],[]]", 2)).toBe(false);
});

it("ignores brackets inside strings, escaped quotes included", () => {
  expect(nestsDeeperThan(`["${"[".repeat(1000)}"]`, 1)).toBe(false);
  expect(nestsDeeperThan(`["\\"${"{".repeat(1000)}"]`, 1)).toBe(false);
  expect(nestsDeeperThan(`["\\\\", [[]]]`, 2)).toBe(true);
});

it("finds 100,000 levels without recursion", () => {
  const deep = "[".repeat(100_000) + "]".repeat(100_000);
  expect(nestsDeeperThan(deep, MAX_JSON_DEPTH)).toBe(true);
  expect(nestsDeeperThan(`{"jsonrpc":"2.0","id":1,"method":"broadcast_tx_batch","params":{"txs":["AAAA"]}}`, MAX_JSON_DEPTH)).toBe(false);
});
