/**
 * Fuzzing kit for {@link RequestParser}: a seedable PRNG, a grammar-aware generator of valid
 * requests and pipelines, a mutator, a serializer (events back to canonical bytes) and the oracles.
 *
 * Oracles, checked by {@link checkInput}:
 * - (a) the parser never throws; bad input only ever produces an "error" event;
 * - (b) the same bytes fed whole, one byte at a time, split at random positions (and, for short
 *   inputs, split in two at every position) give identical events;
 * - (c) the complete requests of an input, re-serialised to canonical bytes, parse to the same events;
 * - (d) limits are never exceeded: no head longer than maxRequestHeaderSize, no request line longer
 *   than maxRequestLineSize, no more than maxHeaderFields fields, no body beyond maxRequestBodySize
 *   (and exactly Content-Length bytes), no trailer section beyond maxTrailerSize;
 * - (e) after an "error" event, next() stays null whatever is fed;
 * - (f) for generated (valid) input: the events are exactly the ones the generator's model predicts.
 *
 * Used by tests/fuzz_test.ts (a fixed-seed bounded batch) and tools/fuzz.mjs (long runs).
 *
 * @module
 */

import { DEFAULT_PARSER_LIMITS, type ParseEvent, type ParserLimits, RequestParser, type RequestHead } from "../src/http1/parser.ts";
import { concatBytes as concat, latin1Bytes, latin1Text } from "./_bytes.ts";

// Part of this kit's API (tests/fuzz_test.ts imports them from here); written once in tests/_bytes.ts.
export { latin1Bytes, latin1Text };

// ---- PRNG ------------------------------------------------------------------------------------

/**
 * A small, fast, seedable PRNG (sfc32 seeded through splitmix32): the same seed always gives the
 * same sequence on every runtime.
 *
 * @example
 * ```ts
 * const rng = new Prng(42);
 * rng.int(10); // 0..9, the same on every run
 * ```
 */
export class Prng {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  /** Creates a generator from a 32-bit seed (other numbers are truncated to 32 bits). */
  constructor(seed: number) {
    let s = seed >>> 0;
    const split = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.#a = split();
    this.#b = split();
    this.#c = split();
    this.#d = split();
    for (let i = 0; i < 12; i++) this.next();
  }

  /** Next unsigned 32-bit integer. */
  next(): number {
    const a = this.#a, b = this.#b, c = this.#c, d = this.#d;
    const t = (((a + b) | 0) + d) | 0;
    this.#d = (d + 1) | 0;
    this.#a = b ^ (b >>> 9);
    this.#b = (c + (c << 3)) | 0;
    this.#c = ((c << 21) | (c >>> 11)) + t | 0;
    return t >>> 0;
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor((this.next() / 4294967296) * n);
  }

  /** Integer in [lo, hi] (inclusive). */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() / 4294967296 < p;
  }

  /** A random element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  /** A size biased towards small values: mostly < 16, sometimes up to max. */
  size(max: number): number {
    const r = this.int(10);
    if (r < 6) return Math.min(max, this.int(16));
    if (r < 9) return Math.min(max, this.int(256));
    return this.int(max + 1);
  }
}

/**
 * Derives the seed of iteration `i` from a run's seed, so one failing iteration can be replayed alone.
 *
 * @example
 * ```ts
 * const rng = new Prng(mixSeed(1234, 17)); // iteration 17 of run 1234
 * ```
 */
export function mixSeed(seed: number, i: number): number {
  let z = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(i >>> 0, 0x85ebca77) ^ Math.floor(i / 4294967296)) >>> 0;
  z = Math.imul(z ^ (z >>> 15), 0x2c1b3c6d);
  z = Math.imul(z ^ (z >>> 12), 0x297a2d39);
  return (z ^ (z >>> 15)) >>> 0;
}

// ---- bytes -----------------------------------------------------------------------------------

/**
 * Bytes as a JS string literal body: printable ASCII as is, `\r`, `\n`, `\t`, `\\`, `\"` and `\xHH`
 * for everything else (paste it between double quotes to reproduce an input).
 *
 * @example
 * ```ts
 * escapeBytes(latin1Bytes("a\r\n\0")); // 'a\\r\\n\\x00'
 * ```
 */
export function escapeBytes(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) {
    if (b === 13) s += "\\r";
    else if (b === 10) s += "\\n";
    else if (b === 9) s += "\\t";
    else if (b === 0x5c) s += "\\\\";
    else if (b === 0x22) s += '\\"';
    else if (b >= 0x20 && b < 0x7f) s += String.fromCharCode(b);
    else s += "\\x" + b.toString(16).padStart(2, "0");
  }
  return s;
}

/**
 * Bytes as lower-case hex.
 *
 * @example
 * ```ts
 * toHex(new Uint8Array([0, 255])); // "00ff"
 * ```
 */
export function toHex(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}

/**
 * Bytes from hex (the inverse of {@link toHex}).
 *
 * @example
 * ```ts
 * fromHex("00ff"); // Uint8Array [0, 255]
 * ```
 */
export function fromHex(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || /[^0-9a-fA-F]/.test(hex)) throw new TypeError(`fromHex() needs an even number of hex digits, got ${JSON.stringify(hex.slice(0, 40))}`);
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

// ---- limits ----------------------------------------------------------------------------------

/**
 * Limit profiles inputs are checked under: the defaults, and small limits that generated and
 * mutated input reaches easily (so every limit's edge gets exercised).
 *
 * @example
 * ```ts
 * new RequestParser(LIMIT_PROFILES.small);
 * ```
 */
export const LIMIT_PROFILES: Readonly<Record<"default" | "small", ParserLimits>> = Object.freeze({
  default: DEFAULT_PARSER_LIMITS,
  small: Object.freeze({
    maxRequestHeaderSize: 600,
    maxRequestBodySize: 400,
    maxRequestLineSize: 200,
    maxHeaderFields: 10,
    maxChunkExtensionSize: 24,
    maxTrailerSize: 80,
  }),
});

// ---- canonical events ------------------------------------------------------------------------

/**
 * A parser event in comparable form: all "data" events between a head and its end merged into one
 * latin1 "body" string (how bytes were split must not matter), heads with a fixed key order.
 *
 * @example
 * ```ts
 * const e: CanonEvent = { type: "body", data: "hello" };
 * ```
 */
export type CanonEvent =
  | { type: "head"; head: RequestHead }
  | { type: "body"; data: string }
  | { type: "end"; trailers: string[] }
  | { type: "error"; status: number; reason: string; detail: string };

