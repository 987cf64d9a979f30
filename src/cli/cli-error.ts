// How a failed command reaches the user: one line per problem on stderr, no stack trace,
// unless the failure is a bug (an error we did not expect), where the stack is the useful part.
import { GenesisError } from "../chain/genesis.js";
import { TriadError } from "../chain/errors.js";

/** A failure already phrased for the user: each line is printed as is. */
export class CliError extends Error {
  readonly lines: readonly string[];

  constructor(lines: string | readonly string[]) {
    const list = typeof lines === "string" ? [lines] : lines;
    super(list.join("\n"));
    this.name = "CliError";
    this.lines = list;
  }
}

export function genesisIssueLines(err: GenesisError): string[] {
  return err.issues.map((i) => `genesis invalid: ${i.path}: ${i.message}`);
}

function isErrnoError(err: unknown): err is NodeJS.ErrnoException {
  return err instanceof Error && typeof (err as NodeJS.ErrnoException).code === "string" && "syscall" in err;
}

/** "no such file or directory" rather than "ENOENT: no such file or directory, open 'x'". */
export function fsReason(err: unknown): string {
  if (!isErrnoError(err)) return err instanceof Error ? err.message : String(err);
  return /^[A-Z]+: (.*?)(, \w+( '.*')?)?$/.exec(err.message)?.[1] ?? err.message;
}

function errorLines(err: unknown): string[] {
  if (err instanceof CliError) return [...err.lines];
  if (err instanceof GenesisError) return genesisIssueLines(err);
  if (err instanceof TriadError || isErrnoError(err)) return [`error: ${err.message}`];
  const bug = err instanceof Error ? (err.stack ?? err.message) : String(err);
  return [`error: unexpected failure (a bug in triad): ${bug}`];
}

export function reportError(err: unknown): void {
  for (const line of errorLines(err)) process.stderr.write(`${line}\n`);
}
