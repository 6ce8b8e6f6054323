/**
 * Proxy headers: deciding whether the peer is a trusted proxy, and if so taking the client's address,
 * the scheme and the host from `X-Forwarded-*` or RFC 7239 `Forwarded`; removing the proxy headers
 * nobody vouches for. Waitress's `proxy_headers.py` semantics, including 3.0.2's rewrite of the
 * trusted list headers to their trusted suffix, plus address lists and CIDR ranges in `trustedProxy`.
 *
 * Pure functions over the flat header list the parser produces. When no proxy header is present the
 * work is one scan over the header names. The header values are parsed in `forwarded.ts`, addresses
 * and CIDR ranges in `../http1/ip.ts`; the header names and the untrusted peer's case are in
 * `proxy_names.ts`, all a server that trusts no proxy loads (it loads this module for `trustedProxy`).
 *
 * Deliberate differences from Waitress (all stricter or fixing a mis-parse):
 * - `trustedProxy` may list several addresses and CIDR ranges; IPv4-mapped IPv6 peers
 *   (`::ffff:10.0.0.1`) match IPv4 entries.
 * - Client nodes are split properly: `[v6]:port`, bare IPv6, `::ffff:1.2.3.4` and `v4:port` all give
 *   the right address; when the node carries no port, `remotePort` is 0 (unknown) rather than the
 *   proxy's own port.
 * - A port that is not 0-65535 (in `X-Forwarded-Port` or a forwarded host) and a forwarded host that
 *   is not a valid URI authority are malformed (400), because they would make `request.url` invalid.
 * - `Forwarded` is split on `,` and `;` outside quoted strings, so quoted values may contain them.
 *
 * @module
 */

import type { Settings } from "../settings/adjustments.ts";
import { isValidAuthority } from "../http1/abnf.ts";
import { inIpRange, type IpRange, parseIp, parseIpRange } from "../http1/ip.ts";
import { BadValue, guarded, joined, Malformed, parseForwarded, parsePort, splitList, splitNode, undquote } from "./forwarded.ts";
import { FORWARDED, NAMES, names, presentProxyHeaders, proxyConfigWith, proxyIndex, untrustedOutcome, XFF, XFHOST, XFPORT, XFPROTO } from "./proxy_names.ts";

// Tests see in this registry entry (when they create it) whether a server loaded this module.
(globalThis as { [key: symbol]: Set<string> | undefined })[Symbol.for("waitress.loaded")]?.add(import.meta.url);

/**
 * Decides whether a peer is a trusted proxy. `address` is the peer's IP literal (no brackets),
 * `unix` tells that the connection came through a unix socket (then `address` is `""`).
 *
 * @example
 * ```ts
 * import { parseTrustedProxy, type TrustMatcher } from "./proxy_headers.ts";
 * const trusted: TrustMatcher = parseTrustedProxy("10.0.0.0/8");
 * trusted("10.1.2.3", false); // true
 * ```
 */
export type TrustMatcher = (address: string, unix: boolean) => boolean;

/**
 * The proxy settings in the form {@link applyProxyHeaders} uses. Build it once per server with
 * {@link proxyConfigFromSettings}.
 *
 * @example
 * ```ts
 * import { parseTrustedProxy, type ProxyConfig } from "./proxy_headers.ts";
 * const config: ProxyConfig = {
 *   trusted: parseTrustedProxy("127.0.0.1"), count: 1,
 *   headers: new Set(["x-forwarded-for", "x-forwarded-proto"]), clearUntrusted: true, logUntrusted: false,
 * };
 * ```
 */
export interface ProxyConfig {
  /** Which peers are trusted proxies; `undefined` trusts none. */
  trusted: TrustMatcher | undefined;
  /** How many right-most entries of X-Forwarded-For, X-Forwarded-Host and Forwarded are trusted. */
  count: number;
  /** Lower-case names of the proxy headers trusted from a trusted peer. */
  headers: ReadonlySet<string>;
  /** Remove proxy headers that are not trusted. */
  clearUntrusted: boolean;
  /** The caller should log {@link ProxyOutcome.removed} when it is not empty. */
  logUntrusted: boolean;
}

