/**
 * The chunk line of the chunked transfer coding, RFC 9112 7.1.1:
 *
 *     chunk-size *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] ) CRLF
 *
 * read byte by byte with resumable states. BWS (SP / HTAB) is accepted exactly where that grammar
 * puts it, because recipients MUST parse it (RFC 9110 5.6.3), and nowhere else: whitespace must be
 * followed by ";", a name, "=" or a value, so "4 \r\n" and "4;a=b \r\n" stay 400. Framing stays
 * unambiguous: the size is hex digits only, a line ends only in CRLF, and any other byte is refused.
 *
 * @module
 */

import * as abnf from "./abnf.ts";
import { BARE_CR_LF, type ParseError, parseError } from "./parser_types.ts";

// The byte tables and bytes the loops compare against, as module constants: V8 folds those into
// the compiled loops, while an imported binding costs a load and a check at every use.
const TCHAR = abnf.TCHAR;
const HEX_VALUE = abnf.HEX_VALUE;
const QDTEXT = abnf.QDTEXT;
const QUOTED_PAIR_CHAR = abnf.QUOTED_PAIR_CHAR;
const CR = 13;
const LF = 10;
const SP = 32;
const HTAB = 9;
const SEMI = 59;
const EQUALS = 61;
const DQUOTE = 34;
const BACKSLASH = 92;

/** Where a chunk line's scan is: before the size, in it, in the extensions, at the LF after the CR, or past the LF. */
type Part = "size-start" | "size" | "extensions" | "lf" | "done";

/**
 * Where the scan is in the extensions:
 * - "bws": after the size or a value, in BWS: only more BWS or ";" may follow;
 * - "name-start": after ";": BWS or a name's first tchar;
 * - "name", then "name-bws": BWS after a name: more BWS, "=" or ";";
 * - "value-start": after "=": BWS or the value; "token" or "quoted" ("quoted-pair" after a
 *   backslash) while in it; "after-quoted": past the closing DQUOTE: CR, BWS or ";".
 */
type Ext = "bws" | "name-start" | "name" | "name-bws" | "value-start" | "token" | "quoted" | "quoted-pair" | "after-quoted";

/**
 * Where the extensions go on from a byte: the next {@link Ext} state; "line-end" for the CR
 * ending the line; "trailing-bws" for a CR after BWS that nothing followed; "invalid" for a byte
 * not allowed there.
 */
type Step = Ext | "line-end" | "trailing-bws" | "invalid";

const TRAILING_BWS = "Invalid chunk line: whitespace before CRLF";

/** Where the extensions go on from a byte `b` read in `state`. */
function extensionStep(state: Ext, b: number): Step {
  switch (state) {
    case "name-start":
      if (TCHAR[b] !== 0) return "name";
      return b === SP || b === HTAB ? "name-start" : "invalid";
    case "name":
      if (TCHAR[b] !== 0) return "name";
      return b === CR ? "line-end" : afterName(b);
    case "name-bws":
      return afterName(b);
    case "value-start":
      if (TCHAR[b] !== 0) return "token";
      if (b === DQUOTE) return "quoted";
      return b === SP || b === HTAB ? "value-start" : "invalid";
    case "token":
      return TCHAR[b] !== 0 ? "token" : afterValue(b);
    case "quoted":
      if (b === DQUOTE) return "after-quoted";
      if (b === BACKSLASH) return "quoted-pair";
      return QDTEXT[b] === 0 ? "invalid" : "quoted";
    case "quoted-pair":
      return QUOTED_PAIR_CHAR[b] === 0 ? "invalid" : "quoted";
    case "after-quoted":
      return afterValue(b);
    case "bws":
      return betweenExtensions(b);
  }
}

/** After a name and any BWS: "=", ";" or more BWS. */
function afterName(b: number): Step {
  if (b === EQUALS) return "value-start";
  if (b === SEMI) return "name-start";
  if (b === SP || b === HTAB) return "name-bws";
  return b === CR ? "trailing-bws" : "invalid";
}

/** Right after a value: the CR ending the line, or what may follow BWS. */
function afterValue(b: number): Step {
  return b === CR ? "line-end" : betweenExtensions(b);
}

