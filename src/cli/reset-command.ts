// `triad unsafe-reset-all`: delete a home's data/ (chain, votes), keeping config and key.
// Unsafe for a validator of a live network: its record of what it signed goes too, so it could
// sign a conflicting vote for a height it already voted on. Hence --yes.
import { Command } from "commander";
import { resetHomeData } from "../node/home.js";
import { CliError } from "./cli-error.js";
import { printResult } from "./output.js";

interface ResetOptions {
  home: string;
  yes?: boolean;
  json?: boolean;
}

async function reset(options: ResetOptions): Promise<void> {
  if (options.yes !== true) {
    throw new CliError([
      `error: this deletes ${options.home}/data (the chain and this validator's vote record); config and key are kept`,
      "re-run with --yes to do it",
    ]);
  }
  const paths = await resetHomeData(options.home);
  printResult(options.json === true, { removed: paths.data }, [`removed ${paths.data}; config and key kept`]);
}

export function resetCommand(): Command {
  return new Command("unsafe-reset-all")
    .description("delete the node's data/ (blocks, state, vote record); keeps config/ and the key")
    .requiredOption("--home <dir>", "node home directory")
    .option("--yes", "really delete")
    .option("--json", "print the result as JSON")
    .action((options: ResetOptions) => reset(options));
}
