// `triad tx …`: sign a tx locally with a key file and send it to a node. The secret key never
// leaves this process (TriadClient signs with @noble/curves). --wait picks the broadcast mode:
// none (async: the node answers before checking), sync (after the mempool check, the default),
// commit (after the tx is in a block). A refusal or a failed execution exits with code 1.
// Text for people by default; --json prints one JSON object on stdout (the tx, its code, log,
// status and height when committed) for scripts. Failures to reach the node go to stderr.
import { Command, InvalidArgumentError, Option } from "commander";
import { fromHex } from "../chain/encoding.js";
import { dbftRegisterKind, dbftVoteKind, poaVoteKind } from "../consensus/selection/index.js";
import { readKeyFile } from "../node/key-file.js";
import type { ResultBroadcastTx, ResultBroadcastTxCommit, TriadClient } from "../rpc/client.js";
import type { SignedTx } from "../chain/tx.js";
import type { KeyPair } from "../chain/keys.js";
import { defaultRpcUrl, parseList, parseRpcUrl } from "./node-options.js";
import { parseWholeNumber } from "./option-parsers.js";
import { clientFor, printJson, rpcCall } from "./rpc-call.js";
import { checkTxCodeName } from "../rpc/check-codes.js";

type Wait = "none" | "sync" | "commit";

interface TxOptions {
  rpc: string;
  key: string;
  nonce?: number;
  wait: Wait;
  json?: boolean;
}

function parseKeyHex(value: string): string {
  const v = value.toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(v)) throw new InvalidArgumentError("must be a 32-byte key in hex (64 characters)");
  return v;
}

function parseAmount(value: string): bigint {
  if (!/^[1-9][0-9]*$/.test(value) || BigInt(value) >= 1n << 64n) throw new InvalidArgumentError("must be a positive whole number below 2^64");
  return BigInt(value);
}

function parsePayloadHex(value: string): Uint8Array {
  const v = value.toLowerCase().replace(/^0x/, "");
  if (!/^([0-9a-f]{2})*$/.test(v)) throw new InvalidArgumentError("must be hex bytes (an even number of hex digits)");
  return fromHex(v);
}

function parseKeyList(value: string): string[] {
  return parseList(value).map(parseKeyHex);
}

/** Add the options every tx subcommand takes. */
function txSubcommand(name: string, description: string): Command {
  return new Command(name)
    .description(description)
    .addOption(new Option("--rpc <url>", "node RPC URL (env TRIAD_RPC)").default(defaultRpcUrl()).argParser(parseRpcUrl))
    .requiredOption("--key <file>", "key file of the sending account")
    .option("--nonce <n>", "tx nonce (default: the account's next, pooled txs counted)", parseWholeNumber)
    .addOption(new Option("--wait <mode>", "none: fire and forget; sync: mempool check; commit: in a block").choices(["none", "sync", "commit"]).default("sync"))
    .option("--json", "print one JSON object (tx, code, log, status, height) instead of text");
}

type Build = (client: TriadClient, key: KeyPair, nonce: number | undefined) => Promise<SignedTx>;

/** What `--json` prints: the tx, then the node's verdict flattened, then the node's full answer. */
export interface TxOutcome {
  readonly id: string;
  readonly hash: string;
  readonly sender: string;
  readonly nonce: number;
  readonly kind: string;
  readonly mode: "async" | "sync" | "commit";
  /** submitted, added, known, committed or rejected (the node's `triad.status`). */
  readonly status: string;
  /** 0, the refusal's code, or (commit mode) the execution's code. */
  readonly code: number;
  readonly log: string;
  /** The refusal's name (NONCE_GAP, …) when refused. */
  readonly error?: string;
  /** The block the tx is in, when known. */
  readonly height?: number;
  readonly check_tx?: ResultBroadcastTxCommit["check_tx"];
  readonly tx_result?: ResultBroadcastTxCommit["tx_result"];
}

function outcome(about: Pick<TxOutcome, "id" | "sender" | "nonce" | "kind">, mode: TxOutcome["mode"], r: ResultBroadcastTx | ResultBroadcastTxCommit): TxOutcome {
  if ("check_tx" in r) {
    const executed = "code" in r.tx_result ? r.tx_result : undefined;
    const failed = r.check_tx.code !== 0 ? r.check_tx : executed;
    const height = Number(r.height);
    return {
      ...about,
      hash: r.hash,
      mode,
      status: r.triad.status,
      code: failed?.code ?? 0,
      log: failed?.log ?? "",
      ...(r.triad.error !== undefined ? { error: r.triad.error } : {}),
      ...(height > 0 ? { height } : {}),
      check_tx: r.check_tx,
      tx_result: r.tx_result,
    };
  }
  return {
    ...about,
    hash: r.hash,
    mode,
    status: r.triad.status,
    code: r.code,
    log: r.log,
    ...(r.triad.error !== undefined ? { error: r.triad.error } : {}),
    ...(r.triad.height !== undefined ? { height: r.triad.height } : {}),
  };
}

