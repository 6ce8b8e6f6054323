/**
 * How the WebSocket tests drive {@link WsReader}: client frames built byte by byte (with a masking
 * helper written here, apart from the reader's unmasking), events in a canonical one-line form, and a
 * runner that feeds an input whole, one byte at a time or in given pieces. Used by the table tests
 * (tests/ws_reader_test.ts, tests/ws_utf8_test.ts) and the fuzz target (tests/ws_fuzz_lib.ts).
 *
 * @module
 */

import { type WsEvent, WsReader, type WsReaderLimits } from "../src/ws/ws_reader.ts";
import { isValidUtf8 } from "../src/ws/utf8_validator.ts";
import { sha1 } from "../src/ws/sha1.ts";
import { concatBytes } from "./_bytes.ts";
import { toHex } from "./_parser_harness.ts";

/** Lower-case hex of bytes (the parser harness's). */
export { toHex };

const enc = new TextEncoder();
const dec = new TextDecoder("utf-8", { ignoreBOM: true });

/** The masking key the tables use unless they say otherwise (RFC 6455 5.7's). */
export const KEY = [0x37, 0xfa, 0x21, 0x3d] as const;

/**
 * Bytes from a string (UTF-8) or a byte array.
 *
 * @example
 * ```ts
 * bytes("hi"); // [0x68, 0x69]
 * ```
 */
export function bytes(data: string | Uint8Array | readonly number[]): Uint8Array {
  return typeof data === "string" ? enc.encode(data) : Uint8Array.from(data);
}

/**
 * Bytes from hex ("ce ba" or "ceba").
 *
 * @example
 * ```ts
 * hex("ce ba"); // [0xce, 0xba]
 * ```
 */