/**
 * One request as {@link applyProxyHeaders} sees it.
 *
 * @example
 * ```ts
 * import type { ProxyInput } from "./proxy_headers.ts";
 * const input: ProxyInput = {
 *   peerAddress: "127.0.0.1", peerPort: 50122, unix: false, scheme: "http",
 *   headers: ["host", "example.com", "x-forwarded-proto", "https"],
 * };
 * ```
 */
export interface ProxyInput {
  /** The peer's IP literal without brackets, `""` for a unix socket. */
  peerAddress: string;
  /** The peer's port, 0 for a unix socket. */
  peerPort: number;
  /** Whether the connection came through a unix socket. */
  unix: boolean;
  /** The configured `urlScheme`. */
  scheme: string;
  /** Flat `[name, value, ...]` as parsed: names lower-case, repeated fields as separate entries. */
  headers: string[];
}

/**
 * What the request looks like after the proxy headers were applied.
 *
 * @example
 * ```ts
 * import { applyProxyHeaders, parseTrustedProxy } from "./proxy_headers.ts";
 * const outcome = applyProxyHeaders(
 *   { peerAddress: "127.0.0.1", peerPort: 50122, unix: false, scheme: "http",
 *     headers: ["host", "backend", "x-forwarded-for", "203.0.113.7"] },
 *   { trusted: parseTrustedProxy("127.0.0.1"), count: 1, headers: new Set(["x-forwarded-for"]),
 *     clearUntrusted: true, logUntrusted: false },
 * );
 * if (!("error" in outcome)) outcome.remoteAddress; // "203.0.113.7"
 * ```
 */
export interface ProxyOutcome {
  /** The client's address: the peer's, or the one a trusted proxy named (IPv6 without brackets). */
  remoteAddress: string;
  /** The client's port; 0 when a trusted proxy named the client without a port. */
  remotePort: number;
  /** `urlScheme`, or `"http"`/`"https"` as a trusted proxy said. */
  scheme: string;
  /**
   * The authority for `request.url` (e.g. `"example.com:8443"`), from a trusted X-Forwarded-Host or
   * Forwarded `host=`; the `host` header in {@link ProxyOutcome.headers} is set to it too (Waitress
   * sets HTTP_HOST). `undefined`: keep the request's Host.
   */
  host: string | undefined;
  /**
   * The headers the application should see: untrusted proxy headers removed, trusted list headers
   * cut to their trusted entries, `host` replaced. The same array as the input when nothing changed.
   */
  headers: string[];
  /** Display names (`"X-Forwarded-For"`) of the untrusted proxy headers that were removed. */
  removed: readonly string[];
  /** Messages worth a warning in the log (an unknown `Forwarded` parameter). */
  warnings?: string[];
}

/**
 * A trusted proxy sent a proxy header that cannot be parsed: answer 400 with `error` as the body and
 * close; `log` is the warning line to write.
 *
 * @example
 * ```ts
 * import type { ProxyError } from "./proxy_headers.ts";
 * const e: ProxyError = { error: 'Header "X-Forwarded-Proto" malformed.', log: "..." };
 * ```
 */
export interface ProxyError {
  /** `Header "X-Forwarded-Proto" malformed.` (Waitress's body text). */
  error: string;
  /** `Malformed proxy header "X-Forwarded-Proto" from "127.0.0.1": unsupported proto value value: "ftp"`. */
  log: string;
}

// ---------------------------------------------------------------- trusted peers

/**
 * Builds a {@link TrustMatcher} from `trustedProxy` text: entries separated by spaces or commas, each
 * an IPv4/IPv6 address, a CIDR range (`10.0.0.0/8`, `fd00::/8`), `*` (every peer, unix sockets
 * included) or `localhost` (unix-socket peers). IPv4 entries also match IPv4-mapped IPv6 peers.
 * Throws a `TypeError` naming the entry that is none of these.
 *
 * @example
 * ```ts
 * import { parseTrustedProxy } from "./proxy_headers.ts";
 * const trusted = parseTrustedProxy("127.0.0.1 ::1 10.0.0.0/8 localhost");
 * trusted("10.20.30.40", false);       // true
 * trusted("::ffff:127.0.0.1", false);  // true
 * trusted("", true);                   // true (unix socket)
 * trusted("192.0.2.1", false);         // false
 * ```
 */