function describeOutcome(o: TxOutcome): string[] {
  const head = `tx ${o.id} (${o.kind}, nonce ${o.nonce}, from ${o.sender})`;
  if (o.code !== 0) {
    const name = o.error ?? (o.status === "rejected" ? checkTxCodeName(o.code) : undefined);
    const what = o.mode === "commit" && o.status !== "rejected" && o.height !== undefined ? `in block ${o.height}, execution failed` : "refused";
    return [head, `${what}: code ${o.code}${name !== undefined ? ` ${name}` : ""}${o.log === "" ? "" : `: ${o.log}`}`];
  }
  if (o.height !== undefined) return [head, `committed in block ${o.height}`];
  if (o.status === "submitted") return [head, "submitted (not checked yet)"];
  if (o.status === "known") return [head, "accepted (already in the mempool)"];
  return [head, o.mode === "commit" ? `accepted (${o.status})` : "accepted into the mempool"];
}

async function send(options: TxOptions, build: Build): Promise<void> {
  const key = (await readKeyFile(options.key)).pair;
  const client = clientFor(options.rpc);
  const result = await rpcCall(options.rpc, async () => {
    const tx = await build(client, key, options.nonce);
    const about = { id: tx.id, sender: tx.sender, nonce: tx.nonce, kind: tx.kind };
    if (options.wait === "commit") return outcome(about, "commit", await client.broadcast(tx, "commit"));
    const mode = options.wait === "none" ? "async" : "sync";
    return outcome(about, mode, await client.broadcast(tx, mode));
  });
  if (options.json === true) printJson(result);
  else {
    const [head, verdict] = describeOutcome(result);
    process.stdout.write(`${head}\n`);
    (result.code === 0 ? process.stdout : process.stderr).write(`${verdict}\n`);
  }
  if (result.code !== 0) process.exitCode = 1;
}

const opts = (nonce: number | undefined, key: KeyPair): { key: KeyPair; nonce?: number } => (nonce === undefined ? { key } : { key, nonce });

export function txCommand(): Command {
  const tx = new Command("tx").description("sign a tx with a key file and send it to a node");
  tx.addCommand(
    txSubcommand("transfer", "move balance to another account")
      .requiredOption("--to <id>", "recipient account id (hex public key)", parseKeyHex)
      .requiredOption("--amount <n>", "amount (whole units)", parseAmount)
      .action((o: TxOptions & { to: string; amount: bigint }) => send(o, (c, key, nonce) => c.transfer({ ...opts(nonce, key), to: o.to, amount: o.amount }))),
  );
  tx.addCommand(
    txSubcommand("kv-put", "set a key in the chain's key-value store")
      .requiredOption("--key-name <k>", "the key (1..256 bytes of UTF-8)")
      .requiredOption("--value <v>", "the value (UTF-8 text)")
      .action((o: TxOptions & { keyName: string; value: string }) => send(o, (c, key, nonce) => c.kvPut({ ...opts(nonce, key), kvKey: o.keyName, value: o.value }))),
  );
  tx.addCommand(
    txSubcommand("kv-delete", "delete a key from the chain's key-value store")
      .requiredOption("--key-name <k>", "the key")
      .action((o: TxOptions & { keyName: string }) => send(o, (c, key, nonce) => c.kvDelete({ ...opts(nonce, key), kvKey: o.keyName }))),
  );
  tx.addCommand(
    txSubcommand("raw", "a tx of any kind with a payload you encoded yourself")
      .requiredOption("--kind <kind>", "tx kind, e.g. transfer, kv.put, poa.vote")
      .requiredOption("--payload-hex <hex>", "the kind's canonical payload bytes, hex", parsePayloadHex)
      .action((o: TxOptions & { kind: string; payloadHex: Uint8Array }) => send(o, (c, key, nonce) => c.raw(o.kind, o.payloadHex, opts(nonce, key)))),
  );
  tx.addCommand(
    txSubcommand("poa-vote", "PoA: vote to add or remove a validator (the sender must be a validator)")
      .addOption(new Option("--action <action>", "add or remove").choices(["add", "remove"]).makeOptionMandatory())
      .requiredOption("--validator <id>", "the validator's public key (hex)", parseKeyHex)
      .action((o: TxOptions & { action: "add" | "remove"; validator: string }) =>
        send(o, (c, key, nonce) => c.raw(poaVoteKind.kind, poaVoteKind.encode({ action: o.action, validator: fromHex(o.validator, 32) }), opts(nonce, key))),
      ),
  );
  tx.addCommand(
    txSubcommand("dbft-register", "DBFT: register the sending account as a validator candidate").action((o: TxOptions) =>
      send(o, (c, key, nonce) => c.raw(dbftRegisterKind.kind, dbftRegisterKind.encode({}), opts(nonce, key))),
    ),
  );
  tx.addCommand(
    txSubcommand("dbft-vote", "DBFT: vote for candidates with the sender's balance (an empty list withdraws the vote)")
      .requiredOption("--candidates <ids>", "comma-separated candidate keys (hex); \"\" withdraws", parseKeyList)
      .action((o: TxOptions & { candidates: string[] }) =>
        send(o, (c, key, nonce) => c.raw(dbftVoteKind.kind, dbftVoteKind.encode({ candidates: o.candidates.map((id) => fromHex(id, 32)) }), opts(nonce, key))),
      ),
  );
  return tx;
}
