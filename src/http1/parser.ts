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
 * @module
 */

import {
  equalsAsciiLower,
  FIELD_CHAR,
  HEX_VALUE,
  isValidAuthority,
  latin1,
  QDTEXT,
  QUOTED_PAIR_CHAR,
  TARGET_CHAR,
  TCHAR,
  VERSION_CHAR,
} from "./abnf.ts";

/**
 * Size and count limits enforced by {@link RequestParser}.
 *
 * @example
 * ```ts
 * import { RequestParser, type ParserLimits } from "./parser.ts";
 * const limits: Partial<ParserLimits> = { maxRequestBodySize: 1 << 20 };
 * new RequestParser(limits);
 * ```
 */
export interface ParserLimits {
  /** Bytes of request line + header section incl. CRLFs (and skipped leading empty lines); exceeded -> 431. */
  maxRequestHeaderSize: number;
  /** Decoded body bytes; Content-Length above it -> 413 at once; chunked: decoded total above it -> 413. */
  maxRequestBodySize: number;
  /** Request line bytes (without CRLF); exceeded -> 414. */
  maxRequestLineSize: number;
  /** Number of header field lines; exceeded -> 431. */
  maxHeaderFields: number;
  /** Bytes of one chunk line's extensions (from the first ";" or BWS after the size up to the CR); exceeded -> 400. */
  maxChunkExtensionSize: number;
  /** Bytes of the trailer section (its field lines with their CRLFs, not the final empty line); exceeded -> 431. */
  maxTrailerSize: number;
}

/**
 * The default limits: 256 KiB head, 1 GiB body, 16 KiB request line, 100 fields, 4 KiB chunk
 * extensions, 16 KiB trailers.
 *
 * @example
 * ```ts
 * import { DEFAULT_PARSER_LIMITS } from "./parser.ts";
 * DEFAULT_PARSER_LIMITS.maxRequestHeaderSize; // 262144
 * ```
 */
export const DEFAULT_PARSER_LIMITS: ParserLimits = Object.freeze({
  maxRequestHeaderSize: 262144,
  maxRequestBodySize: 1073741824,
  maxRequestLineSize: 16384,
  maxHeaderFields: 100,
  maxChunkExtensionSize: 4096,
  maxTrailerSize: 16384,
});

/**
 * The parsed request line and header section of one request.
 *
 * @example
 * ```ts
 * import { RequestParser, type RequestHead } from "./parser.ts";
 * const p = new RequestParser();
 * p.feed(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
 * const ev = p.next();
 * const head: RequestHead | null = ev?.type === "head" ? ev.head : null;
 * head?.host; // "a"
 * ```
 */
export interface RequestHead {
  /** As sent (case-sensitive token). */
  method: string;
  /** Raw request-target as sent. */
  target: string;
  /** HTTP/1.0 or HTTP/1.1 (HTTP/1.2 .. 1.9 are read as 1.1, RFC 9110 2.5). */
  minorVersion: 0 | 1;
  /** Flat [name, value, ...]: names lower-cased, values with OWS trimmed, arrival order, latin1-decoded. */
  headers: string[];
  /** Host header value ("" when absent, allowed only on 1.0); for absolute-form targets the target's authority. */
  host: string;
  /** Declared body length; 0 when no body; -1 when chunked. */
  contentLength: number;
  /** Body uses the chunked transfer coding. */
  chunked: boolean;
  /** 1.1: true unless Connection has "close"; 1.0: only with "keep-alive" (and no "close"). */
  keepAlive: boolean;
  /** `Expect: 100-continue` on HTTP/1.1 (always false on 1.0, RFC 9110 10.1.1). */
  expectContinue: boolean;
}

/**
 * One result of {@link RequestParser.next}.
 *
 * @example
 * ```ts
 * import type { ParseEvent } from "./parser.ts";
 * function describe(ev: ParseEvent): string {
 *   return ev.type === "error" ? `${ev.status} ${ev.reason}: ${ev.detail}` : ev.type;
 * }
 * ```
 */
export type ParseEvent =
  | { type: "head"; head: RequestHead }
  | { type: "data"; data: Uint8Array }
  | { type: "end"; trailers: string[] }
  | { type: "error"; status: number; reason: string; detail: string };

const CR = 13;
const LF = 10;
const SP = 32;
const HTAB = 9;
const COLON = 58;
const SEMI = 59;
const EQUALS = 61;
const DQUOTE = 34;
const BACKSLASH = 92;

// Parser states.
const ST_START = 0; // before a request line: empty lines are skipped
const ST_START_LF = 1; // CR of a skipped empty line seen
const ST_METHOD = 2;
const ST_TARGET = 3;
const ST_VERSION = 4;
const ST_LINE_LF = 5; // CR after the request line seen
const ST_FIELD_START = 6; // first byte of a field line (or the empty line ending the section)
const ST_NAME = 7;
const ST_OWS = 8;
const ST_VALUE = 9;
const ST_FIELD_LF = 10;
const ST_SECTION_LF = 11; // CR of the empty line ending the header/trailer section seen
const ST_BODY = 12; // Content-Length body
const ST_END = 13; // report "end" next
const ST_CHUNK_SIZE_START = 14;
const ST_CHUNK_SIZE = 15;
// Chunk extension states, ST_EXT_SEMI..ST_EXT_AFTER_VALUE: every byte read in them except the
// CR ending the line counts toward maxChunkExtensionSize (BWS included).
const ST_EXT_SEMI = 16; // BWS after the size or after a value: only more BWS or ";" may follow
const ST_EXT_NAME_START = 17; // after ";": BWS or the first tchar of a name
const ST_EXT_NAME = 18;
const ST_EXT_NAME_BWS = 19; // BWS after a name: more BWS, "=" or ";"
const ST_EXT_VALUE_START = 20; // after "=": BWS or the value (token or quoted-string)
const ST_EXT_TOKEN = 21;
const ST_EXT_QUOTED = 22;
const ST_EXT_QUOTED_PAIR = 23;
const ST_EXT_AFTER_VALUE = 24; // after a quoted-string's closing DQUOTE: CR, BWS or ";"
const ST_CHUNK_LINE_LF = 25;
const ST_CHUNK_DATA = 26;
const ST_CHUNK_DATA_CR = 27;
const ST_CHUNK_DATA_LF = 28;
const ST_ERROR = 29;

