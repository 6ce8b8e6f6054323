/**
 * The comma-separated lists the request parser interprets (RFC 9110 5.6.1): Connection and
 * Expect, read by one scanner for the tokens that matter, and Transfer-Encoding, checked against
 * its full grammar since it decides the message framing.
 *
 * @module
 */

import * as abnf from "./abnf.ts";
import { equalsAsciiLower } from "./abnf.ts";
import type { ErrorStatus } from "./parser_types.ts";

// Module constants, not imported bindings: V8 folds those into the compiled loops.
const TCHAR = abnf.TCHAR;
const QDTEXT = abnf.QDTEXT;
const QUOTED_PAIR_CHAR = abnf.QUOTED_PAIR_CHAR;
const SP = 32;
const HTAB = 9;
const SEMI = 59;
const EQUALS = 61;
const DQUOTE = 34;
const BACKSLASH = 92;
const COMMA = 44;

/**
 * Which of `tokens` (lower-case) a list names, ignoring ASCII case and the OWS around each
 * element: bit `i` is set when `tokens[i]` is an element, bit `tokens.length` when a non-empty
 * element is none of them. Empty elements are ignored. Elements are split at every comma: the
 * tokens looked for contain none.
 *
 * @example
 * ```ts
 * tokenListFlags("Keep-Alive, Upgrade", ["close", "keep-alive"]); // 0b110: keep-alive and another
 * ```
 */
export function tokenListFlags(value: string, tokens: readonly string[]): number {
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
    if (e > s) {
      let k = 0;
      while (k < tokens.length && !equalsAsciiLower(value, tokens[k], s, e)) k++;
      flags |= 1 << k;
    }
    i = j + 1;
  }
  return flags;
}

// (The token lists are not frozen: V8 reads a frozen array's elements through a slower path.)

/** The Connection options the parser acts on, and their bits in {@link tokenListFlags}. */
export const CONNECTION_TOKENS: readonly string[] = ["close", "keep-alive", "upgrade"];
export const CONNECTION_CLOSE = 1;
export const CONNECTION_KEEP_ALIVE = 2;
/** `Connection: upgrade`: a protocol switch (a WebSocket handshake) may be asked for. */
export const CONNECTION_UPGRADE = 4;

/** The one expectation this server meets (RFC 9110 10.1.1), and the bits in {@link tokenListFlags}. */
export const EXPECT_TOKENS: readonly string[] = ["100-continue"];
export const EXPECT_CONTINUE = 1;
export const EXPECT_OTHER = 2;

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

/** Returns the index after `*( OWS ";" OWS transfer-parameter ) OWS` from `i`, or -1. */
function skipParameters(value: string, i: number): number {
  const n = value.length;
  while (i < n && value.charCodeAt(i) === SEMI) {
    // transfer-parameter = token BWS "=" BWS ( token / quoted-string )
    i = skipOws(value, i + 1);
    const p = i;
    i = skipToken(value, i);
    if (i === p) return -1;
    i = skipOws(value, i);
    if (i >= n || value.charCodeAt(i) !== EQUALS) return -1;
    i = skipOws(value, i + 1);
    if (i < n && value.charCodeAt(i) === DQUOTE) {
      i = skipQuoted(value, i);
      if (i < 0) return -1;
    } else {
      const v = i;
      i = skipToken(value, i);
      if (i === v) return -1;
    }
    i = skipOws(value, i);
  }
  return i;
}

/**
 * Checks the combined Transfer-Encoding list (RFC 9112 6.1, 7): returns null when the codings
 * end in exactly one "chunked" preceded by nothing, else [status, detail].
 *
 * @example
 * ```ts
 * checkTransferEncoding("chunked"); // null
 * checkTransferEncoding("gzip, chunked"); // [501, "Transfer-Encoding requested is not supported"]
 * ```
 */
export function checkTransferEncoding(value: string): [ErrorStatus, string] | null {
  const n = value.length;
  let i = 0;
  let chunkedCount = 0;
  let otherCount = 0;
  let last: "chunked" | "other" = "other";
  for (;;) {
    i = skipOws(value, i);
    const nameStart = i;
    i = skipToken(value, i);
    if (i === nameStart) {
      return [400, i >= n || value.charCodeAt(i) === COMMA
        ? "Transfer-Encoding has an empty list element"
        : "Transfer-Encoding is invalid"];
    }
    last = equalsAsciiLower(value, "chunked", nameStart, i) ? "chunked" : "other";
    i = skipOws(value, i);
    const afterCoding = i;
    i = skipParameters(value, i);
    if (i < 0) return [400, "Transfer-Encoding is invalid"];
    if (last === "chunked") {
      chunkedCount++;
      // "chunked" defines no parameters; a peer that does not recognise "chunked;x=y" as
      // chunked would frame the message differently, so refuse it.
      if (i !== afterCoding) return [400, "Transfer-Encoding chunked must not have parameters"];
    } else {
      otherCount++;
    }
    if (i >= n) break;
    if (value.charCodeAt(i) !== COMMA) return [400, "Transfer-Encoding is invalid"];
    i++;
  }
  if (chunkedCount > 1) return [400, "Transfer-Encoding is invalid: chunked applied more than once"];
  if (last !== "chunked") return [400, "Transfer-Encoding is invalid: the final coding is not chunked"];
  if (otherCount > 0) return [501, "Transfer-Encoding requested is not supported"];
  return null;
}
