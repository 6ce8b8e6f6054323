/**
 * IP address literals, parsed once for the whole server: dotted-quad IPv4 (RFC 3986 `IPv4address`:
 * four decimal parts 0-255 without leading zeros) and IPv6 (RFC 4291 text form, RFC 3986
 * `IPv6address`: at most one `::`, an IPv4 tail allowed), with a `%zone` suffix where the caller
 * allows one. The settings check bind hosts and `trustedProxy` entries with it, the proxy-header
 * policy matches peers against CIDR ranges with it, and the request parser checks bracketed Host
 * literals with it.
 *
 * Scans char codes between offsets: no regular expressions, no allocation unless the caller asks
 * for the address's value.
 *
 * @module
 */

/** What an IPv6 address may carry after `%` (a zone, RFC 4007), per caller:
 * - `"refuse"`: no zone (URIs: RFC 3986 has none; `trustedProxy` entries);
 * - `"name"`: a zone of letters, digits, `_`, `.` and `-` (bind hosts such as `fe80::1%eth0`);
 * - `"any"`: any text, ignored (peer addresses as the runtime reports them).
 *
 * @example
 * ```ts
 * import { isIPv6, type ZoneRule } from "./ip.ts";
 * const rule: ZoneRule = "name";
 * isIPv6("fe80::1%eth0", rule); // true
 * ```
 */
export type ZoneRule = "refuse" | "name" | "any";

/** An address as four unsigned 32-bit words, most significant first; IPv4 addresses are mapped
 * into `::ffff:0:0/96`, so `10.0.0.1` and `::ffff:10.0.0.1` have the same words.
 *
 * @example
 * ```ts
 * import { parseIp, type IpWords } from "./ip.ts";
 * const w: IpWords | undefined = parseIp("10.0.0.1"); // [0, 0, 0xffff, 0x0a000001]
 * ```
 */
export type IpWords = [number, number, number, number];

/** A CIDR range on the 128-bit scale of {@link IpWords}: an IPv4 `/8` has `bits` 104.
 *
 * @example
 * ```ts
 * import { parseIpRange, type IpRange } from "./ip.ts";
 * const r: IpRange | undefined = parseIpRange("10.0.0.0", "8", "refuse"); // { family: 4, words: [...], bits: 104 }
 * ```
 */
export interface IpRange {
  /** Family of the address as written (an IPv4-mapped IPv6 address is 6). */
  readonly family: 4 | 6;
  /** The range's address. */
  readonly words: IpWords;
  /** How many leading bits of {@link IpRange.words} an address must share to be in the range. */
  readonly bits: number;
}

/** The last scan's groups, how many, and where its `::` stands (-1: none); reused, as scans are synchronous. */
const GROUPS = new Uint16Array(8);
let groupCount = 0;
let gapAt = -1;

/** The value of each hex digit by char code; -1 for the other codes below 128. */
const HEX = new Int8Array(128).fill(-1);
for (let d = 0; d < 16; d++) {
  HEX["0123456789abcdef".charCodeAt(d)] = d;
  HEX["0123456789ABCDEF".charCodeAt(d)] = d;
}

/** The value of the IPv4 address `s[start, end)`, or -1 when it is not one. */
function ipv4Value(s: string, start: number, end: number): number {
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x2e /* . */) {
      if (digits === 0 || dots === 3) return -1;
      value = value * 256 + part;
      dots++;
      part = 0;
      digits = 0;
    } else if (c >= 0x30 && c <= 0x39) {
      if (digits === 1 && part === 0) return -1; // a leading zero
      part = part * 10 + c - 0x30;
      if (part > 255) return -1;
      digits++;
    } else {
      return -1;
    }
  }
  return digits === 0 || dots !== 3 ? -1 : value * 256 + part;
}

/**
 * Whether `s[start, end)` is an IPv6 address (no brackets, no zone); if so, its groups are in
 * {@link GROUPS}, {@link groupCount} of them, with the `::` at {@link gapAt}.
 */