export function hex(text: string): Uint8Array {
  const t = text.replace(/\s+/g, "");
  const out = new Uint8Array(t.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(t.slice(2 * i, 2 * i + 2), 16);
  return out;
}


/**
 * Concatenation.
 *
 * @example
 * ```ts
 * cat(bytes("a"), bytes("b")); // "ab"
 * ```
 */
export function cat(...parts: Uint8Array[]): Uint8Array {
  return concatBytes(parts);
}

/**
 * Options of one client frame.
 *
 * @example
 * ```ts
 * const o: FrameOptions = { fin: false, rsv: 4, masked: false };
 * ```
 */
export interface FrameOptions {
  /** Default true. */
  fin?: boolean;
  /** RSV bits as a number: 4 = RSV1, 2 = RSV2, 1 = RSV3. */
  rsv?: number;
  /** Default true (a client frame). */
  masked?: boolean;
  key?: readonly number[];
  /** Force the length form: 7-bit, 16-bit or 64-bit, whatever the length. */
  lengthBits?: 7 | 16 | 64;
  /** A length field that differs from the payload's (the payload follows as given). */
  declaredLength?: number;
  /** Raw 8 bytes of a 64-bit length (overrides the rest). */
  length64?: readonly number[];
}

/**
 * One client frame, masked with {@link KEY} unless told otherwise.
 *
 * @example
 * ```ts
 * frame(1, "Hello"); // 81 85 37 fa 21 3d 7f 9f 4d 51 58
 * ```
 */
export function frame(opcode: number, payload: string | Uint8Array | readonly number[] = [], o: FrameOptions = {}): Uint8Array {
  const p = bytes(payload);
  const masked = o.masked ?? true;
  const key = o.key ?? KEY;
  const len = o.declaredLength ?? p.length;
  const head: number[] = [((o.fin ?? true) ? 0x80 : 0) | ((o.rsv ?? 0) << 4) | opcode];
  const m = masked ? 0x80 : 0;
  const bits = o.length64 ? 64 : o.lengthBits ?? (len < 126 ? 7 : len <= 0xffff ? 16 : 64);
  if (bits === 7) head.push(m | len);
  else if (bits === 16) head.push(m | 126, (len >>> 8) & 0xff, len & 0xff);
  else {
    const hi = Math.floor(len / 0x100000000);
    head.push(m | 127, ...(o.length64 ?? [hi >>> 24, (hi >>> 16) & 0xff, (hi >>> 8) & 0xff, hi & 0xff, len >>> 24, (len >>> 16) & 0xff, (len >>> 8) & 0xff, len & 0xff]));
  }
  if (masked) head.push(...key);
  const body = new Uint8Array(p.length);
  for (let i = 0; i < p.length; i++) body[i] = masked ? p[i] ^ key[i & 3] : p[i];
  return cat(Uint8Array.from(head), body);
}

/** A text frame. @example `text("hi", false)` */
export const text = (s: string | Uint8Array | readonly number[], fin = true, o: FrameOptions = {}): Uint8Array => frame(1, s, { ...o, fin });
/** A binary frame. @example `binary([1, 2])` */
export const binary = (s: string | Uint8Array | readonly number[], fin = true, o: FrameOptions = {}): Uint8Array => frame(2, s, { ...o, fin });
/** A continuation frame. @example `cont("x", true)` */
export const cont = (s: string | Uint8Array | readonly number[], fin = true, o: FrameOptions = {}): Uint8Array => frame(0, s, { ...o, fin });
/** A ping. @example `ping("x")` */
export const ping = (s: string | Uint8Array | readonly number[] = [], o: FrameOptions = {}): Uint8Array => frame(9, s, o);
/** A pong. @example `pong("x")` */
export const pong = (s: string | Uint8Array | readonly number[] = [], o: FrameOptions = {}): Uint8Array => frame(10, s, o);
/** A close frame with a code and reason (raw bytes when `reason` is bytes). @example `close(1000, "bye")` */
export const close = (code?: number, reason: string | Uint8Array = ""): Uint8Array =>
  frame(8, code === undefined ? [] : cat(Uint8Array.from([code >>> 8, code & 0xff]), bytes(reason)));

/** Payloads up to this length are shown whole in canonical events; longer ones by length and digest. */
const SHOWN = 40;

function show(data: Uint8Array): string {
  return data.length <= SHOWN ? toHex(data) : `${data.length}b:${toHex(sha1(data)).slice(0, 12)}`;
}

/**
 * An event in canonical one-line form: `text "Hello"`, `binary 0102`, `ping`, `close 1000 "bye"`,
 * `error 1002`. Long payloads appear as length and a digest. `compressed` messages say so.
 *
 * @example
 * ```ts
 * canon({ type: "close", code: 1000, reason: "" }); // 'close 1000 ""'
 * ```
 */
export function canon(e: WsEvent): string {
  const z = (e.type === "text" || e.type === "binary") && e.compressed ? " (compressed)" : "";
  switch (e.type) {
    case "text":
      return e.data.length <= SHOWN && isValidUtf8(e.data) ? `text ${JSON.stringify(dec.decode(e.data))}${z}` : `text ${show(e.data)}${z}`;
    case "binary":
      return `binary ${show(e.data)}${z}`;
    case "ping":
    case "pong":
      return e.data.length === 0 ? e.type : `${e.type} ${show(e.data)}`;
    case "close":
      return `close ${e.code} ${JSON.stringify(e.reason)}`;
    case "error":
      return `error ${e.code}`;
  }
}

/** Expected text message. @example `T("hi")` */
export const T = (s: string | Uint8Array): string => canon({ type: "text", data: bytes(s), compressed: false });
/** Expected binary message. @example `B([1])` */
export const B = (s: string | Uint8Array | readonly number[]): string => canon({ type: "binary", data: bytes(s), compressed: false });
/** Expected ping. @example `PING("x")` */
export const PING = (s: string | Uint8Array | readonly number[] = []): string => canon({ type: "ping", data: bytes(s) });
/** Expected pong. @example `PONG()` */
export const PONG = (s: string | Uint8Array | readonly number[] = []): string => canon({ type: "pong", data: bytes(s) });
/** Expected close. @example `CLOSE(1000)` */
export const CLOSE = (code: number, reason = ""): string => `close ${code} ${JSON.stringify(reason)}`;
/** Expected error. @example `ERR(1002)` */
export const ERR = (code: 1002 | 1007 | 1009): string => `error ${code}`;

/**
 * A table case: raw client bytes and the events they must give (fed whole, byte by byte and in two
 * pieces at every position).
 *
 * @example
 * ```ts
 * const c: ReaderCase = { name: "hello", frames: text("Hello"), events: [T("Hello")] };
 * ```
 */
export interface ReaderCase {
  name: string;
  frames: Uint8Array;
  events: string[];
  limits?: Partial<WsReaderLimits>;
  allowRsv1?: boolean;
  /** For an error: text its detail must contain. */
  detail?: string;
}

/** The limits of the tables unless a case says otherwise. */
export const DEFAULT_LIMITS: WsReaderLimits = { maxMessageSize: 1 << 20, maxFragments: 1000 };

/**
 * How to feed an input: whole, one byte at a time, or pieces of these lengths.
 *
 * @example
 * ```ts
 * const s: Split = [3, 5];
 * ```
 */
export type Split = "whole" | "bytes" | number[];

/**
 * What one run gave.
 *
 * @example
 * ```ts
 * const r: ReaderRun = { events: [], raw: [], detail: "", violations: [] };
 * ```
 */
export interface ReaderRun {
  events: string[];
  raw: WsEvent[];
  /** The error's detail, if any. */
  detail: string;
  /** Problems that no input may cause (an event after an error or a close, a throw, ...). */
  violations: string[];
}

/**
 * Feeds a copy of `input` (the reader unmasks in place) to a new reader as `split` says, draining
 * events after every piece; then feeds more bytes to check nothing follows an error or a close.
 *
 * @example
 * ```ts
 * runReader(text("hi"), DEFAULT_LIMITS, "bytes").events; // ['text "hi"']
 * ```
 */
export function runReader(input: Uint8Array, limits: WsReaderLimits, split: Split, options: { allowRsv1?: boolean } = {}): ReaderRun {
  const data = input.slice();
  const reader = new WsReader(limits, options);
  const run: ReaderRun = { events: [], raw: [], detail: "", violations: [] };
  let ended = false;
  const drain = (): void => {
    for (let guard = 0; guard < 1e7; guard++) {
      let e: WsEvent | null;
      try {
        e = reader.next();
      } catch (err) {
        run.violations.push(`next() threw: ${err}`);
        return;
      }
      if (e === null) return;
      if (ended) run.violations.push(`an event after an error or close: ${canon(e)}`);
      run.events.push(canon(e));
      run.raw.push(e);
      if (e.type === "error") run.detail = e.detail;
      if (e.type === "error" || e.type === "close") ended = true;
    }
    run.violations.push("next() never returned null");
  };
  const pieces = split === "whole" ? [data.length] : split === "bytes" ? new Array<number>(data.length).fill(1) : split;
  let at = 0;
  for (const n of pieces) {
    if (n <= 0) continue;
    reader.feed(data.subarray(at, at + n));
    at += n;
    drain();
  }
  if (at < data.length) {
    reader.feed(data.subarray(at));
    drain();
  }
  if (ended) {
    reader.feed(frame(1, "after"));
    drain();
    if (reader.next() !== null) run.violations.push("next() is not null after the end");
  }
  return run;
}

/**
 * Runs a table case whole, byte by byte and split in two at every position (inputs over
 * `everySplitUpTo` bytes: at 64 positions spread over the input, plus the first 32); returns the first
 * difference from the expected events as a message, or null.
 *
 * @example
 * ```ts
 * checkCase({ name: "hello", frames: text("Hello"), events: [T("Hello")] }); // null
 * ```
 */
export function checkCase(c: ReaderCase, everySplitUpTo = 4096): string | null {
  const limits = { ...DEFAULT_LIMITS, ...c.limits };
  const want = JSON.stringify(c.events);
  const one = (split: Split, how: string): string | null => {
    const r = runReader(c.frames, limits, split, { allowRsv1: c.allowRsv1 });
    if (r.violations.length > 0) return `${how}: ${r.violations.join("; ")}`;
    const got = JSON.stringify(r.events);
    if (got !== want) return `${how}:\n  expected ${want}\n  got      ${got}`;
    if (c.detail !== undefined && !r.detail.includes(c.detail)) return `${how}: detail ${JSON.stringify(r.detail)} lacks ${JSON.stringify(c.detail)}`;
    return null;
  };
  const n = c.frames.length;
  const problem = one("whole", "fed whole") ?? one("bytes", "byte by byte");
  if (problem) return problem;
  const points: number[] = [];
  if (n <= everySplitUpTo) for (let at = 1; at < n; at++) points.push(at);
  else {
    for (let at = 1; at < 32; at++) points.push(at);
    for (let k = 1; k < 64; k++) points.push(Math.floor((n * k) / 64));
    points.push(n - 1);
  }
  for (const at of points) {
    const p = one([at], `split at ${at}`);
    if (p) return p;
  }
  return null;
}
