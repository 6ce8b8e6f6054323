/**
 * The meaning of a request head, line by line: the request line's method, target and version,
 * each field line decoded and recorded, and at the end of the section the checks across fields
 * (duplicates, Host, framing, Expect, Connection) that give the {@link RequestHead}.
 * The byte scan that finds the lines is in `./head_scanner.ts`.
 *
 * @module
 */

import { isValidAuthority, latin1 } from "./abnf.ts";
import { type FieldKind, internMethod, knownName, sameBytes, sameLowerName } from "./field_names.ts";
import type { LineParts } from "./head_scanner.ts";
import { type ParseError, parseError, type ParseEvent, type ParserLimits, type RequestHead } from "./parser_types.ts";
import {
  checkTransferEncoding,
  CONNECTION_CLOSE,
  CONNECTION_KEEP_ALIVE,
  CONNECTION_UPGRADE,
  CONNECTION_TOKENS,
  EXPECT_OTHER,
  EXPECT_TOKENS,
  tokenListFlags,
} from "./token_lists.ts";

// Local, as in the scanners: an imported binding costs a check at every use in a byte loop.
const SP = 32;
const HTAB = 9;

/** How many leading header fields per request get their decoded strings reused (see {@link HeadBuilder.field}). */
const STRING_CACHE_FIELDS = 32;
/** Longest field value kept for reuse. */
const STRING_CACHE_MAX_VALUE = 4096;

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

/** Case-insensitive match of "http://" or "https://" at the start; returns the authority start or -1. */
function absoluteAuthorityStart(buf: Uint8Array, start: number, end: number): number {
  if (end - start < 7) return -1;
  if ((buf[start] | 0x20) !== 0x68 || (buf[start + 1] | 0x20) !== 0x74 || (buf[start + 2] | 0x20) !== 0x74 ||
    (buf[start + 3] | 0x20) !== 0x70) return -1;
  let i = start + 4;
  if ((buf[i] | 0x20) === 0x73) i++;
  if (end - i < 3 || buf[i] !== 0x3a || buf[i + 1] !== 0x2f || buf[i + 2] !== 0x2f) return -1;
  return i + 3;
}

/**
 * One request head under construction. {@link requestLine} and {@link field} take each complete
 * line (already scanned: only valid bytes), {@link finish} checks the whole section and gives the
 * "head" event; {@link reset} readies it for the next request.
 *
 * @example
 * ```ts
 * const b = new HeadBuilder(DEFAULT_PARSER_LIMITS);
 * const line = new TextEncoder().encode("GET / HTTP/1.0");
 * b.requestLine(line, 0, Object.assign(new LineParts(), { methodEnd: 3, targetEnd: 5, versionEnd: 14 })); // null: valid
 * b.finish(); // { type: "head", head: { method: "GET", target: "/", minorVersion: 0, ... } }
 * ```
 */
export class HeadBuilder {
  readonly #maxFields: number;
  readonly #maxBody: number;

  // The request line.
  #method = "";
  #target = "";
  #minor: 0 | 1 = 1;
  /** The authority of an absolute-form target, or null. */
  #authority: string | null = null;

  // The header section.
  #headers: string[] = [];
  #fieldCount = 0;
  #hostCount = 0;
  #host = "";
  #contentLengthCount = 0;
  #contentLength = "";
  /** Content-Type is a singleton: two of them make the body's meaning ambiguous (Waitress #488). */
  #contentTypeCount = 0;
  /** Every Transfer-Encoding value joined into one list (RFC 9110 5.3), or null when there is none. */
  #transferEncoding: string | null = null;
  /** {@link tokenListFlags} of every Connection field. */
  #connection = 0;
  /** {@link tokenListFlags} of every Expect field. */
  #expect = 0;

  /**
   * The last non-empty Host value found valid. Keep-alive clients resend the same one (and the
   * value cache hands back the very same string), so checking it again is one comparison.
   */
  #validHost: string | null = null;
  /** The last Transfer-Encoding list found valid, for the same reason. */
  #validTransferEncoding: string | null = null;
  /** Field name / value strings of the previous request, by field index (see {@link field}). */
  #nameCache: string[] = [];
  #valueCache: string[] = [];

  /**
   * A builder enforcing `limits` (the field count and the body size).
   *
   * @example
   * ```ts
   * new HeadBuilder(DEFAULT_PARSER_LIMITS);
   * ```
   */
  constructor(limits: ParserLimits) {
    this.#maxFields = limits.maxHeaderFields;
    this.#maxBody = limits.maxRequestBodySize;
  }

