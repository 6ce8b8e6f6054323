/**
 * The fuzzing oracles for {@link WsReader}, over generated valid client frame sequences (random
 * text and binary messages, masked with random keys, fragmented anywhere (inside UTF-8 characters
 * too), with pings and pongs between fragments, sometimes compressed, sometimes closed) and their
 * mutations, each driven by tests/_ws_harness.ts.
 *
 * Oracles, checked by {@link checkWsInput}:
 * - (a) the reader never throws;
 * - (b) the same bytes fed whole, one byte at a time and split at random positions (and, for short
 *   inputs, in two at every position) give identical events (error details included);
 * - (c) a generated valid sequence decodes to exactly its messages, pings, pongs and close;
 * - (d) no event follows an error or a close, and next() stays null after them whatever is fed;
 * - (e) a (not compressed) text event's data is valid UTF-8;
 * - (f) no message is larger than maxMessageSize, no control payload larger than 125 bytes.
 *
 * Used by tests/ws_fuzz_test.ts (a fixed-seed bounded batch) and `tools/fuzz.mjs --target ws`.
 *
 * @module
 */

import type { WsReaderLimits } from "../src/ws/ws_reader.ts";
import { isValidUtf8 } from "../src/ws/utf8_validator.ts";
import { mixSeed, Prng } from "./_parser_harness_generate.ts";
import { randomSplit } from "./fuzz_lib.ts";
import { canon, cat, frame, type Split, runReader, toHex, type ReaderRun } from "./_ws_harness.ts";

/**
 * The limit profiles the fuzzer runs under.
 *
 * @example
 * ```ts
 * WS_LIMIT_PROFILES.small.maxFragments; // 4
 * ```
 */
export const WS_LIMIT_PROFILES: Record<"small" | "default", WsReaderLimits> = {
  small: { maxMessageSize: 64, maxFragments: 4 },
  default: { maxMessageSize: 4096, maxFragments: 64 },
};

/**
 * A generated valid input and what it must decode to.
 *
 * @example
 * ```ts
 * const g: WsGenerated = generateWsSequence(new Prng(1), WS_LIMIT_PROFILES.small);
 * g.expected.length > 0; // usually
 * ```
 */
export interface WsGenerated {
  bytes: Uint8Array;
  expected: string[];
  allowRsv1: boolean;
}

const CHARS = ["a", "Z", " ", "~", "\u0000", "é", "ß", "\u07ff", "€", "中", "\uffff", "\ufffd", "\ufeff", "𝄞", "😀", "\u{10ffff}"];
const enc = new TextEncoder();

function randomText(rng: Prng, maxBytes: number): Uint8Array {
  let s = "";
  let n = 0;
  const target = rng.size(maxBytes);
  while (n < target) {
    const c = rng.pick(CHARS);
    const len = enc.encode(c).length;
    if (n + len > maxBytes) break;
    s += c;
    n += len;
  }
  return enc.encode(s);
}

function randomBytes(rng: Prng, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.int(256);
  return out;
}

function randomKey(rng: Prng): number[] {
  return rng.chance(0.1) ? [0, 0, 0, 0] : [rng.int(256), rng.int(256), rng.int(256), rng.int(256)];
}

/** A random length form: mostly minimal, sometimes a longer one. */
function lengthBits(rng: Prng, n: number): 7 | 16 | 64 | undefined {
  if (!rng.chance(0.1)) return undefined;
  if (n < 126 && rng.chance(0.5)) return 16;
  return n <= 0xffff ? rng.pick([16, 64] as const) : 64;
}

/**
 * A valid client frame sequence under `limits` and its expected events.
 *
 * @example
 * ```ts
 * const g = generateWsSequence(new Prng(7), WS_LIMIT_PROFILES.default);
 * runReader(g.bytes, WS_LIMIT_PROFILES.default, "whole", { allowRsv1: g.allowRsv1 }).events; // g.expected
 * ```
 */
