// The package as a library user meets it: plain Node (no tsx flag, no TypeScript) importing
// "triad" and "triad/client" by the package's own name (self-reference from the repository),
// and the named exports of index.mjs kept equal to src/index.ts's runtime exports.
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import * as surface from "../../src/index.js";

const run = promisify(execFile);
const root = fileURLToPath(new URL("../..", import.meta.url));

/** Runs an ES module snippet in a child `node` at the repository root; returns its stdout JSON. */
async function nodeEval(code: string): Promise<Record<string, unknown>> {
  const { stdout } = await run(process.execPath, ["--input-type=module", "-e", code], { cwd: root, timeout: 30_000 });
  return JSON.parse(stdout) as Record<string, unknown>;
}

describe("the package's entries in plain Node", () => {
  it('import("triad") gives the client, key helpers and tx building; "triad/client" the same client', async () => {
    const out = await nodeEval(`
      const triad = await import("triad");
      const client = await import("triad/client");
      const key = triad.generateKeyPair();
      const to = triad.devKeyPair("account-1");
      const payload = triad.transferKind.encode({ to: to.publicKey, amount: 5n });
      const tx = triad.signTx({ chainId: "lib-test", from: key.publicKey, nonce: 0, kind: "transfer", payload }, key.secretKey);
      const back = triad.decodeSignedTx(tx.bytes);
      triad.verifyTx(back, "lib-test");
      let wrongChain = null;
      try { triad.verifyTx(back, "other-chain"); } catch (err) { wrongChain = err.code; }
      console.log(JSON.stringify({
        names: Object.keys(triad).sort(),
        clientIsClass: typeof triad.TriadClient === "function" && typeof new triad.TriadClient({ url: "http://127.0.0.1:1" }).status === "function",
        sameClient: client.TriadClient === triad.TriadClient && client.TriadRpcError === triad.TriadRpcError,
        sender: back.sender,
        publicKeyHex: triad.publicKeyHex(key),
        id: back.id === tx.id,
        wrongChain,
      }));
    `);
    expect(out.clientIsClass).toBe(true);
    expect(out.sameClient).toBe(true);
    expect(out.sender).toBe(out.publicKeyHex);
    expect(out.id).toBe(true);
    expect(out.wrongChain).toBeTypeOf("string");
    // index.mjs spells its names out (ESM needs them static): it must match src/index.ts.
    expect(out.names).toEqual(Object.keys(surface).sort());
  });
});
