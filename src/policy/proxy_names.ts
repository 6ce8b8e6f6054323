/**
 * The six proxy headers by name, and what a server without `trustedProxy` does with them: remove
 * them (`clearUntrustedProxyHeaders`) and say which it removed. Split from `proxy_headers.ts` so a
 * server that trusts no proxy never loads the parsing of forwarded values (issue 16: idle memory);
 * the server loads `proxy_headers.ts` when `trustedProxy` is set.
 *
 * @module
 */

import type { Settings } from "../settings/adjustments.ts";
import type { ProxyConfig, ProxyInput, ProxyOutcome, TrustMatcher } from "./proxy_headers.ts";

// Bit numbers of the six proxy headers.
export const FORWARDED = 0;
export const XFF = 1;
export const XFHOST = 2;
export const XFPROTO = 3;
export const XFPORT = 4;
export const XFBY = 5;

/** Lower-case names, by bit number. */
export const NAMES: readonly string[] = ["forwarded", "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "x-forwarded-port", "x-forwarded-by"];
const DISPLAY = ["Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "X-Forwarded-Port", "X-Forwarded-By"];
const ALL = 0b111111;
const NONE: readonly string[] = Object.freeze([]);

/**
 * The bit number of a proxy header name, or -1. Checks the length first: most names fail there.
 *
 * @example
 * ```ts
 * import { proxyIndex } from "./proxy_names.ts";
 * proxyIndex("x-forwarded-for"); // 1
 * proxyIndex("host"); // -1
 * ```
 */
export function proxyIndex(name: string): number {
  const n = name.length;
  if (n === 9) return name === "forwarded" ? FORWARDED : -1;
  if (n < 14 || n > 17 || name.charCodeAt(0) !== 0x78 /* x */ || !name.startsWith("x-forwarded-")) return -1;
  switch (name) {
    case "x-forwarded-for":
      return XFF;
    case "x-forwarded-host":
      return XFHOST;
    case "x-forwarded-proto":
      return XFPROTO;
    case "x-forwarded-port":
      return XFPORT;
    case "x-forwarded-by":
      return XFBY;
  }
  return -1;
}

/** Display names (`"X-Forwarded-For"`) of the headers in `mask`. */
export function names(mask: number): readonly string[] {
  if (mask === 0) return NONE;
  const out: string[] = [];
  for (let k = 0; k < 6; k++) if (mask & (1 << k)) out.push(DISPLAY[k]);
  return out;
}

/** Copies `headers` without the proxy headers in `mask`. */
function without(headers: string[], mask: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < headers.length; i += 2) {
    const k = proxyIndex(headers[i]);
    if (k >= 0 && mask & (1 << k)) continue;
    out.push(headers[i], headers[i + 1]);
  }
  return out;
}

function plain(input: ProxyInput, headers: string[], removed: readonly string[]): ProxyOutcome {
  return { remoteAddress: input.peerAddress, remotePort: input.peerPort, scheme: input.scheme, host: undefined, headers, removed };
}

/** The bits of the proxy headers present in `headers`: one scan over the names. */
export function presentProxyHeaders(headers: string[]): number {
  let present = 0;
  for (let i = 0; i < headers.length; i += 2) {
    const k = proxyIndex(headers[i]);
    if (k >= 0) present |= 1 << k;
  }
  return present;
}

/** The request from a peer that is no trusted proxy: proxy headers removed when `clearUntrusted` says so. */
export function untrustedOutcome(input: ProxyInput, config: ProxyConfig, present: number): ProxyOutcome {
  if (present === 0 || !config.clearUntrusted) return plain(input, input.headers, NONE);
  return plain(input, without(input.headers, ALL), names(present & ALL));
}

/**
 * `applyProxyHeaders` for a configuration that trusts no proxy (`config.trusted` undefined), without
 * loading it: what it would return. Throws a `TypeError` for a configuration that trusts one.
 *
 * @example
 * ```ts
 * import { applyWithoutTrust } from "./proxy_names.ts";
 * const config = { trusted: undefined, count: 1, headers: new Set<string>(), clearUntrusted: true, logUntrusted: false };
 * applyWithoutTrust({ peerAddress: "192.0.2.1", peerPort: 5000, unix: false, scheme: "http",
 *   headers: ["host", "x", "x-forwarded-for", "6.6.6.6"] }, config);
 * // { remoteAddress: "192.0.2.1", ..., headers: ["host", "x"], removed: ["X-Forwarded-For"] }
 * ```
 */
export function applyWithoutTrust(input: ProxyInput, config: ProxyConfig): ProxyOutcome {
  if (config.trusted !== undefined) throw new TypeError("This proxy configuration trusts a proxy: apply it with applyProxyHeaders (proxy_headers.ts)");
  return untrustedOutcome(input, config, presentProxyHeaders(input.headers));
}

/**
 * The {@link ProxyConfig} of resolved settings with `trusted` as the matcher of `trustedProxy`
 * (`undefined`: no proxy is trusted). `proxyConfigFromSettings` parses the matcher.
 *
 * @example
 * ```ts
 * import { resolveSettings } from "../settings/adjustments.ts";
 * import { proxyConfigWith } from "./proxy_names.ts";
 * proxyConfigWith(resolveSettings({}).settings, undefined).clearUntrusted; // true
 * ```
 */
export function proxyConfigWith(settings: Settings, trusted: TrustMatcher | undefined): ProxyConfig {
  return {
    trusted,
    count: settings.trustedProxyCount ?? 1,
    headers: settings.trustedProxyHeaders,
    clearUntrusted: settings.clearUntrustedProxyHeaders,
    logUntrusted: settings.logUntrustedProxyHeaders,
  };
}
