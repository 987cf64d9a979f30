// `triad check --dir DIR`: ask every node of a local testnet for its chain and verify that they
// agree (block hashes, app hashes) and that every seal verifies. Exit 1 on any disagreement.
import { resolve } from "node:path";
import { Command } from "commander";
import { checkTestnet } from "../testnet/agreement-check.js";
import { readManifest } from "../testnet/manifest.js";
import { CliError } from "./cli-error.js";
import { parseWholeNumber } from "./option-parsers.js";
import { printResult } from "./output.js";

interface CheckCommandOptions {
  dir: string;
  from?: number;
  to?: number;
  allowDown?: boolean;
  json?: boolean;
}

async function check(options: CheckCommandOptions): Promise<void> {
  const dir = resolve(options.dir);
  const manifest = await readManifest(dir);
  const report = await checkTestnet(manifest, {
    ...(options.from !== undefined ? { from: options.from } : {}),
    ...(options.to !== undefined ? { to: options.to } : {}),
    allowDown: options.allowDown === true,
  });
  const reachable = report.nodes.filter((n) => n.reachable);
  const heads = report.nodes.map((n) => `${n.name} ${n.height ?? "down"}`).join(", ");
  if (!report.ok) {
    if (options.json === true) printResult(true, report, []);
    throw new CliError([`check failed for ${dir} (heights: ${heads}):`, ...report.problems.map((p) => `  ${p}`)]);
  }
  printResult(options.json === true, report, [
    report.to < report.from
      ? `ok: no common blocks to compare yet (heights: ${heads})`
      : `ok: ${reachable.length} nodes agree on blocks ${report.from}..${report.to} (block and app hashes); ${report.sealsVerified} seal signatures verified`,
    `heights: ${heads}`,
  ]);
}

export function checkCommand(): Command {
  return new Command("check")
    .description("verify that the nodes of a local testnet agree on every block (hashes, app hashes, seals)")
    .option("--dir <dir>", "testnet directory (holding testnet.json)", "./net")
    .option("--from <height>", "first height to check (default 1)", parseWholeNumber)
    .option("--to <height>", "last height to check (default: the lowest head)", parseWholeNumber)
    .option("--allow-down", "skip nodes that cannot be reached instead of failing")
    .option("--json", "print the report as JSON")
    .action((options: CheckCommandOptions) => check(options));
}
