// A validator's or account's ed25519 key on disk: JSON holding the public key and the 32-byte
// seed. The file is created owner-only and never silently replaced, because losing or leaking
// a validator key is not recoverable. Reading checks that the two keys belong together, so a
// hand-edited or truncated file fails at startup rather than at the first signature. Reading
// also refuses a file that group or others may read or write, as ssh does with private keys:
// such a key may already have leaked, and loading it silently hides that.
import { chmod, mkdir, open, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { z } from "zod";
import { bytesEqual, fromHex, toHex } from "../chain/encoding.js";
import { TriadError } from "../chain/errors.js";
import { keyPairFromSecret, type KeyPair } from "../chain/keys.js";

export type KeyFileErrorCode = "KEY_FILE_EXISTS" | "KEY_FILE_UNREADABLE" | "KEY_FILE_INVALID" | "KEY_MISMATCH" | "KEY_FILE_PERMISSIONS";
export class KeyFileError extends TriadError<KeyFileErrorCode> {}

const hex32 = z.string().regex(/^[0-9a-f]{64}$/, "must be 32 bytes in lower-case hex");

const keyFileSchema = z
  .object({
    type: z.literal("ed25519"),
    publicKey: hex32,
    secretKey: hex32,
    insecure: z.boolean().optional(),
    label: z.string().min(1).max(64).optional(),
  })
  .strict();

export type KeyFileJson = z.infer<typeof keyFileSchema>;

export interface KeyFile {
  readonly pair: KeyPair;
  /** A public development key (derivable by anyone): fine for a local network, never for a real one. */
  readonly insecure: boolean;
  readonly label?: string;
}

export interface WriteKeyFileOptions {
  readonly insecure?: boolean;
  readonly label?: string;
  /** Replace an existing file; without it an existing file is an error. */
  readonly force?: boolean;
}

export function keyFileJson(pair: KeyPair, options: Pick<WriteKeyFileOptions, "insecure" | "label"> = {}): KeyFileJson {
  return {
    type: "ed25519",
    publicKey: toHex(pair.publicKey),
    secretKey: toHex(pair.secretKey),
    ...(options.insecure === true ? { insecure: true } : {}),
    ...(options.label !== undefined ? { label: options.label } : {}),
  };
}

export async function writeKeyFile(path: string, pair: KeyPair, options: WriteKeyFileOptions = {}): Promise<void> {
  const text = `${JSON.stringify(keyFileJson(pair, options), null, 2)}\n`;
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  try {
    await writeFile(path, text, { mode: 0o600, flag: options.force === true ? "w" : "wx" });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") {
      throw new KeyFileError("KEY_FILE_EXISTS", `key file ${path} already exists; refusing to overwrite it`, { path });
    }
    throw err;
  }
  // The creation mode is filtered by the umask and ignored when an existing file is replaced.
  await chmod(path, 0o600);
}

/** Permission bits that must be clear on a key file: any access by group or others. */
export const KEY_FILE_FORBIDDEN_MODE = 0o077;

/**
 * Refuse a key file whose mode lets group or others read or write it. On Windows the mode bits
 * are synthesised from the read-only flag (a plain file reads as 0o666), so there is nothing to
 * check and the check is skipped; access there is governed by ACLs.
 */
export function checkKeyFileMode(path: string, mode: number, platform: NodeJS.Platform = process.platform): void {
  if (platform === "win32") return;
  const extra = mode & KEY_FILE_FORBIDDEN_MODE;
  if (extra === 0) return;
  const octal = (mode & 0o777).toString(8).padStart(3, "0");
  throw new KeyFileError(
    "KEY_FILE_PERMISSIONS",
    `key file ${path}: permissions 0${octal} are too open (group or others may access it); the key may have leaked. Run \`chmod 600 ${path}\` and start again`,
    { path, mode: `0${octal}` },
  );
}

export async function readKeyFile(path: string): Promise<KeyFile> {
  let text: string;
  try {
    // One open file for the check and the read, so the file checked is the file read.
    const handle = await open(path, "r");
    try {
      checkKeyFileMode(path, (await handle.stat()).mode);
      text = await handle.readFile("utf8");
    } finally {
      await handle.close();
    }
  } catch (err) {
    if (err instanceof KeyFileError) throw err;
    const e = err as NodeJS.ErrnoException;
    const reason = e.code === "ENOENT" ? "no such file" : e.code === "EACCES" ? "permission denied" : e.code === "EISDIR" ? "it is a directory" : e.message;
    throw new KeyFileError("KEY_FILE_UNREADABLE", `key file ${path}: cannot read it (${reason})`, { path, cause: e.code });
  }
  return parseKeyFile(text, path);
}

/** Validate a key file's text; `path` only names the file in errors. */
export function parseKeyFile(text: string, path: string): KeyFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new KeyFileError("KEY_FILE_INVALID", `key file ${path}: not JSON (${(err as Error).message})`, { path });
  }
  const result = keyFileSchema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const where = issue.path.length === 0 ? "" : `${issue.path.map(String).join(".")}: `;
    throw new KeyFileError("KEY_FILE_INVALID", `key file ${path}: ${where}${issue.message}`, { path });
  }
  const { publicKey, secretKey, insecure, label } = result.data;
  const pair = keyPairFromSecret(fromHex(secretKey, 32));
  if (!bytesEqual(pair.publicKey, fromHex(publicKey, 32))) {
    throw new KeyFileError("KEY_MISMATCH", `key file ${path}: publicKey does not belong to secretKey`, { path });
  }
  return { pair, insecure: insecure ?? false, ...(label !== undefined ? { label } : {}) };
}