export function parseTrustedProxy(spec: string): TrustMatcher {
  let any = false;
  let unixPeers = false;
  const ranges: IpRange[] = [];
  for (const entry of spec.split(/[\s,]+/)) {
    if (entry === "") continue;
    if (entry === "*") {
      any = true;
      continue;
    }
    if (entry === "localhost") {
      unixPeers = true;
      continue;
    }
    const slash = entry.indexOf("/");
    let addr = slash >= 0 ? entry.slice(0, slash) : entry;
    if (addr.startsWith("[") && addr.endsWith("]")) addr = addr.slice(1, -1);
    // A zone is ignored here as on peers; the setting refuses zoned entries before they get here.
    const range = parseIpRange(addr, slash >= 0 ? entry.slice(slash + 1) : undefined, "any");
    if (range === undefined) {
      throw new TypeError(`Invalid trustedProxy entry ${JSON.stringify(entry)}: use IP addresses, CIDR ranges ` +
        'such as "10.0.0.0/8" or "fd00::/8", "*" or "localhost"');
    }
    ranges.push(range);
  }
  if (any) return () => true;
  // One connection asks about the same peer on every request: remember the last answer.
  let lastAddress = "";
  let lastAnswer = false;
  return (address: string, unix: boolean): boolean => {
    if (unix) return unixPeers;
    if (address === lastAddress && address !== "") return lastAnswer;
    const words = parseIp(address, "any");
    let answer = false;
    if (words !== undefined) {
      for (const r of ranges) {
        if (inIpRange(words, r)) {
          answer = true;
          break;
        }
      }
    }
    lastAddress = address;
    lastAnswer = answer;
    return answer;
  };
}

/**
 * The {@link ProxyConfig} for resolved settings. Parse once per server, not per request.
 *
 * @example
 * ```ts
 * import { resolveSettings } from "../settings/adjustments.ts";
 * import { proxyConfigFromSettings } from "./proxy_headers.ts";
 * const { settings } = resolveSettings({ trustedProxy: "127.0.0.1", trustedProxyHeaders: "x-forwarded-for" });
 * const config = proxyConfigFromSettings(settings);
 * config.count; // 1
 * ```
 */
export function proxyConfigFromSettings(settings: Settings): ProxyConfig {
  return proxyConfigWith(settings, settings.trustedProxy === undefined ? undefined : parseTrustedProxy(settings.trustedProxy));
}

// ---------------------------------------------------------------- the middleware

/**
 * Applies the proxy headers of one request (Waitress's `proxy_headers_middleware`):
 *
 * - From a peer that is not a trusted proxy, all six proxy headers (`Forwarded`,
 *   `X-Forwarded-For/Host/Proto/Port/By`) are removed when `clearUntrusted` is set; nothing else changes.
 * - From a trusted proxy, the headers in `config.headers` are interpreted and the others removed:
 *   `X-Forwarded-For` (last `count` entries kept; the first kept is the client, and the header is cut
 *   to the kept entries), `X-Forwarded-Host` (same; gives the host), `X-Forwarded-Proto` (one value,
 *   `http` or `https`; gives the scheme and the default port), `X-Forwarded-Port` (one value),
 *   `X-Forwarded-By` (kept, not interpreted), or `Forwarded` (last `count` elements kept; the oldest
 *   kept `for`/`host`/`proto` wins).
 *
 * A trusted but malformed value gives a {@link ProxyError}: answer 400 and close the connection.
 *
 * @example
 * ```ts
 * import { applyProxyHeaders, parseTrustedProxy } from "./proxy_headers.ts";
 * const config = { trusted: parseTrustedProxy("127.0.0.1"), count: 1,
 *   headers: new Set(["x-forwarded-for", "x-forwarded-host", "x-forwarded-proto"]),
 *   clearUntrusted: true, logUntrusted: false };
 * const outcome = applyProxyHeaders({ peerAddress: "127.0.0.1", peerPort: 40000, unix: false, scheme: "http",
 *   headers: ["host", "backend:8080", "x-forwarded-for", "6.6.6.6, 203.0.113.7",
 *             "x-forwarded-host", "example.com", "x-forwarded-proto", "https"] }, config);
 * // { remoteAddress: "203.0.113.7", remotePort: 0, scheme: "https", host: "example.com",
 * //   headers: ["host", "example.com", "x-forwarded-for", "203.0.113.7", "x-forwarded-host", "example.com",
 * //             "x-forwarded-proto", "https"], removed: [] }
 * ```
 */
