// Argument parsers for commander options: a bad value fails at parse time with commander's
// one-line "option '--x <n>' argument 'y' is invalid" message.
import { InvalidArgumentError } from "commander";

export function parseWholeNumber(value: string): number {
  if (!/^(0|[1-9][0-9]*)$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new InvalidArgumentError("must be a whole number");
  }
  return Number(value);
}
