// Found by the fuzz suite (test/reliability/fuzz/rpc.test.ts): hashString took any 44-character
// base64 string as a hash, but 44 characters hold 31 ("…==") or 33 (no padding) bytes as well as
// 32 ("…="): it handed a 62- or 66-digit "hash" on to the lookups instead of -32602.
import { describe, expect, it } from "vitest";
import { RpcError } from "../../../src/rpc/errors.js";
import { hashString } from "../../../src/rpc/params.js";

function refusal(value: string): RpcError | undefined {
  try {
    hashString(value, "hash");
    return undefined;
  } catch (err) {
    return err as RpcError;
  }
}

describe("hashString: base64 must hold exactly 32 bytes", () => {
  it("takes the 32-byte form", () => {
    const bytes = new Uint8Array(32).fill(0xab);
    const b64 = Buffer.from(bytes).toString("base64");
    expect(b64).toHaveLength(44);
    expect(hashString(b64, "hash")).toBe("ab".repeat(32));
  });

  it.each([
    ["33 bytes, no padding", Buffer.from(new Uint8Array(33).fill(1)).toString("base64")],
    ["31 bytes, two pads", Buffer.from(new Uint8Array(31).fill(1)).toString("base64")],
    ["all A (33 zero bytes)", "A".repeat(44)],
  ])("refuses %s with -32602 naming the param", (_what, value) => {
    expect(value).toHaveLength(44);
    const err = refusal(value);
    expect(err).toBeInstanceOf(RpcError);
    expect(err?.code).toBe(-32602);
    expect(err?.data.param).toBe("hash");
  });
});
