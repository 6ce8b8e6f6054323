/**
 * Data table for tests/parser_test.ts (llhttp-fixture style). Each case is run three ways (fed
 * whole, one byte at a time, split at every position) and all must give the same events.
 *
 * Inputs are latin1 strings (one char = one byte) or Uint8Arrays. Expected events, compact:
 * - "head GET / 1.1" or { head: "GET / 1.1", host?, headers?, contentLength?, chunked?, keepAlive?, expectContinue? }
 * - "body <bytes>" (all data events between a head and its end, concatenated)
 * - "end" (no trailers) or { end: ["name", "value", ...] }
 * - { error: 400, detail?: "substring" }
 * `expect` may also be just { error: N }: the last event must be that error (earlier events unchecked).
 *
 * @module
 */

import type { ParserLimits } from "../src/http1/parser.ts";
import { EDGE_CASES } from "./parser_cases_edges.ts";

/**
 * An expected "head" event: the request line plus any RequestHead fields to compare.
 *
 * @example
 * ```ts
 * const e: ExpectHead = { head: "GET / 1.1", host: "x", keepAlive: true };
 * ```
 */
export interface ExpectHead {
  head: string;
  host?: string;
  headers?: string[];
  contentLength?: number;
  chunked?: boolean;
  keepAlive?: boolean;
  expectContinue?: boolean;
}

/**
 * An expected "error" event.
 *
 * @example
 * ```ts
 * const e: ExpectError = { error: 400, detail: "Bare CR or LF" };
 * ```
 */
export interface ExpectError {
  error: number;
  detail?: string;
  reason?: string;
}

/**
 * One expected event in compact form.
 *
 * @example
 * ```ts
 * const events: ExpectEvent[] = ["head GET / 1.1", "end"];
 * ```
 */
export type ExpectEvent = string | ExpectHead | { end: string[] } | ExpectError;

/**
 * One parser fixture.
 *
 * @example
 * ```ts
 * const c: ParserCase = { name: "x", input: "GET / HTTP/1.1\r\nHost: x\r\n\r\n", expect: ["head GET / 1.1", "end"] };
 * ```
 */
export interface ParserCase {
  name: string;
  input: string | Uint8Array;
  limits?: Partial<ParserLimits>;
  expect: ExpectEvent[] | ExpectError;
  /** Expected `idle` once all input is consumed. */
  idle?: boolean;
}

const H = "Host: x\r\n";
const GET = `GET / HTTP/1.1\r\n${H}\r\n`;

/** A GET whose head (request line + fields + CRLFs) is exactly `size` bytes long. */
function headOfSize(size: number): string {
  const base = "GET / HTTP/1.1\r\nHost: x\r\nX-Pad: \r\n\r\n";
  return `GET / HTTP/1.1\r\nHost: x\r\nX-Pad: ${"a".repeat(size - base.length)}\r\n\r\n`;
}

/** A POST with the given extra field lines and body. */
function post(fields: string, body = ""): string {
  return `POST / HTTP/1.1\r\n${H}${fields}\r\n${body}`;
}

/** A chunked POST with the given chunked body. */
function chunked(body: string): string {
  return post("Transfer-Encoding: chunked\r\n", body);
}

/** A chunked POST whose first chunk line is `line` (a 4-byte chunk "test" follows). */
function chunkLine(line: string): string {
  return chunked(`${line}\r\ntest\r\n0\r\n\r\n`);
}

const E400: ExpectError = { error: 400 };
/** The events of a chunkLine() request that is accepted. */
const TEST_BODY: ExpectEvent[] = ["head POST / 1.1", "body test", "end"];
const BAD_EXT: ExpectError = { error: 400, detail: "Invalid chunk extension" };
const BARE: ExpectError = { error: 400, detail: "Bare CR or LF" };
const TRAILING_WS: ExpectError = { error: 400, detail: "whitespace before CRLF" };

/**
 * All parser fixtures.
 *
 * @example
 * ```ts
 * import { CASES } from "./parser_cases.ts";
 * CASES.length > 0; // true
 * ```
 */
