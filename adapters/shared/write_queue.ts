/**
 * The output queue of the adapters whose sockets take bytes only as fast as the kernel does (Deno's
 * promise-based `write`, Bun's partial `write`): what the core handed over and the socket has not
 * taken yet, sent as one chunk per write call.
 *
 * @module
 */

import { concatBytes } from "../../src/http1/bytes.ts";

/** Bytes queued for writing above which `write()` reports backpressure to the core. */
export const HIGH_WATER = 64 * 1024;

/**
 * Chunks waiting to be written, in order.
 *
 * @example
 * ```ts
 * import { WriteQueue } from "./write_queue.ts";
 * const queue = new WriteQueue();
 * queue.push(new Uint8Array([1, 2]));
 * queue.push(new Uint8Array([3]));
 * queue.take(); // Uint8Array [1, 2, 3]; the queue is empty again
 * ```
 */
export class WriteQueue {
  /** The queued chunks, oldest first. */
  readonly chunks: Uint8Array[] = [];
  /** Their total length. */
  bytes = 0;

  /** Whether nothing is queued. */
  get empty(): boolean {
    return this.chunks.length === 0;
  }

  /** Queues `data` (kept by reference: the caller never reuses the memory). */
  push(data: Uint8Array): void {
    this.chunks.push(data);
    this.bytes += data.length;
  }

  /** Everything queued as one chunk (copied only when there are several), leaving the queue empty. */
  take(): Uint8Array {
    const chunks = this.chunks;
    const chunk = chunks.length === 1 ? chunks[0] : concatBytes(chunks, this.bytes);
    chunks.length = 0;
    this.bytes = 0;
    return chunk;
  }
}
