/**
 * What a handler learns of a request beyond its head: the absolute URL its `Request` carries (built
 * from the request target, the Host or the address the connection arrived on, and the scheme,
 * exactly as the URL parser would serialise it, without running the URL parser on the common path),
 * and its `info` (the client's address, after trusted proxy headers; the `urlPrefix` split).
 *
 * @module
 */

import type { RequestHead } from "../http1/parser.ts";
import type { PeerInfo } from "../platform.ts";
import type { RequestInfo } from "../web/request.ts";
import type { ProxyConfig, ProxyError, ProxyInput, ProxyOutcome } from "../policy/proxy_headers.ts";
import { applyWithoutTrust } from "../policy/proxy_names.ts";
import { splitPrefix } from "../policy/url_prefix.ts";
import type { Logger } from "../policy/logger.ts";

/** The settings {@linkcode RequestUrls.prepare} reads. */
export interface TargetConfig {
  logger: Logger;
  /** The scheme of requests on plain connections (a TLS connection's is `https`), before proxy headers. */
  urlScheme: string;
  /** `urlPrefix` (WSGI's SCRIPT_NAME), `""` for none. */
  urlPrefix: string;
  proxy: ProxyConfig;
  /**
   * Applies `proxy` to a request: `applyProxyHeaders` of proxy_headers.ts, which the server loads
   * only when `trustedProxy` is set. Without it, `proxy` must trust no proxy (the common case needs
   * only the removal of untrusted headers).
   */
  applyProxyHeaders?: (input: ProxyInput, config: ProxyConfig) => ProxyOutcome | ProxyError;
  /** Reported to the app as `info.serverName` unless a trusted proxy forwarded a host. */
  serverName: string;
}

/** Path characters that the URL parser rewrites (percent-encodes, drops or treats as separators). */
const PATH_SPECIAL = new Uint8Array(128);
for (const c of "\"#<>\\^`{|}'") PATH_SPECIAL[c.charCodeAt(0)] = 1;

/** Whether an origin-form target must go through the URL parser to match what `new URL(...)` yields. */
function pathNeedsNormalizing(target: string): boolean {
  for (let i = 0; i < target.length; i++) {
    const c = target.charCodeAt(i);
    if (PATH_SPECIAL[c] === 1) return true;
    if (c === 46 /* . */ && target.charCodeAt(i - 1) === 47 /* / */) {
      // A dot segment: "/." or "/.." followed by "/", "?" or the end.
      let j = i + 1;
      if (target.charCodeAt(j) === 46) j++;
      const next = target.charCodeAt(j);
      if (j >= target.length || next === 47 || next === 63) return true;
    }
    if (c === 37 /* % */ && target.charCodeAt(i + 1) === 50 /* 2 */ && (target.charCodeAt(i + 2) | 0x20) === 101 /* e */) return true;
  }
  return false;
}

const hostCache = new Map<string, string>();

/** The origin (`scheme://host`) as the URL parser serialises it, cached per distinct Host value. */
function canonicalOrigin(scheme: string, host: string): string {
  const key = scheme + "://" + host;
  let origin = hostCache.get(key);
  if (origin === undefined) {
    origin = new URL(key + "/").origin; // throws on an invalid host or port
    if (hostCache.size >= 256) hostCache.clear();
    hostCache.set(key, origin);
  }
  return origin;
}

/** `example.com` of `example.com:8443`, `[::1]` of `[::1]:8080`: a forwarded host as SERVER_NAME. */
function hostWithoutPort(host: string): string {
  if (host.startsWith("[")) {
    const end = host.indexOf("]");
    return end < 0 ? host : host.slice(0, end + 1);
  }
  const colon = host.lastIndexOf(":");
  return colon < 0 ? host : host.slice(0, colon);
}

