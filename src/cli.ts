// The `triad` command (bin/triad.mjs runs this file through tsx). Everything lives in
// src/cli/; this file only runs the program and turns a failure into a message and exit code 1.
import { buildProgram } from "./cli/program.js";
import { reportError } from "./cli/cli-error.js";

try {
  await buildProgram().parseAsync(process.argv);
} catch (err) {
  reportError(err);
  process.exitCode = 1;
}
