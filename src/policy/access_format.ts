/**
 * Access-log formats: one line per answered request in Common or Combined Log Format, or in a custom
 * format written with Apache-like `%` directives. The settings check `accessLogFormat` with this
 * module; the buffered log that writes the lines is `access_log.ts`.
 *
 * Directives (a format is compiled once into a function; an unknown directive is a `RangeError`):
 *
 * | directive | value |
 * | --- | --- |
 * | `%h`, `%a` | client address, after trusted-proxy handling (`-` on a unix socket) |
 * | `%l`, `%u` | `-` (identd and HTTP-auth user: not known to the server) |
 * | `%t` | time the request head was complete, `[10/Oct/2000:13:55:36 +0000]` (UTC) |
 * | `%{sec}t`, `%{msec}t`, `%{iso}t` | the same time as epoch seconds, epoch milliseconds, or ISO 8601 |
 * | `%r` | request line, `GET /path?q=1 HTTP/1.1` (`-` when it could not be parsed) |
 * | `%m`, `%H` | method; protocol version (`HTTP/1.1`) |
 * | `%U`, `%q` | request-target path without the query; the query with its `?` (or nothing) |
 * | `%{target}U` | the whole request-target, as sent (`%U%q`) |
 * | `%>s`, `%s`, `%<s` | status code sent |
 * | `%b`, `%B` | body bytes sent; `%b` writes `-` for 0 |
 * | `%D`, `%{us}T` | duration in microseconds |
 * | `%T`, `%{s}T`, `%{ms}T` | duration in whole seconds; in milliseconds |
 * | `%{Referer}i`, `%{User-Agent}i`, `%{Host}i` | that request header (`-` when absent); names are case-insensitive |
 * | `%P`, `%{worker}P` | pid of the server process; its worker number under waitress-serve `--workers` (`-` without workers) |
 * | `%%` | a literal `%` |
 *
 * Named formats: `common` (`%h %l %u %t "%r" %>s %b`) and `combined` (common plus
 * `"%{Referer}i" "%{User-agent}i"`).
 *
 * Everything the client controls (request line, method, target, version, headers, and the
 * address, which may come from a forwarding header) is escaped as Apache escapes it: `"` and `\`
 * get a backslash, `\n` `\r` `\t` `\b` `\v` are written as such, every other control character
 * and every byte >= 0x7f as `\xhh`. A line can thus never be split or forged, and quoted fields
 * stay parseable.
 *
 * @module
 */

import type { AccessRecord } from "./access_record.ts";

/** A compiled access-log format: one record in, one line out (without the newline). */
export type AccessFormatter = (record: AccessRecord) => string;

/**
 * The named formats: Common Log Format and Combined Log Format (NCSA / Apache).
 *
 * @example
 * ```ts
 * import { ACCESS_LOG_FORMATS } from "./access_format.ts";
 * ACCESS_LOG_FORMATS.common; // '%h %l %u %t "%r" %>s %b'
 * ```
 */
export const ACCESS_LOG_FORMATS: Readonly<Record<"common" | "combined", string>> = Object.freeze({
  common: '%h %l %u %t "%r" %>s %b',
  combined: '%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-agent}i"',
});

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const pad2 = (n: number): string => (n < 10 ? "0" : "") + n;

// %t changes once a second: format it once per second, not once per line.
let clfSecond = Number.NaN;
let clfText = "";

/** `[10/Oct/2000:13:55:36 +0000]` for a time in ms since the epoch (UTC). */
function clfTime(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second !== clfSecond) {
    const d = new Date(second * 1000);
    clfText = `[${pad2(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:` +
      `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())} +0000]`;
    clfSecond = second;
  }
  return clfText;
}

// Printable ASCII except `"` and `\`: such a string needs no escaping (the common case).
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
const NAMED_ESCAPES: Record<number, string> = { 0x08: "\\b", 0x09: "\\t", 0x0a: "\\n", 0x0b: "\\v", 0x0d: "\\r", 0x22: '\\"', 0x5c: "\\\\" };
const hex = (byte: number): string => "\\x" + (byte < 16 ? "0" : "") + byte.toString(16);

/**
 * Escapes a client-controlled string for a log line the way Apache's `ap_escape_logitem` does:
 * `"` and `\` get a backslash; `\b \t \n \v \r` are written as such; other control characters
 * and bytes >= 0x7f become `\xhh`. Strings hold one byte per character (latin1), as the parser
 * decodes them; a character above 0xff is written as the `\xhh` of its UTF-8 bytes.
 *
 * @example
 * ```ts
 * import { escapeLogItem } from "./access_format.ts";
 * escapeLogItem('a"b\r\nc'); // 'a\\"b\\r\\nc'
 * ```
 */
