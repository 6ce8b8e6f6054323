/**
 * Conditional requests (RFC 9110 §13): validators (`ETag`, `Last-Modified`), the precondition header
 * fields in their order of precedence, and `If-Range`.
 *
 * @module
 */

/** The validators of the selected representation. */
export interface Validators {
  /** The `ETag` field value (`"abc"` or `W/"abc"`), if any. */
  etag: string | null;
  /** `Last-Modified` in ms since the epoch (whole seconds), if any. */
  lastModified: number | undefined;
}

/** What the preconditions decide: go on (0), 304 Not Modified or 412 Precondition Failed. */
export type PreconditionOutcome = 0 | 304 | 412;

/**
 * A strong entity tag from a file's size and modification time, as nginx makes them
 * (`"<size hex>-<mtime ms hex>"`): it changes whenever either does.
 *
 * @example
 * ```ts
 * import { etagFor } from "./conditional.ts";
 * etagFor(1234, 784111777000); // '"4d2-b690b434e8"'
 * ```
 */
export function etagFor(size: number, mtimeMs: number): string {
  return `"${size.toString(16)}-${Math.floor(mtimeMs).toString(16)}"`;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const MONTH = "(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)";
const TIME = "([0-9]{2}):([0-9]{2}):([0-9]{2})";
const IMF_FIXDATE = new RegExp(`^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), ([0-9]{2}) ${MONTH} ([0-9]{4}) ${TIME} GMT$`);
const RFC850_DATE = new RegExp(`^(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), ([0-9]{2})-${MONTH}-([0-9]{2}) ${TIME} GMT$`);
const ASCTIME_DATE = new RegExp(`^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) ${MONTH} ([0-9]{2}| [0-9]) ${TIME} ([0-9]{4})$`);

/** Milliseconds for a calendar time, or undefined if it does not exist (Feb 30, 25:00). */
function utc(year: number, month: string, day: number, h: string, m: string, s: string): number | undefined {
  const monthIndex = MONTHS.indexOf(month);
  const hours = Number(h), minutes = Number(m), seconds = Number(s);
  if (hours > 23 || minutes > 59 || seconds > 60) return undefined; // 60: a leap second
  const ms = Date.UTC(year, monthIndex, day, hours, minutes, seconds);
  const check = new Date(ms);
  if (check.getUTCDate() !== day || check.getUTCMonth() !== monthIndex) return undefined;
  return ms;
}

/**
 * Parses an HTTP-date in any of the three formats a recipient must accept (RFC 9110 §5.6.7):
 * IMF-fixdate, the obsolete RFC 850 form (a two-digit year more than 50 years ahead is taken as the
 * past century's) and asctime. Anything else, including a list of dates, is `undefined`.
 *
 * @example
 * ```ts
 * import { parseHttpDate } from "./conditional.ts";
 * parseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT"); // 784111777000
 * parseHttpDate("Sunday, 06-Nov-94 08:49:37 GMT"); // 784111777000
 * parseHttpDate("Sun Nov  6 08:49:37 1994"); // 784111777000
 * ```
 */
export function parseHttpDate(value: string | null | undefined, now: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  let m = IMF_FIXDATE.exec(text);
  if (m !== null) return utc(Number(m[3]), m[2]!, Number(m[1]), m[4]!, m[5]!, m[6]!);
  m = RFC850_DATE.exec(text);
  if (m !== null) {
    const thisYear = new Date(now).getUTCFullYear();
    let year = Math.floor(thisYear / 100) * 100 + Number(m[3]);
    if (year > thisYear + 50) year -= 100;
    return utc(year, m[2]!, Number(m[1]), m[4]!, m[5]!, m[6]!);
  }
  m = ASCTIME_DATE.exec(text);
  if (m !== null) return utc(Number(m[6]), m[1]!, Number(m[2]!.trim()), m[3]!, m[4]!, m[5]!);
  return undefined;
}

/** One entity tag of a list. */
interface EntityTag {
  weak: boolean;
  /** The opaque tag, quotes included. */
  opaque: string;
}

const ENTITY_TAG = /^(W\/)?("[\x21\x23-\x7e\x80-\xff]*")$/;

/** Parses one entity tag (`"x"` or `W/"x"`); undefined when malformed. */
function parseEntityTag(text: string): EntityTag | undefined {
  const m = ENTITY_TAG.exec(text);
  return m === null ? undefined : { weak: m[1] !== undefined, opaque: m[2]! };
}

/**
 * The entity tags of an `If-Match` / `If-None-Match` value: `"*"` for the wildcard, otherwise the
 * well-formed tags of the list (malformed members are skipped: they match nothing).
 */
function parseEntityTags(value: string): "*" | EntityTag[] {
  if (value.trim() === "*") return "*";
  const tags: EntityTag[] = [];
  // Commas may appear inside a quoted opaque-tag, so split on tags rather than on commas.
  for (const m of value.matchAll(/(?:W\/)?"[^"]*"|[^\s,]+/g)) {
    const tag = parseEntityTag(m[0]);
    if (tag !== undefined) tags.push(tag);
  }
  return tags;
}

/** Strong comparison (RFC 9110 §8.8.3.2): both strong, same opaque tag. */
function strongMatch(a: EntityTag, b: EntityTag): boolean {
  return !a.weak && !b.weak && a.opaque === b.opaque;
}

/**
 * Evaluates the preconditions of a request against the current validators, in the order RFC 9110
 * §13.2.2 prescribes: `If-Match` (strong comparison; else `If-Unmodified-Since`), then
 * `If-None-Match` (weak comparison; else, for GET and HEAD, `If-Modified-Since`). A failed
 * `If-None-Match` or an unmodified `If-Modified-Since` is 304 for GET and HEAD (412 for other
 * methods); a failed `If-Match` or `If-Unmodified-Since` is 412. Invalid dates are ignored.
 *
 * @example
 * ```ts
 * import { evaluatePreconditions } from "./conditional.ts";
 * const headers = new Headers({ "if-none-match": '"a", "b"' });
 * evaluatePreconditions("GET", headers, { etag: '"b"', lastModified: undefined }); // 304
 * ```
 */
export function evaluatePreconditions(method: string, headers: Headers, validators: Validators, now: number): PreconditionOutcome {
  const current = validators.etag === null ? undefined : parseEntityTag(validators.etag);
  const safe = method === "GET" || method === "HEAD";
  const ifMatch = headers.get("if-match");
  if (ifMatch !== null) {
    const tags = parseEntityTags(ifMatch);
    // "*" is true because the representation exists.
    if (tags !== "*" && (current === undefined || !tags.some((tag) => strongMatch(tag, current)))) return 412;
  } else {
    const since = parseHttpDate(headers.get("if-unmodified-since"), now);
    if (since !== undefined && validators.lastModified !== undefined && validators.lastModified > since) return 412;
  }
  const ifNoneMatch = headers.get("if-none-match");
  if (ifNoneMatch !== null) {
    const tags = parseEntityTags(ifNoneMatch);
    const matches = tags === "*" || (current !== undefined && tags.some((tag) => tag.opaque === current.opaque));
    if (matches) return safe ? 304 : 412;
  } else if (safe) {
    const since = parseHttpDate(headers.get("if-modified-since"), now);
    if (since !== undefined && validators.lastModified !== undefined && validators.lastModified <= since) return 304;
  }
  return 0;
}

/**
 * Whether the `Range` of a request may be honoured given its `If-Range` (RFC 9110 §13.1.5): an
 * entity tag must match the current one by strong comparison (a weak tag never does); a date must
 * equal `Last-Modified` exactly, and `Last-Modified` must be a strong validator (at least one second
 * before `now`). Anything else, malformed values included, means "send the whole representation".
 *
 * @example
 * ```ts
 * import { ifRangeAllows } from "./conditional.ts";
 * ifRangeAllows('"v1"', { etag: '"v1"', lastModified: undefined }); // true
 * ifRangeAllows('W/"v1"', { etag: 'W/"v1"', lastModified: undefined }); // false
 * ```
 */
export function ifRangeAllows(value: string, validators: Validators, now: number): boolean {
  const text = value.trim();
  if (text.startsWith('"') || text.startsWith("W/")) {
    const tag = parseEntityTag(text);
    const current = validators.etag === null ? undefined : parseEntityTag(validators.etag);
    return tag !== undefined && current !== undefined && strongMatch(tag, current);
  }
  const date = parseHttpDate(text, now);
  const modified = validators.lastModified;
  return date !== undefined && modified !== undefined && date === modified && modified + 1000 <= now;
}