export function generateWsSequence(rng: Prng, limits: WsReaderLimits): WsGenerated {
  const allowRsv1 = rng.chance(0.2);
  const parts: Uint8Array[] = [];
  const expected: string[] = [];
  const control = (): void => {
    const op = rng.pick([9, 10]);
    const data = randomBytes(rng, rng.chance(0.1) ? 125 : rng.size(125));
    parts.push(frame(op, data, { key: randomKey(rng) }));
    expected.push(canon({ type: op === 9 ? "ping" : "pong", data }));
  };
  const messages = rng.range(0, 6);
  for (let m = 0; m < messages; m++) {
    if (rng.chance(0.2)) control();
    const isText = rng.chance(0.5);
    const compressed = allowRsv1 && rng.chance(0.5);
    const max = rng.chance(0.1) ? limits.maxMessageSize : Math.min(limits.maxMessageSize, 300);
    const data = isText && !compressed ? randomText(rng, max) : randomBytes(rng, rng.chance(0.1) ? max : rng.size(max));
    // Fragment boundaries anywhere (inside characters too), at most maxFragments pieces.
    const pieces = rng.chance(0.5) ? 1 : rng.range(1, limits.maxFragments);
    const cuts = Array.from({ length: pieces - 1 }, () => rng.int(data.length + 1)).sort((a, b) => a - b);
    const bounds = [0, ...cuts, data.length];
    for (let k = 0; k < pieces; k++) {
      const chunk = data.subarray(bounds[k], bounds[k + 1]);
      const fin = k === pieces - 1;
      parts.push(frame(k === 0 ? (isText ? 1 : 2) : 0, chunk, { fin, rsv: k === 0 && compressed ? 4 : 0, key: randomKey(rng), lengthBits: lengthBits(rng, chunk.length) }));
      if (!fin && rng.chance(0.2)) control();
    }
    expected.push(canon({ type: isText ? "text" : "binary", data, compressed }));
  }
  if (rng.chance(0.3)) {
    const code = rng.pick([undefined, 1000, 1001, 1003, 1008, 1011, 3000, 4999]);
    const reason = code === undefined ? "" : new TextDecoder("utf-8", { ignoreBOM: true }).decode(randomText(rng, 123));
    const payload = code === undefined ? new Uint8Array(0) : cat(Uint8Array.of(code >>> 8, code & 0xff), enc.encode(reason));
    parts.push(frame(8, payload, { key: randomKey(rng) }));
    expected.push(canon({ type: "close", code: code ?? 1005, reason }));
    // Whatever follows a close is ignored.
    if (rng.chance(0.5)) parts.push(randomBytes(rng, rng.size(40)));
  }
  return { bytes: cat(...parts), expected, allowRsv1 };
}

/**
 * A mutant of `input`: bits flipped, bytes replaced, inserted or deleted, ranges duplicated,
 * truncated, or a hostile frame header spliced in.
 *
 * @example
 * ```ts
 * mutateWs(new Prng(1), frame(1, "hi")); // some other bytes
 * ```
 */
export function mutateWs(rng: Prng, input: Uint8Array): Uint8Array {
  let out: Uint8Array = input.slice();
  const rounds = rng.range(1, 3);
  for (let r = 0; r < rounds; r++) {
    const n = out.length;
    const at = rng.int(n + 1);
    switch (rng.int(8)) {
      case 0:
        if (n > 0) out[Math.min(at, n - 1)] ^= 1 << rng.int(8);
        break;
      case 1:
        if (n > 0) out[Math.min(at, n - 1)] = rng.pick([0x00, 0x7e, 0x7f, 0x80, 0xff, 0xc0, 0xed, 0xf4, rng.int(256)]);
        break;
      case 2:
        out = cat(out.subarray(0, at), randomBytes(rng, rng.range(1, 8)), out.subarray(at));
        break;
      case 3:
        out = cat(out.subarray(0, at), out.subarray(Math.min(n, at + rng.range(1, 16))));
        break;
      case 4:
        out = out.slice(0, at);
        break;
      case 5: {
        const from = rng.int(n + 1);
        out = cat(out.subarray(0, at), out.subarray(from, Math.min(n, from + rng.range(1, 32))), out.subarray(at));
        break;
      }
      case 6: {
        // A hostile frame: a reserved opcode, RSV bits, unmasked, a fragmented control, a huge length.
        const op = rng.pick([0, 1, 2, 3, 8, 9, 10, 11, 15]);
        const hostile = frame(op, randomBytes(rng, rng.size(130)), {
          fin: rng.chance(0.7),
          rsv: rng.chance(0.3) ? rng.int(8) : 0,
          masked: rng.chance(0.8),
          declaredLength: rng.chance(0.2) ? rng.pick([126, 65536, 2 ** 40]) : undefined,
          length64: rng.chance(0.05) ? [0x80, 0, 0, 0, 0, 0, 0, 0] : undefined,
        });
        out = cat(out.subarray(0, at), hostile, out.subarray(at));
        break;
      }
      default:
        // Toggle the mask bit or change the 7-bit length of a header-looking byte.
        if (n > 1) {
          const i = Math.min(at, n - 1);
          out[i] = rng.chance(0.5) ? out[i] ^ 0x80 : (out[i] & 0x80) | rng.int(128);
        }
    }
  }
  return out;
}

/**
 * A failed oracle: which one, why, and the input.
 *
 * @example
 * ```ts
 * const f: WsFailure = { oracle: "b", message: "events differ", input: new Uint8Array(0), allowRsv1: false, limits: WS_LIMIT_PROFILES.small };
 * ```
 */
export interface WsFailure {
  oracle: string;
  message: string;
  input: Uint8Array;
  allowRsv1: boolean;
  limits: WsReaderLimits;
}

/**
 * Runs every oracle on `input`; returns the first failure, or null.
 *
 * @example
 * ```ts
 * checkWsInput(frame(1, "hi"), WS_LIMIT_PROFILES.small, new Prng(1), { expected: ['text "hi"'] }); // null
 * ```
 */
