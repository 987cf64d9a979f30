// `triad tx … --json`: one JSON object on stdout (the tx, code, log, status, height), text
// without it, failures to reach the node on stderr with exit 1. The CLI runs as a child process
// against an RPC server over the in-memory FakeNode.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { publicKeyHex } from "../../../src/chain/keys.js";
import { writeKeyFile } from "../../../src/node/key-file.js";
import { account0, account1, transferTx } from "../../rpc/fake-node.js";
import { startRpc, type RpcHarness } from "../../rpc/helpers.js";
import { repoRoot, tempDir } from "./run-cli.js";

function run(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["bin/triad.mjs", ...args], { cwd: repoRoot });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("triad tx --json", () => {
  let h: RpcHarness;
  const tmp = tempDir();
  const keyFile = join(tmp.dir, "account-0.json");
  const to = publicKeyHex(account1);
  beforeAll(async () => {
    h = await startRpc();
    await writeKeyFile(keyFile, account0, { insecure: true });
  });
  afterAll(async () => {
    await h.close();
    tmp.remove();
  });

  it("prints one JSON object for an accepted tx, and text without --json", async () => {
    const json = await run(["tx", "transfer", "--rpc", h.address.url, "--key", keyFile, "--to", to, "--amount", "3", "--nonce", "0", "--json"]);
    expect(json.code, json.stderr).toBe(0);
    const o = JSON.parse(json.stdout) as Record<string, unknown>;
    expect(o).toMatchObject({ sender: publicKeyHex(account0), nonce: 0, kind: "transfer", mode: "sync", status: "added", code: 0, log: "" });
    expect(o.id).toMatch(/^[0-9a-f]{64}$/);
    expect(o.hash).toBe((o.id as string).toUpperCase());
    expect(o.height).toBeUndefined();

    const text = await run(["tx", "transfer", "--rpc", h.address.url, "--key", keyFile, "--to", to, "--amount", "3", "--nonce", "1", "--wait", "none"]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^tx [0-9a-f]{64} \(transfer, nonce 1, from [0-9a-f]{64}\)\nsubmitted \(not checked yet\)\n$/);
  }, 30_000);

  it("reports the height of a committed tx, and a refusal with exit 1", async () => {
    // The fake node appends what is pooled as soon as the tx arrives.
    const timer = setInterval(() => {
      if (h.node.mempoolTxs.size > 0) h.node.appendBlock();
    }, 20);
    const committed = await run(["tx", "kv-put", "--rpc", h.address.url, "--key", keyFile, "--key-name", "k", "--value", "v", "--nonce", "2", "--wait", "commit", "--json"]).finally(() =>
      clearInterval(timer),
    );
    expect(committed.code, committed.stderr).toBe(0);
    const c = JSON.parse(committed.stdout) as Record<string, unknown>;
    expect(c).toMatchObject({ kind: "kv.put", mode: "commit", code: 0, height: h.node.height });
    expect(c.tx_result).toMatchObject({ code: 0 });

    // Nonce 3 is taken by a block: the same nonce again is refused.
    h.node.appendBlock([transferTx(account0, 3)]);
    const stale2 = await run(["tx", "transfer", "--rpc", h.address.url, "--key", keyFile, "--to", to, "--amount", "4", "--nonce", "3", "--json"]);
    expect(stale2.code).toBe(1);
    expect(JSON.parse(stale2.stdout)).toMatchObject({ status: "rejected", error: "STALE_NONCE", code: 16 });
  }, 30_000);

  it("keeps a failure to reach the node on stderr, stdout empty", async () => {
    const down = await run(["tx", "transfer", "--rpc", "http://127.0.0.1:9", "--key", keyFile, "--to", to, "--amount", "3", "--nonce", "0", "--json"]);
    expect(down.code).toBe(1);
    expect(down.stdout).toBe("");
    expect(down.stderr).toMatch(/cannot reach a node at http:\/\/127\.0\.0\.1:9/);
  }, 30_000);
});
