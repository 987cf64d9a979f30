// The `triad` program: a list of commands, each built in its own file. Adding a command or a
// command group is one entry in `commands`.
import { readFileSync } from "node:fs";
import { Command } from "commander";
import { genesisCommand } from "./genesis-command.js";
import { keysCommand } from "./keys-command.js";

const commands: readonly (() => Command)[] = [keysCommand, genesisCommand];

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
