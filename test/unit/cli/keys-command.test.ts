import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readKeyFile } from "../../../src/node/key-file.js";
import { toHex } from "../../../src/chain/encoding.js";
import { runCli, tempDir } from "./run-cli.js";

const tmp = tempDir();
afterAll(() => tmp.remove());

describe("triad keys", () => {
  const file = join(tmp.dir, "nested", "validator.json");

  it("generate writes an owner-only key file and prints its public key", async () => {
    const run = runCli(["keys", "generate", "--out", file]);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^[0-9a-f]{64}\n$/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const key = await readKeyFile(file);
    expect(toHex(key.pair.publicKey)).toBe(run.stdout.trim());
    expect(key.insecure).toBe(false);
    const json = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
    expect(Object.keys(json)).toEqual(["type", "publicKey", "secretKey"]);
    expect(json.type).toBe("ed25519");
  });

  it("generate refuses to overwrite an existing file", () => {
    const before = readFileSync(file, "utf8");
    const run = runCli(["keys", "generate", "--out", file]);
    expect(run.status).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
    expect(run.stderr).toContain("already exists");
    expect(run.stderr).toContain("--force");
    expect(readFileSync(file, "utf8")).toBe(before);
  });

  it("generate --force --json replaces the file and reports it as JSON", async () => {
    const run = runCli(["keys", "generate", "--out", file, "--force", "--json"]);
    expect(run.status).toBe(0);
    const out = JSON.parse(run.stdout) as { publicKey: string; path: string };
    expect(out.path).toBe(file);
    expect(toHex((await readKeyFile(file)).pair.publicKey)).toBe(out.publicKey);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it("show prints the public key", () => {
    const publicKey = (JSON.parse(readFileSync(file, "utf8")) as { publicKey: string }).publicKey;
    const run = runCli(["keys", "show", file]);
    expect(run.status).toBe(0);
    expect(run.stdout).toBe(`${publicKey}\n`);
  });
});
