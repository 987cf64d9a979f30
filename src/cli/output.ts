// Command results go to stdout, either for people (text lines) or, with --json, as one JSON
// document for scripts. Warnings go to stderr so they never corrupt either.

export function printResult(json: boolean, data: unknown, lines: readonly string[]): void {
  process.stdout.write(json ? `${JSON.stringify(data, null, 2)}\n` : lines.map((l) => `${l}\n`).join(""));
}

export function warn(message: string): void {
  process.stderr.write(`warning: ${message}\n`);
}
