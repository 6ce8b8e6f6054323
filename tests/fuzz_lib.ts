/**
 * The fuzzing oracles for {@link RequestParser}, over the inputs of tests/_parser_harness_generate.ts
 * (valid requests and pipelines) and tests/_parser_harness_inputs.ts (their mutations), each driven
 * by tests/_parser_harness.ts.
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

import type { ParserLimits, RequestParser } from "../src/http1/parser.ts";
import {
  type CanonEvent,
  completePrefix,
  describeEvents,
  escapeBytes,
  LIMIT_PROFILES,
  type Outcome,
  runParser,
  sameOutcome,
  serializeEvents,
  type Split,
  toHex,
} from "./_parser_harness.ts";
import { generatePipeline, mixSeed, Prng } from "./_parser_harness_generate.ts";
import { mutate } from "./_parser_harness_inputs.ts";

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
