/**
 * A strict, incremental (sans-IO) HTTP/1.1 request parser (RFC 9112 / RFC 9110).
 *
 * Bytes go in with {@link RequestParser.feed}, events come out of {@link RequestParser.next}:
 * one "head", any number of "data" (decoded body bytes, subarrays of the fed chunks), one "end",
 * then the next pipelined request; or a single "error" after which the parser is dead.
 *
 * Design notes:
 * - Every decision depends only on the byte sequence, never on how it was split into chunks:
 *   lines are scanned byte by byte with resumable states, and each limit is checked at the
 *   exact byte that crosses it (at one byte, size limits win over syntax errors, 431 before 414).
 * - The scan position is remembered, so a head trickled in one byte at a time costs O(n).
 * - Only whole lines of the head/trailers stay buffered; chunk framing is consumed as it is read.
 *
 * The parts, one concept per module: `./input_buffer.ts` (the fed bytes), `./head_scanner.ts`
 * (the byte scan of the head and trailer sections), `./head_builder.ts` (what the lines mean),
 * `./field_names.ts` and `./token_lists.ts` (the fields it interprets), `./body_readers.ts` and
 * `./chunk_line.ts` (the body framings), `./parser_types.ts` (limits, events). This module drives
 * them through the phases of each request.
 *
 * @module
 */

import { ChunkedBodyReader, LengthBodyReader } from "./body_readers.ts";
import { HeadBuilder } from "./head_builder.ts";
import { HeadScanner } from "./head_scanner.ts";
import { InputBuffer } from "./input_buffer.ts";
import { endEvent, NO_TRAILERS, type ParseEvent, type ParserLimits, resolveLimits } from "./parser_types.ts";

export { DEFAULT_PARSER_LIMITS, resolveLimits } from "./parser_types.ts";
export type { ParseEvent, ParserLimits, RequestHead } from "./parser_types.ts";

/**
 * Where the parser is in the current request: reading its "head"; reading a Content-Length
 * "body" or a "chunked" one, then its "trailers"; with only the "end" event due; or dead after an
 * "error".
 */
type Phase = "head" | "body" | "chunked" | "trailers" | "end" | "error";

/**
 * Incremental HTTP/1.1 request parser. Pull-based: feed bytes, then call {@link next} until it
 * returns null. Pipelined requests follow one another; after an "error" the parser stops.
 *
 * @example
 * ```ts
 * import { RequestParser } from "./parser.ts";
 * const p = new RequestParser({ maxRequestBodySize: 1024 });
 * p.feed(new TextEncoder().encode("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi"));
 * for (let ev = p.next(); ev !== null; ev = p.next()) {
 *   console.log(ev.type); // "head", "data", "end"
 * }
 * ```
 */
export class RequestParser {
  readonly #input = new InputBuffer();
  readonly #builder: HeadBuilder;
  readonly #scanner: HeadScanner;
  readonly #lengthBody = new LengthBodyReader();
  /** Made for the first chunked request: most connections never see one. */
  #chunkedBody: ChunkedBodyReader | undefined;
  readonly #limits: ParserLimits;
  #phase: Phase = "head";
  /** The trailer fields of the current chunked request, once its last chunk was read. */
  #trailers: string[] = NO_TRAILERS;

  /**
   * Creates a parser. Omitted limits take {@link DEFAULT_PARSER_LIMITS}.
   *
   * @example
   * ```ts
   * import { RequestParser } from "./parser.ts";
   * const p = new RequestParser({ maxHeaderFields: 50 });
   * ```
   */
  constructor(limits?: Partial<ParserLimits>) {
    const resolved = resolveLimits(limits);
    this.#builder = new HeadBuilder(resolved);
    this.#scanner = new HeadScanner(resolved, this.#builder);
    this.#limits = resolved;
  }

