/**
 * A connection's output: bytes (or text) queued for the socket and written together, so that a
 * response, or several pipelined ones, usually leave in one write; and the congestion state the
 * socket reports back (a client that does not read).
 *
 * @module
 */

import type { SocketHandle } from "../platform.ts";
import { concatBytes, encodeUtf8 } from "../http1/bytes.ts";

/** Byte bodies up to this size are copied next to their head (one write); larger ones are not. */
export const COPY_LIMIT = 16 * 1024;
/** Output is merged into one write up to this size. */
const MERGE_LIMIT = 64 * 1024;

/**
 * The output queue of one connection.
 *
 * @example
 * ```ts ignore
 * const output = new Output(socket, () => clock.now());
 * output.queue(bytes);
 * if (!output.flush()) await output.drained();
 * ```
 */
export class Output {
  readonly #socket: SocketHandle;
  readonly #now: () => number;
  #chunks: Uint8Array[] = [];
  /** Queued output as text, when the socket can write strings and nothing binary is queued. */
  #text: string | null = null;
  #bytes = 0;
  #flushScheduled = false;
  #drainWaiters: (() => void)[] = [];
  /** The socket is gone: nothing more is written. */
  #closed = false;
  /** Whether the socket's output is above its high-water mark. */
  congested = false;
  /** When the output last became congested: bytes the client sends do not count as reading. */
  stalledSince = 0;
  /** When bytes were last handed to the socket (ms). */
  lastWrite = 0;
  /** Bytes handed to the socket. */
  bytesOut = 0;

  constructor(socket: SocketHandle, now: () => number) {
    this.#socket = socket;
    this.#now = now;
  }

  /** Whether the socket writes strings itself (Node encodes them without a JavaScript buffer). */
  get takesText(): boolean {
    return this.#socket.writeText !== undefined;
  }

  /** Queues bytes; the caller never reuses their memory. */
  queue(bytes: Uint8Array): void {
    if (this.#text !== null) {
      this.#chunks.push(encodeUtf8(this.#text));
      this.#text = null;
    }
    this.#chunks.push(bytes);
    this.#bytes += bytes.length;
  }

  /** Queues text (UTF-8) of `byteLength` bytes; kept as a string while nothing binary is queued. Only when {@linkcode takesText}. */
  queueText(text: string, byteLength: number): void {
    if (this.#chunks.length === 0) this.#text = this.#text === null ? text : this.#text + text;
    else this.#chunks.push(encodeUtf8(text));
    this.#bytes += byteLength;
  }

  /** Flushes at the end of this turn of the event loop, so pipelined responses share a write. */
  scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    queueMicrotask(() => {
      this.#flushScheduled = false;
      this.flush();
    });
  }

  /** Writes what is queued; returns false when the socket is congested. */
  flush(): boolean {
    const chunks = this.#chunks;
    const text = this.#text;
    if ((chunks.length === 0 && text === null) || this.#closed) {
      this.#chunks = [];
      this.#text = null;
      this.#bytes = 0;
      return !this.congested;
    }
    const socket = this.#socket;
    this.lastWrite = this.#now();
    this.bytesOut += this.#bytes;
    let ok: boolean;
    if (text !== null) {
      // Only text is queued (see queueText): the runtime encodes it straight into its write.
      ok = socket.writeText!(text);
      this.#text = null;
    } else if (chunks.length === 1) ok = socket.write(chunks[0]);
    else if (socket.writev !== undefined && this.#bytes > COPY_LIMIT) ok = socket.writev(chunks);
    else if (this.#bytes <= MERGE_LIMIT) ok = socket.write(concatBytes(chunks, this.#bytes));
    else {
      ok = true;
      for (const part of chunks) ok = socket.write(part);
    }
    this.#chunks = [];
    this.#bytes = 0;
    if (!ok && !this.congested) {
      this.congested = true;
      this.stalledSince = this.lastWrite;
    }
    return ok;
  }

  /** Resolves on the next drain (or close); called only when the output is congested. */
  drained(): Promise<void> {
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }

  /** The socket can take more: wake the writers waiting for it. */
  onDrain(): void {
    this.congested = false;
    if (this.#drainWaiters.length === 0) return;
    const waiters = this.#drainWaiters;
    this.#drainWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /** The socket is gone: drop what is queued and wake the writers so they notice. */
  onClose(): void {
    this.#closed = true;
    this.onDrain();
  }
}