function canonHead(h: RequestHead): RequestHead {
  return {
    method: h.method,
    target: h.target,
    minorVersion: h.minorVersion,
    headers: h.headers.slice(),
    host: h.host,
    contentLength: h.contentLength,
    chunked: h.chunked,
    keepAlive: h.keepAlive,
    expectContinue: h.expectContinue,
  };
}

/**
 * The result of feeding one input to a fresh parser.
 *
 * @example
 * ```ts
 * const o: Outcome = runParser(latin1Bytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), DEFAULT_PARSER_LIMITS, "whole");
 * o.events.length; // 2
 * ```
 */
export interface Outcome {
  events: CanonEvent[];
  /** `parser.idle` after all input. */
  idle: boolean;
  /** `parser.inBody` after all input. */
  inBody: boolean;
  /** The exception the parser threw (oracle a), if any. */
  thrown?: string;
  /** Broken invariants seen while driving (oracles d and e, plus event-sequence rules). */
  violations: string[];
  /** Calls of feed() and next() made. */
  calls: number;
}

/** Allowed error statuses and their reasons. */
const ERROR_REASONS: Record<number, string> = {
  400: "Bad Request",
  413: "Request Entity Too Large",
  414: "URI Too Long",
  417: "Expectation Failed",
  431: "Request Header Fields Too Large",
  501: "Not Implemented",
  505: "HTTP Version Not Supported",
};

const AFTER_ERROR = latin1Bytes("\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\nPOST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nx");

/**
 * How to cut an input into pieces: "whole", "bytes" (one byte each), or the list of piece lengths
 * (the rest goes in one last piece).
 *
 * @example
 * ```ts
 * const s: Split = [3, 1, 10];
 * ```
 */
export type Split = "whole" | "bytes" | readonly number[];

/**
 * Feeds `input` to a fresh parser cut as `split` says, draining next() after every piece, and
 * checks the per-event invariants (limits, sequence rules, nothing after an error).
 *
 * @example
 * ```ts
 * const o = runParser(latin1Bytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), LIMIT_PROFILES.small, "bytes");
 * o.violations; // []
 * ```
 */
export function runParser(input: Uint8Array, limits: ParserLimits, split: Split): Outcome {
  const events: CanonEvent[] = [];
  const violations: string[] = [];
  const out: Outcome = { events, idle: false, inBody: false, violations, calls: 0 };
  let parser: RequestParser;
  try {
    parser = new RequestParser(limits);
  } catch (e) {
    out.thrown = `constructor: ${String(e)}`;
    return out;
  }
  let fed = 0;
  let errored = false;
  let head: RequestHead | null = null;
  let bodyBytes = 0;
  let consumedAtEnd = 0;
  const violate = (m: string): void => {
    if (violations.length < 8) violations.push(m);
  };
  const drain = (): void => {
    for (;;) {
      out.calls++;
      const ev: ParseEvent | null = parser.next();
      if (ev === null) return;
      if (errored) {
        violate(`(e) event ${ev.type} after an error`);
        return;
      }
      const consumed = fed - parser.bufferedBytes;
      switch (ev.type) {
        case "head": {
          if (head !== null) violate("head before the previous request's end");
          const h = ev.head;
          head = h;
          bodyBytes = 0;
          const headBytes = consumed - consumedAtEnd;
          if (headBytes > limits.maxRequestHeaderSize) violate(`(d) head of ${headBytes} bytes > maxRequestHeaderSize ${limits.maxRequestHeaderSize}`);
          const lineBytes = h.method.length + h.target.length + 10;
          if (lineBytes > limits.maxRequestLineSize) violate(`(d) request line of ${lineBytes} bytes > maxRequestLineSize ${limits.maxRequestLineSize}`);
          if (h.headers.length / 2 > limits.maxHeaderFields) violate(`(d) ${h.headers.length / 2} fields > maxHeaderFields ${limits.maxHeaderFields}`);
          if (h.contentLength > limits.maxRequestBodySize) violate(`(d) Content-Length ${h.contentLength} > maxRequestBodySize`);
          if (!parser.inBody) violate("inBody false after head");
          events.push({ type: "head", head: canonHead(h) });
          break;
        }
        case "data": {
          if (head === null) violate("data outside a request");
          if (ev.data.length === 0) violate("empty data event");
          if (!parser.inBody) violate("inBody false during data");
          bodyBytes += ev.data.length;
          if (bodyBytes > limits.maxRequestBodySize) violate(`(d) body of ${bodyBytes} bytes > maxRequestBodySize ${limits.maxRequestBodySize}`);
          if (head !== null && !head.chunked && bodyBytes > head.contentLength) violate(`(d) body of ${bodyBytes} bytes > Content-Length ${head.contentLength}`);
          const text = latin1Text(ev.data);
          const last = events[events.length - 1];
          if (last?.type === "body") last.data += text;
          else events.push({ type: "body", data: text });
          break;
        }
        case "end": {
          if (head === null) violate("end outside a request");
          else if (!head.chunked && bodyBytes !== head.contentLength) violate(`(d) body of ${bodyBytes} bytes != Content-Length ${head.contentLength}`);
          let trailerBytes = 0;
          for (let i = 0; i < ev.trailers.length; i += 2) trailerBytes += ev.trailers[i].length + ev.trailers[i + 1].length + 3;
          if (trailerBytes > limits.maxTrailerSize) violate(`(d) trailers of >= ${trailerBytes} bytes > maxTrailerSize ${limits.maxTrailerSize}`);
          if (parser.inBody) violate("inBody true after end");
          head = null;
          consumedAtEnd = consumed;
          events.push({ type: "end", trailers: ev.trailers.slice() });
          break;
        }
        case "error": {
          if (ERROR_REASONS[ev.status] === undefined) violate(`unexpected error status ${ev.status}`);
          else if (ev.reason !== ERROR_REASONS[ev.status]) violate(`reason ${JSON.stringify(ev.reason)} for ${ev.status}`);
          if (ev.detail.length === 0 || ev.detail.length > 200) violate(`error detail of ${ev.detail.length} chars`);
          errored = true;
          events.push({ type: "error", status: ev.status, reason: ev.reason, detail: ev.detail });
          break;
        }
        default:
          violate(`unknown event ${JSON.stringify(ev)}`);
      }
    }
  };
  try {
    const n = input.length;
    let off = 0;
    let k = 0;
    while (off < n) {
      let len: number;
      if (split === "whole") len = n;
      else if (split === "bytes") len = 1;
      else len = k < split.length ? Math.max(1, split[k++]) : n - off;
      const piece = input.subarray(off, Math.min(n, off + len));
      out.calls++;
      parser.feed(piece);
      fed += piece.length;
      off += piece.length;
      drain();
    }
    out.idle = parser.idle;
    out.inBody = parser.inBody;
    if (errored) {
      // (e) the parser reads nothing more after an error, even valid requests.
      for (let i = 0; i < 3; i++) {
        parser.feed(AFTER_ERROR);
        fed += AFTER_ERROR.length;
        out.calls++;
        if (parser.next() !== null) violate("(e) next() returned an event after an error");
      }
      if (parser.bufferedBytes !== 0) violate(`(e) ${parser.bufferedBytes} bytes buffered after an error`);
    }
  } catch (e) {
    out.thrown = e instanceof Error ? `${e.name}: ${e.message}\n${e.stack ?? ""}` : String(e);
  }
  return out;
}