// Header fields the parser interprets.
const K_OTHER = 0;
const K_HOST = 1;
const K_CONTENT_LENGTH = 2;
const K_TRANSFER_ENCODING = 3;
const K_CONNECTION = 4;
const K_EXPECT = 5;
const K_CONTENT_TYPE = 6;

const CONN_CLOSE = 1;
const CONN_KEEP_ALIVE = 2;

const EXPECT_CONTINUE = 1;
const EXPECT_OTHER = 2;

/** The statuses the parser answers with. */
type ErrorStatus = 400 | 413 | 414 | 417 | 431 | 501 | 505;

const REASONS: Record<ErrorStatus, string> = {
  400: "Bad Request",
  413: "Request Entity Too Large",
  414: "URI Too Long",
  417: "Expectation Failed",
  431: "Request Header Fields Too Large",
  501: "Not Implemented",
  505: "HTTP Version Not Supported",
};

/**
 * Longest method accepted (the longest registered one, UPDATEREDIRECTREF, has 17 bytes); a
 * longer one gets 501, as does a method longer than maxRequestLineSize.
 */
const MAX_METHOD_LENGTH = 64;

const BARE_CR_LF = "Bare CR or LF found in HTTP message";
const TRAILING_BWS = "Invalid chunk line: whitespace before CRLF";

/** The "end" of a request without trailers: one shared, frozen event (most requests end this way). */
const NO_TRAILERS: string[] = Object.freeze([]) as unknown as string[];
const END_WITHOUT_TRAILERS: ParseEvent = Object.freeze({ type: "end", trailers: NO_TRAILERS }) as ParseEvent;

interface KnownName {
  bytes: Uint8Array;
  name: string;
  kind: number;
}

/** Common field names by length: lets the parser skip decoding and lower-casing them. */
const KNOWN_BY_LENGTH: (KnownName[] | undefined)[] = [];
for (
  const [name, kind] of [
    ["host", K_HOST],
    ["content-length", K_CONTENT_LENGTH],
    ["transfer-encoding", K_TRANSFER_ENCODING],
    ["connection", K_CONNECTION],
    ["expect", K_EXPECT],
    ["content-type", K_CONTENT_TYPE],
    ["user-agent", K_OTHER],
    ["accept", K_OTHER],
    ["accept-encoding", K_OTHER],
    ["accept-language", K_OTHER],
    ["cache-control", K_OTHER],
    ["cookie", K_OTHER],
    ["authorization", K_OTHER],
    ["origin", K_OTHER],
    ["referer", K_OTHER],
    ["pragma", K_OTHER],
    ["upgrade", K_OTHER],
    ["te", K_OTHER],
    ["range", K_OTHER],
    ["if-none-match", K_OTHER],
    ["if-modified-since", K_OTHER],
    ["x-forwarded-for", K_OTHER],
    ["x-forwarded-proto", K_OTHER],
    ["x-forwarded-host", K_OTHER],
    ["x-request-id", K_OTHER],
    ["forwarded", K_OTHER],
    ["keep-alive", K_OTHER],
    ["dnt", K_OTHER],
  ] as const
) {
  const bytes = new Uint8Array(name.length);
  for (let i = 0; i < name.length; i++) bytes[i] = name.charCodeAt(i);
  (KNOWN_BY_LENGTH[name.length] ??= []).push({ bytes, name, kind });
}

function knownName(buf: Uint8Array, start: number, end: number): KnownName | null {
  const list = KNOWN_BY_LENGTH[end - start];
  if (list === undefined) return null;
  outer: for (let k = 0; k < list.length; k++) {
    const bytes = list[k].bytes;
    // `| 0x20` folds ASCII upper case; known names hold only letters and "-", and no other
    // tchar maps onto those.
    for (let i = 0; i < bytes.length; i++) if ((buf[start + i] | 0x20) !== bytes[i]) continue outer;
    return list[k];
  }
  return null;
}

/** How many leading header fields per request get their decoded strings reused (see #field). */
const STRING_CACHE_FIELDS = 32;
/** Longest field value kept for reuse. */
const STRING_CACHE_MAX_VALUE = 4096;

/** Whether latin1 string `s` equals buf[start, end). */
function sameBytes(s: string, buf: Uint8Array, start: number, end: number): boolean {
  if (s.length !== end - start) return false;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) !== buf[start + i]) return false;
  return true;
}

/** Whether lower-cased field name `s` equals the tchar bytes buf[start, end) ignoring ASCII case. */
function sameLowerName(s: string, buf: Uint8Array, start: number, end: number): boolean {
  if (s.length !== end - start) return false;
  for (let i = 0; i < s.length; i++) {
    const b = buf[start + i];
    const c = s.charCodeAt(i);
    if (b !== c && (TCHAR[b] !== 2 || b + 0x20 !== c)) return false;
  }
  return true;
}

function internMethod(buf: Uint8Array, start: number, end: number): string {
  const n = end - start;
  const b0 = buf[start];
  if (n === 3 && b0 === 0x47 && buf[start + 1] === 0x45 && buf[start + 2] === 0x54) return "GET";
  if (n === 4 && b0 === 0x50 && buf[start + 1] === 0x4f && buf[start + 2] === 0x53 && buf[start + 3] === 0x54) {
    return "POST";
  }
  return latin1(buf, start, end);
}

