/**
 * The read-ahead of a response body, shared by the connection (src/serve/connection.ts) and the worker
 * side of thread mode (src/threads/worker_main.ts): up to a few chunks are read before the head goes
 * out, so a small body travels with its head (and gets a Content-Length); but only chunks that are
 * ready, so a stream that waits (an event source) has its head sent at once.
 *
 * @module
 */

/** What {@linkcode readAhead} found before the head goes out. */
export interface ReadAhead<R, T> {
  /** The chunks that were ready, in order, as `take` returned them. */
  chunks: T[];
  /** The stream ended within the read-ahead. */
  ended: boolean;
  /** A read that has not settled yet (the stream waits): await it for the next chunk. */
  pending: Promise<ReadableStreamReadResult<R>> | undefined;
}

const NOT_YET = Promise.resolve(undefined);

/**
 * `promise`'s result if it settles within a few microtask turns (a stream with data ready does),
 * otherwise `undefined`, leaving the promise pending for later.
 */
function settledSoon<T>(promise: Promise<T>): Promise<T | undefined> {
  let late: Promise<undefined> = NOT_YET;
  for (let i = 0; i < 6; i++) late = late.then(() => undefined);
  return Promise.race([promise, late]);
}

/**
 * Reads up to `max` chunks from `reader` that are ready now, passing each through `take` (which may
 * check or copy it, and throw). Stops at the end of the stream or at the first read that has to wait;
 * that read is returned as `pending` (its failure, if any, is seen where it is awaited).
 *
 * @example
 * ```ts
 * import { readAhead } from "./read_ahead.ts";
 * const reader = new Response("hi").body!.getReader();
 * const { chunks, ended } = await readAhead(reader, 2, (chunk) => chunk);
 * // chunks: [Uint8Array "hi"], ended: true
 * ```
 */
export async function readAhead<R, T>(
  reader: ReadableStreamDefaultReader<R>,
  max: number,
  take: (value: R) => T,
): Promise<ReadAhead<R, T>> {
  const chunks: T[] = [];
  for (let i = 0; i < max; i++) {
    const read = reader.read();
    const result = await settledSoon(read);
    if (result === undefined) {
      read.catch(() => {}); // awaited by the caller, which sees the failure there
      return { chunks, ended: false, pending: read };
    }
    if (result.done) return { chunks, ended: true, pending: undefined };
    chunks.push(take(result.value));
  }
  return { chunks, ended: false, pending: undefined };
}
