// `triad check --dir DIR | --rpc URL,URL,…`: read every node's chain in ranges and verify that the
// honest nodes hold one chain (block hashes, parent links, app hashes, seals against the set in
// force, no tx twice, every acknowledged tx present). Byzantine nodes of a testnet (its manifest
// says which) are shown but need not agree. A table on stdout; exit 1 on any violation.
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { Command } from "commander";
import { ACKS_FILE } from "../testnet/acks-file.js";
import { checkNetwork, manifestTargets, type CheckTarget, type NetworkCheckOptions } from "../testnet/agreement-check.js";
import { checkReportLines } from "../testnet/check-table.js";
import { readManifest } from "../testnet/manifest.js";
import { CliError } from "./cli-error.js";
import { parseList, parseRpcUrl } from "./node-options.js";
import { parseWholeNumber } from "./option-parsers.js";
import { printResult } from "./output.js";

interface CheckCommandOptions {
  dir?: string;
  rpc?: string[];
  from?: number;
  to?: number;
  allowDown?: boolean;
  json?: boolean;
  acks?: string;
}

const parseUrls = (value: string): string[] => parseList(value).map(parseRpcUrl);

async function check(options: CheckCommandOptions): Promise<void> {
  if (options.rpc !== undefined && options.dir !== undefined) throw new CliError("error: give --dir or --rpc, not both");
  let targets: CheckTarget[];
  let chainId: string | undefined;
  let acksFile = options.acks;
  let where: string;
  if (options.rpc !== undefined) {
    if (options.rpc.length === 0) throw new CliError("error: --rpc needs at least one URL");
    // Without a manifest every node is held to agreement.
    targets = options.rpc.map((url) => ({ name: url.replace(/^https?:\/\//, ""), rpc: url, honest: true }));
    where = options.rpc.join(", ");
  } else {
    const dir = resolve(options.dir ?? "./net");
    const manifest = await readManifest(dir);
    targets = manifestTargets(manifest);
    chainId = manifest.chainId;
    if (acksFile === undefined && existsSync(join(dir, ACKS_FILE))) acksFile = join(dir, ACKS_FILE);
    where = dir;
  }
  const checkOptions: NetworkCheckOptions = {
    ...(chainId !== undefined ? { chainId } : {}),
    ...(acksFile !== undefined ? { acksFile } : {}),
    ...(options.from !== undefined ? { from: options.from } : {}),
    ...(options.to !== undefined ? { to: options.to } : {}),
    allowDown: options.allowDown === true,
  };
  const report = await checkNetwork(targets, checkOptions);
  const lines = checkReportLines(report);
  if (!report.ok) {
    if (options.json === true) printResult(true, report, []);
    else printResult(false, report, lines);
    throw new CliError(`check failed for ${where}: ${report.problems.length + report.problemsOmitted} problems`);
  }
  printResult(options.json === true, report, lines);
}

export function checkCommand(): Command {
  return new Command("check")
    .description("verify that the honest nodes of a network hold one chain: block hashes, parent links, app hashes, seals, txs")
    .option("--dir <dir>", "testnet directory (holding testnet.json); default ./net")
    .option("--rpc <urls>", "comma-separated node RPC URLs instead of a testnet directory (every node counts as honest)", parseUrls)
    .option("--from <height>", "first height to check (default 1)", parseWholeNumber)
    .option("--to <height>", "last height to check (default: the lowest head among the honest nodes)", parseWholeNumber)
    .option("--acks <file>", "load acks (JSON lines {id,height,node}) to find in every honest chain (default: DIR/load-acks.jsonl if present)")
    .option("--allow-down", "list nodes that cannot be reached instead of failing")
    .option("--json", "print the report as JSON")
    .action((options: CheckCommandOptions) => check(options));
}
