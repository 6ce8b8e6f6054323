/**
 * Field names and methods the request parser recognises without decoding them, and the byte
 * comparisons that let it reuse strings it already decoded.
 *
 * @module
 */

import * as abnf from "./abnf.ts";
import { latin1 } from "./abnf.ts";

// A module constant, not an imported binding: V8 folds it into the compiled loops.
const TCHAR = abnf.TCHAR;

/** The header fields the parser interprets; "other" for every other name. */
export type FieldKind = "host" | "content-length" | "transfer-encoding" | "connection" | "expect" | "content-type" | "other";

/**
 * A common field name: its lower-case bytes, its string, and how the parser treats it.
 *
 * @example
 * ```ts
 * const known: KnownName | null = knownName(new TextEncoder().encode("Host"), 0, 4);
 * known?.kind; // "host"
 * ```
 */
export interface KnownName {
  bytes: Uint8Array;
  name: string;
  kind: FieldKind;
}

const INTERPRETED: readonly FieldKind[] = ["host", "content-length", "transfer-encoding", "connection", "expect", "content-type"];
const COMMON: readonly string[] = [
  "user-agent", "accept", "accept-encoding", "accept-language", "cache-control", "cookie", "authorization", "origin",
  "referer", "pragma", "upgrade", "te", "range", "if-none-match", "if-modified-since", "x-forwarded-for",
  "x-forwarded-proto", "x-forwarded-host", "x-request-id", "forwarded", "keep-alive", "dnt",
];

/** Common field names by length: lets the parser skip decoding and lower-casing them. */
const KNOWN_BY_LENGTH: (KnownName[] | undefined)[] = [];
for (const [name, kind] of [...INTERPRETED.map((k) => [k, k] as const), ...COMMON.map((n) => [n, "other"] as const)]) {
  const bytes = new Uint8Array(name.length);
  for (let i = 0; i < name.length; i++) bytes[i] = name.charCodeAt(i);
  (KNOWN_BY_LENGTH[name.length] ??= []).push({ bytes, name, kind });
}

/**
 * The known name spelled by the tchar bytes buf[start, end) in any ASCII case, or null.
 *
 * @example
 * ```ts
 * knownName(new TextEncoder().encode("Content-Length"), 0, 14)?.name; // "content-length"
 * ```
 */
export function knownName(buf: Uint8Array, start: number, end: number): KnownName | null {
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

/**
 * Whether latin1 string `s` equals buf[start, end).
 *
 * @example
 * ```ts
 * sameBytes("ab", new Uint8Array([0x61, 0x62]), 0, 2); // true
 * ```
 */
export function sameBytes(s: string, buf: Uint8Array, start: number, end: number): boolean {
  if (s.length !== end - start) return false;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) !== buf[start + i]) return false;
  return true;
}

/**
 * Whether lower-cased field name `s` equals the tchar bytes buf[start, end) ignoring ASCII case.
 *
 * @example
 * ```ts
 * sameLowerName("x-id", new TextEncoder().encode("X-Id"), 0, 4); // true
 * ```
 */
export function sameLowerName(s: string, buf: Uint8Array, start: number, end: number): boolean {
  if (s.length !== end - start) return false;
  for (let i = 0; i < s.length; i++) {
    const b = buf[start + i];
    const c = s.charCodeAt(i);
    if (b !== c && (TCHAR[b] !== 2 || b + 0x20 !== c)) return false;
  }
  return true;
}

/**
 * The method buf[start, end) as a string; GET and POST without decoding.
 *
 * @example
 * ```ts
 * internMethod(new TextEncoder().encode("GET"), 0, 3); // "GET"
 * ```
 */
export function internMethod(buf: Uint8Array, start: number, end: number): string {
  const n = end - start;
  const b0 = buf[start];
  if (n === 3 && b0 === 0x47 && buf[start + 1] === 0x45 && buf[start + 2] === 0x54) return "GET";
  if (n === 4 && b0 === 0x50 && buf[start + 1] === 0x4f && buf[start + 2] === 0x53 && buf[start + 3] === 0x54) {
    return "POST";
  }
  return latin1(buf, start, end);
}