// ---- serializer ------------------------------------------------------------------------------

/**
 * Canonical bytes for the complete requests (head ... end) in `events`: the request line with
 * single spaces, `name:value` fields (the shortest form, so never over a limit the original
 * met), and for a chunked body one chunk plus the last chunk and the trailers. Events after
 * the last "end" are ignored.
 *
 * @example
 * ```ts
 * const o = runParser(latin1Bytes("GET  / HTTP/1.1\r\n"), DEFAULT_PARSER_LIMITS, "whole");
 * serializeEvents(o.events); // empty: no complete request
 * ```
 */
export function serializeEvents(events: readonly CanonEvent[]): Uint8Array {
  let s = "";
  let cur = "";
  let head: RequestHead | null = null;
  for (const ev of events) {
    if (ev.type === "head") {
      head = ev.head;
      cur = `${head.method} ${head.target} HTTP/1.${head.minorVersion}\r\n`;
      for (let i = 0; i < head.headers.length; i += 2) cur += `${head.headers[i]}:${head.headers[i + 1]}\r\n`;
      cur += "\r\n";
    } else if (ev.type === "body") {
      if (head?.chunked) cur += `${ev.data.length.toString(16)}\r\n${ev.data}\r\n`;
      else cur += ev.data;
    } else if (ev.type === "end") {
      if (head?.chunked) {
        cur += "0\r\n";
        for (let i = 0; i < ev.trailers.length; i += 2) cur += `${ev.trailers[i]}:${ev.trailers[i + 1]}\r\n`;
        cur += "\r\n";
      }
      s += cur;
      cur = "";
      head = null;
    } else {
      break;
    }
  }
  return latin1Bytes(s);
}

/** The events up to and including the last "end". */
function completePrefix(events: readonly CanonEvent[]): CanonEvent[] {
  let last = -1;
  for (let i = 0; i < events.length; i++) if (events[i].type === "end") last = i;
  return events.slice(0, last + 1);
}

// ---- generator -------------------------------------------------------------------------------

const TCHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const ALNUM = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const PCHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=:@";
const VCHARS = (() => {
  let s = "";
  for (let c = 0x21; c <= 0x7e; c++) s += String.fromCharCode(c);
  return s;
})();
const HOSTS = ["x", "example.com", "localhost:8080", "127.0.0.1", "[::1]:80", "a.b-c.d", "xn--bcher-kva.example:443", "h%41st"];
const METHODS = ["GET", "GET", "GET", "POST", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "TRACE"];
const EXTENSION_METHODS = ["PROPFIND", "M-SEARCH", "FOO_BAR", "X", "get", "Post", "QUERY", "~!#$%&'*+.^`|"];
const NODE_METHODS = ["PROPFIND", "M-SEARCH", "MKCOL", "REPORT", "PURGE", "LINK"];
const COMMON_NAMES = ["Accept", "User-Agent", "Cookie", "Authorization", "Content-Type", "X-Request-Id", "Cache-Control", "Accept-Encoding", "Referer", "Origin", "X-Forwarded-For", "Upgrade", "TE", "Keep-Alive", "Range"];

/**
 * Options of the generator.
 *
 * @example
 * ```ts
 * const o: GenOptions = { limits: LIMIT_PROFILES.small, maxRequests: 3 };
 * ```
 */
export interface GenOptions {
  /** The limits the generated input must fit in (default: the defaults). */
  limits?: ParserLimits;
  /** Most requests in one pipeline (default 4). */
  maxRequests?: number;
  /**
   * Only input that node:http's parser (llhttp) accepts the same way: its method list, no
   * `Connection: close` or HTTP/1.0 before the last request, no Expect or Upgrade, no quoted
   * chunk extensions, no obs-text, no leading empty lines or zeros.
   */
  differential?: boolean;
  /** Largest body (default 2048). */
  maxBody?: number;
}

/**
 * One generated request: its parts, its bytes and the events the parser must produce for it.
 *
 * @example
 * ```ts
 * const r: GeneratedRequest = generateRequest(new Prng(1), {});
 * r.expected[0].type; // "head"
 * ```
 */
export interface GeneratedRequest {
  bytes: Uint8Array;
  method: string;
  target: string;
  minorVersion: 0 | 1;
  /** Lower-cased names and trimmed values, in order. */
  headers: string[];
  body: Uint8Array;
  chunked: boolean;
  trailers: string[];
  keepAlive: boolean;
  /** The canonical events of this request. */
  expected: CanonEvent[];
}

/**
 * A generated pipeline: requests back to back on one connection.
 *
 * @example
 * ```ts
 * const p: GeneratedPipeline = generatePipeline(new Prng(1));
 * p.bytes.length > 0; // true
 * ```
 */
export interface GeneratedPipeline {
  bytes: Uint8Array;
  requests: GeneratedRequest[];
  expected: CanonEvent[];
  limits: ParserLimits;
}

function randomString(rng: Prng, alphabet: string, min: number, max: number): string {
  const n = rng.range(min, max);
  let s = "";
  for (let i = 0; i < n; i++) s += alphabet[rng.int(alphabet.length)];
  return s;
}

function randomCase(rng: Prng, s: string): string {
  const r = rng.int(4);
  if (r === 0) return s.toLowerCase();
  if (r === 1) return s.toUpperCase();
  if (r === 2) return s;
  let out = "";
  for (const c of s) out += rng.chance(0.5) ? c.toUpperCase() : c.toLowerCase();
  return out;
}