export function checkWsInput(
  input: Uint8Array,
  limits: WsReaderLimits,
  rng: Prng,
  options: { expected?: string[]; allowRsv1?: boolean; randomSplits?: number; everySplitUpTo?: number } = {},
): WsFailure | null {
  const allowRsv1 = options.allowRsv1 ?? false;
  const fail = (oracle: string, message: string): WsFailure => ({ oracle, message, input, allowRsv1, limits });
  const run = (split: Split): ReaderRun => runReader(input, limits, split, { allowRsv1 });
  const check = (r: ReaderRun, how: string): WsFailure | null => {
    if (r.violations.length > 0) return fail(r.violations[0].includes("threw") ? "a" : "d", `${how}: ${r.violations.join("; ")}`);
    for (const e of r.raw) {
      if (e.type === "text" && !e.compressed && !isValidUtf8(e.data)) return fail("e", `${how}: a text event is not valid UTF-8: ${canon(e)}`);
      if ((e.type === "text" || e.type === "binary") && e.data.length > limits.maxMessageSize) return fail("f", `${how}: a ${e.data.length}-byte message`);
      if ((e.type === "ping" || e.type === "pong") && e.data.length > 125) return fail("f", `${how}: a ${e.data.length}-byte ${e.type}`);
    }
    return null;
  };
  const key = (r: ReaderRun): string => JSON.stringify([r.events, r.detail]);
  const whole = run("whole");
  const f0 = check(whole, "fed whole");
  if (f0) return f0;
  const want = key(whole);
  const compare = (split: Split, how: string): WsFailure | null => {
    const r = run(split);
    const f = check(r, how);
    if (f) return f;
    const got = key(r);
    return got === want ? null : fail("b", `${how} gives other events:\n  whole: ${want.slice(0, 1500)}\n  split: ${got.slice(0, 1500)}`);
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
  if (options.expected !== undefined) {
    const exp = JSON.stringify(options.expected);
    const got = JSON.stringify(whole.events);
    if (got !== exp) return fail("c", `a valid generated sequence decodes differently:\n  expected: ${exp.slice(0, 1500)}\n  got:      ${got.slice(0, 1500)}`);
  }
  return null;
}

/**
 * Formats a failure with everything needed to reproduce it.
 *
 * @example
 * ```ts
 * formatWsFailure({ oracle: "b", message: "x", input: new Uint8Array([0x81]), allowRsv1: false, limits: WS_LIMIT_PROFILES.small }, "node tools/fuzz.mjs --target ws --seed 1");
 * ```
 */
export function formatWsFailure(f: WsFailure, reproduce: string): string {
  return [
    `FAILED oracle (${f.oracle}): ${f.message}`,
    `limits ${JSON.stringify(f.limits)}, allowRsv1 ${f.allowRsv1}`,
    `input (${f.input.length} bytes) hex: ${toHex(f.input)}`,
    `reproduce: ${reproduce}`,
  ].join("\n");
}

/**
 * What one iteration did.
 *
 * @example
 * ```ts
 * const r: WsIterationResult = wsFuzzIteration(1, 0);
 * r.failure; // null
 * ```
 */
export interface WsIterationResult {
  failure: WsFailure | null;
  /** Inputs checked (each runs every oracle). */
  executions: number;
  /** How each input ended: "ok" (no error) or the error code. */
  verdicts: string[];
}

/**
 * Iteration `i` of a run with `seed`: one generated sequence checked with the model oracle, and
 * mutants of it (and sometimes pure random bytes), under a random limit profile. Deterministic in
 * (seed, i).
 *
 * @example
 * ```ts
 * for (let i = 0; i < 10; i++) if (wsFuzzIteration(1234, i).failure) throw new Error(`iteration ${i}`);
 * ```
 */
export function wsFuzzIteration(seed: number, i: number, options: { mutants?: number; everySplitUpTo?: number } = {}): WsIterationResult {
  const rng = new Prng(mixSeed(seed, i));
  const limits = rng.chance(0.5) ? WS_LIMIT_PROFILES.small : WS_LIMIT_PROFILES.default;
  const g = generateWsSequence(rng, limits);
  const verdicts: string[] = [];
  let executions = 0;
  const go = (input: Uint8Array, lim: WsReaderLimits, expected?: string[]): WsFailure | null => {
    executions++;
    const f = checkWsInput(input, lim, rng, { expected, allowRsv1: g.allowRsv1, everySplitUpTo: options.everySplitUpTo });
    const last = runReader(input, lim, "whole", { allowRsv1: g.allowRsv1 }).raw.at(-1);
    verdicts.push(last?.type === "error" ? `${last.code}` : "ok");
    return f;
  };
  let failure = go(g.bytes, limits, g.expected);
  const mutants = options.mutants ?? 2;
  for (let m = 0; m < mutants && failure === null; m++) {
    const bad = rng.chance(0.05) ? randomBytes(rng, rng.size(200)) : mutateWs(rng, g.bytes);
    failure = go(bad, limits);
    if (failure === null && limits !== WS_LIMIT_PROFILES.small) failure = go(bad, WS_LIMIT_PROFILES.small);
  }
  return { failure, executions, verdicts };
}
