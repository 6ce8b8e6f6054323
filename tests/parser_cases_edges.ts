/**
 * More parser fixtures (same format as tests/parser_cases.ts, which appends them to its CASES):
 * branches of the header value checks, the IP-literal Host forms and the size limits met at the
 * CR/LF of an empty line or of the request line.
 *
 * @module
 */

import type { ExpectError, ParserCase } from "./parser_cases.ts";

const H = "Host: x\r\n";
const E400: ExpectError = { error: 400 };
const BARE: ExpectError = { error: 400, detail: "Bare CR or LF" };
const BAD_TE: ExpectError = { error: 400, detail: "Transfer-Encoding is invalid" };
const BAD_HOST: ExpectError = { error: 400, detail: "Invalid Host header" };

/** A request with the given Host value. */
const host = (value: string): string => `GET / HTTP/1.1\r\nHost: ${value}\r\n\r\n`;
/** A chunked POST whose Transfer-Encoding value is `te`, with a 2-byte body "hi". */
const te = (value: string): string => `POST / HTTP/1.1\r\n${H}Transfer-Encoding: ${value}\r\n\r\n2\r\nhi\r\n0\r\n\r\n`;

/**
 * The extra fixtures.
 *
 * @example
 * ```ts
 * import { EDGE_CASES } from "./parser_cases_edges.ts";
 * EDGE_CASES.length > 0; // true
 * ```
 */
export const EDGE_CASES: ParserCase[] = [
  // ---- Host: IP literals (RFC 3986 3.2.2) ------------------------------------------------------
  { name: "rejects an empty IP literal Host []", input: host("[]"), expect: [BAD_HOST] },
  { name: "accepts an IPvFuture Host with a colon after the dot", input: host("[v1F.a:b]:8080"), expect: [{ head: "GET / 1.1", host: "[v1F.a:b]:8080" }, "end"] },
  { name: "accepts an upper-case V in an IPvFuture Host", input: host("[V7.x]"), expect: [{ head: "GET / 1.1", host: "[V7.x]" }, "end"] },
  { name: "rejects an IPvFuture Host without a version", input: host("[v.a]"), expect: [BAD_HOST] },
  { name: "rejects an IPvFuture Host that ends after the version", input: host("[v1]"), expect: [BAD_HOST] },
  { name: "rejects an IPvFuture Host without the dot after the version", input: host("[v1g.a]"), expect: [BAD_HOST] },
  { name: "rejects an IPvFuture Host with nothing after the dot", input: host("[v1.]"), expect: [BAD_HOST] },
  { name: "rejects an IPvFuture Host with a character outside unreserved / sub-delims / :", input: host("[v1.a/b]"), expect: [BAD_HOST] },
  { name: "rejects an IPvFuture Host with a high byte", input: host("[v1.a\xe9]"), expect: [BAD_HOST] },
  { name: "rejects an IPv6 Host followed by something other than :port", input: host("[::1]x"), expect: [BAD_HOST] },
  { name: "rejects an IPv6 Host with a non-digit port", input: host("[::1]:8o"), expect: [BAD_HOST] },
  { name: "accepts an IPv6 Host with an empty port", input: host("[::1]:"), expect: [{ head: "GET / 1.1", host: "[::1]:" }, "end"] },
  { name: "rejects an absolute-form target with an empty IP literal", input: `GET http://[]/ HTTP/1.1\r\n${H}\r\n`, expect: [{ error: 400, detail: "Invalid authority" }] },

  // ---- Transfer-Encoding parameters (RFC 9112 7: transfer-parameter) ----------------------------
  { name: "rejects a transfer-parameter without a name", input: te("gzip;=1, chunked"), expect: [BAD_TE] },
  { name: "rejects a transfer-parameter without a value", input: te("gzip;a=, chunked"), expect: [BAD_TE] },
  { name: "rejects a transfer-parameter without =", input: te("gzip;a, chunked"), expect: [BAD_TE] },
  { name: "rejects a quoted transfer-parameter ending in a lone backslash", input: te('gzip;a="b\\'), expect: [BAD_TE] },
  { name: "rejects an unterminated quoted transfer-parameter", input: te('gzip;a="b, chunked'), expect: [BAD_TE] },
  { name: "answers 501 for a parameterised coding before chunked (quoted-pair and token values)", input: te('gzip;a="b\\"c"; q=1, chunked'), expect: [{ error: 501 }] },

  // ---- Connection / Expect list elements with surrounding whitespace ---------------------------
  { name: "finds close in a Connection list padded with tabs and spaces", input: `GET / HTTP/1.1\r\n${H}Connection: foo,\t close\t ,bar\r\n\r\n`, expect: [{ head: "GET / 1.1", keepAlive: false }, "end"] },
  { name: "finds keep-alive in an HTTP/1.0 Connection list padded with a tab", input: "GET / HTTP/1.0\r\nConnection: keep-alive\t,x\r\n\r\n", expect: [{ head: "GET / 1.0", keepAlive: true }, "end"] },
  { name: "finds 100-continue in an Expect list padded with tabs, ignoring empty elements", input: `POST / HTTP/1.1\r\n${H}Expect: ,\t100-continue\t ,\t,\r\nContent-Length: 1\r\n\r\na`, expect: [{ head: "POST / 1.1", expectContinue: true }, "body a", "end"] },

  // ---- bare LF and the header size limit at line ends ------------------------------------------
  { name: "rejects a bare LF right after the method", input: `GET\n${H}\r\n`, expect: [BARE] },
  { name: "counts skipped empty lines toward maxRequestHeaderSize (431 at the LF over it)", input: `\r\n\r\n${host("x")}`, limits: { maxRequestHeaderSize: 3 }, expect: [{ error: 431 }] },
  { name: "rejects a request line whose LF is just over maxRequestHeaderSize with 431", input: host("x"), limits: { maxRequestHeaderSize: 15 }, expect: [{ error: 431, detail: "max_header of 15" }] },
  { name: "accepts a request whose head is exactly maxRequestHeaderSize", input: host("x"), limits: { maxRequestHeaderSize: 27 }, expect: ["head GET / 1.1", "end"] },
  { name: "rejects a head one byte over maxRequestHeaderSize", input: host("x"), limits: { maxRequestHeaderSize: 26 }, expect: [{ error: 431 }] },
];