/** A field value (first and last char not whitespace) of field-vchar, SP, HTAB and maybe obs-text. */
function fieldValue(rng: Prng, max: number, obsText: boolean): string {
  const n = rng.size(max);
  if (n === 0) return "";
  let s = "";
  for (let i = 0; i < n; i++) {
    const r = rng.int(20);
    if (r === 0 && i > 0 && i < n - 1) s += rng.chance(0.7) ? " " : "\t";
    else if (r === 1 && obsText) s += String.fromCharCode(rng.range(0x80, 0xff));
    else if (r < 6) s += VCHARS[rng.int(VCHARS.length)];
    else s += ALNUM[rng.int(ALNUM.length)];
  }
  return s;
}

function ows(rng: Prng): string {
  return rng.chance(0.8) ? "" : randomString(rng, " \t", 1, 3);
}

function randomTarget(rng: Prng, method: string, options: GenOptions): [string, string | null] {
  const diff = options.differential === true;
  const r = rng.int(20);
  if (method === "OPTIONS" && r === 0) return ["*", null];
  let path = "";
  const segments = rng.int(5);
  for (let i = 0; i < segments; i++) {
    path += "/" + randomString(rng, PCHARS, 0, 12);
    if (rng.chance(0.1)) path += "%" + randomString(rng, "0123456789ABCDEFabcdef", 2, 2);
  }
  if (path === "") path = "/";
  if (rng.chance(0.3)) path += "?" + randomString(rng, PCHARS + "/?", 0, 20);
  if (!diff && rng.chance(0.1)) path += randomString(rng, VCHARS, 1, 6);
  if (r === 1 || r === 2) {
    // absolute-form: the target's authority becomes the request's host.
    const authority = rng.pick(HOSTS);
    const scheme = diff ? rng.pick(["http", "https"]) : randomCase(rng, rng.pick(["http", "https"]));
    return [`${scheme}://${authority}${path.startsWith("/") ? path : "/" + path}`, authority];
  }
  return [path, null];
}

function connectionValue(rng: Prng, allowClose: boolean, diff: boolean): [string | null, number] {
  // Returns the value and its flags: 1 close, 2 keep-alive.
  const choices: [string, number][] = [["keep-alive", 2], ["Keep-Alive", 2], ["TE", 0]];
  // node:http treats "upgrade" as a protocol switch: not comparable.
  if (!diff) choices.push(["upgrade", 0], ["keep-alive, Upgrade", 2]);
  if (allowClose) choices.push(["close", 1], ["Close", 1], ["upgrade, close", 1], ["close, keep-alive", 3]);
  if (rng.chance(0.6)) return [null, 0];
  return rng.pick(choices);
}

function chunkExtensions(rng: Prng, budget: number, diff: boolean): string {
  let ext = "";
  const count = rng.chance(0.7) ? 0 : rng.range(1, 3);
  for (let i = 0; i < count; i++) {
    let e = ";" + randomString(rng, TCHARS, 1, 6);
    const r = rng.int(3);
    if (r === 1) e += "=" + randomString(rng, TCHARS, 1, 6);
    else if (r === 2 && !diff) e += '="' + randomString(rng, "ab c\t!#", 0, 5) + (rng.chance(0.5) ? '\\"' : "") + '"';
    if (ext.length + e.length > budget) break;
    ext += e;
  }
  return ext;
}

function hexSize(rng: Prng, n: number, diff: boolean): string {
  let h = n.toString(16);
  if (rng.chance(0.5)) h = h.toUpperCase();
  if (!diff && rng.chance(0.1)) h = "0".repeat(rng.range(1, Math.max(1, 16 - h.length))) + h;
  return h;
}

/**
 * Generates one valid request that fits in `options.limits`, with the events the parser must give.
 *
 * @example
 * ```ts
 * const r = generateRequest(new Prng(7), { limits: LIMIT_PROFILES.small });
 * latin1Text(r.bytes).includes("HTTP/1."); // true
 * ```
 */
export function generateRequest(rng: Prng, options: GenOptions = {}, last = true): GeneratedRequest {
  const limits = options.limits ?? DEFAULT_PARSER_LIMITS;
  for (let attempt = 0; attempt < 20; attempt++) {
    const r = tryGenerate(rng, options, last, attempt > 10);
    if (fits(r, limits)) return r.request;
  }
  return tryGenerate(new Prng(0), { ...options, maxBody: 0 }, last, true, true).request;
}

interface Draft {
  request: GeneratedRequest;
  headBytes: number;
  lineBytes: number;
  fields: number;
  trailerBytes: number;
  extBytes: number;
}

function fits(d: Draft, l: ParserLimits): boolean {
  return d.headBytes <= l.maxRequestHeaderSize && d.lineBytes <= l.maxRequestLineSize && d.fields <= l.maxHeaderFields &&
    d.request.body.length <= l.maxRequestBodySize && d.trailerBytes <= l.maxTrailerSize && d.extBytes <= l.maxChunkExtensionSize;
}

