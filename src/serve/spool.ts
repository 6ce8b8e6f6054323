/**
 * Spooling (Waitress's `OverflowableBuffer`): bytes held in memory up to a limit, then in a temp file,
 * so a worker thread never waits on a slow client. In thread mode the request body is received whole
 * before the app runs (memory up to `inbufOverflow`, then disk), and the app's response is taken as
 * fast as it is produced (memory up to `outbufOverflow`, then disk; production pauses above
 * `outbufHighWatermark`) while the client drains it at its own pace.
 *
 * @module
 */
import type { TempFile } from "../platform.ts";
import type { RequestInfo, RequestParts } from "../web/request.ts";
import type { ExchangeHandler } from "./connection.ts";

// Tests see in this registry entry (when they create it) whether a server loaded this module.
(globalThis as { [key: symbol]: Set<string> | undefined })[Symbol.for("waitress.loaded")]?.add(import.meta.url);

/** Creates temp files. */
export type TempFileFactory = () => Promise<TempFile>;

/** Bytes read back from a temp file per chunk. */
const READ_CHUNK = 64 * 1024;

/**
 * An append-only byte queue that spills to a temp file past `overflow` bytes, and is consumed from the
 * front as a stream. Memory use stays at most `overflow` plus one chunk.
 *
 * @example
 * ```ts ignore
 * const spool = new Spool(512 * 1024, createTempFile);
 * await spool.append(bytes);
 * spool.end();
 * const stream = spool.readable();
 * ```
 */
export class Spool {
  readonly #overflow: number;
  readonly #createTempFile: TempFileFactory;
  /** In-memory chunks not yet read, when no file is in use. */
  #memory: Uint8Array[] = [];
  #memoryBytes = 0;
  #file: TempFile | undefined;
  #fileWritten = 0;
  #fileRead = 0;
  #ended = false;
  #error: unknown;
  #closed = false;
  #waiting: (() => void) | undefined;
  #spaceWaiting: (() => void) | undefined;
  /** Bytes appended and not yet read. */
  get pending(): number {
    return this.#memoryBytes + (this.#fileWritten - this.#fileRead);
  }
  /** Whether the spool has moved to disk. */
  get spilled(): boolean {
    return this.#file !== undefined;
  }

  constructor(overflow: number, createTempFile: TempFileFactory) {
    this.#overflow = overflow;
    this.#createTempFile = createTempFile;
  }

  /** Appends bytes (copying nothing: the caller hands them over). */
  async append(data: Uint8Array): Promise<void> {
    if (this.#closed) throw new Error("Cannot append to a closed spool");
    if (data.length === 0) return;
    if (this.#file === undefined && this.#memoryBytes + data.length <= this.#overflow) {
      this.#memory.push(data);
      this.#memoryBytes += data.length;
    } else {
      if (this.#file === undefined) {
        // Spill: everything not yet read moves to disk, in order.
        const file = await this.#createTempFile();
        if (this.#closed) {
          // Closed while the file was being made (the client went away): no one else would close it.
          await file.close();
          throw new Error("Cannot append to a closed spool");
        }
        this.#file = file;
        const memory = this.#memory;
        this.#memory = [];
        this.#memoryBytes = 0;
        for (const chunk of memory) {
          await this.#file.write(chunk, this.#fileWritten);
          this.#fileWritten += chunk.length;
        }
      }
      await this.#file.write(data, this.#fileWritten);
      this.#fileWritten += data.length;
    }
    this.#wake();
  }

  /** No more bytes will be appended. */
  end(): void {
    this.#ended = true;
    this.#wake();
  }

  /** The producer failed: readers see the error. */
  fail(error: unknown): void {
    this.#error = error;
    this.#ended = true;
    this.#wake();
  }

  /** Resolves once fewer than `limit` bytes are pending (producer-side backpressure). */
  waitBelow(limit: number): Promise<void> {
    if (this.pending < limit || this.#closed) return Promise.resolve();
    return new Promise((resolve) => {
      this.#spaceWaiting = () => {
        if (this.pending < limit || this.#closed) {
          this.#spaceWaiting = undefined;
          resolve();
        }
      };
    });
  }

  #wake(): void {
    const waiting = this.#waiting;
    this.#waiting = undefined;
    waiting?.();
  }

