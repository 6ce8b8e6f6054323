/**
 * Valid requests for the parser tests, from the grammar: a seedable PRNG and a generator of
 * requests and pipelines (methods, target forms, versions, header sets, Content-Length and
 * chunked bodies with extensions and trailers) with the events the parser must give for them.
 *
 * @module
 */

import { DEFAULT_PARSER_LIMITS, type ParserLimits, type RequestHead } from "../src/http1/parser.ts";
import type { CanonEvent } from "./_parser_harness.ts";
import { concatBytes as concat, latin1Bytes, latin1Text } from "./_bytes.ts";

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
  // Returns the value and its flags: 1 close, 2 keep-alive, 4 upgrade.
  const choices: [string, number][] = [["keep-alive", 2], ["Keep-Alive", 2], ["TE", 0]];
  // node:http treats "upgrade" as a protocol switch: not comparable.
  if (!diff) choices.push(["upgrade", 4], ["keep-alive, Upgrade", 6]);
  if (allowClose) choices.push(["close", 1], ["Close", 1], ["close, keep-alive", 3]);
  if (allowClose && !diff) choices.push(["upgrade, close", 5]);
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
    upgrade: minor === 1 && (conn & 4) !== 0,
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
