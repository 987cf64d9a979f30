// `triad show-validator` and `triad show-node-id`: the identity held in a node home's key file.
import { Command } from "commander";
import { toHex } from "../chain/encoding.js";
import { homePaths } from "../node/config.js";
import { readKeyFile } from "../node/key-file.js";
import { peerIdFromValidatorId } from "../p2p/identity.js";
import { printResult } from "./output.js";

interface ShowOptions {
  home: string;
  json?: boolean;
}

async function homeKey(home: string): Promise<string> {
  return toHex((await readKeyFile(homePaths(home).key)).pair.publicKey);
}

async function showValidator(options: ShowOptions): Promise<void> {
  const publicKey = await homeKey(options.home);
  printResult(options.json === true, { type: "ed25519", publicKey }, [publicKey]);
}

async function showNodeId(options: ShowOptions): Promise<void> {
  const publicKey = await homeKey(options.home);
  const nodeId = peerIdFromValidatorId(publicKey).toString();
  printResult(options.json === true, { nodeId, publicKey }, [nodeId]);
}

export function showValidatorCommand(): Command {
  return new Command("show-validator")
    .description("print this node's validator id (its ed25519 public key, hex)")
    .requiredOption("--home <dir>", "node home directory")
    .option("--json", "print { type, publicKey } as JSON")
    .action((options: ShowOptions) => showValidator(options));
}

export function showNodeIdCommand(): Command {
  return new Command("show-node-id")
    .description("print this node's libp2p peer id (12D3KooW…), derived from the same key")
    .requiredOption("--home <dir>", "node home directory")
    .option("--json", "print { nodeId, publicKey } as JSON")
    .action((options: ShowOptions) => showNodeId(options));
}