  /** Next chunk, or null at the end. */
  async read(): Promise<Uint8Array | null> {
    for (;;) {
      if (this.#closed) return null;
      if (this.#memory.length > 0) {
        const chunk = this.#memory.shift()!;
        this.#memoryBytes -= chunk.length;
        this.#spaceWaiting?.();
        return chunk;
      }
      if (this.#file !== undefined && this.#fileRead < this.#fileWritten) {
        const buffer = new Uint8Array(Math.min(READ_CHUNK, this.#fileWritten - this.#fileRead));
        const n = await this.#file.read(buffer, this.#fileRead);
        if (n <= 0) throw new Error("The spool's temp file ended early");
        this.#fileRead += n;
        this.#spaceWaiting?.();
        return n === buffer.length ? buffer : buffer.subarray(0, n);
      }
      if (this.#error !== undefined) throw this.#error;
      if (this.#ended) return null;
      await new Promise<void>((resolve) => (this.#waiting = resolve));
    }
  }

  /** The spooled bytes as a stream; the temp file is deleted when it ends, fails or is cancelled. */
  readable(): ReadableStream<Uint8Array> {
    return new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        try {
          const chunk = await this.read();
          if (chunk === null) {
            await this.close();
            controller.close();
          } else controller.enqueue(chunk);
        } catch (error) {
          await this.close();
          controller.error(error);
        }
      },
      cancel: () => this.close(),
    }, { highWaterMark: 0 });
  }

  /** Drops everything and deletes the temp file. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#memory = [];
    this.#memoryBytes = 0;
    this.#wake();
    this.#spaceWaiting?.();
    const file = this.#file;
    this.#file = undefined;
    await file?.close();
  }
}

/** Limits of {@linkcode spoolingHandler}. */
export interface SpoolOptions {
  inbufOverflow: number;
  outbufOverflow: number;
  outbufHighWatermark: number;
  createTempFile: TempFileFactory;
}

/**
 * Wraps an exchange handler so that it sees a request whose body is already fully received (spooled),
 * and its response is taken from it as fast as it is produced (spooled) while the client reads at its
 * own pace. Used in front of the worker pool so slow clients never hold a worker.
 *
 * @example
 * ```ts ignore
 * const handleExchange = spoolingHandler(dispatcher.handleExchange, { inbufOverflow: 524288, outbufOverflow: 1048576, outbufHighWatermark: 16777216, createTempFile });
 * ```
 */
export function spoolingHandler(inner: ExchangeHandler, options: SpoolOptions): (parts: RequestParts, info: RequestInfo) => Promise<Response> {
  return async (parts, info) => {
    let received = parts;
    const requestBody = parts.body;
    if (requestBody !== null) {
      const spool = new Spool(options.inbufOverflow, options.createTempFile);
      try {
        const reader = requestBody.getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          await spool.append(value);
        }
        spool.end();
      } catch (error) {
        await spool.close();
        throw error;
      }
      // Field by field: the connection's parts keep signal() on a prototype.
      // (A handshake with a body keeps its offer: upgradeWebSocket() refuses it with 400, as inline.)
      received = { method: parts.method, url: parts.url, headers: parts.headers, body: spool.readable(), signal: () => parts.signal(), upgrade: parts.upgrade };
    }
    const response = await inner(received, info);
    const body = response.body;
    if (body === null) return response;
    const spool = new Spool(options.outbufOverflow, options.createTempFile);
    const reader = body.getReader();
    // Drain the app's stream as fast as it produces, up to the high watermark.
    (async () => {
      try {
        for (;;) {
          await spool.waitBelow(options.outbufHighWatermark);
          const { done, value } = await reader.read();
          if (done) break;
          await spool.append(value);
        }
        spool.end();
      } catch (error) {
        spool.fail(error);
        void reader.cancel(error).catch(() => {}); // the client went away: stop the app's stream
      }
    })();
    const out = spool.readable();
    return new Response(out, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
}