/** Parses a Content-Length value: the number, -1 when not 1*DIGIT, -2 when above `max`. */
function parseContentLength(value: string, max: number): number {
  const n = value.length;
  if (n === 0) return -1;
  let v = 0;
  for (let i = 0; i < n; i++) {
    const d = value.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return -1;
    // Stop growing once above the limit: no precision issue for huge digit strings.
    if (v <= max) v = v * 10 + d;
  }
  return v > max ? -2 : v;
}

function skipOws(s: string, i: number): number {
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c !== SP && c !== HTAB) break;
    i++;
  }
  return i;
}

function skipToken(s: string, i: number): number {
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c > 0xff || TCHAR[c] === 0) break;
    i++;
  }
  return i;
}

/** Returns the index after a quoted-string starting at `i` (a DQUOTE), or -1. */
function skipQuoted(s: string, i: number): number {
  for (i++; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === DQUOTE) return i + 1;
    if (c === BACKSLASH) {
      i++;
      if (i >= s.length || s.charCodeAt(i) > 0xff || QUOTED_PAIR_CHAR[s.charCodeAt(i)] === 0) return -1;
    } else if (c > 0xff || QDTEXT[c] === 0) return -1;
  }
  return -1;
}

/**
 * Checks the combined Transfer-Encoding list (RFC 9112 6.1, 7): returns null when the codings
 * end in exactly one "chunked" preceded by nothing, else [status, detail].
 */
function checkTransferEncoding(value: string): [ErrorStatus, string] | null {
  const n = value.length;
  let i = 0;
  let chunkedCount = 0;
  let other = false;
  let lastChunked = false;
  for (;;) {
    i = skipOws(value, i);
    const nameStart = i;
    i = skipToken(value, i);
    if (i === nameStart) {
      return [400, i >= n || value.charCodeAt(i) === 0x2c
        ? "Transfer-Encoding has an empty list element"
        : "Transfer-Encoding is invalid"];
    }
    const isChunked = equalsAsciiLower(value, "chunked", nameStart, i);
    i = skipOws(value, i);
    let params = false;
    while (i < n && value.charCodeAt(i) === SEMI) {
      // transfer-parameter = token BWS "=" BWS ( token / quoted-string )
      i = skipOws(value, i + 1);
      const p = i;
      i = skipToken(value, i);
      if (i === p) return [400, "Transfer-Encoding is invalid"];
      i = skipOws(value, i);
      if (i >= n || value.charCodeAt(i) !== EQUALS) return [400, "Transfer-Encoding is invalid"];
      i = skipOws(value, i + 1);
      if (i < n && value.charCodeAt(i) === DQUOTE) {
        i = skipQuoted(value, i);
        if (i < 0) return [400, "Transfer-Encoding is invalid"];
      } else {
        const v = i;
        i = skipToken(value, i);
        if (i === v) return [400, "Transfer-Encoding is invalid"];
      }
      i = skipOws(value, i);
      params = true;
    }
    if (isChunked) {
      chunkedCount++;
      // "chunked" defines no parameters; a peer that does not recognise "chunked;x=y" as
      // chunked would frame the message differently, so refuse it.
      if (params) return [400, "Transfer-Encoding chunked must not have parameters"];
    } else {
      other = true;
    }
    lastChunked = isChunked;
    if (i >= n) break;
    if (value.charCodeAt(i) !== 0x2c) return [400, "Transfer-Encoding is invalid"];
    i++;
  }
  if (chunkedCount > 1) return [400, "Transfer-Encoding is invalid: chunked applied more than once"];
  if (!lastChunked) return [400, "Transfer-Encoding is invalid: the final coding is not chunked"];
  if (other) return [501, "Transfer-Encoding requested is not supported"];
  return null;
}

/** Scans a comma list of tokens for "close" and "keep-alive" (ASCII case-insensitive). */
function connectionFlags(value: string): number {
  let flags = 0;
  const n = value.length;
  let i = 0;
  while (i <= n) {
    let j = value.indexOf(",", i);
    if (j < 0) j = n;
    let s = i;
    let e = j;
    while (s < e && (value.charCodeAt(s) === SP || value.charCodeAt(s) === HTAB)) s++;
    while (e > s && (value.charCodeAt(e - 1) === SP || value.charCodeAt(e - 1) === HTAB)) e--;
    if (equalsAsciiLower(value, "close", s, e)) flags |= CONN_CLOSE;
    else if (equalsAsciiLower(value, "keep-alive", s, e)) flags |= CONN_KEEP_ALIVE;
    i = j + 1;
  }
  return flags;
}

/** Classifies an Expect list: EXPECT_CONTINUE and/or EXPECT_OTHER bits (empty elements ignored). */
function expectFlags(value: string): number {
  let flags = 0;
  const n = value.length;
  let i = 0;
  while (i <= n) {
    let j = value.indexOf(",", i);
    if (j < 0) j = n;
    let s = i;
    let e = j;
    while (s < e && (value.charCodeAt(s) === SP || value.charCodeAt(s) === HTAB)) s++;
    while (e > s && (value.charCodeAt(e - 1) === SP || value.charCodeAt(e - 1) === HTAB)) e--;
    if (e > s) flags |= equalsAsciiLower(value, "100-continue", s, e) ? EXPECT_CONTINUE : EXPECT_OTHER;
    i = j + 1;
  }
  return flags;
}

/** Case-insensitive match of "http://" or "https://" at the start; returns the authority start or -1. */
function absoluteAuthorityStart(buf: Uint8Array, start: number, end: number): number {
  if (end - start < 7) return -1;
  if ((buf[start] | 0x20) !== 0x68 || (buf[start + 1] | 0x20) !== 0x74 || (buf[start + 2] | 0x20) !== 0x74 ||
    (buf[start + 3] | 0x20) !== 0x70) return -1;
  let i = start + 4;
  if ((buf[i] | 0x20) === 0x73) i++;
  if (end - i < 3 || buf[i] !== COLON || buf[i + 1] !== 0x2f || buf[i + 2] !== 0x2f) return -1;
  return i + 3;
}

