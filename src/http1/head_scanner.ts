/**
 * The byte scan of a request head (request line and header section) and of a trailer section:
 * a resumable state machine that finds each line's parts, refuses any byte the grammar does not
 * allow there, and checks each size limit at the exact byte that crosses it. Complete lines go to
 * a {@link HeadBuilder}, which gives them meaning.
 *
 * @module
 */

import * as abnf from "./abnf.ts";
import type { HeadBuilder } from "./head_builder.ts";
import type { InputBuffer } from "./input_buffer.ts";
import { BARE_CR_LF, endEvent, parseError, type ParseEvent, type ParserLimits } from "./parser_types.ts";

// The byte tables and bytes the loops compare against, as module constants: V8 folds those into
// the compiled loops, while an imported binding costs a load and a check at every use.
const TCHAR = abnf.TCHAR;
const FIELD_CHAR = abnf.FIELD_CHAR;
const TARGET_CHAR = abnf.TARGET_CHAR;
const VERSION_CHAR = abnf.VERSION_CHAR;
const CR = 13;
const LF = 10;
const SP = 32;
const HTAB = 9;
const COLON = 58;

/**
 * Where the scan is in a head or trailer section:
 * - "start": before a request line, where empty lines are skipped; "start-lf": the CR of one seen;
 * - "method", "target", "version": in that part of the request line; "line-lf": its CR seen;
 * - "field-start": at the first byte of a field line, or of the empty line ending the section;
 * - "name", "ows" (after the colon), "value": in that part of a field line; "field-lf": its CR seen;
 * - "section-lf": the CR of the empty line ending the section seen.
 */
type Line =
  | "start"
  | "start-lf"
  | "method"
  | "target"
  | "version"
  | "line-lf"
  | "field-start"
  | "name"
  | "ows"
  | "value"
  | "field-lf"
  | "section-lf";

/**
 * Where the parts of the line being scanned are, relative to its start (`input.start`, which may
 * move between calls while the offsets stay valid). The scanner fills them in as it finds each
 * part; the {@link HeadBuilder} reads them once the line is complete.
 *
 * @example
 * ```ts
 * const parts = new LineParts();
 * parts.methodEnd = 3; // "GET" ends at offset 3 of the request line
 * ```
 */
export class LineParts {
  /** Request line: the SP after the method. */
  methodEnd = 0;
  /** Request line: the SP after the target. */
  targetEnd = 0;
  /** Request line: the CR after the version. */
  versionEnd = 0;
  /** Field line: the colon. */
  nameEnd = 0;
  /** Field line: the value's first byte, after OWS. */
  valueStart = 0;
  /** Field line: the CR after the value (OWS before it included). */
  valueEnd = 0;
  /** Field line: the name's TCHAR classes OR-ed together (class 2: an upper-case letter). */
  nameClasses = 0;
  /** Field line: the value holds obs-text bytes (>= 0x80). */
  valueHasObsText = false;
}

/**
 * Longest method accepted (the longest registered one, UPDATEREDIRECTREF, has 17 bytes); a
 * longer one gets 501, as does a method longer than maxRequestLineSize.
 */
const MAX_METHOD_LENGTH = 64;

/**
 * Scans the head of each request, and the trailer section of a chunked one, out of an
 * {@link InputBuffer}. Only whole lines stay buffered: `input.start` moves to each line's start.
 * The scan position is kept across calls, so a head trickled in one byte at a time costs O(n).
 *
 * @example
 * ```ts
 * const input = new InputBuffer();
 * const scanner = new HeadScanner(DEFAULT_PARSER_LIMITS, new HeadBuilder(DEFAULT_PARSER_LIMITS));
 * input.feed(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
 * scanner.read(input, null)?.type; // "head"
 * ```
 */
export class HeadScanner {
  readonly #maxHead: number;
  readonly #maxLine: number;
  readonly #maxTrailer: number;
  readonly #builder: HeadBuilder;

  #state: Line = "start";
  /** Scan position in the current line, relative to `input.start`. */
  #pos = 0;
  /** Bytes of this head (or trailer section) consumed before `input.start`, for the size limits. */
  #used = 0;
  /** Where the current line's parts are: written as the scan finds them, read by the builder. */
  readonly #parts = new LineParts();

  /**
   * A scanner enforcing the head, request line and trailer size limits, handing lines to `builder`.
   *
   * @example
   * ```ts
   * new HeadScanner(DEFAULT_PARSER_LIMITS, new HeadBuilder(DEFAULT_PARSER_LIMITS));
   * ```
   */
  constructor(limits: ParserLimits, builder: HeadBuilder) {
    this.#maxHead = limits.maxRequestHeaderSize;
    this.#maxLine = limits.maxRequestLineSize;
    this.#maxTrailer = limits.maxTrailerSize;
    this.#builder = builder;
  }

