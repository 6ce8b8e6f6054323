/**
 * Invalid and adversarial requests for the parser tests: a mutator of valid input, and input
 * families that would take quadratic time in a parser that rescans or backtracks.
 *
 * @module
 */

import { concatBytes as concat, latin1Bytes } from "./_bytes.ts";
import type { Prng } from "./_parser_harness_generate.ts";

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

// ---- adversarial input -----------------------------------------------------------------------

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
