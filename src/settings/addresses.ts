/**
 * Address parsing for the settings: bind hosts, port text, `listen` entries, `trustedProxy`
 * entries and `trustedProxyHeaders` names, and the casts of those settings. IP literals are
 * parsed by `../http1/ip.ts`; the {@link CastContext} names the setting in error messages.
 *
 * Pure: no I/O, no DNS. Host names are validated for shape only; the adapters resolve them.
 *
 * @module
 */

import { ipFamily, isIPv4, isIPv6, parseIpRange } from "../http1/ip.ts";
import { type CastContext, castString } from "./casts.ts";

/** A TCP listen address. `host` is `"*"` for "all interfaces of the enabled families";
 * IPv6 hosts are written without brackets (`"::1"`).
 *
 * @example
 * ```ts
 * const a: ListenAddress = { host: "::1", port: 8080 };
 * ```
 */
export interface ListenAddress {
  /** IP literal (IPv6 without brackets), host name, or `"*"`. */
  host: string;
  /** TCP port; 0 picks a free one. */
  port: number;
}

/** A proxy header name `trustedProxyHeaders` accepts.
 *
 * @example
 * ```ts
 * const h: ProxyHeader = "x-forwarded-proto";
 * ```
 */
export type ProxyHeader =
  | "x-forwarded-for"
  | "x-forwarded-host"
  | "x-forwarded-proto"
  | "x-forwarded-port"
  | "x-forwarded-by"
  | "forwarded";

/** Every {@link ProxyHeader}, in documentation order (error messages list them so).
 *
 * @example
 * ```ts
 * PROXY_HEADERS.includes("forwarded"); // true
 * ```
 */
export const PROXY_HEADERS: readonly ProxyHeader[] = [
  "x-forwarded-for",
  "x-forwarded-host",
  "x-forwarded-proto",
  "x-forwarded-port",
  "x-forwarded-by",
  "forwarded",
];

