/**
 * What the request parser's parts share: its limits, the shapes of its results ({@link RequestHead},
 * {@link ParseEvent}), how an error event is made, and the bytes the grammar names.
 * `./parser.ts` re-exports the public part; import from there.
 *
 * @module
 */

import { statusText } from "./status_text.ts";

/**
 * Size and count limits enforced by the request parser.
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
 * Every limit, omitted ones taken from {@link DEFAULT_PARSER_LIMITS}; throws a TypeError or
 * RangeError naming the first limit that is not a non-negative safe integer.
 *
 * @example
 * ```ts
 * resolveLimits({ maxHeaderFields: 50 }).maxHeaderFields; // 50
 * ```
 */
export function resolveLimits(limits: Partial<ParserLimits> | undefined): ParserLimits {
  // A server hands every connection's parser the same limits object: check it once, not per connection.
  if (limits !== undefined && resolved.has(limits)) return limits as ParserLimits;
  const out: ParserLimits = {
    maxRequestHeaderSize: checkLimit(limits, "maxRequestHeaderSize"),
    maxRequestBodySize: checkLimit(limits, "maxRequestBodySize"),
    maxRequestLineSize: checkLimit(limits, "maxRequestLineSize"),
    maxHeaderFields: checkLimit(limits, "maxHeaderFields"),
    maxChunkExtensionSize: checkLimit(limits, "maxChunkExtensionSize"),
    maxTrailerSize: checkLimit(limits, "maxTrailerSize"),
  };
  Object.freeze(out); // so a checked object stays as it was checked
  resolved.add(out);
  return out;
}

/** The (frozen) objects {@linkcode resolveLimits} returned: passing one again skips the checks. */
const resolved = new WeakSet<object>();

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
  /** HTTP/1.1 with `Connection: upgrade`: the request may ask to switch protocols (a WebSocket handshake). */
  upgrade: boolean;
}

/**
 * One result of `RequestParser.next()`.
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

/** An "error" event. */
export type ParseError = Extract<ParseEvent, { type: "error" }>;

/** The statuses the parser answers with. */
export type ErrorStatus = 400 | 413 | 414 | 417 | 431 | 501 | 505;

/**
 * An "error" event with the status's standard reason phrase.
 *
 * @example
 * ```ts
 * parseError(414, "Request line exceeds max_request_line of 10").reason; // "URI Too Long"
 * ```
 */
export function parseError(status: ErrorStatus, detail: string): ParseError {
  return { type: "error", status, reason: statusText(status), detail };
}

/** The trailers of a request that has none: one shared, frozen list. */
export const NO_TRAILERS: string[] = Object.freeze([]) as unknown as string[];

/** The "end" of a request without trailers: one shared, frozen event (most requests end this way). */
const END_WITHOUT_TRAILERS: ParseEvent = Object.freeze({ type: "end", trailers: NO_TRAILERS }) as ParseEvent;

/**
 * The "end" event for `trailers` ({@link NO_TRAILERS} gives the shared event).
 *
 * @example
 * ```ts
 * endEvent(NO_TRAILERS).type; // "end"
 * ```
 */
export function endEvent(trailers: string[]): ParseEvent {
  return trailers === NO_TRAILERS ? END_WITHOUT_TRAILERS : { type: "end", trailers };
}

/** Detail of the 400 for a CR not followed by LF, or an LF without its CR. */
export const BARE_CR_LF = "Bare CR or LF found in HTTP message";