  /**
   * Hands over the next bytes from the wire. The parser may keep references to them (the caller
   * must not reuse the memory). Bytes fed after an error are dropped.
   *
   * @example
   * ```ts
   * import { RequestParser } from "./parser.ts";
   * const p = new RequestParser();
   * p.feed(new TextEncoder().encode("GET / HTTP/1.1\r\n"));
   * ```
   */
  feed(chunk: Uint8Array): void {
    if (chunk.length === 0 || this.#phase === "error") return;
    this.#input.feed(chunk);
  }

  /**
   * Returns the next event, or null when more bytes are needed. After "end" the next call
   * parses the next pipelined request. After "error", always null.
   *
   * @example
   * ```ts
   * import { RequestParser } from "./parser.ts";
   * const p = new RequestParser();
   * p.feed(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
   * p.next(); // { type: "head", head: { method: "GET", ... } }
   * p.next(); // { type: "end", trailers: [] }
   * p.next(); // null
   * ```
   */
  next(): ParseEvent | null {
    // The cases in the order they are most often dispatched to (a switch on strings tries them
    // one by one): every request has a head; a body may come in many events.
    switch (this.#phase) {
      case "head":
        return this.#afterHead(this.#scanner.read(this.#input, null));
      case "body": {
        const ev = this.#lengthBody.read(this.#input);
        if (ev === null) return this.#needMore();
        if (this.#lengthBody.done) this.#phase = "end";
        return ev;
      }
      case "chunked":
        return this.#readChunked();
      case "end":
        this.#endRequest();
        return endEvent(NO_TRAILERS);
      case "trailers":
        return this.#afterTrailers(this.#scanner.read(this.#input, this.#trailers));
      case "error":
        return null;
    }
  }

  /**
   * Bytes fed but not yet consumed (for lookahead/backpressure decisions).
   *
   * @example
   * ```ts
   * import { RequestParser } from "./parser.ts";
   * const p = new RequestParser();
   * p.feed(new Uint8Array([0x47]));
   * p.bufferedBytes; // 1
   * ```
   */
  get bufferedBytes(): number {
    return this.#input.end - this.#input.start;
  }

  /**
   * Takes every byte fed and not yet consumed, and stops parsing: after a protocol switch (`101`)
   * they belong to the new protocol. `next()` returns null from then on.
   *
   * @example
   * ```ts
   * import { RequestParser } from "./parser.ts";
   * const p = new RequestParser();
   * p.feed(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n\x81"));
   * p.next(); p.next(); // head, end
   * p.detach().length; // 1
   * ```
   */
  detach(): Uint8Array {
    const rest = this.#input.take(this.#input.end - this.#input.start).slice();
    this.#input.clear();
    this.#phase = "error";
    return rest;
  }

  /**
   * True between a "head" and its "end" (a body is being read, or the "end" is still due).
   *
   * @example
   * ```ts
   * import { RequestParser } from "./parser.ts";
   * new RequestParser().inBody; // false
   * ```
   */
  get inBody(): boolean {
    const phase = this.#phase;
    return phase !== "head" && phase !== "error";
  }

  /**
   * True when no partial request is buffered (nothing, or only skipped empty lines): EOF now
   * is a clean close.
   *
   * @example
   * ```ts
   * import { RequestParser } from "./parser.ts";
   * new RequestParser().idle; // true
   * ```
   */
  get idle(): boolean {
    return this.#phase === "head" && this.#scanner.beforeRequestLine && this.#input.start === this.#input.end;
  }

  // ---------------------------------------------------------------------------------------------

  /** What the head scan gave: the "head" event picks the body's phase; an error ends the parser. */
  #afterHead(ev: ParseEvent | null): ParseEvent | null {
    if (ev === null) return this.#needMore();
    if (ev.type === "head") {
      const head = ev.head;
      if (head.chunked) {
        this.#phase = "chunked";
        (this.#chunkedBody ??= new ChunkedBodyReader(this.#limits)).start();
      } else if (head.contentLength > 0) {
        this.#phase = "body";
        this.#lengthBody.start(head.contentLength);
      } else {
        this.#phase = "end";
      }
      return ev;
    }
    return this.#fail(ev);
  }

  #readChunked(): ParseEvent | null {
    const ev = this.#chunkedBody!.read(this.#input);
    if (ev === null) return this.#needMore();
    if (ev === "last-chunk") {
      // The trailer section follows, scanned like a header section.
      this.#phase = "trailers";
      this.#trailers = [];
      this.#scanner.startTrailers();
      return this.#afterTrailers(this.#scanner.read(this.#input, this.#trailers));
    }
    return ev.type === "error" ? this.#fail(ev) : ev;
  }

  /** What the trailer scan gave: the "end" event completes the request; an error ends the parser. */
  #afterTrailers(ev: ParseEvent | null): ParseEvent | null {
    if (ev === null) return this.#needMore();
    if (ev.type !== "end") return this.#fail(ev);
    this.#endRequest();
    return ev;
  }

  /** Returns null (more bytes needed), dropping the input buffer when it is fully consumed. */
  #needMore(): null {
    this.#input.releaseIfConsumed();
    return null;
  }

  /** Enters the "error" phase for good, dropping everything held; returns the error event. */
  #fail(error: ParseEvent): ParseEvent {
    this.#phase = "error";
    this.#input.clear();
    this.#trailers = NO_TRAILERS;
    this.#builder.discard();
    return error;
  }

  /** The request is complete: ready for the next one. */
  #endRequest(): void {
    this.#phase = "head";
    this.#trailers = NO_TRAILERS;
    this.#scanner.reset();
    this.#builder.reset();
    this.#input.releaseIfConsumed();
  }
}

/**
 * A parser that parses nothing (detached): what a connection keeps once it switched protocols, instead
 * of its own parser's buffers and caches. Shared: it takes no bytes and has no events.
 *
 * @example
 * ```ts
 * import { DETACHED_PARSER } from "./parser.ts";
 * DETACHED_PARSER.next(); // null
 * ```
 */
export const DETACHED_PARSER: RequestParser = new RequestParser();
DETACHED_PARSER.detach();