function scanIPv6(s: string, start: number, end: number): boolean {
  let count = 0;
  let gap = -1;
  let i = start;
  if (i + 1 < end && s.charCodeAt(i) === 0x3a && s.charCodeAt(i + 1) === 0x3a) {
    gap = 0;
    i += 2;
  }
  while (i < end) {
    if (count === 8) return false;
    const groupStart = i;
    let value = 0;
    for (; i < end; i++) {
      const c = s.charCodeAt(i);
      const h = c < 128 ? HEX[c]! : -1;
      if (h < 0) break;
      value = (value << 4) | h; // garbage past 4 digits, which are refused below
    }
    if (i < end && s.charCodeAt(i) === 0x2e /* . */) {
      // The IPv4 tail: the rest of the text, worth two groups.
      const v4 = count <= 6 ? ipv4Value(s, groupStart, end) : -1;
      if (v4 < 0) return false;
      GROUPS[count++] = Math.floor(v4 / 0x10000);
      GROUPS[count++] = v4 % 0x10000;
      break;
    }
    const digits = i - groupStart;
    if (digits === 0 || digits > 4) return false;
    GROUPS[count++] = value;
    if (i === end) break;
    if (s.charCodeAt(i) !== 0x3a /* : */ || i + 1 === end) return false; // no ":" after the group, or a trailing one
    i++;
    if (s.charCodeAt(i) === 0x3a) {
      if (gap >= 0) return false; // a second "::"
      gap = count;
      i++;
    }
  }
  if (gap < 0 ? count !== 8 : count > 7) return false;
  groupCount = count;
  gapAt = gap;
  return true;
}