function tryGenerate(rng: Prng, options: GenOptions, last: boolean, small: boolean, minimal = false): Draft {
  const diff = options.differential === true;
  const limits = options.limits ?? DEFAULT_PARSER_LIMITS;
  const maxBody = Math.min(options.maxBody ?? 2048, limits.maxRequestBodySize, small ? 64 : Infinity);
  const method = minimal ? "GET" : rng.chance(0.85) ? rng.pick(METHODS) : rng.pick(diff ? NODE_METHODS : EXTENSION_METHODS);
  const minor: 0 | 1 = minimal || !(last || !diff) ? 1 : rng.chance(0.15) ? 0 : 1;
  const [target, authority] = minimal ? ["/", null] : randomTarget(rng, method, options);

  // Header fields: [wire name, value as sent (may carry OWS), model value].
  const fields: [string, string, string][] = [];
  const add = (name: string, value: string, special = false): void => {
    // llhttp refuses HTAB around framing values (RFC 9110 allows OWS): keep those bare for it.
    if (special && diff) fields.push([name, value, value]);
    else fields.push([name, ows(rng) + value + ows(rng), value]);
  };
  let host: string | null = null;
  if (minor === 1 || rng.chance(0.5)) host = rng.pick(HOSTS);
  let conn = 0;
  const [connValue, connFlags] = minimal ? [null, 0] : connectionValue(rng, last || !diff, diff);
  let expect = false;
  const bodyKind = minimal || maxBody === 0 ? 0 : rng.int(minor === 1 ? 3 : 2); // 0 none, 1 CL, 2 chunked
  const bodyLen = bodyKind === 0 ? 0 : rng.size(maxBody);
  const body = new Uint8Array(bodyLen);
  const textual = rng.chance(0.5);
  for (let i = 0; i < bodyLen; i++) body[i] = textual ? ALNUM.charCodeAt(rng.int(ALNUM.length)) : rng.int(256);
  let clValue = "";
  if (bodyKind === 1) clValue = (rng.chance(0.05) && !diff ? "00" : "") + String(bodyLen);

  const extra = small ? rng.int(3) : rng.size(Math.min(limits.maxHeaderFields, 40));
  const specials: (() => void)[] = [];
  if (host !== null) specials.push(() => add(randomCase(rng, "Host"), host, true));
  if (connValue !== null) {
    specials.push(() => add(randomCase(rng, "Connection"), connValue, true));
    conn = connFlags;
  }
  if (bodyKind === 1 || (bodyKind === 0 && rng.chance(0.1))) specials.push(() => add(randomCase(rng, "Content-Length"), bodyKind === 1 ? clValue : "0", true));
  if (bodyKind === 2) specials.push(() => add(randomCase(rng, "Transfer-Encoding"), diff ? "chunked" : rng.pick(["chunked", "Chunked", "CHUNKED"]), true));
  if (minor === 1 && !minimal && !diff && rng.chance(0.1)) {
    expect = true;
    specials.push(() => add(randomCase(rng, "Expect"), rng.pick(["100-continue", "100-Continue"])));
  }
  const others: (() => void)[] = [];
  for (let i = 0; i < extra; i++) {
    others.push(() => {
      const name = rng.chance(0.5) ? randomCase(rng, rng.pick(COMMON_NAMES)) : randomString(rng, TCHARS, 1, small ? 8 : 24);
      const lower = name.toLowerCase();
      if (["host", "content-length", "transfer-encoding", "connection", "expect"].includes(lower)) return;
      if (diff && lower === "upgrade") return;
      // Content-Type is a singleton (a second one is refused, Waitress #488).
      if (lower === "content-type") {
        if (fields.some(([n]) => n.toLowerCase() === "content-type")) return;
      }
      add(name, fieldValue(rng, small ? 16 : 100, !diff));
    });
  }
  // Interleave the special fields with the others in random order.
  const all = specials.concat(others);
  for (let i = all.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [all[i], all[j]] = [all[j], all[i]];
  }
  for (const f of all) f();

  // Chunked body framing.
  let bodyWire = "";
  const trailers: string[] = [];
  let trailerBytes = 0;
  let extBytes = 0;
  if (bodyKind === 1) bodyWire = latin1Text(body);
  else if (bodyKind === 2) {
    let off = 0;
    while (off < bodyLen) {
      const n = Math.min(bodyLen - off, 1 + rng.size(bodyLen));
      const ext = chunkExtensions(rng, limits.maxChunkExtensionSize, diff);
      extBytes = Math.max(extBytes, ext.length);
      bodyWire += `${hexSize(rng, n, diff)}${ext}\r\n${latin1Text(body.subarray(off, off + n))}\r\n`;
      off += n;
    }
    const ext = chunkExtensions(rng, limits.maxChunkExtensionSize, diff);
    extBytes = Math.max(extBytes, ext.length);
    bodyWire += `${rng.chance(0.1) && !diff ? "000" : "0"}${ext}\r\n`;
    const count = rng.chance(0.7) ? 0 : rng.range(1, 3);
    for (let i = 0; i < count; i++) {
      const name = randomString(rng, TCHARS, 1, 10);
      const value = fieldValue(rng, 20, !diff);
      const wireValue = ows(rng) + value + ows(rng);
      bodyWire += `${name}:${wireValue}\r\n`;
      trailerBytes += name.length + 1 + wireValue.length + 2;
      trailers.push(name.toLowerCase(), value);
    }
    bodyWire += "\r\n";
  }

  const leading = !diff && rng.chance(0.05) ? "\r\n".repeat(rng.range(1, 2)) : "";
  const line = `${method} ${target} HTTP/1.${minor}`;
  let headText = `${leading}${line}\r\n`;
  const headers: string[] = [];
  for (const [name, wire, value] of fields) {
    const sep = rng.chance(0.3) ? ":" : ": ";
    headText += `${name}${sep}${wire}\r\n`;
    headers.push(name.toLowerCase(), value);
  }
  headText += "\r\n";

  const keepAlive = (conn & 1) === 0 && (minor === 1 || (conn & 2) !== 0);
  const head: RequestHead = {
    method,
    target,
    minorVersion: minor,
    headers,
    host: authority ?? host ?? "",
    contentLength: bodyKind === 2 ? -1 : bodyKind === 1 ? bodyLen : 0,
    chunked: bodyKind === 2,
    keepAlive,
    expectContinue: expect,
  };
  const expected: CanonEvent[] = [{ type: "head", head }];
  if (bodyLen > 0) expected.push({ type: "body", data: latin1Text(body) });
  expected.push({ type: "end", trailers });
  const request: GeneratedRequest = {
    bytes: latin1Bytes(headText + bodyWire),
    method,
    target,
    minorVersion: minor,
    headers,
    body,
    chunked: bodyKind === 2,
    trailers,
    keepAlive,
    expected,
  };
  return { request, headBytes: headText.length, lineBytes: line.length, fields: fields.length, trailerBytes, extBytes };
}

/**
 * Generates 1..maxRequests valid requests back to back, all fitting `options.limits`.
 *
 * @example
 * ```ts
 * const p = generatePipeline(new Prng(3), { maxRequests: 2 });
 * p.requests.length <= 2; // true
 * ```
 */
export function generatePipeline(rng: Prng, options: GenOptions = {}): GeneratedPipeline {
  const limits = options.limits ?? DEFAULT_PARSER_LIMITS;
  const n = rng.range(1, options.maxRequests ?? 4);
  const requests: GeneratedRequest[] = [];
  for (let i = 0; i < n; i++) requests.push(generateRequest(rng, { ...options, limits }, i === n - 1));
  return {
    bytes: concat(requests.map((r) => r.bytes)),
    requests,
    expected: requests.flatMap((r) => r.expected),
    limits,
  };
}

// ---- mutator ---------------------------------------------------------------------------------

