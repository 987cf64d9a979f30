// In-process tests of src/node/key-file.ts (kept beside the CLI tests that drive it).
import { chmodSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { toHex } from "../../../src/chain/encoding.js";
import { devKeyPair } from "../../../src/chain/keys.js";
import { checkKeyFileMode, KeyFileError, parseKeyFile, readKeyFile, writeKeyFile } from "../../../src/node/key-file.js";
import { tempDir } from "./run-cli.js";

const tmp = tempDir();
afterAll(() => tmp.remove());

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof KeyFileError ? err.code : `not a KeyFileError: ${String(err)}`;
  }
  return undefined;
}

describe("key files", () => {
  const pair = devKeyPair("validator-0");

  it("round-trips a key with its label and insecure mark", async () => {
    const path = join(tmp.dir, "dev.json");
    await writeKeyFile(path, pair, { insecure: true, label: "validator-0" });
    expect(JSON.parse(readFileSync(path, "utf8"))).toEqual({
      type: "ed25519",
      publicKey: toHex(pair.publicKey),
      secretKey: toHex(pair.secretKey),
      insecure: true,
      label: "validator-0",
    });
    const key = await readKeyFile(path);
    expect(key.pair).toEqual(pair);
    expect(key.insecure).toBe(true);
    expect(key.label).toBe("validator-0");
  });

  it("refuses to overwrite without force, and with force leaves the file owner-only", async () => {
    const path = join(tmp.dir, "existing.json");
    writeFileSync(path, "keep me");
    chmodSync(path, 0o644);
    await expect(writeKeyFile(path, pair)).rejects.toMatchObject({ code: "KEY_FILE_EXISTS" });
    expect(readFileSync(path, "utf8")).toBe("keep me");
    await writeKeyFile(path, pair, { force: true });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect((await readKeyFile(path)).pair).toEqual(pair);
  });

  it("rejects a public key that does not belong to the secret key, naming the file", () => {
    const other = devKeyPair("validator-1");
    const text = JSON.stringify({ type: "ed25519", publicKey: toHex(other.publicKey), secretKey: toHex(pair.secretKey) });
    expect(() => parseKeyFile(text, "k.json")).toThrow(/^key file k\.json: publicKey does not belong to secretKey$/);
    expect(codeOf(() => parseKeyFile(text, "k.json"))).toBe("KEY_MISMATCH");
  });

  it("rejects malformed files with the field at fault", () => {
    const good = { type: "ed25519", publicKey: toHex(pair.publicKey), secretKey: toHex(pair.secretKey) };
    expect(() => parseKeyFile("{", "k.json")).toThrow(/^key file k\.json: not JSON/);
    expect(() => parseKeyFile(JSON.stringify({ ...good, secretKey: "ab" }), "k.json")).toThrow(/^key file k\.json: secretKey: must be 32 bytes/);
    expect(() => parseKeyFile(JSON.stringify({ ...good, type: "secp256k1" }), "k.json")).toThrow(/^key file k\.json: type: /);
    expect(() => parseKeyFile(JSON.stringify({ ...good, extra: 1 }), "k.json")).toThrow(/^key file k\.json: /);
    expect(codeOf(() => parseKeyFile(JSON.stringify({ ...good, publicKey: undefined }), "k.json"))).toBe("KEY_FILE_INVALID");
  });

  it("refuses a key file that group or others may read or write, saying how to fix it (as ssh does)", async () => {
    for (const mode of [0o644, 0o640, 0o604, 0o660, 0o606, 0o620, 0o602, 0o666]) {
      const path = join(tmp.dir, `open-${mode.toString(8)}.json`);
      await writeKeyFile(path, pair, { force: true });
      chmodSync(path, mode);
      const err = await readKeyFile(path).then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(KeyFileError);
      expect(err).toMatchObject({ code: "KEY_FILE_PERMISSIONS", details: { path, mode: `0${mode.toString(8)}` } });
      expect((err as Error).message).toContain(`chmod 600 ${path}`);
      chmodSync(path, 0o600);
      expect((await readKeyFile(path)).pair).toEqual(pair);
    }
    const readOnly = join(tmp.dir, "read-only.json");
    await writeKeyFile(readOnly, pair);
    chmodSync(readOnly, 0o400);
    expect((await readKeyFile(readOnly)).pair).toEqual(pair);
  });

  it("skips the mode check on Windows, where modes do not exist", () => {
    expect(() => checkKeyFileMode("k.json", 0o100666, "win32")).not.toThrow();
    expect(() => checkKeyFileMode("k.json", 0o100666, "linux")).toThrow(/chmod 600 k\.json/);
    expect(() => checkKeyFileMode("k.json", 0o100600, "darwin")).not.toThrow();
  });

  it("writes owner-only files even under a permissive umask", async () => {
    const old = process.umask(0);
    try {
      const path = join(tmp.dir, "umask.json");
      await writeKeyFile(path, pair);
      expect(statSync(path).mode & 0o777).toBe(0o600);
    } finally {
      process.umask(old);
    }
  });

  it("names a missing file", async () => {
    await expect(readKeyFile(join(tmp.dir, "absent.json"))).rejects.toThrow(/absent\.json: cannot read it \(no such file\)/);
  });
});
