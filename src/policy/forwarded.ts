/**
 * The values of the proxy headers, parsed as Waitress parses them: `Forwarded` (RFC 7239) elements
 * and pairs, the comma lists of `X-Forwarded-For` and `X-Forwarded-Host`, quoted strings, client
 * nodes and ports. `proxy_headers.ts` decides which of them to trust and applies them.
 *
 * @module
 */

import { QDTEXT, QUOTED_PAIR_CHAR } from "../http1/abnf.ts";

/** A malformed header value: `header` is the name reported in the 400 body. */
export class Malformed {
  header: string;
  reason: string;
  value: string;
  constructor(header: string, reason: string, value: string) {
    this.header = header;
    this.reason = reason;
    this.value = value;
  }
}

/** Thrown inside a parser; turned into {@link Malformed} with the header's name by the caller. */
export class BadValue {
  reason: string;
  constructor(reason: string) {
    this.reason = reason;
  }
}

/**
 * Waitress's `undquote`: a value quoted on both ends must be a valid quoted-string and is unescaped;
 * a value with a DQUOTE on one end only is invalid; anything else is returned as is.
 */
export function undquote(value: string): string {
  const n = value.length;
  const starts = n > 0 && value.charCodeAt(0) === 0x22;
  const ends = n > 0 && value.charCodeAt(n - 1) === 0x22;
  if (!starts && !ends) return value;
  if (starts && ends && n >= 2) {
    let out = "";
    let i = 1;
    while (i < n) {
      const c = value.charCodeAt(i);
      if (c === 0x22) {
        if (i === n - 1) return out;
        break;
      }
      if (c === 0x5c /* \ */) {
        // i < n - 1 here (the last character is the closing quote), so there is a next one.
        const d = value.charCodeAt(i + 1);
        if (d > 0xff || QUOTED_PAIR_CHAR[d] === 0) break;
        out += value[i + 1];
        i += 2;
      } else if (c <= 0xff && QDTEXT[c] !== 0) {
        out += value[i];
        i++;
      } else break;
    }
  }
  throw new BadValue("Invalid quoting in value");
}

/** Splits on `sep` outside quoted strings (a backslash inside quotes escapes the next character). */
function splitOutsideQuotes(s: string, sep: number): string[] {
  if (!s.includes('"')) return s.split(String.fromCharCode(sep));
  const out: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (quoted) {
      if (c === 0x5c) i++;
      else if (c === 0x22) quoted = false;
    } else if (c === 0x22) quoted = true;
    else if (c === sep) {
      out.push(s.slice(start, i));
      start = i + 1;
    }
  }
  out.push(s.slice(start));
  return out;
}

/** `0`-`65535` written as 1 to 5 digits, or undefined. */
export function parsePort(text: string): number | undefined {
  if (text.length === 0 || text.length > 5) return undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return undefined;
  }
  const n = Number(text);
  return n <= 65535 ? n : undefined;
}

/**
 * Splits a client node (`1.2.3.4`, `1.2.3.4:80`, `[2001:db8::1]:80`, `2001:db8::1`, `unknown`,
 * `_hidden:_port`) into address (brackets stripped) and port (0 when absent or obfuscated).
 */
export function splitNode(node: string): [string, number] {
  if (node.charCodeAt(0) === 0x5b /* [ */) {
    const close = node.indexOf("]");
    if (close > 0) {
      const rest = node.slice(close + 1);
      if (rest === "") return [node.slice(1, close), 0];
      if (rest.charCodeAt(0) === 0x3a) return [node.slice(1, close), parsePort(rest.slice(1).trim()) ?? 0];
    }
    return [node, 0];
  }
  const colon = node.indexOf(":");
  if (colon < 0 || node.indexOf(":", colon + 1) >= 0) return [node, 0]; // no port, or a bare IPv6 address
  return [node.slice(0, colon).trim(), parsePort(node.slice(colon + 1).trim()) ?? 0];
}

export interface ForwardedElement {
  raw: string;
  for: string;
  host: string;
  proto: string;
}

/** Parses a `Forwarded` value (RFC 7239) as Waitress does; throws {@link BadValue}. */
export function parseForwarded(value: string, warnings: string[]): ForwardedElement[] {
  const elements: ForwardedElement[] = [];
  for (const part of splitOutsideQuotes(value, 0x2c /* , */)) {
    const raw = part.trim();
    const element: ForwardedElement = { raw, for: "", host: "", proto: "" };
    for (const pairText of splitOutsideQuotes(raw, 0x3b /* ; */)) {
      // Waitress lower-cases the whole pair, values included.
      const pair = pairText.toLowerCase();
      if (pair === "") continue;
      const eq = pair.indexOf("=");
      if (eq < 0) throw new BadValue('Invalid forwarded-pair missing "="');
      const token = pair.slice(0, eq);
      const v = pair.slice(eq + 1);
      if (token.trim() !== token) throw new BadValue("Token may not be surrounded by whitespace");
      if (v.trim() !== v) throw new BadValue("Value may not be surrounded by whitespace");
      switch (token) {
        case "by":
          undquote(v);
          break;
        case "for":
          element.for = undquote(v);
          break;
        case "host":
          element.host = undquote(v);
          break;
        case "proto":
          element.proto = undquote(v);
          break;
        default:
          warnings.push(`Unknown Forwarded token: ${token}`);
      }
    }
    elements.push(element);
  }
  return elements;
}

/** The values of one header, repeated fields joined with ", " (as Waitress's environ does). */
export function joined(headers: string[], name: string): string {
  const values: string[] = [];
  for (let i = 0; i < headers.length; i += 2) if (headers[i] === name) values.push(headers[i + 1]);
  return values.join(", ");
}

/** Splits a comma list, strips and undquotes the entries; returns [raw entries, unquoted entries]. */
export function splitList(value: string): [string[], string[]] {
  const raw = value.split(",").map((s) => s.trim());
  return [raw, raw.map(undquote)];
}

/** Runs `parse`, turning a {@link BadValue} into a {@link Malformed} for `header`. */
export function guarded<T>(header: string, value: string, parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    if (e instanceof BadValue) throw new Malformed(header, e.reason, value);
    throw e;
  }
}
