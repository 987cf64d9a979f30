// `DIR/testnet.json`: what a local testnet is made of, for people and for tools (`triad check`,
// the load generator, tests). Written when the network is created and again whenever a node's
// process changes, always atomically (write a temp file, rename), so a reader never sees half.
import { readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { TriadError } from "../chain/index.js";

export const MANIFEST_FILE = "testnet.json";
export const MANIFEST_VERSION = 1;

const hexKey = z.string().regex(/^[0-9a-f]{64}$/);

const nodeSchema = z
  .object({
    /** Also the node's directory under `nodes/` and its key file's base name. */
    name: z.string().regex(/^[a-z0-9-]+$/),
    /** validator: in the genesis set; candidate: a DBFT candidate not elected at genesis; observer: a follower. */
    role: z.enum(["validator", "candidate", "observer"]),
    /** ed25519 public key (the validator id), lower-case hex. */
    id: hexKey,
    /** libp2p peer id (12D3KooW…). */
    nodeId: z.string().min(1),
    /** http://127.0.0.1:PORT */
    rpc: z.string().url(),
    /** /ip4/127.0.0.1/tcp/PORT/p2p/<nodeId> */
    p2p: z.string().startsWith("/ip4/"),
    /** http://127.0.0.1:PORT/metrics (Prometheus text); absent when the node serves no metrics. */
    metrics: z.string().url().optional(),
    /** The node's process while the testnet runs it, else null. */
    pid: z.number().int().positive().nullable(),
    home: z.string().min(1),
    key: z.string().min(1),
    /** Byzantine behaviours this node runs (`triad start --byzantine`); absent or [] when honest. */
    byzantine: z.array(z.string().min(1)).optional(),
    /** The seed of its behaviours and of the network's shared attack plan. */
    byzantineSeed: z.number().int().nonnegative().optional(),
    /** A twin's second process: the name of the node whose key it shares. */
    twinOf: z.string().min(1).optional(),
    /** `triad start --only-peers`: the validator ids a twin's copy connects to (its part of the network). */
    onlyPeers: z.array(hexKey).optional(),
  })
  .strict();

const accountSchema = z.object({ name: z.string().min(1), id: hexKey, key: z.string().min(1) }).strict();

export const manifestSchema = z
  .object({
    version: z.literal(MANIFEST_VERSION),
    chainId: z.string().min(1),
    selection: z.enum(["poa", "dbft"]),
    genesis: z.string().min(1),
    genesisHash: z.string().regex(/^[0-9a-f]{64}$/),
    insecure: z.boolean(),
    nodes: z.array(nodeSchema).min(1),
    /** Funded accounts whose key files the testnet holds: the load generator sends from them. */
    accounts: z.array(accountSchema),
    /** The running supervisor's control endpoint (http://127.0.0.1:PORT), for `triad net`. */
    control: z.string().url().optional(),
  })
  .strict();

export type TestnetManifest = z.infer<typeof manifestSchema>;
export type TestnetNodeInfo = z.infer<typeof nodeSchema>;
export type NodeRole = TestnetNodeInfo["role"];

export class TestnetError extends TriadError<"TESTNET_INVALID" | "TESTNET_DIR" | "NODE_FAILED" | "TIMEOUT"> {}

export function manifestPath(dir: string): string {
  return join(dir, MANIFEST_FILE);
}

export async function readManifest(dir: string): Promise<TestnetManifest> {
  const path = manifestPath(dir);
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, "utf8"));
  } catch (err) {
    throw new TestnetError("TESTNET_INVALID", `cannot read ${path}: ${(err as Error).message}`, { path });
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new TestnetError("TESTNET_INVALID", `${path}: ${issue.path.join(".") || "(root)"}: ${issue.message}`, { path });
  }
  return parsed.data;
}

export async function writeManifest(dir: string, manifest: TestnetManifest): Promise<void> {
  const path = manifestPath(dir);
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(manifest, null, 2)}\n`);
  await rename(tmp, path);
}

/** The port of `http://127.0.0.1:PORT` or `/ip4/…/tcp/PORT/…`. */
export function portOf(address: string): number {
  const m = /:(\d+)\/?$/.exec(address) ?? /\/tcp\/(\d+)/.exec(address);
  if (m === null) throw new TestnetError("TESTNET_INVALID", `no port in ${address}`, { address });
  return Number(m[1]);
}