const INTERESTING_BYTES = [0x00, 0x09, 0x0a, 0x0d, 0x20, 0x0b, 0x0c, 0x7f, 0x80, 0x85, 0xff, 0x3a, 0x3b, 0x2c, 0x22, 0x5c, 0x3d, 0x30, 0x31, 0x39, 0x61, 0x66, 0x46, 0x78, 0x2b, 0x2d];
const INSERTS = ["\r", "\n", "\r\n", "\0", " ", "\t", "\r\n\r\n", "\n\n", "\x0b", ";", ",", "\r\r\n", "\\", '"'];
const DIGIT_REPLACEMENTS = ["0", "1", "2", "9", "00", "-1", "+1", "0x10", "1 ", " 1", "1,1", "1, 1", "ffffffffffffffff", "fffffffffffffffff", "99999999999999999999", "9007199254740993", "00000000000000000001", "1e3", "1.0", "1_0", "", "4294967296"];
const SMUGGLE_LINES = [
  "Content-Length: 5", "Content-Length: 0", "Content-Length: 10", "Transfer-Encoding: chunked", "Transfer-Encoding: gzip, chunked",
  "Transfer-Encoding: chunked, gzip", "Transfer-Encoding: chunked, chunked", "Transfer-Encoding: identity", "Host: y", "Host:",
  "Expect: 100-continue", "Expect: 101-switch", "Connection: close", " folded", "\tfolded", "X: a\nb", "X : y", "Transfer-Encoding:\x0bchunked",
  "Content-Length: 1\r\nContent-Length: 2", "Trailer: x", "GET /smuggled HTTP/1.1", "0", "",
];

function lineBounds(input: Uint8Array): number[] {
  // Start offsets of lines (after each LF), including 0.
  const starts = [0];
  for (let i = 0; i < input.length; i++) if (input[i] === 10) starts.push(i + 1);
  return starts;
}

/**
 * Applies 1..3 random mutations: bit flips, interesting bytes, CR/LF/NUL/SP/HTAB insertions, deleted
 * ranges, duplicated/dropped/swapped lines, changed digit runs, spliced-in parts of `other`,
 * truncation, case flips, repeated segments, injected smuggling header lines.
 *
 * @example
 * ```ts
 * const rng = new Prng(5);
 * const bad = mutate(rng, latin1Bytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
 * ```
 */
export function mutate(rng: Prng, input: Uint8Array, other?: Uint8Array): Uint8Array {
  let b = input;
  const count = rng.range(1, 3);
  for (let m = 0; m < count; m++) b = mutateOnce(rng, b, other);
  return b;
}

function mutateOnce(rng: Prng, b: Uint8Array, other?: Uint8Array): Uint8Array {
  const n = b.length;
  const pos = rng.int(n + 1);
  const ins = (at: number, bytes: Uint8Array): Uint8Array => concat([b.subarray(0, at), bytes, b.subarray(at)]);
  switch (rng.int(13)) {
    case 0: {
      if (n === 0) return b;
      const c = b.slice();
      c[rng.int(n)] ^= 1 << rng.int(8);
      return c;
    }
    case 1: {
      if (n === 0) return b;
      const c = b.slice();
      c[rng.int(n)] = rng.chance(0.8) ? rng.pick(INTERESTING_BYTES) : rng.int(256);
      return c;
    }
    case 2:
      return ins(pos, latin1Bytes(rng.pick(INSERTS)));
    case 3: {
      const len = rng.range(1, 8);
      return concat([b.subarray(0, pos), b.subarray(Math.min(n, pos + len))]);
    }
    case 4:
    case 5:
    case 6: {
      const starts = lineBounds(b);
      const i = rng.int(starts.length);
      const s = starts[i];
      const e = i + 1 < starts.length ? starts[i + 1] : n;
      const op = rng.int(3);
      if (op === 0) return ins(s, b.slice(s, e)); // duplicate
      if (op === 1) return concat([b.subarray(0, s), b.subarray(e)]); // drop
      const j = rng.int(starts.length);
      const s2 = starts[j];
      const e2 = j + 1 < starts.length ? starts[j + 1] : n;
      if (s2 >= e || e2 <= s) {
        // swap two disjoint lines
        const [a0, a1, b0, b1] = s < s2 ? [s, e, s2, e2] : [s2, e2, s, e];
        return concat([b.subarray(0, a0), b.subarray(b0, b1), b.subarray(a1, b0), b.subarray(a0, a1), b.subarray(b1)]);
      }
      return b;
    }
    case 7: {
      // change a run of (hex) digits
      const runs: [number, number][] = [];
      for (let i = 0; i < n;) {
        if (isHexDigit(b[i])) {
          const s = i;
          while (i < n && isHexDigit(b[i])) i++;
          runs.push([s, i]);
        } else i++;
      }
      if (runs.length === 0) return b;
      const [s, e] = rng.pick(runs);
      const rep = rng.chance(0.7) ? rng.pick(DIGIT_REPLACEMENTS) : String(rng.int(1000));
      return concat([b.subarray(0, s), latin1Bytes(rep), b.subarray(e)]);
    }
    case 8: {
      // splice: a prefix of this input and a suffix of another (or of itself)
      const o = other ?? b;
      return concat([b.subarray(0, pos), o.subarray(rng.int(o.length + 1))]);
    }
    case 9:
      return b.subarray(0, pos);
    case 10: {
      const c = b.slice();
      for (let k = 0; k < 4 && n > 0; k++) {
        const i = rng.int(n);
        const x = c[i] | 0x20;
        if (x >= 0x61 && x <= 0x7a) c[i] ^= 0x20;
      }
      return c;
    }
    case 11: {
      // repeat a segment (grows lines past the limits)
      if (n === 0) return b;
      const s = rng.int(n);
      const e = Math.min(n, s + rng.range(1, 16));
      const times = rng.range(2, rng.chance(0.2) ? 400 : 20);
      const seg = b.subarray(s, e);
      const parts: Uint8Array[] = [b.subarray(0, e)];
      for (let k = 1; k < times; k++) parts.push(seg);
      parts.push(b.subarray(e));
      return concat(parts);
    }
    default: {
      const starts = lineBounds(b);
      const s = rng.pick(starts);
      return ins(s, latin1Bytes(rng.pick(SMUGGLE_LINES) + "\r\n"));
    }
  }
}