  /**
   * Validates the request line starting at `start`, whose parts `parts` locates. Returns an error
   * event, or null.
   *
   * @example
   * ```ts
   * const parts = Object.assign(new LineParts(), { methodEnd: 3, targetEnd: 5, versionEnd: 14 });
   * new HeadBuilder(DEFAULT_PARSER_LIMITS).requestLine(new TextEncoder().encode("GET / HTTP/2.0"), 0, parts)?.status; // 505
   * ```
   */
  requestLine(buf: Uint8Array, start: number, parts: LineParts): ParseError | null {
    const methodEnd = start + parts.methodEnd;
    const ts = methodEnd + 1;
    const te = start + parts.targetEnd;
    const vs = te + 1;
    const versionEnd = start + parts.versionEnd;
    if (
      versionEnd - vs !== 8 || buf[vs] !== 0x48 || buf[vs + 1] !== 0x54 || buf[vs + 2] !== 0x54 ||
      buf[vs + 3] !== 0x50 || buf[vs + 4] !== 0x2f || buf[vs + 6] !== 0x2e ||
      buf[vs + 5] < 0x30 || buf[vs + 5] > 0x39 || buf[vs + 7] < 0x30 || buf[vs + 7] > 0x39
    ) {
      return parseError(400, "Start line is invalid: bad HTTP version");
    }
    if (buf[vs + 5] !== 0x31) {
      return parseError(505, `HTTP version ${latin1(buf, vs + 5, vs + 8)} is not supported`);
    }
    // HTTP/1.2 .. HTTP/1.9 are processed as HTTP/1.1, the highest 1.x minor version this server
    // conforms to (RFC 9110 2.5); only another major version gets 505.
    this.#minor = buf[vs + 7] === 0x30 ? 0 : 1;
    const method = internMethod(buf, start, methodEnd);
    if (method === "CONNECT") return parseError(501, "CONNECT is not supported");
    const first = buf[ts];
    if (first === 0x2f) {
      // origin-form
      this.#target = te - ts === 1 ? "/" : latin1(buf, ts, te);
    } else if (first === 0x2a && te - ts === 1) {
      if (method !== "OPTIONS") return parseError(400, "Asterisk-form request-target is only allowed with OPTIONS");
      this.#target = "*";
    } else {
      const as = absoluteAuthorityStart(buf, ts, te);
      if (as < 0) return parseError(400, "Start line is invalid: bad request-target");
      let ae = as;
      while (ae < te && buf[ae] !== 0x2f && buf[ae] !== 0x3f && buf[ae] !== 0x23) ae++;
      const authority = latin1(buf, as, ae);
      if (!isValidAuthority(authority)) return parseError(400, "Invalid authority in absolute-form request-target");
      this.#authority = authority;
      this.#target = latin1(buf, ts, te);
    }
    this.#method = method;
    return null;
  }

  /**
   * Records the field line starting at `start`, whose parts `parts` locates: a trailer field goes
   * to `trailers`, a header field to the head. Returns an error event, or null.
   *
   * @example
   * ```ts
   * const parts = Object.assign(new LineParts(), { nameEnd: 4, valueStart: 6, valueEnd: 7, nameClasses: 3 });
   * new HeadBuilder(DEFAULT_PARSER_LIMITS).field(new TextEncoder().encode("Host: x"), 0, parts, null); // null
   * ```
   */
  field(buf: Uint8Array, start: number, parts: LineParts, trailers: string[] | null): ParseError | null {
    if (trailers === null && ++this.#fieldCount > this.#maxFields) {
      return parseError(431, `Too many header fields (more than ${this.#maxFields})`);
    }
    const nameEnd = start + parts.nameEnd;
    const vs = start + parts.valueStart;
    let ve = start + parts.valueEnd;
    while (ve > vs && (buf[ve - 1] === SP || buf[ve - 1] === HTAB)) ve--;
    const known = knownName(buf, start, nameEnd);
    // Keep-alive clients tend to resend the same fields in the same order: reuse the strings
    // decoded for the previous request at this field index when the bytes are identical.
    const idx = trailers === null && this.#fieldCount <= STRING_CACHE_FIELDS ? this.#fieldCount - 1 : -1;
    let name: string;
    let kind: FieldKind = "other";
    if (known !== null) {
      name = known.name;
      kind = known.kind;
    } else {
      const cached = idx >= 0 ? this.#nameCache[idx] : undefined;
      if (cached !== undefined && sameLowerName(cached, buf, start, nameEnd)) {
        name = cached;
      } else {
        name = latin1(buf, start, nameEnd);
        // Class 2 of TCHAR: an upper-case letter.
        if ((parts.nameClasses & 2) !== 0) name = name.toLowerCase();
        if (idx >= 0) this.#nameCache[idx] = name;
      }
    }
    let value: string;
    const cachedValue = idx >= 0 ? this.#valueCache[idx] : undefined;
    if (cachedValue !== undefined && sameBytes(cachedValue, buf, vs, ve)) {
      value = cachedValue;
    } else {
      value = latin1(buf, vs, ve, !parts.valueHasObsText);
      // Bounded, so an idle connection does not pin large header values.
      if (idx >= 0) this.#valueCache[idx] = ve - vs <= STRING_CACHE_MAX_VALUE ? value : "";
    }
    if (trailers !== null) {
      trailers.push(name, value);
      return null;
    }
    this.#headers.push(name, value);
    if (kind === "other") return null;
    switch (kind) {
      case "host":
        this.#hostCount++;
        this.#host = value;
        break;
      case "content-length":
        this.#contentLengthCount++;
        this.#contentLength = value;
        break;
      case "transfer-encoding":
        this.#transferEncoding = this.#transferEncoding === null ? value : `${this.#transferEncoding}, ${value}`;
        break;
      case "connection":
        this.#connection |= tokenListFlags(value, CONNECTION_TOKENS);
        break;
      case "expect":
        this.#expect |= tokenListFlags(value, EXPECT_TOKENS);
        break;
      case "content-type":
        this.#contentTypeCount++;
        break;
    }
    return null;
  }

