/**
 * The access log: one line per answered request, formatted by `access_format.ts` (its API is
 * re-exported here), buffered and written in batches. Apart so that a server loads this module
 * only when `accessLog` is set (issue 16: idle memory).
 *
 * @module
 */

import type { AccessLogSink } from "../platform.ts";
import type { AccessRecord } from "./access_record.ts";
import { type AccessFormatter, compileAccessFormat } from "./access_format.ts";

export type { AccessRecord } from "./access_record.ts";
export { ACCESS_LOG_FORMATS, type AccessFormatter, compileAccessFormat, escapeLogItem, formatAccessRecord } from "./access_format.ts";

// Tests see in this registry entry (when they create it) whether a server loaded this module.
(globalThis as { [key: symbol]: Set<string> | undefined })[Symbol.for("waitress.loaded")]?.add(import.meta.url);

/** Options of {@linkcode AccessLog}. */
export interface AccessLogOptions {
  /** Buffered characters above which a batch is written at once. Default 65536; 0 writes every line. */
  flushBytes?: number;
  /** Called with the error of a failed write. Without it, `flush()` rejects and automatic flushes ignore it. */
  onError?: (error: unknown) => void;
  /** The server process that writes the log (waitress-serve `--workers`): what `%P` and `%{worker}P` write. */
  worker?: { id: number; pid: number };
}

const noop = (): void => {};

/**
 * A sink that hands each line of a batch (without its newline) to `writeLine`: for loggers and
 * other line-oriented outputs, which would otherwise print a batch as one multi-line message.
 *
 * @example
 * ```ts
 * import { AccessLog, lineSink } from "./access_log.ts";
 * import { Logger } from "./logger.ts";
 * const access = new Logger("info", console, "waitress.access");
 * const log = new AccessLog("combined", lineSink((line) => access.info(line)));
 * ```
 */
export function lineSink(writeLine: (line: string) => void): AccessLogSink {
  return {
    write(text) {
      let start = 0;
      for (let end = text.indexOf("\n"); end >= 0; end = text.indexOf("\n", start)) {
        writeLine(text.slice(start, end));
        start = end + 1;
      }
      if (start < text.length) writeLine(text.slice(start));
    },
  };
}

/**
 * A buffered access log: `log()` formats a record and appends the line to a buffer (no I/O on
 * the request path); the buffer goes to the sink in one write when it passes `flushBytes`, when
 * `flush()` is called (the server calls it on a timer), and on `close()`. Writes are sequential:
 * a batch starts only after the previous one's promise settled, so lines keep their order.
 *
 * @example
 * ```ts
 * import { AccessLog } from "./access_log.ts";
 * const log = new AccessLog("common", { write: (text) => console.log(text.trimEnd()) });
 * log.log({
 *   remoteAddress: "127.0.0.1", method: "GET", target: "/", httpVersion: "HTTP/1.1", status: 200,
 *   bodyBytes: 2, startTime: Date.now(), durationMs: 1, referer: undefined, userAgent: undefined, host: "x",
 * });
 * await log.close(); // writes the buffered line
 * ```
 */
export class AccessLog {
  readonly #format: AccessFormatter;
  readonly #sink: AccessLogSink;
  readonly #flushBytes: number;
  readonly #onError: ((error: unknown) => void) | undefined;
  #lines: string[] = [];
  #buffered = 0;
  #chain: Promise<void> = Promise.resolve();
  #closed: Promise<void> | undefined;

  /**
   * Compiles `format` (throws a `RangeError` for a bad one) and writes batches to `sink`.
   *
   * @param format `"common"`, `"combined"` or a string of `%` directives.
   * @param sink Receives batches of whole lines.
   * @param options `flushBytes` (batch size, default 65536) and `onError` (failed writes).
   */
  constructor(format: string, sink: AccessLogSink, options: AccessLogOptions = {}) {
    const { flushBytes = 65536, onError, worker } = options;
    if (!Number.isSafeInteger(flushBytes) || flushBytes < 0) {
      throw new RangeError(`AccessLog option flushBytes must be a whole number of characters >= 0, got ${JSON.stringify(flushBytes)}`);
    }
    if (sink === null || typeof sink !== "object" || typeof sink.write !== "function") {
      throw new TypeError("AccessLog needs a sink with a write(text) method");
    }
    this.#format = compileAccessFormat(format, worker);
    this.#sink = sink;
    this.#flushBytes = flushBytes;
    this.#onError = onError;
  }

  /** Characters buffered and not yet handed to the sink. */
  get bufferedBytes(): number {
    return this.#buffered;
  }

  /** Formats `record` into the buffer; writes the batch once the buffer passes `flushBytes`. Ignored after `close()`. */
  log(record: AccessRecord): void {
    if (this.#closed !== undefined) return;
    const line = this.#format(record) + "\n";
    this.#lines.push(line);
    this.#buffered += line.length;
    if (this.#buffered >= this.#flushBytes) this.flush().catch(noop);
  }

  /**
   * Hands the buffered lines to the sink as one write, after any write still in progress.
   * Resolves when that write is done (at once when nothing is buffered or pending); rejects with
   * the sink's error unless `onError` was given, which then receives it.
   */
  flush(): Promise<void> {
    if (this.#lines.length === 0) return this.#chain;
    const text = this.#lines.length === 1 ? this.#lines[0]! : this.#lines.join("");
    this.#lines = [];
    this.#buffered = 0;
    const sink = this.#sink;
    const written = this.#chain.then(() => sink.write(text));
    // The next batch waits for this one, whatever its outcome.
    this.#chain = written.then(noop, noop);
    const onError = this.#onError;
    return onError === undefined ? written.then(noop) : written.then(noop, onError);
  }

  /** Writes what is buffered, then closes the sink. Later `log()` calls are ignored. Idempotent. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      const last = this.flush();
      let failure: { error: unknown } | undefined;
      await last.catch((error: unknown) => void (failure = { error }));
      try {
        await this.#sink.close?.();
      } catch (error) {
        if (this.#onError === undefined) throw error;
        this.#onError(error);
      }
      if (failure !== undefined) throw failure.error;
    })();
    return this.#closed;
  }
}