  /**
   * True before any byte of a request line was read (skipped empty lines aside).
   *
   * @example
   * ```ts
   * new HeadScanner(DEFAULT_PARSER_LIMITS, new HeadBuilder(DEFAULT_PARSER_LIMITS)).beforeRequestLine; // true
   * ```
   */
  get beforeRequestLine(): boolean {
    return this.#state === "start" || this.#state === "start-lf";
  }

  /**
   * Readies the scanner for the next request's head.
   *
   * @example
   * ```ts
   * new HeadScanner(DEFAULT_PARSER_LIMITS, new HeadBuilder(DEFAULT_PARSER_LIMITS)).reset();
   * ```
   */
  reset(): void {
    this.#state = "start";
    this.#pos = 0;
    this.#used = 0;
  }

  /**
   * Readies the scanner for a trailer section starting at `input.start`.
   *
   * @example
   * ```ts
   * new HeadScanner(DEFAULT_PARSER_LIMITS, new HeadBuilder(DEFAULT_PARSER_LIMITS)).startTrailers();
   * ```
   */
  startTrailers(): void {
    this.#state = "field-start";
    this.#pos = 0;
    this.#used = 0;
  }

  /**
   * Scans on. Returns null when more bytes are needed; at the end of the section, the "head"
   * event (or, for a trailer section, the "end" event with `trailers` filled in); or an error.
   *
   * @example
   * ```ts
   * const input = new InputBuffer();
   * input.feed(new TextEncoder().encode("GET / HTTP/1.1\r\n"));
   * new HeadScanner(DEFAULT_PARSER_LIMITS, new HeadBuilder(DEFAULT_PARSER_LIMITS)).read(input, null); // null
   * ```
   */
  read(input: InputBuffer, trailers: string[] | null): ParseEvent | null {
    const buf = input.bytes;
    const end = input.end;
    const trailer = trailers !== null;
    const parts = this.#parts;
    // The current line's start, kept in step with `input.start` (a local costs less to read).
    let start = input.start;
    let p = start + this.#pos;
    let st = this.#state;
    // First absolute position beyond the head (or trailer) size limit.
    const lim = start + (trailer ? this.#maxTrailer : this.#maxHead) - this.#used;
    for (;;) {
      if (p >= end) {
        this.#pos = p - start;
        this.#state = st;
        return null;
      }
      // The cases come in the order they are most often dispatched to (a switch on strings tries
      // them one by one), and the usual path falls through from one line part to the next.
      switch (st) {
        case "field-start": {
          const b = buf[p];
          if (b === CR) {
            // The empty line ending the trailer section is not part of it.
            if (!trailer && p >= lim) return this.#tooLarge(false);
            p++;
            st = "section-lf";
            continue;
          }
          if (p >= lim) return this.#tooLarge(trailer);
          if (TCHAR[b] === 0) {
            if (b === SP || b === HTAB) return parseError(400, "Obsolete line folding is not allowed");
            if (b === LF) return parseError(400, BARE_CR_LF);
            if (b === COLON) return parseError(400, "Invalid header: empty field name");
            return parseError(400, "Invalid header: bad character in field name");
          }
          parts.nameClasses = 0;
          st = "name";
        }
        // falls through
        case "name": {
          const stop = end < lim ? end : lim;
          let classes = parts.nameClasses;
          let t = 0;
          while (p < stop && (t = TCHAR[buf[p]]) !== 0) {
            classes |= t;
            p++;
          }
          parts.nameClasses = classes;
          if (p >= end) continue;
          if (p >= lim) return this.#tooLarge(trailer);
          const b = buf[p];
          if (b !== COLON) {
            if (b === SP || b === HTAB) return parseError(400, "Invalid header: whitespace before the colon");
            if (b === LF) return parseError(400, BARE_CR_LF);
            if (b === CR) return parseError(400, "Invalid header: line without a colon");
            return parseError(400, "Invalid header: bad character in field name");
          }
          parts.nameEnd = p - start;
          p++;
          st = "ows";
        }
        // falls through
        case "ows": {
          const stop = end < lim ? end : lim;
          while (p < stop && (buf[p] === SP || buf[p] === HTAB)) p++;
          if (p >= end) continue;
          if (p >= lim) return this.#tooLarge(trailer);
          parts.valueStart = p - start;
          parts.valueHasObsText = false;
          st = "value";
        }
        // falls through
        case "value": {
          const stop = end < lim ? end : lim;
          while (p < stop && FIELD_CHAR[buf[p]] === 1) p++;
          if (p < stop && FIELD_CHAR[buf[p]] === 2) {
            // obs-text: allowed, but the value then needs the general latin1 decoder.
            parts.valueHasObsText = true;
            while (p < stop && FIELD_CHAR[buf[p]] !== 0) p++;
          }
          if (p >= end) continue;
          if (p >= lim) return this.#tooLarge(trailer);
          const b = buf[p];
          if (b !== CR) {
            if (b === LF) return parseError(400, BARE_CR_LF);
            return parseError(400, `Invalid header: control character 0x${b.toString(16).padStart(2, "0")} in field value`);
          }
          parts.valueEnd = p - start;
          p++;
          st = "field-lf";
        }
        // falls through
        case "field-lf": {
          if (p >= end) continue;
          if (p >= lim) return this.#tooLarge(trailer);
          if (buf[p] !== LF) return parseError(400, BARE_CR_LF);
          const err = this.#builder.field(buf, start, parts, trailers);
          if (err !== null) return err;
          p++;
          this.#used += p - start;
          input.start = start = p;
          st = "field-start";
          continue;
        }
        case "section-lf": {
          if (!trailer && p >= lim) return this.#tooLarge(false);
          if (buf[p] !== LF) return parseError(400, BARE_CR_LF);
          p++;
          input.start = start = p;
          this.#pos = 0;
          this.#state = st;
          return trailer ? endEvent(trailers) : this.#builder.finish();
        }
        case "start": {
          const b = buf[p];
          if (b === CR) {
            if (p >= lim) return this.#tooLarge(false);
            // Consume as we go (start and used move together, so lim is unchanged).
            p++;
            input.start = start = p;
            this.#used++;
            st = "start-lf";
            continue;
          }
          if (b === LF) return parseError(400, BARE_CR_LF);
          st = "method";
        }
        // falls through
        case "method": {
          // Each part of the request line is scanned up to the first byte that cannot be in it,
          // stopping early at the head's, the line's (and the method's) size limit.
          const ll = start + this.#maxLine;
          const ml = start + MAX_METHOD_LENGTH;
          let stop = end < lim ? end : lim;
          if (ll < stop) stop = ll;
          if (ml < stop) stop = ml;
          while (p < stop && TCHAR[buf[p]] !== 0) p++;
          if (p >= end) continue;
          if (p >= lim) return this.#tooLarge(false);
          const b = buf[p];
          if (TCHAR[b] !== 0) {
            // The scan stopped inside the method at its bound (or the request line's): a method
            // longer than any this server accepts is 501 (RFC 9112 3), not 414.
            return parseError(501, `Method is longer than ${ml < ll ? MAX_METHOD_LENGTH : this.#maxLine} bytes`);
          }
          if (p >= ll && b !== CR) return this.#lineTooLong();
          if (b === LF) return parseError(400, BARE_CR_LF);
          if (b !== SP || p === start) return parseError(400, "Start line is invalid: bad method");
          parts.methodEnd = p - start;
          p++;
          st = "target";
        }
        // falls through
        case "target": {
          const ll = start + this.#maxLine;
          let stop = end < lim ? end : lim;
          if (ll < stop) stop = ll;
          while (p < stop && TARGET_CHAR[buf[p]] !== 0) p++;
          if (p >= end) continue;
          if (p >= lim) return this.#tooLarge(false);
          const b = buf[p];
          if (p >= ll && b !== CR) return this.#lineTooLong();
          if (b === LF) return parseError(400, BARE_CR_LF);
          if (b !== SP || p === start + parts.methodEnd + 1) {
            if (b === CR) return parseError(400, "Start line is invalid: missing HTTP version");
            return parseError(400, "Start line is invalid: bad request-target");
          }
          parts.targetEnd = p - start;
          p++;
          st = "version";
        }
        // falls through
        case "version": {
          const ll = start + this.#maxLine;
          let stop = end < lim ? end : lim;
          if (ll < stop) stop = ll;
          while (p < stop && VERSION_CHAR[buf[p]] !== 0) p++;
          if (p >= end) continue;
          if (p >= lim) return this.#tooLarge(false);
          const b = buf[p];
          if (p >= ll && b !== CR) return this.#lineTooLong();
          if (b === LF) return parseError(400, BARE_CR_LF);
          if (b !== CR) return parseError(400, "Start line is invalid: bad HTTP version");
          parts.versionEnd = p - start;
          p++;
          st = "line-lf";
        }
        // falls through
        case "line-lf": {
          if (p >= end) continue;
          if (p >= lim) return this.#tooLarge(false);
          if (buf[p] !== LF) return parseError(400, BARE_CR_LF);
          const err = this.#builder.requestLine(buf, start, parts);
          if (err !== null) return err;
          p++;
          this.#used += p - start;
          input.start = start = p;
          st = "field-start";
          continue;
        }
        case "start-lf": {
          if (p >= lim) return this.#tooLarge(false);
          if (buf[p] !== LF) return parseError(400, BARE_CR_LF);
          p++;
          input.start = start = p;
          this.#used++;
          st = "start";
          continue;
        }
      }
    }
  }

  #lineTooLong(): ParseEvent {
    return parseError(414, `Request line exceeds max_request_line of ${this.#maxLine}`);
  }

  #tooLarge(trailer: boolean): ParseEvent {
    return trailer
      ? parseError(431, `Trailer section exceeds max_trailer of ${this.#maxTrailer}`)
      : parseError(431, `Request header exceeds max_header of ${this.#maxHead}`);
  }
}
