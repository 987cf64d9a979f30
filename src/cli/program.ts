// The `triad` program: a list of commands, each built in its own file. Adding a command or a
// command group is one entry in `commands`.
import { readFileSync } from "node:fs";
import { Command } from "commander";
import { genesisCommand } from "./genesis-command.js";
import { keysCommand } from "./keys-command.js";
import { initCommand } from "./init-command.js";
import { startCommand } from "./start-command.js";
import { showNodeIdCommand, showValidatorCommand } from "./show-command.js";
import { resetCommand } from "./reset-command.js";
import { blockCommand, statusCommand, validatorsCommand } from "./query-command.js";
import { txCommand } from "./tx-command.js";
import { testnetCommand } from "./testnet-command.js";
import { checkCommand } from "./check-command.js";
import { netCommand } from "./net-command.js";
import { simCommand } from "./sim-command.js";
import { benchCommand } from "./bench-command.js";
import { scenarioCommand } from "./scenario-command.js";
import { soakCommand } from "./soak-command.js";

const commands: readonly (() => Command)[] = [
  keysCommand,
  genesisCommand,
  simCommand,
  testnetCommand,
  netCommand,
  checkCommand,
  scenarioCommand,
  soakCommand,
  benchCommand,
  initCommand,
  startCommand,
  showValidatorCommand,
  showNodeIdCommand,
  resetCommand,
  statusCommand,
  blockCommand,
  validatorsCommand,
  txCommand,
];

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version?: string };
  return pkg.version ?? "0.0.0";
}

export function buildProgram(): Command {
  const program = new Command("triad")
    .description("Triad: a permissioned BFT blockchain node (PBFT over libp2p, PoA or DBFT validator selection)")
    .version(packageVersion())
    .showSuggestionAfterError();
  for (const make of commands) program.addCommand(make());
  return program;
}