/** After the size or a value, in BWS: ";" or more BWS (a CR here would end the line on BWS). */
function betweenExtensions(b: number): Step {
  if (b === SEMI) return "name-start";
  if (b === SP || b === HTAB) return "bws";
  return b === CR ? "trailing-bws" : "invalid";
}

/**
 * One chunk line at a time: the size is read, the extensions are checked (and their size
 * limited: every byte from the first ";" or BWS after the size up to the CR counts) and dropped.
 *
 * @example
 * ```ts
 * const line = new ChunkLine(4096);
 * const bytes = new TextEncoder().encode("1a;x=y\r\n");
 * line.scan(bytes, 0, bytes.length); // 8
 * [line.complete, line.size]; // [true, 26]
 * ```
 */
export class ChunkLine {
  readonly #maxExtensions: number;
  #part: Part = "size-start";
  #extension: Ext = "bws";
  #size = 0;
  #digits = 0;
  #extensionBytes = 0;

  /**
   * A chunk line reader refusing extensions longer than `maxExtensions` bytes.
   *
   * @example
   * ```ts
   * new ChunkLine(4096);
   * ```
   */
  constructor(maxExtensions: number) {
    this.#maxExtensions = maxExtensions;
  }

  /**
   * True once the line's LF was read.
   *
   * @example
   * ```ts
   * new ChunkLine(0).complete; // false
   * ```
   */
  get complete(): boolean {
    return this.#part === "done";
  }

  /**
   * The chunk size (read so far; whole once {@link complete}). Exact up to 2^53; past that it
   * only has to stay above any body limit.
   *
   * @example
   * ```ts
   * new ChunkLine(0).size; // 0
   * ```
   */
  get size(): number {
    return this.#size;
  }

  /**
   * Readies the reader for the next chunk line.
   *
   * @example
   * ```ts
   * new ChunkLine(0).reset();
   * ```
   */
  reset(): void {
    this.#part = "size-start";
  }

  /**
   * Reads buf[p, end) up to the end of the line; returns the position after the bytes read, or
   * an error event.
   *
   * @example
   * ```ts
   * const bytes = new TextEncoder().encode("4 \r\n");
   * new ChunkLine(4096).scan(bytes, 0, bytes.length); // error: whitespace before CRLF
   * ```
   */
  scan(buf: Uint8Array, p: number, end: number): number | ParseError {
    let part = this.#part;
    // Resume where the last call stopped; the line's parts then follow in order, falling through.
    switch (part) {
      case "size-start": {
        if (p >= end) break;
        const b = buf[p];
        const h = HEX_VALUE[b];
        if (h === 0) return parseError(400, b === LF ? BARE_CR_LF : "Invalid chunk size");
        this.#size = h - 1;
        this.#digits = 1;
        this.#extensionBytes = 0;
        p++;
        part = "size";
      }
      // falls through
      case "size": {
        for (let h = 0; p < end && (h = HEX_VALUE[buf[p]]) !== 0; p++) {
          if (++this.#digits > 16) return parseError(400, "Invalid chunk size: too many digits");
          this.#size = this.#size * 16 + (h - 1);
        }
        if (p >= end) break;
        const b = buf[p];
        if (b === CR) {
          p++;
          part = "lf";
        } else if (b === SEMI || b === SP || b === HTAB) {
          // The extensions start at this byte, which counts toward their size.
          part = "extensions";
          this.#extension = "bws";
        } else {
          return parseError(400, b === LF ? BARE_CR_LF : "Invalid chunk size");
        }
      }
      // falls through
      case "extensions":
        for (; part === "extensions" && p < end; p++) {
          const b = buf[p];
          if (b !== CR && ++this.#extensionBytes > this.#maxExtensions) {
            return parseError(400, `Chunk extension exceeds max_chunk_extension of ${this.#maxExtensions}`);
          }
          const next = extensionStep(this.#extension, b);
          if (next === "line-end") part = "lf";
          else if (next === "trailing-bws") return parseError(400, TRAILING_BWS);
          else if (next === "invalid") return parseError(400, b === LF ? BARE_CR_LF : "Invalid chunk extension");
          else this.#extension = next;
        }
      // falls through
      case "lf":
        if (p >= end) break;
        if (buf[p] !== LF) return parseError(400, BARE_CR_LF);
        p++;
        part = "done";
      // falls through
      case "done":
        break;
    }
    this.#part = part;
    return p;
  }
}