export function escapeLogItem(text: string): string {
  if (PLAIN.test(text)) return text;
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x20 && code < 0x7f && code !== 0x22 && code !== 0x5c) {
      out += text[i];
    } else if (code <= 0xff) {
      out += NAMED_ESCAPES[code] ?? hex(code);
    } else {
      const point = text.codePointAt(i)!;
      if (point > 0xffff) i++;
      for (const byte of utf8(point)) out += hex(byte);
    }
  }
  return out;
}

/** The UTF-8 bytes of one code point (lone surrogates as themselves, like WTF-8). */
function utf8(point: number): number[] {
  if (point < 0x800) return [0xc0 | (point >> 6), 0x80 | (point & 63)];
  if (point < 0x10000) return [0xe0 | (point >> 12), 0x80 | ((point >> 6) & 63), 0x80 | (point & 63)];
  return [0xf0 | (point >> 18), 0x80 | ((point >> 12) & 63), 0x80 | ((point >> 6) & 63), 0x80 | (point & 63)];
}

const dash = (text: string | undefined): string => (text === undefined || text === "" ? "-" : escapeLogItem(text));
const queryAt = (target: string): number => target.indexOf("?");

/** The request headers an access record carries, by lower-cased name. */
const HEADERS: Record<string, (r: AccessRecord) => string> = {
  "referer": (r) => dash(r.referer),
  "user-agent": (r) => dash(r.userAgent),
  "host": (r) => dash(r.host),
};

/** Directives without an argument, by letter (after any `>`/`<` modifier). */
const SIMPLE: Record<string, (r: AccessRecord) => string> = {
  h: (r) => dash(r.remoteAddress),
  a: (r) => dash(r.remoteAddress),
  l: () => "-",
  u: () => "-",
  t: (r) => clfTime(r.startTime),
  r: (r) => (r.method === "-" ? "-" : `${escapeLogItem(r.method)} ${escapeLogItem(r.target)} ${escapeLogItem(r.httpVersion)}`),
  m: (r) => dash(r.method),
  H: (r) => dash(r.httpVersion),
  U: (r) => {
    const q = queryAt(r.target);
    return dash(q < 0 ? r.target : r.target.slice(0, q));
  },
  q: (r) => {
    const q = queryAt(r.target);
    return q < 0 ? "" : escapeLogItem(r.target.slice(q));
  },
  s: (r) => String(r.status),
  b: (r) => (r.bodyBytes === 0 ? "-" : String(r.bodyBytes)),
  B: (r) => String(r.bodyBytes),
  D: (r) => String(Math.round(r.durationMs * 1000)),
  T: (r) => String(Math.floor(r.durationMs / 1000)),
};

/** Directives with a `{argument}`, by letter; each returns undefined for an unknown argument. */
const WITH_ARGUMENT: Record<string, (arg: string) => ((r: AccessRecord) => string) | undefined> = {
  i: (name) => HEADERS[name.toLowerCase()],
  t: (name) => ({
    sec: (r: AccessRecord) => String(Math.floor(r.startTime / 1000)),
    msec: (r: AccessRecord) => String(Math.floor(r.startTime)),
    iso: (r: AccessRecord) => new Date(r.startTime).toISOString(),
  } as Record<string, (r: AccessRecord) => string>)[name],
  T: (unit) => ({
    s: SIMPLE.T!,
    ms: (r: AccessRecord) => String(Math.round(r.durationMs)),
    us: SIMPLE.D!,
  } as Record<string, (r: AccessRecord) => string>)[unit],
  U: (what) => (what === "target" ? (r: AccessRecord) => dash(r.target) : undefined),
  P: () => undefined, // %{worker}P is a literal, written by compileAccessFormat
};

const ARGUMENT_HELP: Record<string, string> = {
  i: "%{Referer}i, %{User-Agent}i or %{Host}i (the headers an access record carries)",
  t: "%t, %{sec}t, %{msec}t or %{iso}t",
  T: "%T, %{s}T, %{ms}T or %{us}T",
  U: "%U or %{target}U",
  P: "%P or %{worker}P",
};

const DIRECTIVES = "%h %a %l %u %t %r %m %H %U %q %>s %s %b %B %D %T %{ms}T %{us}T %{sec}t %{msec}t %{iso}t " +
  "%{target}U %{Referer}i %{User-Agent}i %{Host}i %P %{worker}P %%";

