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
 * Gather buffers: several queued chunks up to this size are copied into one reused buffer rather
 * than a fresh one (a fresh 64 KiB array per streamed chunk is an allocation, zeroing and garbage).
 * More than that goes one chunk per write, by reference: measured on Deno, copying a 64 KiB body
 * next to its head cost more than the second write. At most GATHER_POOL_MAX buffers wait (1 MiB).
 */
const GATHER_SIZE = 64 * 1024;
const GATHER_POOL_MAX = 16;
const gatherPool: Uint8Array[] = [];

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
  /** The gather buffer handed out by takeGathered(), until release(). */
  #lent: Uint8Array | undefined;

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

  /**
   * The next bytes to write, for a socket that holds them until its write completes: several
   * chunks are gathered into a pooled buffer (call {@linkcode release} once written); past
   * GATHER_SIZE in all, the oldest chunk alone, by reference.
   */
  takeGathered(): Uint8Array {
    const chunks = this.chunks;
    if (chunks.length === 1 || this.#lent !== undefined) return this.take();
    if (this.bytes > GATHER_SIZE) {
      const first = chunks.shift()!;
      this.bytes -= first.length;
      return first;
    }
    const buffer = gatherPool.pop() ?? new Uint8Array(GATHER_SIZE);
    let offset = 0;
    for (const chunk of chunks) {
      buffer.set(chunk, offset);
      offset += chunk.length;
    }
    chunks.length = 0;
    this.bytes = 0;
    this.#lent = buffer;
    return buffer.subarray(0, offset);
  }

  /** The write of what {@linkcode takeGathered} returned is done: its buffer may be reused. */
  release(): void {
    if (this.#lent !== undefined && gatherPool.length < GATHER_POOL_MAX) gatherPool.push(this.#lent);
    this.#lent = undefined;
  }
}
