/**
 * `Range: bytes=...` (RFC 9110 §14.1.2): parsing a range set against a representation's length.
 *
 * @module
 */

/** A byte range, both ends included (as in `Content-Range: bytes 0-499/1234`). */
export interface ByteRange {
  /** First byte. */
  start: number;
  /** Last byte (inclusive). */
  end: number;
}

/**
 * What a `Range` header asks of a representation:
 * - `ignore`: not a byte range set this server understands (wrong unit, bad syntax, an empty
 *   representation): answer as if there were no `Range` (200);
 * - `unsatisfiable`: no range overlaps the representation: 416, whose `Content-Range` gives the size;
 * - `ranges`: the satisfiable ranges, sorted, with overlapping and adjacent ones merged.
 */
export type RangeRequest =
  | { type: "ignore" }
  | { type: "unsatisfiable" }
  | { type: "ranges"; ranges: ByteRange[] };

const IGNORE: RangeRequest = { type: "ignore" };
const INT_RANGE = /^([0-9]+)-([0-9]*)$/;
const SUFFIX_RANGE = /^-([0-9]+)$/;

/** A position from its digits; more than 15 digits is beyond any file, so Infinity. */
function position(digits: string): number {
  return digits.length > 15 ? Infinity : Number(digits);
}

/**
 * Parses a `Range` header value for a representation of `size` bytes. The unit is `bytes`
 * (case-insensitive); list elements may be separated by optional whitespace, and empty elements are
 * skipped (RFC 9110 §5.6.1). A range whose last position is before its first makes the whole header
 * invalid (ignored). Ranges starting at or after `size`, and `-0`, cannot be satisfied and are
 * dropped; when none is left the set is unsatisfiable. An empty representation ignores `Range` (as Go's
 * `http.ServeContent` does: a client asking for `bytes=0-` of nothing gets the nothing, with 200).
 *
 * @example
 * ```ts
 * import { parseRange } from "./ranges.ts";
 * parseRange("bytes=-500", 1000); // { type: "ranges", ranges: [{ start: 500, end: 999 }] }
 * parseRange("bytes=0-9, 5-19", 1000); // { type: "ranges", ranges: [{ start: 0, end: 19 }] }
 * parseRange("bytes=2000-", 1000); // { type: "unsatisfiable" }
 * parseRange("bytes=abc", 1000); // { type: "ignore" }
 * ```
 */
export function parseRange(value: string, size: number): RangeRequest {
  if (value.length < 6 || value.slice(0, 6).toLowerCase() !== "bytes=") return IGNORE;
  const found: ByteRange[] = [];
  let elements = 0;
  for (const part of value.slice(6).split(",")) {
    const spec = part.replace(/^[ \t]+|[ \t]+$/g, "");
    if (spec === "") continue;
    elements++;
    const int = INT_RANGE.exec(spec);
    if (int !== null) {
      const first = position(int[1]!);
      const last = int[2] === "" ? Infinity : position(int[2]!);
      if (last < first) return IGNORE;
      if (first < size) found.push({ start: first, end: Math.min(last, size - 1) });
      continue;
    }
    const suffix = SUFFIX_RANGE.exec(spec);
    if (suffix === null) return IGNORE;
    const length = position(suffix[1]!);
    if (length > 0 && size > 0) found.push({ start: Math.max(0, size - length), end: size - 1 });
  }
  if (elements === 0 || size === 0) return IGNORE;
  if (found.length === 0) return { type: "unsatisfiable" };
  return { type: "ranges", ranges: coalesce(found) };
}

/** Sorts ranges and merges those that overlap or touch. */
function coalesce(ranges: ByteRange[]): ByteRange[] {
  ranges.sort((a, b) => a.start - b.start);
  const merged: ByteRange[] = [{ ...ranges[0]! }];
  for (let i = 1; i < ranges.length; i++) {
    const last = merged[merged.length - 1]!;
    const next = ranges[i]!;
    if (next.start <= last.end + 1) last.end = Math.max(last.end, next.end);
    else merged.push({ ...next });
  }
  return merged;
}
