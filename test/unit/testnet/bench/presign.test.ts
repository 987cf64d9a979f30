import { describe, expect, it } from "vitest";
import { decodeSignedTx, devKeyPair, toHex, verifyTx } from "../../../../src/chain/index.js";
import { presign } from "../../../../src/testnet/bench/presign.js";

describe("presign", () => {
  it("spreads txs round-robin over the accounts, each from its next nonce, with ids known in advance", () => {
    const accounts = [devKeyPair("a"), devKeyPair("b"), devKeyPair("c")];
    const out = presign({ chainId: "bench-test", accounts, nonces: [5, 0, 9], count: 7 });
    const txs = out.base64.map((b) => decodeSignedTx(new Uint8Array(Buffer.from(b, "base64"))));
    expect(txs.map((t) => [t.sender, t.nonce])).toEqual([
      [toHex(accounts[0]!.publicKey), 5],
      [toHex(accounts[1]!.publicKey), 0],
      [toHex(accounts[2]!.publicKey), 9],
      [toHex(accounts[0]!.publicKey), 6],
      [toHex(accounts[1]!.publicKey), 1],
      [toHex(accounts[2]!.publicKey), 10],
      [toHex(accounts[0]!.publicKey), 7],
    ]);
    expect(txs.map((t) => t.id)).toEqual(out.ids);
    for (const t of txs) expect(() => verifyTx(t, "bench-test")).not.toThrow();
  });
});