function checkLimit(limits: Partial<ParserLimits> | undefined, key: keyof ParserLimits): number {
  const v = limits?.[key];
  if (v === undefined) return DEFAULT_PARSER_LIMITS[key];
  if (typeof v !== "number") {
    throw new TypeError(`ParserLimits.${key} must be a number, got ${JSON.stringify(String(v))}; pass a non-negative integer`);
  }
  if (!Number.isSafeInteger(v) || v < 0) {
    throw new RangeError(`ParserLimits.${key} must be a non-negative safe integer, got "${v}"; pass e.g. ${DEFAULT_PARSER_LIMITS[key]}`);
  }
  return v;
}

const EMPTY = new Uint8Array(0);

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
  // Limits.
  readonly #maxHead: number;
  readonly #maxBody: number;
  readonly #maxLine: number;
  readonly #maxFields: number;
  readonly #maxExt: number;
  readonly #maxTrailer: number;

  // Buffer: bytes [start, end) of buf are unconsumed.
  #buf: Uint8Array = EMPTY;
  #start = 0;
  #end = 0;
  /** buf was allocated here (so appending into its spare capacity is allowed). */
  #owned = false;
  /** a subarray of buf was handed out in a "data" event (so its bytes must never be overwritten). */
  #lent = false;

  #st = ST_START;
  /** Scan position inside the current head/trailer line (absolute index into buf). */
  #pos = 0;
  /** Head (or trailer section) bytes consumed before `start`, for the size limits. */
  #used = 0;
  // Offsets inside the current line (absolute): method end / name end, value start, target end / value end.
  #m1 = 0;
  #m2 = 0;
  #m3 = 0;
  #nameFlags = 0;
  /** The current field value holds obs-text bytes (>= 0x80). */
  #valueHigh = false;

  // Request under construction.
  #method = "";
  #target = "";
  #minor: 0 | 1 = 1;
  #authority: string | null = null;
  #headers: string[] = [];
  #fields = 0;
  #hostCount = 0;
  /** Content-Type is a singleton: two of them make the body's meaning ambiguous (Waitress #488). */
  #contentTypeCount = 0;
  #host = "";
  #clCount = 0;
  #cl = "";
  #te: string | null = null;
  #conn = 0;
  #expect = 0;
  #trailers: string[] | null = null;
  /** Field name / value strings of the previous request, by field index (see #field). */
  #nameCache: string[] = [];
  #valueCache: string[] = [];

  // Body.
  #remaining = 0;
  #bodyTotal = 0;
  #chunkSize = 0;
  #digits = 0;
  #extBytes = 0;

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
    this.#maxHead = checkLimit(limits, "maxRequestHeaderSize");
    this.#maxBody = checkLimit(limits, "maxRequestBodySize");
    this.#maxLine = checkLimit(limits, "maxRequestLineSize");
    this.#maxFields = checkLimit(limits, "maxHeaderFields");
    this.#maxExt = checkLimit(limits, "maxChunkExtensionSize");
    this.#maxTrailer = checkLimit(limits, "maxTrailerSize");
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
    const len = chunk.length;
    if (len === 0 || this.#st === ST_ERROR) return;
    const start = this.#start;
    const end = this.#end;
    if (start === end) {
      // Nothing pending: parse straight from the caller's chunk (zero copy).
      this.#buf = chunk;
      this.#rebase(start);
      this.#end = len;
      this.#owned = false;
      this.#lent = false;
      return;
    }
    const buf = this.#buf;
    if (this.#owned && buf.length - end >= len) {
      // Spare capacity past `end` was never handed out: append in place.
      buf.set(chunk, end);
      this.#end = end + len;
      return;
    }
    const pending = end - start;
    if (this.#owned && !this.#lent && buf.length >= pending + len) {
      // Nothing of this buffer was handed out: compact in place.
      buf.copyWithin(0, start, end);
      buf.set(chunk, pending);
      this.#rebase(start);
      this.#end = pending + len;
      return;
    }
    // Grow geometrically into a new allocation; memory handed out in "data" events stays intact.
    let cap = 2 * (pending + len);
    if (cap < 1024) cap = 1024;
    const next = new Uint8Array(cap);
    next.set(buf.subarray(start, end), 0);
    next.set(chunk, pending);
    this.#buf = next;
    this.#rebase(start);
    this.#end = pending + len;
    this.#owned = true;
    this.#lent = false;
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
    const st = this.#st;
    if (st <= ST_SECTION_LF) return this.#parseLines();
    switch (st) {
      case ST_BODY: {
        const avail = this.#end - this.#start;
        if (avail === 0) return this.#needMore();
        const n = avail < this.#remaining ? avail : this.#remaining;
        const data = this.#buf.subarray(this.#start, this.#start + n);
        this.#start += n;
        this.#remaining -= n;
        if (this.#owned) this.#lent = true;
        if (this.#remaining === 0) this.#st = ST_END;
        return { type: "data", data };
      }
      case ST_END:
        return this.#endRequest(NO_TRAILERS);
      case ST_ERROR:
        return null;
      default:
        return this.#parseChunked();
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
    return this.#end - this.#start;
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
    const st = this.#st;
    return st >= ST_BODY && st < ST_ERROR || (st <= ST_SECTION_LF && this.#trailers !== null);
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
    return (this.#st === ST_START || this.#st === ST_START_LF) && this.#start === this.#end;
  }

  // ---------------------------------------------------------------------------------------------

  #rebase(delta: number): void {
    this.#start -= delta;
    this.#pos -= delta;
    this.#m1 -= delta;
    this.#m2 -= delta;
    this.#m3 -= delta;
  }

  /** Returns null (need more bytes); drops the buffer when it is fully consumed. */
  #needMore(): null {
    if (this.#start === this.#end && this.#buf !== EMPTY) {
      // Don't pin a large fed chunk for an idle connection.
      this.#buf = EMPTY;
      this.#start = this.#end = this.#pos = 0;
      this.#owned = false;
      this.#lent = false;
    }
    return null;
  }

  #fail(status: ErrorStatus, detail: string): ParseEvent {
    this.#st = ST_ERROR;
    this.#buf = EMPTY;
    this.#start = this.#end = this.#pos = 0;
    this.#headers = [];
    this.#trailers = null;
    this.#nameCache = [];
    this.#valueCache = [];
    return { type: "error", status, reason: REASONS[status], detail };
  }

  #tooLarge(trailer: boolean): ParseEvent {
    return trailer
      ? this.#fail(431, `Trailer section exceeds max_trailer of ${this.#maxTrailer}`)
      : this.#fail(431, `Request header exceeds max_header of ${this.#maxHead}`);
  }

  #endRequest(trailers: string[]): ParseEvent {
    this.#st = ST_START;
    this.#pos = this.#start;
    this.#used = 0;
    this.#nameFlags = 0;
    this.#authority = null;
    this.#fields = 0;
    this.#hostCount = 0;
    this.#contentTypeCount = 0;
    this.#host = "";
    this.#clCount = 0;
    this.#cl = "";
    this.#te = null;
    this.#conn = 0;
    this.#expect = 0;
    this.#trailers = null;
    this.#remaining = 0;
    this.#bodyTotal = 0;
    if (this.#start === this.#end) this.#needMore();
    return trailers === NO_TRAILERS ? END_WITHOUT_TRAILERS : { type: "end", trailers };
  }

  /** Request line, header section and trailer section: resumable byte scan of whole lines. */
  #parseLines(): ParseEvent | null {
    const buf = this.#buf;
    const end = this.#end;
    const trailers = this.#trailers;
    const trailer = trailers !== null;
    let p = this.#pos;
    let st = this.#st;
    // First absolute position beyond the head (or trailer) size limit.
    let lim = this.#start + (trailer ? this.#maxTrailer : this.#maxHead) - this.#used;
    for (;;) {
      if (p >= end) {
        this.#pos = p;
        this.#st = st;
        return this.#needMore();
      }
      switch (st) {
        case ST_START: {
          const b = buf[p];
          if (b === CR) {
            if (p >= lim) return this.#tooLarge(false);
            // Consume as we go (start and used move together, so lim is unchanged).
            p++;
            this.#start = p;
            this.#used++;
            st = ST_START_LF;
            continue;
          }
          if (b === LF) return this.#fail(400, BARE_CR_LF);
          st = ST_METHOD;
          continue;
        }
        case ST_START_LF: {
          if (p >= lim) return this.#tooLarge(false);
          if (buf[p] !== LF) return this.#fail(400, BARE_CR_LF);
          p++;
          this.#start = p;
          this.#used++;
          st = ST_START;
          continue;
        }
        case ST_METHOD:
        case ST_TARGET:
        case ST_VERSION: {
          const tbl = st === ST_METHOD ? TCHAR : st === ST_TARGET ? TARGET_CHAR : VERSION_CHAR;
          const ll = this.#start + this.#maxLine;
          let stop = end < lim ? end : lim;
          if (ll < stop) stop = ll;
          const ml = this.#start + MAX_METHOD_LENGTH;
          if (st === ST_METHOD && ml < stop) stop = ml;
          while (p < stop && tbl[buf[p]] !== 0) p++;
          if (p >= end) continue;
          if (p >= lim) return this.#tooLarge(false);
          const b = buf[p];
          if (st === ST_METHOD && TCHAR[b] !== 0) {
            // The scan stopped inside the method at its bound (or the request line's): a method
            // longer than any this server accepts is 501 (RFC 9112 3), not 414.
            return this.#fail(501, `Method is longer than ${ml < ll ? MAX_METHOD_LENGTH : this.#maxLine} bytes`);
          }
          if (p >= ll && b !== CR) {
            return this.#fail(414, `Request line exceeds max_request_line of ${this.#maxLine}`);
          }
          if (st === ST_METHOD) {
            if (b === SP && p > this.#start) {
              this.#m1 = p;
              p++;
              st = ST_TARGET;
              continue;
            }
            if (b === LF) return this.#fail(400, BARE_CR_LF);
            return this.#fail(400, "Start line is invalid: bad method");
          }
          if (st === ST_TARGET) {
            if (b === SP && p > this.#m1 + 1) {
              this.#m3 = p;
              p++;
              st = ST_VERSION;
              continue;
            }
            if (b === LF) return this.#fail(400, BARE_CR_LF);
            if (b === CR) return this.#fail(400, "Start line is invalid: missing HTTP version");
            return this.#fail(400, "Start line is invalid: bad request-target");
          }
          if (b === CR) {
            this.#m2 = p;
            p++;
            st = ST_LINE_LF;
            continue;
          }
          if (b === LF) return this.#fail(400, BARE_CR_LF);
          return this.#fail(400, "Start line is invalid: bad HTTP version");
        }
        case ST_LINE_LF: {
          if (p >= lim) return this.#tooLarge(false);
          if (buf[p] !== LF) return this.#fail(400, BARE_CR_LF);
          const err = this.#requestLine(buf);
          if (err !== null) return err;
          p++;
          this.#used += p - this.#start;
          this.#start = p;
          st = ST_FIELD_START;
          continue;
        }
        case ST_FIELD_START: {
          const b = buf[p];
          if (b === CR) {
            // The empty line ending the trailer section is not part of it.
            if (!trailer && p >= lim) return this.#tooLarge(false);
            p++;
            st = ST_SECTION_LF;
            continue;
          }
          if (p >= lim) return this.#tooLarge(trailer);
          if (TCHAR[b] === 0) {
            if (b === SP || b === HTAB) return this.#fail(400, "Obsolete line folding is not allowed");
            if (b === LF) return this.#fail(400, BARE_CR_LF);
            if (b === COLON) return this.#fail(400, "Invalid header: empty field name");
            return this.#fail(400, "Invalid header: bad character in field name");
          }
          this.#nameFlags = 0;
          st = ST_NAME;
          // The usual path runs FIELD_START -> NAME -> OWS -> VALUE -> FIELD_LF by falling
          // through, without a dispatch per state.
        }
        // falls through
        case ST_NAME: {
          const stop = end < lim ? end : lim;
          let f = this.#nameFlags;
          let t = 0;
          while (p < stop && (t = TCHAR[buf[p]]) !== 0) {
            f |= t;
            p++;
          }
          this.#nameFlags = f;
          if (p >= end) continue;
          if (p >= lim) return this.#tooLarge(trailer);
          const b = buf[p];
          if (b !== COLON) {
            if (b === SP || b === HTAB) return this.#fail(400, "Invalid header: whitespace before the colon");
            if (b === LF) return this.#fail(400, BARE_CR_LF);
            if (b === CR) return this.#fail(400, "Invalid header: line without a colon");
            return this.#fail(400, "Invalid header: bad character in field name");
          }
          this.#m1 = p;
          p++;
          st = ST_OWS;
        }
        // falls through
        case ST_OWS: {
          const stop = end < lim ? end : lim;
          while (p < stop && (buf[p] === SP || buf[p] === HTAB)) p++;
          if (p >= end) continue;
          if (p >= lim) return this.#tooLarge(trailer);
          this.#m2 = p;
          this.#valueHigh = false;
          st = ST_VALUE;
        }
        // falls through
        case ST_VALUE: {
          const stop = end < lim ? end : lim;
          while (p < stop && FIELD_CHAR[buf[p]] === 1) p++;
          if (p < stop && FIELD_CHAR[buf[p]] === 2) {
            // obs-text: allowed, but the value then needs the general latin1 decoder.
            this.#valueHigh = true;
            while (p < stop && FIELD_CHAR[buf[p]] !== 0) p++;
          }
          if (p >= end) continue;
          if (p >= lim) return this.#tooLarge(trailer);
          const b = buf[p];
          if (b !== CR) {
            if (b === LF) return this.#fail(400, BARE_CR_LF);
            return this.#fail(400, `Invalid header: control character 0x${b.toString(16).padStart(2, "0")} in field value`);
          }
          this.#m3 = p;
          p++;
          st = ST_FIELD_LF;
        }
        // falls through
        case ST_FIELD_LF: {
          if (p >= end) continue;
          if (p >= lim) return this.#tooLarge(trailer);
          if (buf[p] !== LF) return this.#fail(400, BARE_CR_LF);
          const err = this.#field(buf, trailers);
          if (err !== null) return err;
          p++;
          this.#used += p - this.#start;
          this.#start = p;
          st = ST_FIELD_START;
          continue;
        }
        default: {
          // ST_SECTION_LF
          if (!trailer && p >= lim) return this.#tooLarge(false);
          if (buf[p] !== LF) return this.#fail(400, BARE_CR_LF);
          p++;
          this.#start = p;
          this.#pos = p;
          if (trailer) return this.#endRequest(trailers);
          return this.#finishHead();
        }
      }
    }
  }

  /** Validates the complete request line in buf[start, m2) (method end m1, target end m3). */
  #requestLine(buf: Uint8Array): ParseEvent | null {
    const start = this.#start;
    const ts = this.#m1 + 1;
    const te = this.#m3;
    const vs = te + 1;
    if (
      this.#m2 - vs !== 8 || buf[vs] !== 0x48 || buf[vs + 1] !== 0x54 || buf[vs + 2] !== 0x54 ||
      buf[vs + 3] !== 0x50 || buf[vs + 4] !== 0x2f || buf[vs + 6] !== 0x2e ||
      buf[vs + 5] < 0x30 || buf[vs + 5] > 0x39 || buf[vs + 7] < 0x30 || buf[vs + 7] > 0x39
    ) {
      return this.#fail(400, "Start line is invalid: bad HTTP version");
    }
    if (buf[vs + 5] !== 0x31) {
      return this.#fail(505, `HTTP version ${latin1(buf, vs + 5, vs + 8)} is not supported`);
    }
    // HTTP/1.2 .. HTTP/1.9 are processed as HTTP/1.1, the highest 1.x minor version this server
    // conforms to (RFC 9110 2.5); only another major version gets 505.
    this.#minor = buf[vs + 7] === 0x30 ? 0 : 1;
    const method = internMethod(buf, start, this.#m1);
    if (method === "CONNECT") return this.#fail(501, "CONNECT is not supported");
    const first = buf[ts];
    if (first === 0x2f) {
      // origin-form
      this.#target = te - ts === 1 ? "/" : latin1(buf, ts, te);
    } else if (first === 0x2a && te - ts === 1) {
      if (method !== "OPTIONS") return this.#fail(400, "Asterisk-form request-target is only allowed with OPTIONS");
      this.#target = "*";
    } else {
      const as = absoluteAuthorityStart(buf, ts, te);
      if (as < 0) return this.#fail(400, "Start line is invalid: bad request-target");
      let ae = as;
      while (ae < te && buf[ae] !== 0x2f && buf[ae] !== 0x3f && buf[ae] !== 0x23) ae++;
      const authority = latin1(buf, as, ae);
      if (!isValidAuthority(authority)) return this.#fail(400, "Invalid authority in absolute-form request-target");
      this.#authority = authority;
      this.#target = latin1(buf, ts, te);
    }
    this.#method = method;
    return null;
  }

  /** Records the complete field line buf[start, m3) (name end m1, value start m2). */
  #field(buf: Uint8Array, trailers: string[] | null): ParseEvent | null {
    const start = this.#start;
    if (trailers === null && ++this.#fields > this.#maxFields) {
      return this.#fail(431, `Too many header fields (more than ${this.#maxFields})`);
    }
    const vs = this.#m2;
    let ve = this.#m3;
    while (ve > vs && (buf[ve - 1] === SP || buf[ve - 1] === HTAB)) ve--;
    const nameEnd = this.#m1;
    const known = knownName(buf, start, nameEnd);
    // Keep-alive clients tend to resend the same fields in the same order: reuse the strings
    // decoded for the previous request at this field index when the bytes are identical.
    const idx = trailers === null && this.#fields <= STRING_CACHE_FIELDS ? this.#fields - 1 : -1;
    let name: string;
    let kind = K_OTHER;
    if (known !== null) {
      name = known.name;
      kind = known.kind;
    } else {
      const cached = idx >= 0 ? this.#nameCache[idx] : undefined;
      if (cached !== undefined && sameLowerName(cached, buf, start, nameEnd)) {
        name = cached;
      } else {
        name = latin1(buf, start, nameEnd);
        if ((this.#nameFlags & 2) !== 0) name = name.toLowerCase();
        if (idx >= 0) this.#nameCache[idx] = name;
      }
    }
    let value: string;
    const cachedValue = idx >= 0 ? this.#valueCache[idx] : undefined;
    if (cachedValue !== undefined && sameBytes(cachedValue, buf, vs, ve)) {
      value = cachedValue;
    } else {
      value = latin1(buf, vs, ve, !this.#valueHigh);
      // Bounded, so an idle connection does not pin large header values.
      if (idx >= 0) this.#valueCache[idx] = ve - vs <= STRING_CACHE_MAX_VALUE ? value : "";
    }
    if (trailers !== null) {
      trailers.push(name, value);
      return null;
    }
    this.#headers.push(name, value);
    switch (kind) {
      case K_HOST:
        this.#hostCount++;
        this.#host = value;
        break;
      case K_CONTENT_LENGTH:
        this.#clCount++;
        this.#cl = value;
        break;
      case K_TRANSFER_ENCODING:
        // All Transfer-Encoding fields form one list (RFC 9110 5.3).
        this.#te = this.#te === null ? value : `${this.#te}, ${value}`;
        break;
      case K_CONNECTION:
        this.#conn |= connectionFlags(value);
        break;
      case K_EXPECT:
        this.#expect |= expectFlags(value);
        break;
      case K_CONTENT_TYPE:
        this.#contentTypeCount++;
        break;
    }
    return null;
  }

  /** Cross-field checks at the end of the header section; emits "head" and picks the body state. */
  #finishHead(): ParseEvent {
    const minor = this.#minor;
    if (this.#hostCount > 1) return this.#fail(400, "Duplicate header: Host");
    // Strict: even identical repeated Content-Length fields are refused (RFC 9112 6.3 allows
    // merging them; Waitress main refuses too), since intermediaries disagree on them.
    if (this.#clCount > 1) return this.#fail(400, "Duplicate header: Content-Length");
    if (this.#contentTypeCount > 1) return this.#fail(400, "Duplicate header: Content-Type");
    let host = "";
    if (this.#hostCount === 0) {
      if (minor === 1) return this.#fail(400, "Missing Host header");
    } else {
      host = this.#host;
      if (host === "" ? minor === 1 : !isValidAuthority(host)) return this.#fail(400, "Invalid Host header");
    }
    if (this.#authority !== null) host = this.#authority;

    let contentLength = 0;
    let chunked = false;
    if (this.#te !== null) {
      if (this.#clCount !== 0) return this.#fail(400, "Both Transfer-Encoding and Content-Length are present");
      if (minor === 0) return this.#fail(400, "Transfer-Encoding is not allowed in HTTP/1.0 requests");
      const err = checkTransferEncoding(this.#te);
      if (err !== null) return this.#fail(err[0], err[1]);
      chunked = true;
      contentLength = -1;
    } else if (this.#clCount !== 0) {
      contentLength = parseContentLength(this.#cl, this.#maxBody);
      if (contentLength === -1) return this.#fail(400, "Content-Length is invalid");
      if (contentLength === -2) return this.#fail(413, `Request body exceeds max_body of ${this.#maxBody}`);
    }

    let expectContinue = false;
    if (minor === 1 && this.#expect !== 0) {
      if ((this.#expect & EXPECT_OTHER) !== 0) return this.#fail(417, "Only 100-continue is supported in Expect");
      expectContinue = true;
    }
    const conn = this.#conn;
    const keepAlive = (conn & CONN_CLOSE) === 0 && (minor === 1 || (conn & CONN_KEEP_ALIVE) !== 0);

    const head: RequestHead = {
      method: this.#method,
      target: this.#target,
      minorVersion: minor,
      headers: this.#headers,
      host,
      contentLength,
      chunked,
      keepAlive,
      expectContinue,
    };
    this.#headers = [];
    if (chunked) {
      this.#st = ST_CHUNK_SIZE_START;
      this.#bodyTotal = 0;
      this.#chunkSize = 0;
      this.#digits = 0;
      this.#extBytes = 0;
    } else if (contentLength > 0) {
      this.#st = ST_BODY;
      this.#remaining = contentLength;
    } else {
      this.#st = ST_END;
    }
    return { type: "head", head };
  }

  /** Chunked framing: chunk lines are validated and consumed byte by byte; data is handed out. */
  #parseChunked(): ParseEvent | null {
    const buf = this.#buf;
    const end = this.#end;
    let p = this.#start;
    let st = this.#st;
    for (;;) {
      if (st === ST_CHUNK_DATA) {
        if (p >= end) break;
        const avail = end - p;
        const n = avail < this.#remaining ? avail : this.#remaining;
        const data = buf.subarray(p, p + n);
        this.#start = p + n;
        this.#remaining -= n;
        this.#st = this.#remaining === 0 ? ST_CHUNK_DATA_CR : ST_CHUNK_DATA;
        if (this.#owned) this.#lent = true;
        return { type: "data", data };
      }
      if (p >= end) break;
      const b = buf[p];
      if (st >= ST_EXT_SEMI && st <= ST_EXT_AFTER_VALUE && b !== CR) {
        if (++this.#extBytes > this.#maxExt) {
          return this.#fail(400, `Chunk extension exceeds max_chunk_extension of ${this.#maxExt}`);
        }
      }
      // The chunk line, RFC 9112 7.1.1:
      //   chunk-size *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] ) CRLF
      // BWS (SP / HTAB) is accepted exactly where that grammar puts it, because recipients MUST
      // parse it (RFC 9110 5.6.3), and nowhere else: whitespace must be followed by ";", a name,
      // "=" or a value, so "4 \r\n" and "4;a=b \r\n" stay 400. Framing stays unambiguous: the
      // size is hex digits only, a line ends only in CRLF, and any other byte is refused.
      switch (st) {
        case ST_CHUNK_SIZE_START: {
          const h = HEX_VALUE[b];
          if (h === 0) return this.#fail(400, b === LF ? BARE_CR_LF : "Invalid chunk size");
          this.#chunkSize = h - 1;
          this.#digits = 1;
          this.#extBytes = 0;
          st = ST_CHUNK_SIZE;
          break;
        }
        case ST_CHUNK_SIZE: {
          const h = HEX_VALUE[b];
          if (h !== 0) {
            if (++this.#digits > 16) return this.#fail(400, "Invalid chunk size: too many digits");
            // Exact while <= 2^53; beyond that the value only has to stay above the body limit.
            this.#chunkSize = this.#chunkSize * 16 + (h - 1);
          } else if (b === CR) {
            st = ST_CHUNK_LINE_LF;
          } else if (b === SEMI || b === SP || b === HTAB) {
            // Read this byte again as the extensions' first, so that it is counted.
            st = ST_EXT_SEMI;
            continue;
          } else {
            return this.#fail(400, b === LF ? BARE_CR_LF : "Invalid chunk size");
          }
          break;
        }
        case ST_EXT_NAME_START:
          if (TCHAR[b] !== 0) st = ST_EXT_NAME;
          else if (b !== SP && b !== HTAB) return this.#badExtension(b);
          break;
        case ST_EXT_NAME:
          if (TCHAR[b] !== 0) break;
          if (b === CR) {
            st = ST_CHUNK_LINE_LF;
            break;
          }
        // falls through
        case ST_EXT_NAME_BWS:
          if (b === EQUALS) st = ST_EXT_VALUE_START;
          else if (b === SEMI) st = ST_EXT_NAME_START;
          else if (b === SP || b === HTAB) st = ST_EXT_NAME_BWS;
          else if (b === CR) return this.#fail(400, TRAILING_BWS);
          else return this.#badExtension(b);
          break;
        case ST_EXT_VALUE_START:
          if (TCHAR[b] !== 0) st = ST_EXT_TOKEN;
          else if (b === DQUOTE) st = ST_EXT_QUOTED;
          else if (b !== SP && b !== HTAB) return this.#badExtension(b);
          break;
        case ST_EXT_QUOTED:
          if (b === DQUOTE) st = ST_EXT_AFTER_VALUE;
          else if (b === BACKSLASH) st = ST_EXT_QUOTED_PAIR;
          else if (QDTEXT[b] === 0) return this.#badExtension(b);
          break;
        case ST_EXT_QUOTED_PAIR:
          if (QUOTED_PAIR_CHAR[b] === 0) return this.#badExtension(b);
          st = ST_EXT_QUOTED;
          break;
        case ST_EXT_TOKEN:
          if (TCHAR[b] !== 0) break;
        // falls through
        case ST_EXT_AFTER_VALUE:
          if (b === CR) {
            st = ST_CHUNK_LINE_LF;
            break;
          }
        // falls through
        case ST_EXT_SEMI:
          if (b === SEMI) st = ST_EXT_NAME_START;
          else if (b === SP || b === HTAB) st = ST_EXT_SEMI;
          else if (b === CR) return this.#fail(400, TRAILING_BWS);
          else return this.#badExtension(b);
          break;
        case ST_CHUNK_LINE_LF: {
          if (b !== LF) return this.#fail(400, BARE_CR_LF);
          p++;
          const size = this.#chunkSize;
          if (size === 0) {
            // last-chunk: the trailer section follows, parsed like header fields.
            this.#start = p;
            this.#pos = p;
            this.#used = 0;
            this.#trailers = [];
            this.#st = ST_FIELD_START;
            return this.#parseLines();
          }
          if (size > this.#maxBody - this.#bodyTotal) {
            return this.#fail(413, `Request body exceeds max_body of ${this.#maxBody}`);
          }
          this.#bodyTotal += size;
          this.#remaining = size;
          st = ST_CHUNK_DATA;
          continue;
        }
        case ST_CHUNK_DATA_CR:
          if (b !== CR) return this.#fail(400, "Chunk not properly terminated");
          st = ST_CHUNK_DATA_LF;
          break;
        default:
          // ST_CHUNK_DATA_LF
          if (b !== LF) return this.#fail(400, "Chunk not properly terminated");
          st = ST_CHUNK_SIZE_START;
          break;
      }
      p++;
    }
    this.#start = p;
    this.#st = st;
    return this.#needMore();
  }

  #badExtension(b: number): ParseEvent {
    return this.#fail(400, b === LF ? BARE_CR_LF : "Invalid chunk extension");
  }
}
