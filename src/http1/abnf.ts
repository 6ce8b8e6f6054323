/**
 * Byte classes and small validators from the HTTP ABNF (RFC 9110, RFC 9112, RFC 3986), as
 * 256-entry lookup tables so the request parser can scan with tight byte loops and no regular
 * expressions on attacker-controlled input.
 *
 * @module
 */

import { isIPv6At } from "./ip.ts";

function table(fill: (byte: number) => number): Uint8Array {
  const t = new Uint8Array(256);
  for (let b = 0; b < 256; b++) t[b] = fill(b);
  return t;
}

const TCHAR_SYMBOLS = "!#$%&'*+-.^_`|~";

/**
 * `tchar` (RFC 9110 5.6.2): 0 = not a tchar, 1 = tchar that is not an upper-case letter,
 * 2 = upper-case ASCII letter (lets a name scan note, for free, whether lower-casing is needed).
 *
 * @example
 * ```ts
 * import { TCHAR } from "./abnf.ts";
 * TCHAR[0x61]; // 1 ("a")
 * TCHAR[0x41]; // 2 ("A")
 * TCHAR[0x20]; // 0 (SP)
 * ```
 */
export const TCHAR: Uint8Array = table((b) => {
  if (b >= 0x41 && b <= 0x5a) return 2;
  if ((b >= 0x61 && b <= 0x7a) || (b >= 0x30 && b <= 0x39)) return 1;
  return TCHAR_SYMBOLS.includes(String.fromCharCode(b)) && b < 0x80 ? 1 : 0;
});

/**
 * Bytes allowed inside a field value (RFC 9110 5.5): VCHAR, obs-text (0x80-0xFF), SP and HTAB.
 * 1 = allowed ASCII, 2 = allowed obs-text, 0 = not allowed (CTLs, DEL, CR, LF).
 *
 * @example
 * ```ts
 * import { FIELD_CHAR } from "./abnf.ts";
 * FIELD_CHAR[0x41]; // 1
 * FIELD_CHAR[0x85]; // 2 (obs-text)
 * FIELD_CHAR[0x0b]; // 0 (VT)
 * ```
 */
export const FIELD_CHAR: Uint8Array = table((b) => (b >= 0x80 ? 2 : b === 0x09 || (b >= 0x20 && b !== 0x7f) ? 1 : 0));

/**
 * Bytes allowed in a request-target as sent on the wire: visible ASCII 0x21-0x7E
 * (no SP, no CTL, no DEL, no bytes >= 0x80). 1 = allowed.
 *
 * @example
 * ```ts
 * import { TARGET_CHAR } from "./abnf.ts";
 * TARGET_CHAR[0x2f]; // 1 ("/")
 * TARGET_CHAR[0x80]; // 0
 * ```
 */
export const TARGET_CHAR: Uint8Array = table((b) => (b >= 0x21 && b <= 0x7e ? 1 : 0));

/**
 * Bytes a scan accepts in the HTTP-version slot of a request line before checking the exact
 * `HTTP/DIGIT.DIGIT` shape: tchar plus "/". 1 = accepted.
 *
 * @example
 * ```ts
 * import { VERSION_CHAR } from "./abnf.ts";
 * VERSION_CHAR[0x2f]; // 1 ("/")
 * VERSION_CHAR[0x20]; // 0 (SP)
 * ```
 */
export const VERSION_CHAR: Uint8Array = table((b) => (TCHAR[b] !== 0 || b === 0x2f ? 1 : 0));

/**
 * HEXDIG value plus one: 0 = not a hex digit, otherwise `digit value + 1`
 * ("0" -> 1, "f"/"F" -> 16).
 *
 * @example
 * ```ts
 * import { HEX_VALUE } from "./abnf.ts";
 * HEX_VALUE[0x61] - 1; // 10 ("a")
 * HEX_VALUE[0x78];     // 0 ("x")
 * ```
 */
export const HEX_VALUE: Uint8Array = table((b) => {
  if (b >= 0x30 && b <= 0x39) return b - 0x30 + 1;
  if (b >= 0x41 && b <= 0x46) return b - 0x41 + 11;
  if (b >= 0x61 && b <= 0x66) return b - 0x61 + 11;
  return 0;
});

/**
 * `qdtext` (RFC 9110 5.6.4): HTAB, SP, 0x21, 0x23-0x5B, 0x5D-0x7E, obs-text. 1 = allowed.
 *
 * @example
 * ```ts
 * import { QDTEXT } from "./abnf.ts";
 * QDTEXT[0x22]; // 0 (DQUOTE ends the string)
 * ```
 */
export const QDTEXT: Uint8Array = table((b) =>
  b === 0x09 || b === 0x20 || b === 0x21 || (b >= 0x23 && b <= 0x5b) || (b >= 0x5d && b <= 0x7e) || b >= 0x80
    ? 1
    : 0
);

/**
 * Bytes allowed after a backslash in a `quoted-pair` (RFC 9110 5.6.4): HTAB, SP, VCHAR, obs-text.
 *
 * @example
 * ```ts
 * import { QUOTED_PAIR_CHAR } from "./abnf.ts";
 * QUOTED_PAIR_CHAR[0x22]; // 1 (an escaped DQUOTE)
 * ```
 */
export const QUOTED_PAIR_CHAR: Uint8Array = table((b) =>
  b === 0x09 || (b >= 0x20 && b <= 0x7e) || b >= 0x80 ? 1 : 0
);