export const CASES: ParserCase[] = [
  {
    name: "rejects a duplicate Content-Type (Waitress #488)",
    input: post("Content-Type: text/plain\r\nContent-Type: application/json\r\nContent-Length: 2\r\n", "{}"),
    expect: [{ error: 400, detail: "Duplicate header: Content-Type" }],
  },
  // ---- request line: valid ----------------------------------------------------------------------
  {
    name: "parses a simple GET",
    input: GET,
    expect: [
      { head: "GET / 1.1", host: "x", headers: ["host", "x"], contentLength: 0, chunked: false, keepAlive: true, expectContinue: false },
      "end",
    ],
    idle: true,
  },
  {
    name: "processes HTTP/1.2 as HTTP/1.1 (RFC 9110 2.5: Host required, keep-alive, chunked allowed)",
    input: "POST / HTTP/1.2\r\nHost: x\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n2\r\nhi\r\n0\r\n\r\n",
    expect: [{ head: "POST / 1.1", host: "x", chunked: true, keepAlive: true, expectContinue: true }, "body hi", "end"],
  },
  { name: "processes HTTP/1.9 as HTTP/1.1", input: `GET / HTTP/1.9\r\n${H}\r\n`, expect: [{ head: "GET / 1.1", keepAlive: true }, "end"] },
  { name: "requires Host on HTTP/1.9 as on HTTP/1.1", input: "GET / HTTP/1.9\r\n\r\n", expect: [{ error: 400, detail: "Missing Host" }] },
  {
    name: "parses HTTP/1.0 without Host (host is empty, not keep-alive)",
    input: "GET /a HTTP/1.0\r\n\r\n",
    expect: [{ head: "GET /a 1.0", host: "", headers: [], keepAlive: false }, "end"],
  },
  {
    name: "keeps the method as sent (case-sensitive token)",
    input: `get / HTTP/1.1\r\n${H}\r\nM-SEARCH / HTTP/1.1\r\n${H}\r\nPROPFIND / HTTP/1.1\r\n${H}\r\n`,
    expect: ["head get / 1.1", "end", "head M-SEARCH / 1.1", "end", "head PROPFIND / 1.1", "end"],
  },
  {
    name: "keeps the raw origin-form target with query and reserved chars",
    input: `GET /a/b%20c?d=e&f=[g]~!$'()*+,;=:@ HTTP/1.1\r\n${H}\r\n`,
    expect: ["head GET /a/b%20c?d=e&f=[g]~!$'()*+,;=:@ 1.1", "end"],
  },
  {
    name: "accepts a target starting with //",
    input: `GET //x/y HTTP/1.1\r\n${H}\r\n`,
    expect: ["head GET //x/y 1.1", "end"],
  },
  {
    name: "skips empty lines before the request line",
    input: `\r\n\r\n\r\n${GET}`,
    expect: ["head GET / 1.1", "end"],
    idle: true,
  },
  {
    name: "treats only empty lines as idle",
    input: "\r\n\r\n",
    expect: [],
    idle: true,
  },
  {
    name: "accepts absolute-form and uses its authority as host",
    input: "GET http://example.com:8080/p?q=1 HTTP/1.1\r\nHost: other\r\n\r\n",
    expect: [{ head: "GET http://example.com:8080/p?q=1 1.1", host: "example.com:8080" }, "end"],
  },
  {
    name: "accepts absolute-form with an upper-case https scheme and no path",
    input: "GET HTTPS://Example.COM HTTP/1.1\r\nHost: other\r\n\r\n",
    expect: [{ head: "GET HTTPS://Example.COM 1.1", host: "Example.COM" }, "end"],
  },
  {
    name: "accepts absolute-form with an IPv6 authority and a query right after it",
    input: "GET http://[::1]:80?x HTTP/1.1\r\nHost: a\r\n\r\n",
    expect: [{ head: "GET http://[::1]:80?x 1.1", host: "[::1]:80" }, "end"],
  },
  {
    name: "accepts asterisk-form with OPTIONS",
    input: `OPTIONS * HTTP/1.1\r\n${H}\r\n`,
    expect: ["head OPTIONS * 1.1", "end"],
  },

  // ---- request line: invalid --------------------------------------------------------------------
  { name: "rejects asterisk-form with GET", input: `GET * HTTP/1.1\r\n${H}\r\n`, expect: [{ error: 400, detail: "OPTIONS" }] },
  { name: "rejects an asterisk target with more characters", input: `OPTIONS *x HTTP/1.1\r\n${H}\r\n`, expect: [E400] },
  { name: "rejects authority-form with GET", input: `GET example.com:80 HTTP/1.1\r\n${H}\r\n`, expect: [E400] },
  { name: "rejects a non-http absolute-form scheme", input: `GET ftp://x/ HTTP/1.1\r\n${H}\r\n`, expect: [E400] },
  { name: "rejects absolute-form with an empty authority", input: `GET http:///p HTTP/1.1\r\n${H}\r\n`, expect: [E400] },
  { name: "rejects absolute-form with userinfo", input: `GET http://user@x/ HTTP/1.1\r\n${H}\r\n`, expect: [E400] },
  { name: "rejects absolute-form with a single slash", input: `GET http:/x HTTP/1.1\r\n${H}\r\n`, expect: [E400] },
  { name: "rejects absolute-form with a bad port", input: `GET http://x:8o/ HTTP/1.1\r\n${H}\r\n`, expect: [E400] },
  {
    name: "rejects CONNECT with 501",
    input: "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
    expect: [{ error: 501, reason: "Not Implemented", detail: "CONNECT is not supported" }],
  },
  { name: "rejects two spaces after the method", input: `GET  / HTTP/1.1\r\n${H}\r\n`, expect: [E400] },
  { name: "rejects two spaces before the version", input: `GET /  HTTP/1.1\r\n${H}\r\n`, expect: [E400] },
  { name: "rejects a trailing space after the version", input: `GET / HTTP/1.1 \r\n${H}\r\n`, expect: [E400] },
  { name: "rejects a leading space", input: ` GET / HTTP/1.1\r\n${H}\r\n`, expect: [E400] },
  { name: "rejects a tab as separator", input: `GET\t/ HTTP/1.1\r\n${H}\r\n`, expect: [E400] },
  { name: "rejects a lower-case version", input: `GET / http/1.1\r\n${H}\r\n`, expect: [E400] },
  { name: "rejects an HTTP/0.9 request line without version", input: "GET /\r\n\r\n", expect: [{ error: 400, detail: "version" }] },
  { name: "rejects a three-digit version", input: `GET / HTTP/1.10\r\n${H}\r\n`, expect: [E400] },
  { name: "rejects a version without minor", input: `GET / HTTP/1\r\n${H}\r\n`, expect: [E400] },
  { name: "rejects a non-digit minor version", input: `GET / HTTP/1.x\r\n${H}\r\n`, expect: [E400] },
  {
    name: "rejects HTTP/2.0 with 505",
    input: `GET / HTTP/2.0\r\n${H}\r\n`,
    expect: [{ error: 505, reason: "HTTP Version Not Supported" }],
  },
  { name: "rejects HTTP/0.0 with 505", input: "GET / HTTP/0.0\r\n\r\n", expect: [{ error: 505 }] },
  { name: "rejects HTTP/3.1 with 505", input: `GET / HTTP/3.1\r\n${H}\r\n`, expect: [{ error: 505, detail: "3.1" }] },
  { name: "rejects HTTP/0.9 with 505", input: "GET / HTTP/0.9\r\n\r\n", expect: [{ error: 505 }] },
  { name: "rejects the HTTP/2 preface with 505", input: "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", expect: [{ error: 505 }] },
  { name: "rejects a NUL in the target", input: `GET /a\x00b HTTP/1.1\r\n${H}\r\n`, expect: [E400] },
  { name: "rejects a tab in the target", input: `GET /a\tb HTTP/1.1\r\n${H}\r\n`, expect: [E400] },
  { name: "rejects DEL in the target", input: `GET /\x7f HTTP/1.1\r\n${H}\r\n`, expect: [E400] },
  { name: "rejects non-ASCII bytes in the target", input: `GET /caf\xe9 HTTP/1.1\r\n${H}\r\n`, expect: [E400] },
  { name: "rejects a non-tchar in the method", input: `G(T / HTTP/1.1\r\n${H}\r\n`, expect: [E400] },
  {
    name: "rejects a bare LF after the request line",
    input: `GET / HTTP/1.1\n${H}\r\n`,
    expect: [{ error: 400, detail: "Bare CR or LF found in HTTP message" }],
  },
  {
    name: "rejects a bare CR after the request line",
    input: `GET / HTTP/1.1\r${H}\r\n`,
    expect: [{ error: 400, detail: "Bare CR or LF" }],
  },
  { name: "rejects a bare LF before the request line", input: `\n${GET}`, expect: [{ error: 400, detail: "Bare CR or LF" }] },
  { name: "rejects a bare CR before the request line", input: `\r\r\n${GET}`, expect: [{ error: 400, detail: "Bare CR or LF" }] },
  { name: "rejects LF-only line endings everywhere", input: "GET / HTTP/1.1\nHost: x\n\n", expect: [E400] },

  // ---- field lines ------------------------------------------------------------------------------
  {
    name: "lower-cases names, trims OWS, keeps order and duplicates",
    input: `GET / HTTP/1.1\r\nHOST: x\r\nX-A:  1 \t\r\nx-a:\t2\r\nX-Inner: a  b\t c\r\nX-Empty:\r\nX-Spaces:    \r\n\r\n`,
    expect: [
      { head: "GET / 1.1", headers: ["host", "x", "x-a", "1", "x-a", "2", "x-inner", "a  b\t c", "x-empty", "", "x-spaces", ""] },
      "end",
    ],
  },
  {
    name: "keeps obs-text (\\x85, \\xa0) in values and decodes latin1",
    input: `GET / HTTP/1.1\r\n${H}X-L: caf\xe9 \x85\xa0\r\nX-M: \x80\x9f\xff\r\n\r\n`,
    expect: [{ head: "GET / 1.1", headers: ["host", "x", "x-l", "caf\xe9 \x85\xa0", "x-m", "\x80\x9f\xff"] }, "end"],
  },
  {
    name: "accepts every tchar in names and keeps underscores",
    input: `GET / HTTP/1.1\r\n${H}!#$%&'*+-.^_\`|~09AZaz: v\r\nX_Y: z\r\n\r\n`,
    expect: [{ head: "GET / 1.1", headers: ["host", "x", "!#$%&'*+-.^_`|~09azaz", "v", "x_y", "z"] }, "end"],
  },
  {
    name: "rejects a bare LF inside the field section (CVE-2019-16785)",
    input: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\nX-Header: x\nContent-Length: 0\r\n\r\n" +
      "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n",
    expect: [{ error: 400, detail: "Bare CR or LF" }],
  },
  { name: "rejects a bare CR inside a value", input: `GET / HTTP/1.1\r\n${H}X: a\rb\r\n\r\n`, expect: [{ error: 400, detail: "Bare CR or LF" }] },
  { name: "rejects a bare CR ending a field line", input: `GET / HTTP/1.1\r\n${H}X: a\r\r\n\r\n`, expect: [E400] },
  { name: "rejects a bare LF ending the header section", input: `GET / HTTP/1.1\r\n${H}\n`, expect: [E400] },
  { name: "rejects a CR not followed by LF ending the header section", input: `GET / HTTP/1.1\r\n${H}\rX`, expect: [E400] },
  {
    name: "rejects whitespace before the colon",
    input: `GET / HTTP/1.1\r\nHost : x\r\n\r\n`,
    expect: [{ error: 400, detail: "whitespace before the colon" }],
  },
  { name: "rejects a tab before the colon", input: `GET / HTTP/1.1\r\n${H}X\t: y\r\n\r\n`, expect: [E400] },
  {
    name: "rejects obs-fold continuation lines",
    input: `GET / HTTP/1.1\r\n${H}X: a\r\n  b\r\n\r\n`,
    expect: [{ error: 400, detail: "folding" }],
  },
  { name: "rejects obs-fold as the first field line", input: `GET / HTTP/1.1\r\n\tHost: x\r\n\r\n`, expect: [E400] },
  { name: "rejects a field line without a colon", input: `GET / HTTP/1.1\r\n${H}Foo\r\n\r\n`, expect: [{ error: 400, detail: "colon" }] },
  { name: "rejects an empty field name", input: `GET / HTTP/1.1\r\n${H}: x\r\n\r\n`, expect: [E400] },
  { name: "rejects a non-tchar in a field name", input: `GET / HTTP/1.1\r\n${H}X(Y: z\r\n\r\n`, expect: [E400] },
  { name: "rejects a non-ASCII byte in a field name", input: `GET / HTTP/1.1\r\n${H}X\x80: z\r\n\r\n`, expect: [E400] },
  { name: "rejects NUL in a value", input: `GET / HTTP/1.1\r\n${H}X: a\x00b\r\n\r\n`, expect: [{ error: 400, detail: "0x00" }] },
  { name: "rejects VT in a value", input: `GET / HTTP/1.1\r\n${H}X: \x0ba\r\n\r\n`, expect: [E400] },
  { name: "rejects FF in a value", input: `GET / HTTP/1.1\r\n${H}X: a\x0c\r\n\r\n`, expect: [E400] },
  { name: "rejects ESC in a value", input: `GET / HTTP/1.1\r\n${H}X: \x1b[31m\r\n\r\n`, expect: [E400] },
  { name: "rejects DEL in a value", input: `GET / HTTP/1.1\r\n${H}X: a\x7f\r\n\r\n`, expect: [E400] },
  {
    name: "rejects the ReDoS header vector without backtracking (CVE-2020-5236)",
    input: `GET /foobar HTTP/1.1\r\nfoo: bar\r\nfoo: ${"x".repeat(35)}\x10\r\n\r\n`,
    expect: [E400],
  },
  {
    name: "rejects a long ReDoS-shaped value ending in a control char",
    input: `GET / HTTP/1.1\r\n${H}foo: ${"x \t".repeat(3000)}\x10\r\n\r\n`,
    expect: [E400],
  },

  // ---- Connection / keep-alive ------------------------------------------------------------------
  { name: "closes HTTP/1.1 with Connection: close", input: `GET / HTTP/1.1\r\n${H}Connection: close\r\n\r\n`, expect: [{ head: "GET / 1.1", keepAlive: false }, "end"] },
  { name: "matches Connection tokens case-insensitively", input: `GET / HTTP/1.1\r\n${H}Connection: Upgrade, CLOSE\r\n\r\n`, expect: [{ head: "GET / 1.1", keepAlive: false }, "end"] },
  { name: "keeps HTTP/1.1 alive with other Connection tokens", input: `GET / HTTP/1.1\r\n${H}Connection: keep-alive, Upgrade\r\n\r\n`, expect: [{ head: "GET / 1.1", keepAlive: true }, "end"] },
  { name: "keeps HTTP/1.0 alive with keep-alive among tokens", input: "GET / HTTP/1.0\r\nConnection: Keep-Alive, Upgrade\r\n\r\n", expect: [{ head: "GET / 1.0", keepAlive: true }, "end"] },
  { name: "keeps HTTP/1.0 alive with keep-alive in a second Connection field", input: "GET / HTTP/1.0\r\nConnection: foo\r\nconnection: keep-alive\r\n\r\n", expect: [{ head: "GET / 1.0", keepAlive: true }, "end"] },
  { name: "closes HTTP/1.0 with both keep-alive and close", input: "GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", expect: [{ head: "GET / 1.0", keepAlive: false }, "end"] },
  { name: "does not treat keep-alive-ish tokens as keep-alive", input: "GET / HTTP/1.0\r\nConnection: keep-alive2, xkeep-alive\r\n\r\n", expect: [{ head: "GET / 1.0", keepAlive: false }, "end"] },

  // ---- Host -------------------------------------------------------------------------------------
  { name: "rejects HTTP/1.1 without Host", input: "GET / HTTP/1.1\r\n\r\n", expect: [{ error: 400, detail: "Host" }] },
  { name: "rejects absolute-form HTTP/1.1 without Host", input: "GET http://x/ HTTP/1.1\r\n\r\n", expect: [E400] },
  { name: "rejects two Host fields", input: `GET / HTTP/1.1\r\n${H}${H}\r\n`, expect: [{ error: 400, detail: "Duplicate header: Host" }] },
  { name: "rejects two Host fields on HTTP/1.0", input: "GET / HTTP/1.0\r\nHost: a\r\nhost: b\r\n\r\n", expect: [{ error: 400, detail: "Duplicate header: Host" }] },
  { name: "rejects an empty Host on HTTP/1.1", input: "GET / HTTP/1.1\r\nHost: \r\n\r\n", expect: [E400] },
  { name: "accepts an empty Host on HTTP/1.0", input: "GET / HTTP/1.0\r\nHost:\r\n\r\n", expect: [{ head: "GET / 1.0", host: "" }, "end"] },
  { name: "accepts a Host with port", input: "GET / HTTP/1.1\r\nHost: Example.com:8080\r\n\r\n", expect: [{ head: "GET / 1.1", host: "Example.com:8080" }, "end"] },
  { name: "accepts an IPv6 Host", input: "GET / HTTP/1.1\r\nHost: [2001:db8::1]:80\r\n\r\n", expect: [{ head: "GET / 1.1", host: "[2001:db8::1]:80" }, "end"] },
  { name: "accepts an IPv4 Host", input: "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", expect: [{ head: "GET / 1.1", host: "127.0.0.1" }, "end"] },
  { name: "accepts an IPvFuture Host", input: "GET / HTTP/1.1\r\nHost: [v1.fe80::a+en1]\r\n\r\n", expect: ["head GET / 1.1", "end"] },
  { name: "accepts a pct-encoded and sub-delims Host", input: "GET / HTTP/1.1\r\nHost: a%41b!$&'()*+,;=-._~\r\n\r\n", expect: ["head GET / 1.1", "end"] },
  { name: "rejects a Host with a space", input: "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", expect: [E400] },
  { name: "rejects a Host with a slash", input: "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", expect: [E400] },
  { name: "rejects a Host with userinfo", input: "GET / HTTP/1.1\r\nHost: u@a\r\n\r\n", expect: [E400] },
  { name: "rejects a Host with a non-numeric port", input: "GET / HTTP/1.1\r\nHost: a:8a\r\n\r\n", expect: [E400] },
  { name: "rejects a Host with only a port", input: "GET / HTTP/1.1\r\nHost: :80\r\n\r\n", expect: [E400] },
  { name: "rejects an unclosed IPv6 Host", input: "GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", expect: [E400] },
  { name: "rejects a bracketed non-IP Host", input: "GET / HTTP/1.1\r\nHost: [zz]\r\n\r\n", expect: [E400] },
  { name: "rejects a bad pct-encoding in Host", input: "GET / HTTP/1.1\r\nHost: a%zz\r\n\r\n", expect: [E400] },
  { name: "rejects a non-ASCII Host", input: "GET / HTTP/1.1\r\nHost: caf\xe9\r\n\r\n", expect: [E400] },

  // ---- Content-Length ---------------------------------------------------------------------------
  {
    name: "reads a Content-Length body",
    input: post("Content-Length: 5\r\n", "hello"),
    expect: [{ head: "POST / 1.1", contentLength: 5, chunked: false }, "body hello", "end"],
    idle: true,
  },
  { name: "treats Content-Length: 0 as no body", input: post("Content-Length: 0\r\n"), expect: [{ head: "POST / 1.1", contentLength: 0 }, "end"] },
  { name: "accepts leading zeros in Content-Length", input: post("Content-Length: 007\r\n", "1234567"), expect: [{ head: "POST / 1.1", contentLength: 7 }, "body 1234567", "end"] },
  { name: "accepts Content-Length with surrounding OWS", input: post("Content-Length:\t 3 \r\n", "abc"), expect: ["head POST / 1.1", "body abc", "end"] },
  { name: "keeps a partial Content-Length body pending", input: post("Content-Length: 10\r\n", "abc"), expect: ["head POST / 1.1", "body abc"], idle: false },
  { name: "reads a body containing CR, LF and NUL bytes as data", input: post("Content-Length: 6\r\n", "\r\n\x00\n\r\xff"), expect: ["head POST / 1.1", "body \r\n\x00\n\r\xff", "end"] },
  { name: "rejects Content-Length +10 (CVE-2022-24761)", input: post("Content-Length: +10\r\n", "a".repeat(10)), expect: [{ error: 400, detail: "Content-Length is invalid" }] },
  { name: "rejects Content-Length -1", input: post("Content-Length: -1\r\n"), expect: [{ error: 400, detail: "Content-Length is invalid" }] },
  { name: "rejects Content-Length 0x1", input: post("Content-Length: 0x1\r\n", "a"), expect: [E400] },
  { name: "rejects a Content-Length list", input: post("Content-Length: 10, 10\r\n"), expect: [E400] },
  { name: "rejects a space inside Content-Length", input: post("Content-Length: 1 0\r\n"), expect: [E400] },
  { name: "rejects a decimal Content-Length", input: post("Content-Length: 1.0\r\n"), expect: [E400] },
  { name: "rejects an empty Content-Length", input: post("Content-Length: \r\n"), expect: [E400] },
  {
    name: "rejects two identical Content-Length fields (CVE-2019-16792)",
    input: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\nContent-Length: 10\r\n\r\nGET /smuggled HTTP/1.1\r\n\r\n",
    expect: [{ error: 400, detail: "Duplicate header: Content-Length" }],
  },
  { name: "accepts Content-Length equal to the body limit", input: post("Content-Length: 10\r\n", "0123456789"), limits: { maxRequestBodySize: 10 }, expect: ["head POST / 1.1", "body 0123456789", "end"] },
  {
    name: "rejects Content-Length above the body limit with 413 at once",
    input: post("Content-Length: 11\r\n"),
    limits: { maxRequestBodySize: 10 },
    expect: [{ error: 413, reason: "Request Entity Too Large" }],
  },
  { name: "rejects a huge Content-Length digit string with 413", input: post(`Content-Length: ${"9".repeat(400)}\r\n`), expect: [{ error: 413 }] },
  { name: "rejects a 2^53+1 Content-Length with 413", input: post("Content-Length: 9007199254740993\r\n"), limits: { maxRequestBodySize: 9007199254740991 }, expect: [{ error: 413 }] },
  { name: "rejects a huge invalid Content-Length with 400", input: post(`Content-Length: ${"9".repeat(40)}x\r\n`), expect: [E400] },

  // ---- Transfer-Encoding ------------------------------------------------------------------------
  {
    name: "reads a chunked body",
    input: chunked("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"),
    expect: [{ head: "POST / 1.1", contentLength: -1, chunked: true }, "body hello world", "end"],
    idle: true,
  },
  { name: "matches chunked case-insensitively", input: post("Transfer-Encoding: ChUnKeD\r\n", "0\r\n\r\n"), expect: [{ head: "POST / 1.1", chunked: true }, "end"] },
  { name: "rejects gzip, chunked with 501 (CVE-2019-16786)", input: post("Transfer-Encoding: gzip, chunked\r\n", "0\r\n\r\n"), expect: [{ error: 501, reason: "Not Implemented" }] },
  { name: "rejects identity, chunked with 501", input: post("Transfer-Encoding: identity , chunked\r\n", "0\r\n\r\n"), expect: [{ error: 501 }] },
  { name: "combines Transfer-Encoding fields into one list", input: post("Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n"), expect: [{ error: 501 }] },
  { name: "accepts coding parameters syntactically", input: post("Transfer-Encoding: gzip;q=1 ; x = \"a,b\\\"\", chunked\r\n", "0\r\n\r\n"), expect: [{ error: 501 }] },
  { name: "rejects a malformed coding parameter", input: post("Transfer-Encoding: gzip;q, chunked\r\n", "0\r\n\r\n"), expect: [E400] },
  { name: "rejects an unterminated quoted parameter", input: post("Transfer-Encoding: gzip;q=\"a, chunked\r\n", "0\r\n\r\n"), expect: [E400] },
  { name: "rejects parameters on chunked", input: post("Transfer-Encoding: chunked;a=b\r\n", "0\r\n\r\n"), expect: [E400] },
  { name: "rejects chunked not last", input: post("Transfer-Encoding: chunked, gzip\r\n", "0\r\n\r\n"), expect: [{ error: 400, detail: "final" }] },
  { name: "rejects gzip alone", input: post("Transfer-Encoding: gzip\r\n", "0\r\n\r\n"), expect: [E400] },
  { name: "rejects identity alone", input: post("Transfer-Encoding: identity\r\n"), expect: [E400] },
  { name: "rejects chunked, chunked (Waitress #465)", input: "POST / HTTP/1.1\r\nHost: victim.com\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n", expect: [E400] },
  { name: "rejects chunked in two fields", input: post("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n"), expect: [E400] },
  { name: "rejects an empty Transfer-Encoding", input: post("Transfer-Encoding:\r\n"), expect: [{ error: 400, detail: "empty" }] },
  { name: "rejects an empty trailing list element", input: post("Transfer-Encoding: chunked,\r\n", "0\r\n\r\n"), expect: [E400] },
  { name: "rejects an empty leading list element", input: post("Transfer-Encoding: , chunked\r\n", "0\r\n\r\n"), expect: [E400] },
  { name: "rejects an empty middle list element", input: post("Transfer-Encoding: gzip,,chunked\r\n", "0\r\n\r\n"), expect: [E400] },
  { name: "rejects an empty second Transfer-Encoding field", input: post("Transfer-Encoding: chunked\r\nTransfer-Encoding:\r\n", "0\r\n\r\n"), expect: [E400] },
  {
    name: "rejects Transfer-Encoding with Content-Length (Waitress #464)",
    input: "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
    expect: [{ error: 400, detail: "Content-Length" }],
  },
  {
    name: "rejects Content-Length with gzip, chunked",
    input: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
    expect: [E400],
  },
  { name: "rejects Transfer-Encoding on HTTP/1.0", input: "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", expect: [{ error: 400, detail: "HTTP/1.0" }] },
  {
    name: "rejects \\x0bchunked (CVE-2019-16789)",
    input: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\nTransfer-Encoding: \x0bchunked\r\n\r\n0\r\n\r\n",
    expect: [E400],
  },
  { name: "rejects \\x85chunked without Host (GHSA-968f)", input: "POST / HTTP/1.1\r\nTransfer-Encoding:\x85chunked\r\n\r\n", expect: [E400] },
  { name: "rejects \\x85chunked", input: post("Transfer-Encoding:\x85chunked\r\n", "0\r\n\r\n"), expect: [E400] },
  { name: "rejects chun\\xe2\\x84\\xaaed (Kelvin sign)", input: post("Transfer-Encoding: chun\xe2\x84\xaaed\r\n", "0\r\n\r\n"), expect: [E400] },
  { name: "rejects chunked\\x00", input: post("Transfer-Encoding: chunked\x00\r\n", "0\r\n\r\n"), expect: [E400] },
  { name: "rejects chunked\\xa0", input: post("Transfer-Encoding: chunked\xa0\r\n", "0\r\n\r\n"), expect: [E400] },

  // ---- chunked framing --------------------------------------------------------------------------
  { name: "accepts hex chunk sizes in both cases", input: chunked("a\r\n0123456789\r\nB\r\nabcdefghijk\r\n0\r\n\r\n"), expect: ["head POST / 1.1", "body 0123456789abcdefghijk", "end"] },
  { name: "accepts leading zeros in chunk sizes", input: chunked("0005\r\nhello\r\n000\r\n\r\n"), expect: ["head POST / 1.1", "body hello", "end"] },
  { name: "accepts a 16-digit chunk size", input: chunked("0000000000000003\r\nabc\r\n0\r\n\r\n"), expect: ["head POST / 1.1", "body abc", "end"] },
  { name: "rejects a 17-digit chunk size", input: chunked("00000000000000003\r\nabc\r\n0\r\n\r\n"), expect: { error: 400, detail: "chunk size" } },
  {
    name: "accepts chunk extensions",
    input: chunked("3;a\r\nabc\r\n3;a=b;c=\"d e\\\"\\\\\";f\r\ndef\r\n0;last=1\r\n\r\n"),
    expect: ["head POST / 1.1", "body abcdef", "end"],
  },
  { name: "rejects a 0x chunk size (CVE-2022-24761)", input: chunked(`0x20\r\n${"a".repeat(32)}\r\n0\r\n\r\n`), expect: ["head POST / 1.1", { error: 400, detail: "Invalid chunk size" }] },
  { name: "rejects a +04 chunk size", input: chunked("+04\r\ntest\r\n0\r\n\r\n"), expect: ["head POST / 1.1", { error: 400 }] },
  { name: "rejects a leading space in the chunk size", input: chunked(" 04\r\ntest\r\n0\r\n\r\n"), expect: { error: 400 } },
  { name: "rejects an x04 chunk size", input: chunked("x04\r\ntest\r\n0\r\n\r\n"), expect: { error: 400 } },
  { name: "rejects a -4 chunk size", input: chunked("-4\r\ntest\r\n0\r\n\r\n"), expect: { error: 400 } },
  { name: "rejects a space after the chunk size (4 \\r\\n)", input: chunkLine("4 "), expect: ["head POST / 1.1", TRAILING_WS] },
  { name: "rejects an empty chunk-size line", input: chunked("\r\ntest\r\n0\r\n\r\n"), expect: { error: 400 } },
  { name: "rejects a non-hex chunk size", input: chunked("g\r\n"), expect: { error: 400 } },
  { name: "rejects an extension with an empty value (20;invalid=)", input: chunked(`20;invalid=\r\n${"a".repeat(32)}\r\n0\r\n\r\n`), expect: { error: 400, detail: "Invalid chunk extension" } },
  { name: "rejects an empty extension (4;)", input: chunked("4;\r\ntest\r\n0\r\n\r\n"), expect: { error: 400 } },
  { name: "rejects an extension ended by a bare LF (4;\\n)", input: chunked("4;\ntest\r\n0\r\n\r\n"), expect: { error: 400 } },
  { name: "rejects an extension with a bare CR (4;a\\r)", input: chunked("4;a\rtest\r\n0\r\n\r\n"), expect: { error: 400, detail: "Bare CR or LF" } },
  { name: "rejects an unterminated quoted extension value", input: chunked("4;a=\"b\r\ntest\r\n0\r\n\r\n"), expect: { error: 400 } },
  { name: "rejects text after a quoted extension value", input: chunked("4;a=\"b\"c\r\ntest\r\n0\r\n\r\n"), expect: { error: 400 } },
  { name: "rejects a control char in a quoted extension value", input: chunked("4;a=\"\x01\"\r\ntest\r\n0\r\n\r\n"), expect: { error: 400 } },
  { name: "rejects a bare LF as the chunk-size line", input: chunked("\n"), expect: ["head POST / 1.1", BARE] },
  // ---- the chunk line, state by state (RFC 9112 7.1.1) --------------------------------------------
  // chunk-size *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] ) CRLF, BWS = *( SP / HTAB ):
  // whitespace is accepted where the grammar puts it and must be followed by ";", a name, "=" or a
  // value; each parser check on the line has a case below that fails without it.
  // After the size: BWS, then only ";".
  { name: "accepts a tab before an extension (4\\t;a)", input: chunkLine("4\t;a"), expect: TEST_BODY },
  { name: "accepts BWS before ; (4 \\t ;a)", input: chunkLine("4 \t ;a"), expect: TEST_BODY },
  { name: "rejects a tab after the chunk size (4\\t\\r\\n)", input: chunkLine("4\t"), expect: ["head POST / 1.1", TRAILING_WS] },
  { name: "rejects a space inside the chunk size (4 5)", input: chunked("4 5\r\n" + "a".repeat(0x45) + "\r\n0\r\n\r\n"), expect: ["head POST / 1.1", BAD_EXT] },
  { name: "rejects a name after BWS without ; (4 a)", input: chunkLine("4 a"), expect: ["head POST / 1.1", BAD_EXT] },
  { name: "rejects a bare LF after BWS after the size (4 \\n)", input: chunked("4 \ntest\r\n0\r\n\r\n"), expect: ["head POST / 1.1", BARE] },
  // After ";": BWS, then a name.
  { name: "accepts BWS after ; (4; \\t a)", input: chunkLine("4; \t a"), expect: TEST_BODY },
  { name: "rejects ; then whitespace then CRLF (4; )", input: chunkLine("4; "), expect: ["head POST / 1.1", BAD_EXT] },
  { name: "rejects an empty extension before another (4;;a)", input: chunkLine("4;;a"), expect: ["head POST / 1.1", BAD_EXT] },
  { name: "rejects an extension without a name (4;=b)", input: chunkLine("4;=b"), expect: ["head POST / 1.1", BAD_EXT] },
  { name: "rejects a bare LF after ; and BWS (4; \\n)", input: chunked("4; \ntest\r\n0\r\n\r\n"), expect: ["head POST / 1.1", BARE] },
  // In a name: tchar, then CR, BWS, "=" or ";".
  { name: "accepts names without values (4;a;b)", input: chunkLine("4;a;b"), expect: TEST_BODY },
  { name: "rejects a non-tchar in an extension name (4;a(b)", input: chunkLine("4;a(b"), expect: ["head POST / 1.1", BAD_EXT] },
  { name: "rejects a bare LF after an extension name (4;a\\n)", input: chunked("4;a\ntest\r\n0\r\n\r\n"), expect: ["head POST / 1.1", BARE] },
  // After a name and BWS: more BWS, "=" or ";".
  { name: "accepts BWS around = (4;invalid = true)", input: chunkLine("4;invalid = true"), expect: TEST_BODY },
  { name: "accepts BWS before = (4;a\\t=b)", input: chunkLine("4;a\t=b"), expect: TEST_BODY },
  { name: "accepts BWS between a name and ; (4;a \\t ;b)", input: chunkLine("4;a \t ;b"), expect: TEST_BODY },
  { name: "rejects whitespace after a name before CRLF (4;a )", input: chunkLine("4;a "), expect: ["head POST / 1.1", TRAILING_WS] },
  { name: "rejects two names separated by whitespace (4;a b)", input: chunkLine("4;a b"), expect: ["head POST / 1.1", BAD_EXT] },
  { name: "rejects a bare LF after a name and BWS (4;a \\n)", input: chunked("4;a \ntest\r\n0\r\n\r\n"), expect: ["head POST / 1.1", BARE] },
  // After "=": BWS, then a token or a quoted-string.
  { name: "accepts BWS before the extension value (4;a= b)", input: chunkLine("4;a= b"), expect: TEST_BODY },
  { name: "accepts BWS before a quoted value (4;a=\\t\"b\")", input: chunkLine('4;a=\t"b"'), expect: TEST_BODY },
  { name: "rejects = then whitespace then CRLF (4;a= )", input: chunkLine("4;a= "), expect: ["head POST / 1.1", BAD_EXT] },
  { name: "rejects an empty value before ; (4;a=;b)", input: chunkLine("4;a=;b"), expect: ["head POST / 1.1", BAD_EXT] },
  { name: "rejects a doubled = (4;a==b)", input: chunkLine("4;a==b"), expect: ["head POST / 1.1", BAD_EXT] },
  { name: "rejects a bare LF after = (4;a=\\n)", input: chunked("4;a=\ntest\r\n0\r\n\r\n"), expect: ["head POST / 1.1", BARE] },
  // In a token value: tchar, then CR, BWS or ";" (issue 20: nothing else).
  { name: "accepts BWS between a value and ; (4;a=b ;c\\t;d=e)", input: chunkLine("4;a=b ;c\t;d=e"), expect: TEST_BODY },
  {
    name: "rejects a bare LF ending an unquoted extension value (4;a=b\\n, smuggling)",
    input: chunked("4;a=b\ntest\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"),
    expect: ["head POST / 1.1", BARE],
  },
  { name: "rejects a space then text after an extension value (4;a=b c)", input: chunkLine("4;a=b c"), expect: ["head POST / 1.1", BAD_EXT] },
  { name: "rejects NUL after an extension value (4;a=b\\x00)", input: chunkLine("4;a=b\x00"), expect: ["head POST / 1.1", BAD_EXT] },
  { name: "rejects a quote after an extension value (4;a=b\"q\")", input: chunkLine('4;a=b"q"'), expect: ["head POST / 1.1", BAD_EXT] },
  { name: "rejects = inside an extension value (4;a=b=c)", input: chunkLine("4;a=b=c"), expect: ["head POST / 1.1", BAD_EXT] },
  { name: "rejects whitespace after a value before CRLF (4;a=b )", input: chunkLine("4;a=b "), expect: ["head POST / 1.1", TRAILING_WS] },
  { name: "rejects a bare LF after a value and BWS (4;a=b \\n)", input: chunked("4;a=b \ntest\r\n0\r\n\r\n"), expect: ["head POST / 1.1", BARE] },
  // In and after a quoted-string: qdtext and quoted-pairs, then CR, BWS or ";".
  { name: "accepts quoted values with escapes, obs-text and BWS after them", input: chunkLine('4;a="" ;b="x\\"\t\xe9\\\xe9" \t;c'), expect: TEST_BODY },
  { name: "rejects whitespace after a quoted value before CRLF (4;a=\"b\" )", input: chunkLine('4;a="b" '), expect: ["head POST / 1.1", TRAILING_WS] },
  { name: "rejects a bare LF after a quoted value", input: chunked('4;a="b"\ntest\r\n0\r\n\r\n'), expect: ["head POST / 1.1", BARE] },
  { name: "rejects a bare LF inside a quoted value", input: chunked('4;a="b\n"\r\ntest\r\n0\r\n\r\n'), expect: ["head POST / 1.1", BARE] },
  { name: "rejects DEL inside a quoted value", input: chunkLine('4;a="\x7f"'), expect: ["head POST / 1.1", BAD_EXT] },
  { name: "rejects a quoted-pair of NUL (4;a=\"\\\\\\x00\")", input: chunkLine('4;a="\\\x00"'), expect: ["head POST / 1.1", BAD_EXT] },
  { name: "rejects a quoted-pair of CR", input: chunkLine('4;a="\\\r\n"'), expect: ["head POST / 1.1", BAD_EXT] },
  // The last chunk takes the same grammar.
  { name: "accepts BWS in the last chunk's extensions", input: chunked("2\r\nhi\r\n0 ; a = \"b\" ; c\r\n\r\n"), expect: ["head POST / 1.1", "body hi", "end"] },
  { name: "rejects whitespace after the last chunk's size (0 \\r\\n)", input: chunked("2\r\nhi\r\n0 \r\n\r\n"), expect: ["head POST / 1.1", "body hi", TRAILING_WS] },
  { name: "rejects a bare LF after the chunk size (3\\n)", input: chunked("3\n\r\nabc\r\n0\r\n\r\n"), expect: ["head POST / 1.1", { error: 400, detail: "Bare CR or LF" }] },
  { name: "rejects a bare CR after the chunk size", input: chunked("3\r\r\nabc\r\n0\r\n\r\n"), expect: { error: 400 } },
  {
    name: "rejects chunk data not followed by CRLF",
    input: chunked("5\r\nhelloX\r\n0\r\n\r\n"),
    expect: ["head POST / 1.1", "body hello", { error: 400, detail: "Chunk not properly terminated" }],
  },
  { name: "rejects chunk data followed by a bare LF", input: chunked("5\r\nhello\n0\r\n\r\n"), expect: ["head POST / 1.1", "body hello", { error: 400, detail: "Chunk not properly terminated" }] },
  { name: "rejects chunk data followed by CR and not LF", input: chunked("5\r\nhello\r0\r\n\r\n"), expect: ["head POST / 1.1", "body hello", { error: 400 }] },
  { name: "keeps a partial chunk pending", input: chunked("5\r\nhel"), expect: ["head POST / 1.1", "body hel"], idle: false },
  {
    name: "reads trailers, validated like header fields",
    input: chunked("3\r\nabc\r\n0\r\nX-Trailer:  a \r\nChecksum: b\r\n\r\n"),
    expect: ["head POST / 1.1", "body abc", { end: ["x-trailer", "a", "checksum", "b"] }],
  },
  { name: "rejects a trailer with a bare LF", input: chunked("0\r\nX: a\n\r\n"), expect: ["head POST / 1.1", { error: 400, detail: "Bare CR or LF" }] },
  { name: "rejects a bare LF ending the trailer section", input: chunked("0\r\n\n"), expect: ["head POST / 1.1", { error: 400, detail: "Bare CR or LF" }] },
  { name: "rejects a trailer with obs-fold", input: chunked("0\r\nX: a\r\n b\r\n\r\n"), expect: ["head POST / 1.1", E400] },
  { name: "rejects a trailer with a control char", input: chunked("0\r\nX: a\x01\r\n\r\n"), expect: ["head POST / 1.1", E400] },
  { name: "rejects a trailer without a colon", input: chunked("0\r\nXa\r\n\r\n"), expect: ["head POST / 1.1", E400] },
  { name: "rejects a trailer with whitespace before the colon", input: chunked("0\r\nX : a\r\n\r\n"), expect: ["head POST / 1.1", E400] },

  // ---- Expect -----------------------------------------------------------------------------------
  { name: "flags Expect: 100-continue on HTTP/1.1", input: post("Expect: 100-continue\r\nContent-Length: 1\r\n", "a"), expect: [{ head: "POST / 1.1", expectContinue: true }, "body a", "end"] },
  { name: "matches 100-continue case-insensitively", input: post("Expect: 100-Continue\r\nContent-Length: 1\r\n", "a"), expect: [{ head: "POST / 1.1", expectContinue: true }, "body a", "end"] },
  { name: "rejects other expectations on HTTP/1.1 with 417", input: post("Expect: something\r\n"), expect: [{ error: 417, reason: "Expectation Failed" }] },
  { name: "rejects 100-continue combined with another expectation", input: post("Expect: 100-continue, foo\r\n"), expect: [{ error: 417 }] },
  { name: "ignores Expect on HTTP/1.0", input: "POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\na", expect: [{ head: "POST / 1.0", expectContinue: false }, "body a", "end"] },
  { name: "ignores unknown expectations on HTTP/1.0", input: "GET / HTTP/1.0\r\nExpect: weird\r\n\r\n", expect: [{ head: "GET / 1.0", expectContinue: false }, "end"] },
  {
    name: "keeps a bodiless Expect request separate from the next request (Waitress 3.14.1)",
    input: "GET /a HTTP/1.1\r\nHost: x\r\nX-User: alice\r\nExpect: 100-continue\r\n\r\nGET /echo HTTP/1.1\r\nHost: x\r\nX-User: bob\r\n\r\n",
    expect: [
      { head: "GET /a 1.1", expectContinue: true, headers: ["host", "x", "x-user", "alice", "expect", "100-continue"] },
      "end",
      { head: "GET /echo 1.1", expectContinue: false, headers: ["host", "x", "x-user", "bob"] },
      "end",
    ],
  },

  // ---- pipelining -------------------------------------------------------------------------------
  {
    name: "parses three pipelined requests with a body in between",
    input: `GET /1 HTTP/1.1\r\n${H}\r\n` + post("Content-Length: 11\r\n", "GET /x HTTP") + `\r\n\r\nGET /3 HTTP/1.1\r\n${H}\r\n`,
    expect: ["head GET /1 1.1", "end", "head POST / 1.1", "body GET /x HTTP", "end", "head GET /3 1.1", "end"],
    idle: true,
  },
  {
    name: "parses pipelined requests around a chunked body with trailers",
    input: `\r\nGET /1 HTTP/1.1\r\n${H}\r\n\r\n` + chunked("2\r\nhi\r\n0\r\nT: 1\r\n\r\n") + `\r\n\r\nGET /3 HTTP/1.0\r\n\r\n`,
    expect: ["head GET /1 1.1", "end", "head POST / 1.1", "body hi", { end: ["t", "1"] }, "head GET /3 1.0", "end"],
  },
  {
    name: "stops at an invalid request and ignores the pipelined one (CVE-2024-49768 bytes)",
    input: "GET / HTTP/1.1\r\nHost: localhost:8080\r\nContent-length: -1\r\n\r\nPOST / HTTP/1.1\r\nHost: localhost:8080\r\nContent-Length: 1\r\n\r\nx\r\n",
    expect: [{ error: 400 }],
  },
  {
    name: "reports a valid request and then an error in the next one",
    input: `${GET}GET / HTTP/1.1\r\n\r\n${GET}`,
    expect: ["head GET / 1.1", "end", { error: 400, detail: "Missing Host" }],
  },
  {
    name: "decodes each request's fields afresh when pipelined requests resend similar ones",
    input: `GET /1 HTTP/1.1\r\n${H}X-Foo: abc\r\nX-Bar: caf\xe9\r\n\r\n` +
      `GET /2 HTTP/1.1\r\n${H}x-FOO: abd\r\nX-Baz: caf\xe8\r\n\r\n` +
      `GET /3 HTTP/1.1\r\n${H}X-FOO: abd\r\nX-Baz: caf\xe8\r\nX-New: 1\r\n\r\n`,
    expect: [
      { head: "GET /1 1.1", headers: ["host", "x", "x-foo", "abc", "x-bar", "caf\xe9"] },
      "end",
      { head: "GET /2 1.1", headers: ["host", "x", "x-foo", "abd", "x-baz", "caf\xe8"] },
      "end",
      { head: "GET /3 1.1", headers: ["host", "x", "x-foo", "abd", "x-baz", "caf\xe8", "x-new", "1"] },
      "end",
    ],
  },
  { name: "keeps a partial second request pending", input: `${GET}GET /2 HTTP/1.1\r\nHo`, expect: ["head GET / 1.1", "end"], idle: false },

  // ---- limits -----------------------------------------------------------------------------------
  { name: "accepts a head of exactly maxRequestHeaderSize", input: headOfSize(100), limits: { maxRequestHeaderSize: 100 }, expect: ["head GET / 1.1", "end"] },
  {
    name: "rejects a head one byte over maxRequestHeaderSize with 431",
    input: headOfSize(101),
    limits: { maxRequestHeaderSize: 100 },
    expect: [{ error: 431, reason: "Request Header Fields Too Large", detail: "exceeds max_header of 100" }],
  },
  { name: "waits on an incomplete head at maxRequestHeaderSize", input: headOfSize(100).slice(0, -1), limits: { maxRequestHeaderSize: 100 }, expect: [], idle: false },
  { name: "rejects an incomplete head over maxRequestHeaderSize", input: `GET / HTTP/1.1\r\n${H}X: ${"a".repeat(200)}`, limits: { maxRequestHeaderSize: 100 }, expect: [{ error: 431 }] },
  { name: "rejects a never-ending field name over maxRequestHeaderSize", input: `GET / HTTP/1.1\r\n${H}${"a".repeat(200)}`, limits: { maxRequestHeaderSize: 100 }, expect: [{ error: 431 }] },
  { name: "counts leading empty lines toward maxRequestHeaderSize", input: "\r\n".repeat(10) + headOfSize(80), limits: { maxRequestHeaderSize: 100 }, expect: ["head GET / 1.1", "end"] },
  { name: "rejects endless empty lines with 431", input: "\r\n".repeat(60), limits: { maxRequestHeaderSize: 100 }, expect: [{ error: 431 }] },
  {
    name: "applies maxRequestHeaderSize afresh to each pipelined request",
    input: headOfSize(100) + headOfSize(100),
    limits: { maxRequestHeaderSize: 100 },
    expect: ["head GET / 1.1", "end", "head GET / 1.1", "end"],
  },
  { name: "accepts a request line of exactly maxRequestLineSize", input: `GET /${"a".repeat(6)} HTTP/1.1\r\n${H}\r\n`, limits: { maxRequestLineSize: 20 }, expect: ["head GET /aaaaaa 1.1", "end"] },
  {
    name: "rejects a request line one byte over maxRequestLineSize with 414",
    input: `GET /${"a".repeat(7)} HTTP/1.1\r\n${H}\r\n`,
    limits: { maxRequestLineSize: 20 },
    expect: [{ error: 414, reason: "URI Too Long" }],
  },
  { name: "rejects an incomplete long target with 414", input: `GET /${"a".repeat(100)}`, limits: { maxRequestLineSize: 20 }, expect: [{ error: 414 }] },
  // A method longer than any accepted gets 501 (RFC 9112 3), decided at the byte that makes it too long.
  { name: "accepts a 64-byte method", input: `${"M".repeat(64)} / HTTP/1.1\r\n${H}\r\n`, expect: [`head ${"M".repeat(64)} / 1.1`, "end"] },
  {
    name: "rejects a 65-byte method with 501",
    input: `${"M".repeat(65)} / HTTP/1.1\r\n${H}\r\n`,
    expect: [{ error: 501, reason: "Not Implemented", detail: "Method is longer than 64 bytes" }],
  },
  { name: "rejects an incomplete 65-byte method with 501", input: "M".repeat(65), expect: [{ error: 501 }] },
  { name: "rejects a method longer than maxRequestLineSize with 501", input: "A".repeat(100), limits: { maxRequestLineSize: 20 }, expect: [{ error: 501, detail: "longer than 20 bytes" }] },
  { name: "rejects a method as long as maxRequestLineSize with 414", input: `${"A".repeat(20)} / HTTP/1.1\r\n${H}\r\n`, limits: { maxRequestLineSize: 20 }, expect: [{ error: 414 }] },
  { name: "rejects a long method over maxRequestHeaderSize with 431 first", input: "A".repeat(100), limits: { maxRequestHeaderSize: 30 }, expect: [{ error: 431 }] },
  { name: "rejects a request line over the default 16 KiB with 414", input: `GET /${"a".repeat(16384)} HTTP/1.1\r\n${H}\r\n`, expect: [{ error: 414 }] },
  { name: "rejects a bare CR right at maxRequestLineSize with 400", input: `GET /${"a".repeat(15)}\rX`, limits: { maxRequestLineSize: 20 }, expect: [E400] },
  { name: "accepts maxHeaderFields field lines", input: `GET / HTTP/1.1\r\n${H}A: 1\r\nB: 2\r\n\r\n`, limits: { maxHeaderFields: 3 }, expect: ["head GET / 1.1", "end"] },
  {
    name: "rejects one field line over maxHeaderFields with 431",
    input: `GET / HTTP/1.1\r\n${H}A: 1\r\nB: 2\r\nC: 3\r\n\r\n`,
    limits: { maxHeaderFields: 3 },
    expect: [{ error: 431, detail: "fields" }],
  },
  { name: "accepts a decoded chunked body equal to maxRequestBodySize", input: chunked("6\r\nabcdef\r\n4\r\nghij\r\n0\r\n\r\n"), limits: { maxRequestBodySize: 10 }, expect: ["head POST / 1.1", "body abcdefghij", "end"] },
  {
    name: "rejects a decoded chunked body over maxRequestBodySize with 413",
    input: chunked("6\r\nabcdef\r\n5\r\nghijk\r\n0\r\n\r\n"),
    limits: { maxRequestBodySize: 10 },
    expect: ["head POST / 1.1", "body abcdef", { error: 413 }],
  },
  { name: "counts decoded bytes, not chunk framing, toward maxRequestBodySize", input: chunked("1;ext=aaaaaaaaaa\r\na\r\n1\r\nb\r\n0\r\n\r\n"), limits: { maxRequestBodySize: 2 }, expect: ["head POST / 1.1", "body ab", "end"] },
  { name: "rejects a huge chunk size with 413", input: chunked("FFFFFFFFFFFFFFFF\r\nabc"), expect: ["head POST / 1.1", { error: 413 }] },
  { name: "accepts chunk extensions of exactly maxChunkExtensionSize", input: chunked("1;aaaaaaa\r\nx\r\n0\r\n\r\n"), limits: { maxChunkExtensionSize: 8 }, expect: ["head POST / 1.1", "body x", "end"] },
  { name: "rejects chunk extensions over maxChunkExtensionSize", input: chunked("1;aaaaaaaa\r\nx\r\n0\r\n\r\n"), limits: { maxChunkExtensionSize: 8 }, expect: ["head POST / 1.1", { error: 400, detail: "extension" }] },
  { name: "counts BWS toward maxChunkExtensionSize (exactly: 1 ; a)", input: chunked("1 ; a\r\nx\r\n0\r\n\r\n"), limits: { maxChunkExtensionSize: 4 }, expect: ["head POST / 1.1", "body x", "end"] },
  { name: "counts BWS toward maxChunkExtensionSize (over: 1 ;  a)", input: chunked("1 ;  a\r\nx\r\n0\r\n\r\n"), limits: { maxChunkExtensionSize: 4 }, expect: ["head POST / 1.1", { error: 400, detail: "max_chunk_extension of 4" }] },
  { name: "counts BWS before the first ; toward maxChunkExtensionSize", input: chunked("1\t;a\r\nx\r\n0\r\n\r\n"), limits: { maxChunkExtensionSize: 2 }, expect: ["head POST / 1.1", { error: 400, detail: "max_chunk_extension of 2" }] },
  { name: "rejects never-ending BWS after the chunk size", input: chunked(`1${" ".repeat(200)}`), limits: { maxChunkExtensionSize: 100 }, expect: ["head POST / 1.1", { error: 400, detail: "max_chunk_extension" }] },
  { name: "rejects a never-ending chunk extension", input: chunked(`1;a=${"b".repeat(500)}`), limits: { maxChunkExtensionSize: 100 }, expect: ["head POST / 1.1", { error: 400 }] },
  { name: "accepts a trailer section of exactly maxTrailerSize", input: chunked("0\r\nX: 12345\r\n\r\n"), limits: { maxTrailerSize: 10 }, expect: ["head POST / 1.1", { end: ["x", "12345"] }] },
  { name: "accepts an empty trailer section with maxTrailerSize 0", input: chunked("0\r\n\r\n"), limits: { maxTrailerSize: 0 }, expect: ["head POST / 1.1", "end"] },
  {
    name: "rejects a trailer section over maxTrailerSize with 431",
    input: chunked("0\r\nX: 123456\r\n\r\n"),
    limits: { maxTrailerSize: 10 },
    expect: ["head POST / 1.1", { error: 431, detail: "trailer" }],
  },
  { name: "rejects a never-ending trailer with 431", input: chunked(`0\r\nX: ${"a".repeat(100)}`), limits: { maxTrailerSize: 50 }, expect: ["head POST / 1.1", { error: 431 }] },
  // More fixtures, kept in their own file to keep this one readable.
  ...EDGE_CASES,
];
