/**
 * The `waitress` logger: levels, a pluggable console-like sink.
 *
 * @module
 */

/**
 * Log levels, from most to least verbose.
 *
 * @example
 * ```ts
 * import type { LogLevel } from "./logger.ts";
 * const level: LogLevel = "info";
 * ```
 */
export type LogLevel = "debug" | "info" | "warning" | "error";

/**
 * Anything with console-like methods can receive log lines.
 *
 * @example
 * ```ts
 * import type { LogSink } from "./logger.ts";
 * const sink: LogSink = console;
 * ```
 */
export interface LogSink {
  /** Receives debug lines. */
  debug(...args: unknown[]): void;
  /** Receives info lines. */
  info(...args: unknown[]): void;
  /** Receives warning lines. */
  warn(...args: unknown[]): void;
  /** Receives error lines. */
  error(...args: unknown[]): void;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warning: 30, error: 40 };

/**
 * A named logger that drops messages below its level.
 *
 * @example
 * ```ts
 * import { Logger } from "./logger.ts";
 * const log = new Logger("info", console);
 * log.info("Serving on http://127.0.0.1:8080");
 * ```
 */
export class Logger {
  #rank: number;
  #sink: LogSink;
  /** The logger's name, printed in front of every line. */
  readonly name: string;

  /** A logger writing lines at or above `level` to `sink`, prefixed with `name`. */
  constructor(level: LogLevel = "warning", sink: LogSink = console, name = "waitress") {
    this.#rank = RANK[level];
    this.#sink = sink;
    this.name = name;
  }

  /** Whether a message at `level` would be written. */
  enabled(level: LogLevel): boolean {
    return RANK[level] >= this.#rank;
  }
  /** Logs at debug level. */
  debug(message: string): void {
    if (this.#rank <= 10) this.#sink.debug(`${this.name} DEBUG: ${message}`);
  }
  /** Logs at info level. */
  info(message: string): void {
    if (this.#rank <= 20) this.#sink.info(`${this.name} INFO: ${message}`);
  }
  /** Logs at warning level. */
  warning(message: string): void {
    if (this.#rank <= 30) this.#sink.warn(`${this.name} WARNING: ${message}`);
  }
  /** Logs at error level, with the error's stack when one is given. */
  error(message: string, error?: unknown): void {
    const detail = error instanceof Error ? `\n${error.stack ?? error.message}` : error === undefined ? "" : `\n${String(error)}`;
    this.#sink.error(`${this.name} ERROR: ${message}${detail}`);
  }
}