  /**
   * The checks across the header section's fields; returns the "head" event, or an error event.
   *
   * @example
   * ```ts
   * new HeadBuilder(DEFAULT_PARSER_LIMITS).finish().type; // "error": no request line was read (Missing Host)
   * ```
   */
  finish(): ParseEvent {
    const minor = this.#minor;
    if (this.#hostCount > 1) return parseError(400, "Duplicate header: Host");
    // Strict: even identical repeated Content-Length fields are refused (RFC 9112 6.3 allows
    // merging them; Waitress main refuses too), since intermediaries disagree on them.
    if (this.#contentLengthCount > 1) return parseError(400, "Duplicate header: Content-Length");
    if (this.#contentTypeCount > 1) return parseError(400, "Duplicate header: Content-Type");
    let host = "";
    if (this.#hostCount === 0) {
      if (minor === 1) return parseError(400, "Missing Host header");
    } else {
      host = this.#host;
      if (host === "") {
        if (minor === 1) return parseError(400, "Invalid Host header");
      } else if (host !== this.#validHost) {
        if (!isValidAuthority(host)) return parseError(400, "Invalid Host header");
        this.#validHost = host;
      }
    }
    if (this.#authority !== null) host = this.#authority;

    let contentLength = 0;
    let chunked = false;
    if (this.#transferEncoding !== null) {
      if (this.#contentLengthCount !== 0) return parseError(400, "Both Transfer-Encoding and Content-Length are present");
      if (minor === 0) return parseError(400, "Transfer-Encoding is not allowed in HTTP/1.0 requests");
      const te = this.#transferEncoding;
      if (te !== this.#validTransferEncoding) {
        const err = checkTransferEncoding(te);
        if (err !== null) return parseError(err[0], err[1]);
        this.#validTransferEncoding = te;
      }
      chunked = true;
      contentLength = -1;
    } else if (this.#contentLengthCount !== 0) {
      contentLength = parseContentLength(this.#contentLength, this.#maxBody);
      if (contentLength === -1) return parseError(400, "Content-Length is invalid");
      if (contentLength === -2) return parseError(413, `Request body exceeds max_body of ${this.#maxBody}`);
    }

    let expectContinue = false;
    if (minor === 1 && this.#expect !== 0) {
      if ((this.#expect & EXPECT_OTHER) !== 0) return parseError(417, "Only 100-continue is supported in Expect");
      expectContinue = true;
    }
    const conn = this.#connection;
    const keepAlive = (conn & CONNECTION_CLOSE) === 0 && (minor === 1 || (conn & CONNECTION_KEEP_ALIVE) !== 0);

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
      upgrade: minor === 1 && (conn & CONNECTION_UPGRADE) !== 0,
    };
    this.#headers = [];
    return { type: "head", head };
  }

  /**
   * Readies the builder for the next request (the strings kept for reuse stay).
   *
   * @example
   * ```ts
   * new HeadBuilder(DEFAULT_PARSER_LIMITS).reset();
   * ```
   */
  reset(): void {
    this.#authority = null;
    this.#fieldCount = 0;
    this.#hostCount = 0;
    this.#contentTypeCount = 0;
    this.#host = "";
    this.#contentLengthCount = 0;
    this.#contentLength = "";
    this.#transferEncoding = null;
    this.#connection = 0;
    this.#expect = 0;
  }

  /**
   * Drops every string held, for good (after an error).
   *
   * @example
   * ```ts
   * new HeadBuilder(DEFAULT_PARSER_LIMITS).discard();
   * ```
   */
  discard(): void {
    this.#headers = [];
    this.#nameCache = [];
    this.#valueCache = [];
    this.#validHost = null;
    this.#validTransferEncoding = null;
  }
}