export function applyProxyHeaders(input: ProxyInput, config: ProxyConfig): ProxyOutcome | ProxyError {
  const present = presentProxyHeaders(input.headers);
  if (present === 0 || config.trusted === undefined || !config.trusted(input.peerAddress, input.unix)) return untrustedOutcome(input, config, present);
  try {
    return applyTrusted(input, config, present);
  } catch (e) {
    if (!(e instanceof Malformed)) throw e;
    const peer = input.unix ? "localhost" : input.peerAddress;
    return {
      error: `Header "${e.header}" malformed.`,
      log: `Malformed proxy header "${e.header}" from "${peer}": ${e.reason} value: ${JSON.stringify(e.value)}`,
    };
  }
}


function applyTrusted(input: ProxyInput, config: ProxyConfig, present: number): ProxyOutcome {
  const headers = input.headers;
  const trustedNames = config.headers;
  const count = config.count;
  let client = "";
  let fHost = "";
  let fProto = "";
  let fPort = "";
  let forwarded = false;
  let warnings: string[] | undefined;
  const rewrites: (string | undefined)[] = [];

  if (present & (1 << XFF) && trustedNames.has("x-forwarded-for")) {
    const value = joined(headers, "x-forwarded-for");
    const [raw, hops] = guarded("X-Forwarded-For", value, () => splitList(value));
    const keep = Math.max(0, hops.length - count);
    client = hops[keep];
    rewrites[XFF] = raw.slice(keep).join(", ");
  }
  if (present & (1 << XFHOST) && trustedNames.has("x-forwarded-host")) {
    const value = joined(headers, "x-forwarded-host");
    const [raw, hosts] = guarded("X-Forwarded-Host", value, () => splitList(value));
    const keep = Math.max(0, hosts.length - count);
    fHost = hosts[keep];
    rewrites[XFHOST] = raw.slice(keep).join(", ");
  }
  if (present & (1 << XFPROTO) && trustedNames.has("x-forwarded-proto")) {
    const value = joined(headers, "x-forwarded-proto");
    fProto = guarded("X-Forwarded-Proto", value, () => {
      const v = undquote(value);
      if (v.includes(",")) throw new BadValue("Unspecified behavior for multiple values found in header");
      return v;
    });
  }
  if (present & (1 << XFPORT) && trustedNames.has("x-forwarded-port")) {
    const value = joined(headers, "x-forwarded-port");
    fPort = guarded("X-Forwarded-Port", value, () => {
      const v = undquote(value).trim();
      if (v.includes(",")) throw new BadValue("Unspecified behavior for multiple values found in header");
      if (v === "") return v;
      const port = parsePort(v);
      if (port === undefined) throw new BadValue("port is not a number from 0 to 65535");
      return String(port);
    });
  }
  if (present & (1 << FORWARDED) && trustedNames.has("forwarded")) {
    const value = joined(headers, "forwarded");
    if (value !== "") {
      forwarded = true;
      const found: string[] = [];
      const elements = guarded("Forwarded", value, () => parseForwarded(value, found));
      if (found.length > 0) warnings = found;
      const kept = elements.slice(Math.max(0, elements.length - count));
      rewrites[FORWARDED] = kept.map((e) => e.raw).join(", ");
      // Newest to oldest: intermediate proxies may rewrite host and proto; the oldest trusted entry
      // holds what the client asked for.
      for (let i = kept.length - 1; i >= 0; i--) {
        const e = kept[i];
        client = e.for || client;
        fHost = e.host || fHost;
        fProto = e.proto || fProto;
      }
    }
  }

  let scheme = input.scheme;
  if (fProto !== "") {
    const proto = fProto.toLowerCase();
    if (proto !== "http" && proto !== "https") {
      throw new Malformed(forwarded ? "Forwarded Proto=" : "X-Forwarded-Proto", "unsupported proto value", fProto);
    }
    scheme = proto;
    if (fPort === "") fPort = proto === "https" ? "443" : "80";
  }

  let host: string | undefined;
  if (fHost !== "") {
    const hostHeader = forwarded ? "Forwarded" : "X-Forwarded-Host";
    const colon = fHost.lastIndexOf(":");
    if (colon >= 0 && fHost.charCodeAt(fHost.length - 1) !== 0x5d /* ] */) {
      // A port in the forwarded host beats X-Forwarded-Port and the proto's default port.
      const port = fHost.slice(colon + 1);
      if (parsePort(port) === undefined) throw new Malformed(hostHeader, "port is not a number from 0 to 65535", fHost);
      fPort = port;
      host = fHost;
    } else {
      host = fHost;
      if (fPort !== "" && !(fPort === "80" && scheme === "http") && !(fPort === "443" && scheme === "https")) {
        host = `${fHost}:${fPort}`;
      }
    }
    if (!isValidAuthority(host)) throw new Malformed(hostHeader, "not a valid host", fHost);
  }

  let remoteAddress = input.peerAddress;
  let remotePort = input.peerPort;
  if (client !== "") [remoteAddress, remotePort] = splitNode(client.trim());

  // Which headers to drop: every proxy header the configuration does not trust.
  let drop = 0;
  if (config.clearUntrusted) {
    for (let k = 0; k < 6; k++) if (present & (1 << k) && !trustedNames.has(NAMES[k])) drop |= 1 << k;
  }
  const out = rewriteHeaders(headers, drop, rewrites, host);
  const outcome: ProxyOutcome = { remoteAddress, remotePort, scheme, host, headers: out, removed: names(drop) };
  if (warnings !== undefined) outcome.warnings = warnings;
  return outcome;
}