/** Where the address part of `s` ends under `zone`: before its `%zone`, or -1 when the zone is refused. */
function addressEnd(s: string, zone: ZoneRule): number {
  const pct = s.indexOf("%");
  if (pct < 0) return s.length;
  if (zone === "refuse") return -1;
  if (zone === "name") {
    if (pct + 1 === s.length) return -1;
    for (let i = pct + 1; i < s.length; i++) {
      const c = s.charCodeAt(i);
      const lower = c | 0x20;
      const ok = (lower >= 0x61 && lower <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x5f || c === 0x2e || c === 0x2d;
      if (!ok) return -1;
    }
  }
  return pct;
}

/**
 * Whether `s[start, end)` is an IPv6 address as RFC 3986's `IPv6address` writes it (no brackets,
 * no zone): the check for a bracketed Host literal, without slicing the header value.
 *
 * @example
 * ```ts
 * import { isIPv6At } from "./ip.ts";
 * const host = "[2001:db8::1]:8080";
 * isIPv6At(host, 1, host.indexOf("]")); // true
 * isIPv6At("[1::2::3]", 1, 8);           // false: two "::"
 * ```
 */
export function isIPv6At(s: string, start: number, end: number): boolean {
  return scanIPv6(s, start, end);
}

/**
 * Whether `s` is a dotted-quad IPv4 address: four decimal parts 0-255, no leading zeros.
 *
 * @example
 * ```ts
 * import { isIPv4 } from "./ip.ts";
 * isIPv4("127.0.0.1"); // true
 * isIPv4("127.0.0.01"); // false
 * ```
 */
export function isIPv4(s: string): boolean {
  return ipv4Value(s, 0, s.length) >= 0;
}

/**
 * Whether `s` is an IPv6 address (no brackets), with a `%zone` suffix as `zone` allows.
 *
 * @example
 * ```ts
 * import { isIPv6 } from "./ip.ts";
 * isIPv6("::ffff:192.0.2.1");        // true
 * isIPv6("fe80::1%eth0");            // false: zones refused by default
 * isIPv6("fe80::1%eth0", "name");    // true
 * ```
 */
export function isIPv6(s: string, zone: ZoneRule = "refuse"): boolean {
  const end = addressEnd(s, zone);
  return end >= 0 && scanIPv6(s, 0, end);
}

/**
 * The family of an IP literal (no brackets; an IPv6 zone as `zone` allows), or undefined for
 * anything else (host names, `"*"`).
 *
 * @example
 * ```ts
 * import { ipFamily } from "./ip.ts";
 * ipFamily("10.0.0.1");             // 4
 * ipFamily("fe80::1%eth0", "name"); // 6
 * ipFamily("example.com");          // undefined
 * ```
 */
export function ipFamily(s: string, zone: ZoneRule = "refuse"): 4 | 6 | undefined {
  if (!s.includes(":")) return isIPv4(s) ? 4 : undefined;
  return isIPv6(s, zone) ? 6 : undefined;
}

/**
 * The value of an IP literal (no brackets; an IPv6 zone as `zone` allows, then ignored) as
 * {@link IpWords}, IPv4 mapped into `::ffff:0:0/96`; undefined when `s` is not one.
 *
 * @example
 * ```ts
 * import { parseIp } from "./ip.ts";
 * parseIp("::1");             // [0, 0, 0, 1]
 * parseIp("::ffff:10.0.0.1"); // [0, 0, 0xffff, 0x0a000001], as parseIp("10.0.0.1")
 * ```
 */
export function parseIp(s: string, zone: ZoneRule = "refuse"): IpWords | undefined {
  if (!s.includes(":")) {
    const v4 = ipv4Value(s, 0, s.length);
    return v4 < 0 ? undefined : [0, 0, 0xffff, v4];
  }
  const end = addressEnd(s, zone);
  if (end < 0 || !scanIPv6(s, 0, end)) return undefined;
  const gap = gapAt;
  const zeros = 8 - groupCount;
  const group = (k: number): number => (gap < 0 || k < gap ? GROUPS[k]! : k < gap + zeros ? 0 : GROUPS[k - zeros]!);
  return [
    group(0) * 0x10000 + group(1),
    group(2) * 0x10000 + group(3),
    group(4) * 0x10000 + group(5),
    group(6) * 0x10000 + group(7),
  ];
}

/**
 * A CIDR range from an address (as {@link parseIp} takes it) and an optional prefix length
 * (decimal, no leading zeros, at most 32 for IPv4 and 128 for IPv6; absent: the address alone).
 * Undefined when either is invalid.
 *
 * @example
 * ```ts
 * import { parseIpRange } from "./ip.ts";
 * parseIpRange("fd00::", "8", "refuse")?.bits;  // 8
 * parseIpRange("10.0.0.0", "8", "refuse")?.bits; // 104 (IPv4 sits in the last 32 bits)
 * parseIpRange("10.0.0.0", "08", "refuse");      // undefined
 * ```
 */
export function parseIpRange(address: string, prefix: string | undefined, zone: ZoneRule): IpRange | undefined {
  const words = parseIp(address, zone);
  if (words === undefined) return undefined;
  const family = address.includes(":") ? 6 : 4;
  const max = family === 4 ? 32 : 128;
  let bits = max;
  if (prefix !== undefined) {
    const n = prefix.length;
    if (n === 0 || n > 3 || (n > 1 && prefix.charCodeAt(0) === 0x30)) return undefined;
    bits = 0;
    for (let i = 0; i < n; i++) {
      const c = prefix.charCodeAt(i);
      if (c < 0x30 || c > 0x39) return undefined;
      bits = bits * 10 + c - 0x30;
    }
    if (bits > max) return undefined;
  }
  return { family, words, bits: bits + 128 - max };
}

/**
 * Whether `words` lies in `range` (its first `range.bits` bits are the range's).
 *
 * @example
 * ```ts
 * import { inIpRange, parseIp, parseIpRange } from "./ip.ts";
 * inIpRange(parseIp("10.1.2.3")!, parseIpRange("10.0.0.0", "8", "refuse")!);        // true
 * inIpRange(parseIp("::ffff:10.1.2.3")!, parseIpRange("10.0.0.0", "8", "refuse")!); // true
 * ```
 */
export function inIpRange(words: IpWords, range: IpRange): boolean {
  let bits = range.bits;
  for (let i = 0; i < 4 && bits > 0; i++) {
    if (bits >= 32) {
      if (words[i] !== range.words[i]) return false;
      bits -= 32;
    } else {
      // Compare the top `bits` bits; division keeps the numbers unsigned.
      const unit = 2 ** (32 - bits);
      return Math.floor(words[i]! / unit) === Math.floor(range.words[i]! / unit);
    }
  }
  return true;
}
