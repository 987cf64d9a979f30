// Node benchmark: `npm run bench:node -- [flags]` is `triad bench [flags]` (same command, same
// flags: src/cli/bench-command.ts; the work is in src/testnet/bench/). A fresh PoA testnet of
// real node processes on 127.0.0.1 per network size, loaded open-loop by a separate process;
// one JSON object on stdout, progress and a table on stderr. Never part of `npm test`.
//   npm run bench:node -- --help
import "../src/polyfill.ts";
import { benchCommand } from "../src/cli/bench-command.js";
import { reportError } from "../src/cli/cli-error.js";

try {
  await benchCommand("bench:node").parseAsync(process.argv);
} catch (err) {
  reportError(err);
  process.exitCode = 1;
}
