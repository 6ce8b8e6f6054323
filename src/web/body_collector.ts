/**
 * Gathers a whole request body into one buffer, for handlers that read it with `arrayBuffer()`,
 * `bytes()`, `text()` or `json()`. Going around a `ReadableStream` saves a stream, a promise per
 * chunk and a second copy (on Node, building a web stream alone costs microseconds).
 *
 * @module
 */

import { concatBytes } from "../http1/bytes.ts";

/**
 * Collects body chunks by reference, then copies them once into one new `Uint8Array`, which owns
 * its whole `ArrayBuffer` (so `arrayBuffer()` needs no further copy). Even a single chunk is copied: it is
 * usually a view into the socket's read buffer, and on Bun (JavaScriptCore) asking such a view for
 * its `.buffer` costs more than the copy.
 *
 * @example
 * ```ts
 * import { BodyCollector } from "./body_collector.ts";
 * const collector = new BodyCollector();
 * collector.add(new TextEncoder().encode("hel"));
 * collector.add(new TextEncoder().encode("lo"));
 * new TextDecoder().decode(collector.finish()); // "hello"
 * ```
 */
export class BodyCollector {
  #chunks: Uint8Array[] = [];
  #total = 0;

  /** Bytes received so far. */
  get length(): number {
    return this.#total;
  }

  /** Appends a chunk. The caller hands it over: it must not change afterwards. */
  add(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#total += chunk.length;
  }

  /** The whole body, as one array starting at offset 0 of its own buffer. */
  finish(): Uint8Array {
    const chunks = this.#chunks;
    this.#chunks = [];
    return concatBytes(chunks, this.#total);
  }
}