function isHexDigit(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

// ---- oracles ---------------------------------------------------------------------------------

/**
 * Options of {@link checkInput}.
 *
 * @example
 * ```ts
 * const o: CheckOptions = { randomSplits: 3, everySplitUpTo: 200 };
 * ```
 */
export interface CheckOptions {
  /** How many random splittings to compare with the whole feed (default 3). */
  randomSplits?: number;
  /** Also split in two at every position when the input is at most this long (default 0: never). */
  everySplitUpTo?: number;
  /** The events a generated (valid) input must produce (oracle f). */
  expected?: CanonEvent[];
}

function describeEvents(events: readonly CanonEvent[]): string {
  return JSON.stringify(events.map((e) => {
    if (e.type === "head") return `head ${e.head.method} ${e.head.target} 1.${e.head.minorVersion} ${JSON.stringify(e.head)}`;
    if (e.type === "body") return `body[${e.data.length}] ${JSON.stringify(e.data.slice(0, 60))}`;
    if (e.type === "end") return `end ${JSON.stringify(e.trailers)}`;
    return `error ${e.status} ${e.detail}`;
  })).slice(0, 4000);
}

function sameOutcome(a: Outcome, b: Outcome): string | null {
  const ea = JSON.stringify(a.events);
  const eb = JSON.stringify(b.events);
  if (ea !== eb) {
    let i = 0;
    while (i < a.events.length && i < b.events.length && JSON.stringify(a.events[i]) === JSON.stringify(b.events[i])) i++;
    return `events differ from index ${i}:\n  whole: ${describeEvents(a.events.slice(i, i + 3))}\n  split: ${describeEvents(b.events.slice(i, i + 3))}`;
  }
  if (a.idle !== b.idle) return `idle ${a.idle} vs ${b.idle}`;
  if (a.inBody !== b.inBody) return `inBody ${a.inBody} vs ${b.inBody}`;
  return null;
}

/**
 * Random piece lengths covering `n` bytes: mostly tiny pieces, sometimes large ones.
 *
 * @example
 * ```ts
 * randomSplit(new Prng(1), 100).reduce((a, b) => a + b, 0); // 100
 * ```
 */
export function randomSplit(rng: Prng, n: number): number[] {
  const pieces: number[] = [];
  let left = n;
  const style = rng.int(3);
  while (left > 0) {
    const len = style === 0 ? rng.range(1, 3) : style === 1 ? rng.range(1, Math.max(1, Math.min(left, 64))) : rng.range(1, left);
    pieces.push(Math.min(len, left));
    left -= len;
  }
  return pieces;
}

/**
 * A failed oracle: which one, why, and the input.
 *
 * @example
 * ```ts
 * const f: Failure = { oracle: "b", message: "events differ", input: new Uint8Array(0) };
 * ```
 */
export interface Failure {
  oracle: string;
  message: string;
  input: Uint8Array;
}

/**
 * Runs every oracle on `input` under `limits`; returns the first failure, or null. `rng` picks the
 * random splittings.
 *
 * @example
 * ```ts
 * const failure = checkInput(latin1Bytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), LIMIT_PROFILES.small, new Prng(1));
 * failure; // null
 * ```
 */
export function checkInput(input: Uint8Array, limits: ParserLimits, rng: Prng, options: CheckOptions = {}): Failure | null {
  const fail = (oracle: string, message: string): Failure => ({ oracle, message, input });
  const check = (o: Outcome, how: string): Failure | null => {
    if (o.thrown !== undefined) return fail("a", `the parser threw (${how}): ${o.thrown}`);
    if (o.violations.length > 0) return fail(o.violations[0].startsWith("(e)") ? "e" : "d", `${how}: ${o.violations.join("; ")}`);
    return null;
  };
  const whole = runParser(input, limits, "whole");
  const f0 = check(whole, "fed whole");
  if (f0) return f0;

  const compare = (split: Split, how: string): Failure | null => {
    const o = runParser(input, limits, split);
    const f = check(o, how);
    if (f) return f;
    const diff = sameOutcome(whole, o);
    return diff === null ? null : fail("b", `${how}: ${diff}`);
  };
  const fb = compare("bytes", "one byte at a time");
  if (fb) return fb;
  const splits = options.randomSplits ?? 3;
  for (let i = 0; i < splits; i++) {
    const pieces = randomSplit(rng, input.length);
    const f = compare(pieces, `split as [${pieces.join(",")}]`);
    if (f) return f;
  }
  if (options.everySplitUpTo !== undefined && input.length <= options.everySplitUpTo) {
    for (let at = 1; at < input.length; at++) {
      const f = compare([at], `split in two at ${at}`);
      if (f) return f;
    }
  }

  // (c) re-serialise the complete requests and parse again.
  const complete = completePrefix(whole.events);
  if (complete.length > 0) {
    const canonical = serializeEvents(complete);
    const again = runParser(canonical, limits, "whole");
    const f = check(again, "canonical bytes");
    if (f) return { ...f, message: `${f.message}\n  canonical: "${escapeBytes(canonical).slice(0, 2000)}"` };
    const diff = sameOutcome({ ...whole, events: complete, idle: true, inBody: false }, again);
    if (diff !== null) return fail("c", `canonical bytes "${escapeBytes(canonical).slice(0, 2000)}" parse differently: ${diff}`);
  }

  // (f) generated input: exactly the model's events.
  if (options.expected !== undefined) {
    const want = JSON.stringify(options.expected);
    if (JSON.stringify(whole.events) !== want) {
      let i = 0;
      while (i < whole.events.length && JSON.stringify(whole.events[i]) === JSON.stringify(options.expected[i])) i++;
      return fail("f", `valid generated input parsed differently from index ${i}:\n  expected: ${describeEvents(options.expected.slice(i, i + 2))}\n  got:      ${describeEvents(whole.events.slice(i, i + 2))}`);
    }
    if (!whole.idle) return fail("f", "valid generated input leaves the parser non-idle");
  }
  return null;
}

/**
 * Formats a failure with everything needed to reproduce it.
 *
 * @example
 * ```ts
 * formatFailure({ oracle: "b", message: "x", input: latin1Bytes("G") }, "node tools/fuzz.mjs --seed 1");
 * ```
 */
export function formatFailure(f: Failure, reproduce: string): string {
  return [
    `FAILED oracle (${f.oracle}): ${f.message}`,
    `input (${f.input.length} bytes, JS string): "${escapeBytes(f.input)}"`,
    `input hex: ${toHex(f.input)}`,
    `reproduce: ${reproduce}`,
  ].join("\n");
}

// ---- one fuzz iteration ----------------------------------------------------------------------

/**
 * What one iteration did.
 *
 * @example
 * ```ts
 * const r: IterationResult = fuzzIteration(1, 0);
 * r.failure; // null
 * ```
 */
export interface IterationResult {
  failure: Failure | null;
  /** Inputs checked (each runs every oracle). */
  executions: number;
  /** Error statuses seen (0 = input accepted without error). */
  statuses: number[];
}

/**
 * Iteration `i` of a run with `seed`: one generated pipeline checked as is (with the model oracle)
 * and one or more mutants of it, each under the small and the default limits. Deterministic in
 * (seed, i).
 *
 * @example
 * ```ts
 * for (let i = 0; i < 10; i++) if (fuzzIteration(1234, i).failure) throw new Error(`iteration ${i}`);
 * ```
 */
export function fuzzIteration(seed: number, i: number, options: { mutants?: number; everySplitUpTo?: number } = {}): IterationResult {
  const rng = new Prng(mixSeed(seed, i));
  const profile = rng.chance(0.5) ? LIMIT_PROFILES.small : LIMIT_PROFILES.default;
  const pipeline = generatePipeline(rng, { limits: profile, maxBody: profile === LIMIT_PROFILES.small ? 400 : 2048 });
  const other = generatePipeline(rng, { limits: profile }).bytes;
  const statuses: number[] = [];
  let executions = 0;
  const run = (input: Uint8Array, limits: ParserLimits, expected?: CanonEvent[]): Failure | null => {
    executions++;
    const f = checkInput(input, limits, rng, { expected, everySplitUpTo: options.everySplitUpTo });
    const last = runParser(input, limits, "whole").events.at(-1);
    statuses.push(last?.type === "error" ? last.status : 0);
    return f;
  };
  let failure = run(pipeline.bytes, profile, pipeline.expected);
  const mutants = options.mutants ?? 1;
  for (let m = 0; m < mutants && failure === null; m++) {
    const bad = mutate(rng, pipeline.bytes, other);
    failure = run(bad, profile);
    if (failure === null && profile !== LIMIT_PROFILES.small) failure = run(bad, LIMIT_PROFILES.small);
  }
  return { failure, executions, statuses };
}

// ---- linear time -----------------------------------------------------------------------------

/**
 * Limits high enough that adversarial input is parsed to the end instead of being refused early.
 *
 * @example
 * ```ts
 * new RequestParser(UNLIMITED);
 * ```
 */
export const UNLIMITED: ParserLimits = Object.freeze({
  maxRequestHeaderSize: 2 ** 40,
  maxRequestBodySize: 2 ** 40,
  maxRequestLineSize: 2 ** 40,
  maxHeaderFields: 2 ** 40,
  maxChunkExtensionSize: 2 ** 40,
  maxTrailerSize: 2 ** 40,
});

/**
 * One adversarial input family: a fixed prefix and a unit repeated to the wanted size.
 *
 * @example
 * ```ts
 * const c = ADVERSARIAL[0];
 * adversarialInput(c, 1024).length; // 1024
 * ```
 */
export interface AdversarialCase {
  name: string;
  prefix: string;
  unit: string;
}

const CHUNKED_HEAD = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";

/**
 * Inputs that would cost quadratic time in a parser that rescans its buffer or backtracks.
 *
 * @example
 * ```ts
 * ADVERSARIAL.map((c) => c.name);
 * ```
 */
export const ADVERSARIAL: readonly AdversarialCase[] = Object.freeze([
  { name: "long header value", prefix: "GET / HTTP/1.1\r\nHost: x\r\nX: ", unit: "ab c\t\xe9" },
  { name: "endless header lines", prefix: "GET / HTTP/1.1\r\nHost: x\r\n", unit: "X-Abcdefgh: value\r\n" },
  { name: "long field name", prefix: "GET / HTTP/1.1\r\nHost: x\r\n", unit: "Xy-" },
  { name: "long request target", prefix: "GET /", unit: "a/b?" },
  { name: "many empty lines", prefix: "", unit: "\r\n" },
  { name: "many tiny chunks", prefix: CHUNKED_HEAD, unit: "1\r\na\r\n" },
  { name: "many chunk extensions", prefix: CHUNKED_HEAD + "1", unit: ";a=b" },
  { name: "quoted chunk extensions", prefix: CHUNKED_HEAD, unit: '1;e="q\\"x y"\r\na\r\n' },
  { name: "long trailer section", prefix: CHUNKED_HEAD + "0\r\n", unit: "T: v\r\n" },
  { name: "pipelined tiny requests", prefix: "", unit: "GET / HTTP/1.1\r\nHost: x\r\n\r\n" },
]);

/**
 * The bytes of an adversarial case, exactly `size` long (the last unit cut short).
 *
 * @example
 * ```ts
 * adversarialInput(ADVERSARIAL[4], 6); // "\r\n\r\n\r\n" as bytes
 * ```
 */
export function adversarialInput(c: AdversarialCase, size: number): Uint8Array {
  const out = new Uint8Array(size);
  const prefix = latin1Bytes(c.prefix);
  const unit = latin1Bytes(c.unit);
  out.set(prefix.subarray(0, size));
  for (let o = prefix.length; o < size; o += unit.length) out.set(unit.subarray(0, Math.min(unit.length, size - o)), o);
  return out;
}

/**
 * Work done feeding an input in fixed-size pieces.
 *
 * @example
 * ```ts
 * const w: FeedWork = feedInPieces(latin1Bytes("GET / HTTP/1.1\r\n"), 1);
 * w.calls; // feed() and next() calls
 * ```
 */
export interface FeedWork {
  ms: number;
  /** feed() plus next() calls. */
  calls: number;
  events: number;
  errors: number;
}

/**
 * Feeds `input` in `piece`-byte pieces to a parser with {@link UNLIMITED} limits, draining
 * next() after each; returns the time and the calls made.
 *
 * @example
 * ```ts
 * feedInPieces(adversarialInput(ADVERSARIAL[0], 4096), 7).errors; // 0
 * ```
 */
export function feedInPieces(input: Uint8Array, piece: number, limits: ParserLimits = UNLIMITED): FeedWork {
  const parser = new RequestParser(limits);
  let calls = 0;
  let events = 0;
  let errors = 0;
  const t0 = performance.now();
  for (let off = 0; off < input.length; off += piece) {
    parser.feed(input.subarray(off, off + piece));
    calls++;
    for (;;) {
      calls++;
      const ev = parser.next();
      if (ev === null) break;
      events++;
      if (ev.type === "error") errors++;
    }
  }
  return { ms: performance.now() - t0, calls, events, errors };
}
