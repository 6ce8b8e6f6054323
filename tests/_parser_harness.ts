/**
 * The one way the tests drive {@link RequestParser} and compare what it did: feed an input cut
 * into pieces, drain next() after every piece, turn the events into a comparable form
 * ({@link CanonEvent}: the "data" between a head and its end merged into one "body") and check,
 * event by event, the rules every outcome must keep (limits, event order, nothing after an
 * error). Used by tests/parser_test.ts (the fixtures of tests/parser_cases.ts), tests/fuzz_lib.ts
 * and tests/fuzz_test.ts, and tools/fuzz.mjs.
 *
 * @module
 */

import { DEFAULT_PARSER_LIMITS, type ParseEvent, type ParserLimits, RequestParser, type RequestHead } from "../src/http1/parser.ts";
import { latin1Bytes, latin1Text } from "./_bytes.ts";

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

/**
 * A test input as bytes: a latin1 string (one char = one byte; any other char is a mistake in
 * the test) or bytes as they are.
 *
 * @example
 * ```ts
 * inputBytes("GET").length; // 3
 * ```
 */
export function inputBytes(input: string | Uint8Array): Uint8Array {
  if (typeof input !== "string") return input;
  for (let i = 0; i < input.length; i++) {
    const c = input.charCodeAt(i);
    if (c > 0xff) throw new RangeError(`test input char ${c} at ${i} is not latin1`);
  }
  return latin1Bytes(input);
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

/**
 * Every limit: the given ones, the defaults for the rest.
 *
 * @example
 * ```ts
 * limitsWith({ maxHeaderFields: 2 }).maxRequestLineSize; // 16384
 * ```
 */
export function limitsWith(limits: Partial<ParserLimits> = {}): ParserLimits {
  const all: ParserLimits = { ...DEFAULT_PARSER_LIMITS };
  for (const key of Object.keys(all) as (keyof ParserLimits)[]) {
    const v = limits[key];
    if (v !== undefined) all[key] = v;
  }
  return all;
}

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
    upgrade: h.upgrade,
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
 * A split into pieces of `size` bytes covering `length` bytes.
 *
 * @example
 * ```ts
 * evenSplit(10, 4); // [4, 4, 4]: the last piece is cut short by the input's end
 * ```
 */
export function evenSplit(length: number, size: number): number[] {
  return new Array<number>(Math.ceil(length / size)).fill(size);
}

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

/**
 * Events in short readable form for failure messages (at most 4000 characters).
 *
 * @example
 * ```ts
 * describeEvents([{ type: "body", data: "hi" }]); // '["body[2] \\"hi\\""]'
 * ```
 */
export function describeEvents(events: readonly CanonEvent[]): string {
  return JSON.stringify(events.map((e) => {
    if (e.type === "head") return `head ${e.head.method} ${e.head.target} 1.${e.head.minorVersion} ${JSON.stringify(e.head)}`;
    if (e.type === "body") return `body[${e.data.length}] ${JSON.stringify(e.data.slice(0, 60))}`;
    if (e.type === "end") return `end ${JSON.stringify(e.trailers)}`;
    return `error ${e.status} ${e.detail}`;
  })).slice(0, 4000);
}

/**
 * How two outcomes of the same input differ (events, then `idle`, then `inBody`), or null when
 * they do not: how the input was cut must not matter.
 *
 * @example
 * ```ts
 * const input = latin1Bytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
 * sameOutcome(runParser(input, DEFAULT_PARSER_LIMITS, "whole"), runParser(input, DEFAULT_PARSER_LIMITS, "bytes")); // null
 * ```
 */
export function sameOutcome(a: Outcome, b: Outcome): string | null {
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

/**
 * The events up to and including the last "end".
 *
 * @example
 * ```ts
 * completePrefix([{ type: "end", trailers: [] }, { type: "error", status: 400, reason: "Bad Request", detail: "x" }]).length; // 1
 * ```
 */
export function completePrefix(events: readonly CanonEvent[]): CanonEvent[] {
  let last = -1;
  for (let i = 0; i < events.length; i++) if (events[i].type === "end") last = i;
  return events.slice(0, last + 1);
}

// ---- linear time -----------------------------------------------------------------------------

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