/**
 * Builds request URLs for one connection, remembering the last origin: clients send the same Host
 * on every request.
 *
 * @example
 * ```ts ignore
 * const urls = new RequestUrls(peer);
 * const [url, pathAndQuery] = urls.build(head, "http"); // throws on a bad target or host
 * ```
 */
export class RequestUrls {
  readonly #peer: PeerInfo;
  #host = "";
  #scheme = "";
  #origin = "";

  constructor(peer: PeerInfo) {
    this.#peer = peer;
  }

  /**
   * Applies proxy headers (trusted ones speak for the client; untrusted ones are removed, as in
   * Waitress) to `head`, and returns the request's URL and info, or why it is a bad request.
   */
  prepare(head: RequestHead, config: TargetConfig): { url: string; info: RequestInfo } | string {
    const peer = this.#peer;
    const apply = config.applyProxyHeaders ?? applyWithoutTrust;
    const proxied = apply({ peerAddress: peer.remoteAddress, peerPort: peer.remotePort, unix: peer.unix, scheme: peer.secure === true ? "https" : config.urlScheme, headers: head.headers }, config.proxy);
    if ("error" in proxied) {
      config.logger.warning(proxied.log);
      return proxied.error;
    }
    if (proxied.removed.length > 0 && config.proxy.logUntrusted) {
      config.logger.warning(`Removed untrusted headers (${proxied.removed.join(", ")}) from ${peer.remoteAddress || "a unix socket peer"}. Remove them upstream.`);
    }
    if (proxied.warnings) for (const warning of proxied.warnings) config.logger.warning(warning);
    head.headers = proxied.headers;
    if (proxied.host !== undefined) head.host = proxied.host;

    let url: string;
    let pathAndQuery: string;
    try {
      [url, pathAndQuery] = this.build(head, proxied.scheme);
    } catch {
      return "Bad URI";
    }
    const q = pathAndQuery.indexOf("?");
    const path = q >= 0 ? pathAndQuery.slice(0, q) : pathAndQuery;
    const split = config.urlPrefix ? splitPrefix(path, config.urlPrefix) : undefined;
    const info: RequestInfo = {
      remoteAddress: proxied.remoteAddress,
      remotePort: proxied.remotePort,
      localAddress: peer.localAddress,
      localPort: peer.localPort,
      scheme: proxied.scheme,
      scriptName: split ? split.scriptName : "",
      pathInfo: split ? split.pathInfo : path,
      rawTarget: head.target,
      httpVersion: head.minorVersion === 1 ? "HTTP/1.1" : "HTTP/1.0",
      serverName: proxied.host !== undefined ? hostWithoutPort(proxied.host) : config.serverName,
    };
    return { url, info };
  }

  /** The absolute URL and the origin-form path (and query) of the request; throws on a bad target or host. */
  build(head: RequestHead, scheme: string): [string, string] {
    const target = head.target;
    if (target.charCodeAt(0) !== 47 /* / */) {
      if (target === "*") return [`${canonicalOrigin(scheme, this.#hostFor(head))}/`, "*"];
      const url = new URL(target); // absolute-form: the target's authority wins over Host (RFC 9112 §3.2.2)
      return [url.href, url.pathname + url.search];
    }
    const host = this.#hostFor(head);
    let origin = this.#origin;
    if (host !== this.#host || scheme !== this.#scheme) {
      origin = this.#origin = canonicalOrigin(scheme, host);
      this.#host = host;
      this.#scheme = scheme;
    }
    if (pathNeedsNormalizing(target)) {
      const url = new URL(origin + target);
      return [url.href, url.pathname + url.search];
    }
    return [origin + target, target];
  }

  /** The Host, or (an HTTP/1.0 request without one) the address the connection arrived on. */
  #hostFor(head: RequestHead): string {
    if (head.host) return head.host;
    const peer = this.#peer;
    if (peer.unix) return "localhost";
    return peer.localAddress.includes(":") ? `[${peer.localAddress}]:${peer.localPort}` : `${peer.localAddress}:${peer.localPort}`;
  }
}