/**
 * Compiles an access-log format (`"common"`, `"combined"`, or a string of `%` directives, see the
 * module documentation) into a function from record to line, once, so each line is one pass over
 * precomputed parts. Throws a `RangeError` naming the bad directive and its position. `worker`: the
 * server process writing the log (waitress-serve `--workers`), for `%P` and `%{worker}P`.
 *
 * @example
 * ```ts
 * import { compileAccessFormat } from "./access_format.ts";
 * const line = compileAccessFormat('%h "%r" %>s %{ms}T');
 * line({
 *   remoteAddress: "127.0.0.1", method: "GET", target: "/", httpVersion: "HTTP/1.1", status: 200,
 *   bodyBytes: 2, startTime: 0, durationMs: 1.5, referer: undefined, userAgent: undefined, host: "x",
 * }); // '127.0.0.1 "GET / HTTP/1.1" 200 2'
 * ```
 */
export function compileAccessFormat(format: string, worker?: { id: number; pid: number }): AccessFormatter {
  if (typeof format !== "string") {
    throw new TypeError(`An access log format must be a string ("common", "combined" or %-directives), not ${typeof format}`);
  }
  const spec = Object.hasOwn(ACCESS_LOG_FORMATS, format) ? ACCESS_LOG_FORMATS[format as "common"] : format;
  const parts: (string | AccessFormatter)[] = [];
  let literal = "";
  const fail = (at: number, what: string, help = `use one of ${DIRECTIVES}`): never => {
    throw new RangeError(`Invalid access log format ${JSON.stringify(format)}: ${what} at position ${at}; ${help} ` +
      '(write %% for a literal "%"), or a named format: "common", "combined"');
  };
  let i = 0;
  while (i < spec.length) {
    const percent = spec.indexOf("%", i);
    if (percent < 0) {
      literal += spec.slice(i);
      break;
    }
    literal += spec.slice(i, percent);
    let j = percent + 1;
    if (spec[j] === "%") {
      literal += "%";
      i = j + 1;
      continue;
    }
    let argument: string | undefined;
    if (spec[j] === "{") {
      const close = spec.indexOf("}", j);
      if (close < 0) fail(percent, `an unclosed "%{"`);
      argument = spec.slice(j + 1, close);
      j = close + 1;
    }
    // Apache's `<`/`>` (original/final request) only matter for internal redirects: same value here.
    const modifier = spec[j] === ">" || spec[j] === "<" ? spec[j++] : "";
    const letter = spec[j];
    if (letter === undefined) fail(percent, `a "%" without a directive letter at the end`);
    const directive = JSON.stringify(spec.slice(percent, j + 1));
    let part: AccessFormatter | undefined;
    if (modifier !== "" && letter !== "s") fail(percent, `${directive}: "${modifier}" only goes with %s`);
    if (letter === "P" && (argument === undefined || argument === "worker")) {
      // The serving process, fixed for the life of the log: a literal.
      const value = worker === undefined ? "-" : String(argument === undefined ? worker.pid : worker.id);
      literal += value;
      i = j + 1;
      continue;
    } else if (argument === undefined) {
      part = Object.hasOwn(SIMPLE, letter!) ? SIMPLE[letter!] : undefined;
      if (part === undefined) fail(percent, `unknown directive ${directive}`);
    } else {
      const make = Object.hasOwn(WITH_ARGUMENT, letter!) ? WITH_ARGUMENT[letter!] : undefined;
      if (make === undefined) fail(percent, `directive ${directive} takes no {argument}`);
      part = make!(argument);
      if (part === undefined) fail(percent, `unknown argument in ${directive}`, `use ${ARGUMENT_HELP[letter!]}`);
    }
    if (literal !== "") parts.push(literal);
    literal = "";
    parts.push(part!);
    i = j + 1;
  }
  if (literal !== "") parts.push(literal);
  if (parts.length === 1) {
    const only = parts[0]!;
    return typeof only === "string" ? () => only : only;
  }
  return (record) => {
    let line = "";
    for (let k = 0; k < parts.length; k++) {
      const part = parts[k]!;
      line += typeof part === "string" ? part : part(record);
    }
    return line;
  };
}

/**
 * Formats one access record as a log line (without the newline). Compiles the format on every
 * call: to log many records, compile once with {@linkcode compileAccessFormat} or use an
 * `AccessLog` (access_log.ts).
 *
 * @example
 * ```ts
 * import { formatAccessRecord } from "./access_format.ts";
 * formatAccessRecord({
 *   remoteAddress: "192.0.2.7", method: "GET", target: "/a?b=1", httpVersion: "HTTP/1.1", status: 200,
 *   bodyBytes: 5, startTime: Date.UTC(2000, 9, 10, 13, 55, 36), durationMs: 3,
 *   referer: undefined, userAgent: "curl/8.5.0", host: "example.com",
 * }, "combined");
 * // '192.0.2.7 - - [10/Oct/2000:13:55:36 +0000] "GET /a?b=1 HTTP/1.1" 200 5 "-" "curl/8.5.0"'
 * ```
 */
export function formatAccessRecord(record: AccessRecord, format: string): string {
  return compileAccessFormat(format)(record);
}
