/**
 * The request body readers: a Content-Length body, and the chunked transfer coding (chunk lines,
 * data, the CRLF after each chunk's data, up to the last chunk; its trailer section is scanned like
 * a header section). Body bytes are handed out as views of the input, never copied.
 *
 * @module
 */

import { ChunkLine } from "./chunk_line.ts";
import type { InputBuffer } from "./input_buffer.ts";
import { parseError, type ParseEvent, type ParserLimits } from "./parser_types.ts";

const CR = 13;
const LF = 10;

/**
 * A body of known length: hands out what is buffered, up to what is left of the body.
 *
 * @example
 * ```ts
 * const input = new InputBuffer();
 * input.feed(new TextEncoder().encode("hello, and more"));
 * const body = new LengthBodyReader();
 * body.start(5);
 * body.read(input); // { type: "data", data: "hello" as bytes }
 * body.done; // true
 * ```
 */
export class LengthBodyReader {
  /** Body bytes not read yet. */
  #remaining = 0;

  /**
   * Starts a body of `length` bytes (more than 0).
   *
   * @example
   * ```ts
   * new LengthBodyReader().start(10);
   * ```
   */
  start(length: number): void {
    this.#remaining = length;
  }

  /**
   * True once the whole body was handed out.
   *
   * @example
   * ```ts
   * new LengthBodyReader().done; // true
   * ```
   */
  get done(): boolean {
    return this.#remaining === 0;
  }

  /**
   * The next "data" event, or null when nothing is buffered.
   *
   * @example
   * ```ts
   * new LengthBodyReader().read(new InputBuffer()); // null
   * ```
   */
  read(input: InputBuffer): ParseEvent | null {
    if (input.end === input.start) return null;
    const data = input.take(this.#remaining);
    this.#remaining -= data.length;
    return { type: "data", data };
  }
}

/** Moves `input.start` past what was consumed; more bytes are needed (returns null). */
function pause(input: InputBuffer, p: number): null {
  input.start = p;
  return null;
}

/** Where a chunked body is: in a chunk line, in a chunk's data, or at the CR or LF after it. */
type Chunked = "line" | "data" | "data-cr" | "data-lf";

/**
 * A chunked body, up to and including the last chunk's line. Chunk framing is consumed as it is
 * read; nothing of it stays buffered.
 *
 * @example
 * ```ts
 * const input = new InputBuffer();
 * input.feed(new TextEncoder().encode("2\r\nhi\r\n0\r\n\r\n"));
 * const body = new ChunkedBodyReader(DEFAULT_PARSER_LIMITS);
 * body.start();
 * body.read(input); // { type: "data", data: "hi" as bytes }
 * body.read(input); // "last-chunk": the trailer section starts at input.start
 * ```
 */
export class ChunkedBodyReader {
  readonly #maxBody: number;
  readonly #line: ChunkLine;
  #state: Chunked = "line";
  /** Bytes of the current chunk's data not read yet. */
  #remaining = 0;
  /** Decoded body bytes so far, for the body size limit. */
  #total = 0;

  /**
   * A reader enforcing the body size and chunk extension limits.
   *
   * @example
   * ```ts
   * new ChunkedBodyReader(DEFAULT_PARSER_LIMITS);
   * ```
   */
  constructor(limits: ParserLimits) {
    this.#maxBody = limits.maxRequestBodySize;
    this.#line = new ChunkLine(limits.maxChunkExtensionSize);
  }

  /**
   * Starts a body: a chunk line comes first.
   *
   * @example
   * ```ts
   * new ChunkedBodyReader(DEFAULT_PARSER_LIMITS).start();
   * ```
   */
  start(): void {
    this.#state = "line";
    this.#line.reset();
    this.#total = 0;
  }

  /**
   * Reads on: a "data" event; "last-chunk" once the last chunk's line was read (the trailer
   * section follows at `input.start`); null when more bytes are needed; or an error.
   *
   * @example
   * ```ts
   * const body = new ChunkedBodyReader(DEFAULT_PARSER_LIMITS);
   * body.start();
   * body.read(new InputBuffer()); // null
   * ```
   */
  read(input: InputBuffer): ParseEvent | "last-chunk" | null {
    const buf = input.bytes;
    const end = input.end;
    let p = input.start;
    const st = this.#state;
    // Most calls land in a chunk's data. Otherwise the framing before the next chunk's data
    // resumes where the last call stopped: the CRLF ending the previous chunk's data, then the
    // chunk line (the cases fall through in that order).
    if (st !== "data") {
      switch (st) {
        case "data-cr":
          if (p >= end) return pause(input, p);
          if (buf[p] !== CR) return parseError(400, "Chunk not properly terminated");
          p++;
          this.#state = "data-lf";
        // falls through
        case "data-lf":
          if (p >= end) return pause(input, p);
          if (buf[p] !== LF) return parseError(400, "Chunk not properly terminated");
          p++;
          this.#state = "line";
          this.#line.reset();
        // falls through
        case "line": {
          const line = this.#line;
          const next = line.scan(buf, p, end);
          if (typeof next !== "number") return next;
          p = next;
          if (!line.complete) return pause(input, p);
          const size = line.size;
          if (size === 0) {
            input.start = p;
            return "last-chunk";
          }
          if (size > this.#maxBody - this.#total) {
            return parseError(413, `Request body exceeds max_body of ${this.#maxBody}`);
          }
          this.#total += size;
          this.#remaining = size;
          this.#state = "data";
        }
      }
    }
    if (p >= end) return pause(input, p);
    input.start = p;
    const data = input.take(this.#remaining);
    this.#remaining -= data.length;
    if (this.#remaining === 0) this.#state = "data-cr";
    return { type: "data", data };
  }
}
