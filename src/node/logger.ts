// Structured logs: JSON lines (pino), pretty-printed when stdout is a terminal. Secret keys are
// redacted wherever they might appear, so a log line can never leak one.
import { pino, type Logger } from "pino";

export type { Logger } from "pino";

export interface LoggerOptions {
  readonly level: string;
  readonly format: "auto" | "json" | "pretty";
  readonly name?: string;
  /** Where JSON lines go; defaults to stdout. */
  readonly destination?: NodeJS.WritableStream;
}

const REDACT = ["secretKey", "*.secretKey", "privateKey", "*.privateKey", "priv_key", "*.priv_key"];

export function createLogger(options: LoggerOptions): Logger {
  const pretty = options.format === "pretty" || (options.format === "auto" && process.stdout.isTTY === true);
  const base = { level: options.level, name: options.name, redact: { paths: REDACT, censor: "[redacted]" } };
  if (pretty && options.destination === undefined) {
    return pino({ ...base, transport: { target: "pino-pretty", options: { colorize: true, translateTime: "HH:MM:ss.l", ignore: "pid,hostname" } } });
  }
  return options.destination === undefined ? pino(base) : pino(base, options.destination);
}