/** reg-name characters that stand for themselves (RFC 3986 unreserved / sub-delims). */
const REG_NAME_CHAR: Uint8Array = table((b) => {
  if ((b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || (b >= 0x30 && b <= 0x39)) return 1;
  return "-._~!$&'()*+,;=".includes(String.fromCharCode(b)) && b < 0x80 ? 1 : 0;
});

const ASCII_DECODER = new TextDecoder();

/**
 * Decodes bytes as ISO-8859-1 (each byte becomes the code unit of the same value). Works in
 * pieces of at most 8192 bytes so large values never hit argument-count limits. Pass
 * `ascii = true` only when every byte is known to be below 0x80 (a faster native path).
 * (`TextDecoder("latin1")` is really windows-1252 and maps 0x80-0x9F differently.)
 *
 * @example
 * ```ts
 * import { latin1 } from "./abnf.ts";
 * latin1(new Uint8Array([0x48, 0x69, 0x85]), 0, 3); // "Hi\u0085"
 * ```
 */
export function latin1(buf: Uint8Array, start: number, end: number, ascii = false): string {
  const n = end - start;
  if (n <= 0) return "";
  if (n <= 12) {
    // Short strings: a plain loop beats allocating a subarray for apply().
    let s = "";
    for (let i = start; i < end; i++) s += String.fromCharCode(buf[i]);
    return s;
  }
  // For bytes known to be ASCII, UTF-8 decoding gives the same string and is native.
  if (ascii) return ASCII_DECODER.decode(buf.subarray(start, end));
  if (n <= 8192) return String.fromCharCode.apply(null, buf.subarray(start, end) as unknown as number[]);
  let s = "";
  for (let i = start; i < end; i += 8192) {
    const stop = i + 8192 < end ? i + 8192 : end;
    s += String.fromCharCode.apply(null, buf.subarray(i, stop) as unknown as number[]);
  }
  return s;
}

/**
 * Whether `s` is a non-empty `token` (1*tchar).
 *
 * @example
 * ```ts
 * import { isToken } from "./abnf.ts";
 * isToken("chunked");   // true
 * isToken("\x85chunked"); // false
 * ```
 */
export function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff || TCHAR[c] === 0) return false;
  }
  return true;
}

/**
 * Compares `s` with an all-lower-case ASCII `lower`, ignoring ASCII case only (no Unicode
 * case folding, so "\u212A" never equals "k").
 *
 * @example
 * ```ts
 * import { equalsAsciiLower } from "./abnf.ts";
 * equalsAsciiLower("Keep-Alive", "keep-alive"); // true
 * ```
 */
export function equalsAsciiLower(s: string, lower: string, start = 0, end = s.length): boolean {
  if (end - start !== lower.length) return false;
  for (let i = 0; i < lower.length; i++) {
    let c = s.charCodeAt(start + i);
    if (c >= 0x41 && c <= 0x5a) c += 0x20;
    if (c !== lower.charCodeAt(i)) return false;
  }
  return true;
}

function isHex(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  return c < 0x100 && HEX_VALUE[c] !== 0;
}

function isIpLiteral(s: string, start: number, end: number): boolean {
  // An empty literal ("[]") fails below: its first "character" is the "]", and it is no address.
  const first = s.charCodeAt(start);
  if (first === 0x76 || first === 0x56) {
    // IPvFuture = "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" )
    let i = start + 1;
    const hexStart = i;
    while (i < end && isHex(s, i)) i++;
    if (i === hexStart || i >= end || s.charCodeAt(i) !== 0x2e) return false;
    i++;
    if (i >= end) return false;
    for (; i < end; i++) {
      const c = s.charCodeAt(i);
      if (c !== 0x3a && (c > 0xff || REG_NAME_CHAR[c] === 0)) return false;
    }
    return true;
  }
  return isIPv6At(s, start, end); // RFC 3986 IPv6address: no zone
}

/**
 * Whether `s` is a plausible `uri-host [ ":" port ]` (RFC 9110 7.2 / RFC 3986 3.2.2): a
 * non-empty reg-name or IPv4 address (unreserved / sub-delims / pct-encoded), or a bracketed
 * IPv6 / IPvFuture literal, optionally followed by ":" and digits. No userinfo.
 *
 * @example
 * ```ts
 * import { isValidAuthority } from "./abnf.ts";
 * isValidAuthority("example.com:8080"); // true
 * isValidAuthority("[::1]:80");         // true
 * isValidAuthority("a b");              // false
 * isValidAuthority("user@host");        // false
 * ```
 */
export function isValidAuthority(s: string): boolean {
  const n = s.length;
  if (n === 0) return false;
  let i = 0;
  if (s.charCodeAt(0) === 0x5b) {
    const close = s.indexOf("]");
    if (close < 0 || !isIpLiteral(s, 1, close)) return false;
    i = close + 1;
  } else {
    while (i < n) {
      const c = s.charCodeAt(i);
      if (c === 0x3a) break;
      if (c < 0x100 && REG_NAME_CHAR[c] !== 0) i++;
      else if (c === 0x25 && i + 2 < n && isHex(s, i + 1) && isHex(s, i + 2)) i += 3;
      else return false;
    }
    if (i === 0) return false; // empty host
  }
  if (i === n) return true;
  if (s.charCodeAt(i) !== 0x3a) return false;
  for (i++; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}