const HOSTNAME_RE =
  /^(?=.{1,253}\.?$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$/;

/** Validates a bind host (no port); returns it without IPv6 brackets, or an error reason.
 *
 * @example
 * ```ts
 * checkHost("[::1]"); // { host: "::1" }
 * ```
 */
export function checkHost(raw: string): { host: string } | { reason: string } {
  let host = raw;
  if (host.startsWith("[") && host.endsWith("]")) {
    host = host.slice(1, -1);
    if (!isIPv6(host, "name")) return { reason: `${JSON.stringify(host)} is not an IPv6 address` };
    return { host };
  }
  if (host === "") return { reason: 'the host is empty: use "*" (all interfaces) or an address' };
  if (host === "*") return { host };
  if (host.includes(":")) {
    return isIPv6(host, "name") ? { host } : { reason: `${JSON.stringify(host)} is not an IPv6 address` };
  }
  if (/^[0-9.]+$/.test(host)) {
    return isIPv4(host) ? { host } : { reason: `${JSON.stringify(host)} is not a valid IPv4 address` };
  }
  if (!HOSTNAME_RE.test(host)) return { reason: `${JSON.stringify(host)} is not a valid host name or address` };
  return { host };
}

/** Casts the `host` setting: a bind host as {@link checkHost} takes it, surrounding spaces ignored.
 *
 * @example
 * ```ts
 * castHost(" [::1] ", ctx); // "::1"
 * ```
 */
export function castHost(value: unknown, ctx: CastContext): string {
  const checked = checkHost(castString(value, ctx).trim());
  if ("reason" in checked) throw new TypeError(`Invalid value ${ctx.show(value)} for setting ${ctx.name}: ${checked.reason}`);
  return checked.host;
}

/** A port number from its text (1 to 5 digits, at most 65535), or undefined.
 *
 * @example
 * ```ts
 * parsePortText("8080"); // 8080
 * ```
 */
export function parsePortText(text: string): number | undefined {
  if (!/^[0-9]{1,5}$/.test(text)) return undefined;
  const n = Number(text);
  return n <= 65535 ? n : undefined;
}

/** Parses one `listen` entry: `host:port`, `[v6]:port`, `*:port`, `host`, `[v6]`, bare `v6`.
 *
 * @example
 * ```ts
 * parseListenEntry("[::1]:8080", 8080); // { host: "::1", port: 8080 }
 * ```
 */
export function parseListenEntry(entry: string, defaultPort: number): ListenAddress {
  const where = `listen entry ${JSON.stringify(entry)}`;
  let hostText: string;
  let portText: string | undefined;
  if (entry.startsWith("[")) {
    const close = entry.indexOf("]");
    if (close < 0) throw new TypeError(`Invalid ${where}: missing "]" after the IPv6 address`);
    hostText = entry.slice(0, close + 1);
    const rest = entry.slice(close + 1);
    if (rest.startsWith(":")) portText = rest.slice(1);
    else if (rest !== "") throw new TypeError(`Invalid ${where}: expected ":PORT" after "]"`);
  } else {
    const colons = entry.split(":").length - 1;
    if (colons === 0) {
      if (/^[0-9]+$/.test(entry)) {
        throw new TypeError(`Invalid ${where}: it has no host; write "*:${entry}" (all interfaces) or ` +
          `"127.0.0.1:${entry}"`);
      }
      hostText = entry;
    } else if (colons === 1) {
      const at = entry.indexOf(":");
      hostText = entry.slice(0, at);
      portText = entry.slice(at + 1);
    } else if (isIPv6(entry, "name")) {
      hostText = entry; // a bare IPv6 address without a port
    } else {
      throw new TypeError(`Invalid ${where}: IPv6 addresses must be in brackets when a port is given, ` +
        `e.g. "[::1]:8080"`);
    }
  }
  const checked = checkHost(hostText);
  if ("reason" in checked) throw new TypeError(`Invalid ${where}: ${checked.reason}`);
  let port = defaultPort;
  if (portText !== undefined) {
    const p = parsePortText(portText);
    if (p === undefined) {
      throw new RangeError(`Invalid port ${JSON.stringify(portText)} in ${where}: expected a number from 0 ` +
        "to 65535 (service names are not supported)");
    }
    port = p;
  }
  return { host: checked.host, port };
}

/** Casts the `listen` setting (a space-separated string, or an array of strings and
 * `{ host, port }` objects) into de-duplicated addresses; entries without a port get `defaultPort`.
 *
 * @example
 * ```ts
 * castListen("127.0.0.1:8080 [::1]:8080", 8080, ctx);
 * ```
 */
export function castListen(value: unknown, defaultPort: number, ctx: CastContext): ListenAddress[] {
  if (typeof value !== "string" && !Array.isArray(value)) {
    throw ctx.bad(value, 'a space-separated string such as "127.0.0.1:8080 [::1]:8080", or an array');
  }
  const items: unknown[] = typeof value === "string" ? [value] : value;
  const out: ListenAddress[] = [];
  const seen = new Set<string>();
  const add = (a: ListenAddress) => {
    const key = `${a.host}\u0000${a.port}`;
    // Port 0 twice means two different free ports, so only fixed ports are de-duplicated.
    if (a.port !== 0 && seen.has(key)) return;
    seen.add(key);
    out.push(a);
  };
  for (const item of items) {
    if (typeof item === "string") {
      for (const entry of item.split(/\s+/)) if (entry !== "") add(parseListenEntry(entry, defaultPort));
    } else if (item !== null && typeof item === "object" && "host" in item && "port" in item) {
      const { host, port } = item as { host: unknown; port: unknown };
      if (typeof host !== "string") throw ctx.bad(item, "{ host: string, port: number } entries");
      const checked = checkHost(host);
      if ("reason" in checked) throw new TypeError(`Invalid listen entry ${ctx.show(host)}: ${checked.reason}`);
      const p = typeof port === "number" ? (Number.isInteger(port) && port >= 0 && port <= 65535 ? port : undefined)
        : typeof port === "string" ? parsePortText(port.trim()) : undefined;
      if (p === undefined) {
        throw new RangeError(`Invalid port ${ctx.show(port)} in listen entry for host ${JSON.stringify(host)}: ` +
          "expected a number from 0 to 65535");
      }
      add({ host: checked.host, port: p });
    } else {
      throw ctx.bad(item, 'listen entries as "host:port" strings or { host, port } objects');
    }
  }
  return out;
}

/** Checks and normalises one `trustedProxy` entry: an IP address, a CIDR range, `"*"` or
 * `"localhost"`. `hint` names the setting in the error message.
 *
 * @example
 * ```ts
 * trustedProxyEntry("FD00::/8", "trustedProxy"); // "fd00::/8"
 * ```
 */
export function trustedProxyEntry(entry: string, hint: string): string {
  const fail = (why: string) =>
    new TypeError(`Invalid ${hint} entry ${JSON.stringify(entry)}: ${why}; use IP addresses, CIDR ` +
      'ranges such as "10.0.0.0/8" or "fd00::/8", "*" or "localhost"');
  if (entry === "*" || entry === "localhost") return entry;
  const slash = entry.indexOf("/");
  let addr = slash >= 0 ? entry.slice(0, slash) : entry;
  if (slash < 0 && addr.startsWith("[") && addr.endsWith("]")) addr = addr.slice(1, -1);
  const family = ipFamily(addr);
  if (family === undefined) {
    throw fail(HOSTNAME_RE.test(addr) && !/^[0-9.]+$/.test(addr)
      ? "host names are not resolved (only addresses are compared)"
      : "not an IP address");
  }
  const normal = family === 6 ? addr.toLowerCase() : addr;
  if (slash < 0) return normal;
  const bitsText = entry.slice(slash + 1);
  if (parseIpRange(addr, bitsText, "refuse") === undefined) throw fail(`the prefix length must be 0 to ${family === 4 ? 32 : 128}`);
  return `${normal}/${bitsText}`;
}

/** Casts the `trustedProxy` setting into its entries joined by single spaces, or undefined when empty.
 *
 * @example
 * ```ts
 * castTrustedProxy("10.0.0.1, 10.0.0.2", ctx); // "10.0.0.1 10.0.0.2"
 * ```
 */
export function castTrustedProxy(value: unknown, ctx: CastContext): string | undefined {
  if (value === null) return undefined;
  const items = typeof value === "string" ? [value] : Array.isArray(value) ? value : undefined;
  if (items === undefined) throw ctx.bad(value, "a string of addresses or an array of strings");
  const entries: string[] = [];
  for (const item of items) {
    if (typeof item !== "string") throw ctx.bad(item, "address strings");
    for (const e of item.split(/[\s,]+/)) if (e !== "") entries.push(trustedProxyEntry(e, ctx.hint));
  }
  if (entries.length > 1 && entries.includes("*")) {
    throw new TypeError(`Invalid ${ctx.hint}: "*" trusts every peer and cannot be combined with other entries`);
  }
  return entries.length === 0 ? undefined : [...new Set(entries)].join(" ");
}

/** Casts the `trustedProxyHeaders` setting into a set of lower-case {@link ProxyHeader} names.
 *
 * @example
 * ```ts
 * castProxyHeaders("X-Forwarded-For x-forwarded-proto", ctx); // Set { "x-forwarded-for", "x-forwarded-proto" }
 * ```
 */
export function castProxyHeaders(value: unknown, ctx: CastContext): Set<string> {
  let items: unknown[];
  if (typeof value === "string") items = [value];
  else if (value !== null && typeof value === "object" && Symbol.iterator in value) {
    items = [...(value as Iterable<unknown>)];
  } else throw ctx.bad(value, "a space-separated string or a list of header names");
  const out = new Set<string>();
  for (const item of items) {
    if (typeof item !== "string") throw ctx.bad(item, "header name strings");
    for (const name of item.split(/[\s,]+/)) {
      if (name === "") continue;
      const lower = name.toLowerCase();
      if (!(PROXY_HEADERS as readonly string[]).includes(lower)) {
        throw new RangeError(`Unknown ${ctx.hint} value ${JSON.stringify(name)}: use ` +
          `${PROXY_HEADERS.slice(0, -1).join(", ")}, or forwarded`);
      }
      out.add(lower);
    }
  }
  return out;
}