/**
 * Applies removals, list rewrites (repeated fields collapse into one at the first one's place) and
 * the new Host. Returns `headers` itself when that changes nothing.
 */
function rewriteHeaders(headers: string[], drop: number, rewrites: (string | undefined)[], host: string | undefined): string[] {
  let changed = drop !== 0;
  if (!changed) {
    let hostSeen = false;
    const seen: number[] = [];
    for (let i = 0; i < headers.length && !changed; i += 2) {
      const name = headers[i];
      if (name === "host") {
        if (host !== undefined && (hostSeen || headers[i + 1] !== host)) changed = true;
        hostSeen = true;
        continue;
      }
      const k = proxyIndex(name);
      if (k >= 0 && rewrites[k] !== undefined) {
        if (seen[k] === 1 || headers[i + 1] !== rewrites[k]) changed = true;
        seen[k] = 1;
      }
    }
    if (host !== undefined && !hostSeen) changed = true;
    if (!changed) return headers;
  }
  const out: string[] = [];
  const written: number[] = [];
  let hostWritten = false;
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i];
    if (name === "host" && host !== undefined) {
      if (!hostWritten) out.push("host", host);
      hostWritten = true;
      continue;
    }
    const k = proxyIndex(name);
    if (k >= 0) {
      if (drop & (1 << k)) continue;
      const rewritten = rewrites[k];
      if (rewritten !== undefined) {
        if (written[k] !== 1) out.push(name, rewritten);
        written[k] = 1;
        continue;
      }
    }
    out.push(name, headers[i + 1]);
  }
  if (host !== undefined && !hostWritten) out.push("host", host);
  return out;
}
