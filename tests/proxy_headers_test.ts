/**
 * Proxy headers as data tables: every case of Waitress's tests/test_proxy_headers.py (named after
 * the Waitress test), the 3.0.2 rewrite of trusted list headers, the research notes' verified
 * examples, trusted-peer matching (lists, CIDR, IPv6, unix sockets), counts above 1 and the edge cases
 * of `Forwarded`.
 *
 * Waitress's environ maps to the outcome as: REMOTE_ADDR/REMOTE_PORT → remoteAddress/remotePort,
 * wsgi.url_scheme → scheme, HTTP_HOST → the `host` header the app sees (and `host`, the authority of
 * request.url), SERVER_NAME/SERVER_PORT → the host and port of that URL, HTTP_X_* → the headers.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  applyProxyHeaders,
  parseTrustedProxy,
  proxyConfigFromSettings,
  type ProxyConfig,
  type ProxyError,
  type ProxyOutcome,
} from "../src/policy/proxy_headers.ts";
import { resolveSettings } from "../src/settings/adjustments.ts";

interface Case {
  name: string;
  /** trustedProxy text; omitted = no trusted proxy. */
  trusted?: string;
  count?: number;
  trustedHeaders?: string[];
  clear?: boolean;
  /** Peer address and port; Waitress's DummyEnviron default is 127.0.0.1:8080. */
  peer?: [string, number];
  unix?: boolean;
  scheme?: string;
  /** Host header; Waitress's DummyEnviron sends "192.168.1.1:80". null = no Host header. */
  hostHeader?: string | null;
  headers: [string, string][];
  expect: {
    error?: string;
    remoteAddress?: string;
    remotePort?: number;
    scheme?: string;
    /** The host header the app sees (Waitress's HTTP_HOST). */
    httpHost?: string | null;
    /** outcome.host: undefined when the request's Host is kept. */
    host?: string | undefined;
    serverName?: string;
    serverPort?: string;
    /** Proxy headers the app sees, exactly (other headers are checked to be untouched). */
    proxyHeaders?: [string, string][];
    removed?: string[];
    warnings?: string[];
    sameArray?: boolean;
  };
}

const PROXY = new Set(["forwarded", "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "x-forwarded-port", "x-forwarded-by"]);

function configOf(c: Case): ProxyConfig {
  return {
    trusted: c.trusted === undefined ? undefined : parseTrustedProxy(c.trusted),
    count: c.count ?? 1,
    headers: new Set(c.trustedHeaders ?? []),
    clearUntrusted: c.clear ?? true,
    logUntrusted: false,
  };
}

function run(c: Case): { outcome: ProxyOutcome | ProxyError; input: string[] } {
  const input: string[] = [];
  const host = c.hostHeader === undefined ? "192.168.1.1:80" : c.hostHeader;
  if (host !== null) input.push("host", host);
  input.push("x-foo", "BAR");
  for (const [n, v] of c.headers) input.push(n, v);
  const snapshot = [...input];
  const [peerAddress, peerPort] = c.unix ? ["", 0] : c.peer ?? ["127.0.0.1", 8080];
  const outcome = applyProxyHeaders(
    { peerAddress, peerPort, unix: c.unix ?? false, scheme: c.scheme ?? "http", headers: input },
    configOf(c),
  );
  assert.deepEqual(input, snapshot, "the input headers are never modified in place");
  return { outcome, input };
}

function pairs(flat: string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i < flat.length; i += 2) out.push([flat[i], flat[i + 1]]);
  return out;
}

function check(c: Case): void {
  const { outcome, input } = run(c);
  const e = c.expect;
  if (e.error !== undefined) {
    assert.ok("error" in outcome, `expected an error, got ${JSON.stringify(outcome)}`);
    assert.equal(outcome.error, e.error);
    return;
  }
  assert.ok(!("error" in outcome), `unexpected error ${JSON.stringify(outcome)}`);
  const o = outcome as ProxyOutcome;
  if (e.remoteAddress !== undefined) assert.equal(o.remoteAddress, e.remoteAddress, "remoteAddress");
  if (e.remotePort !== undefined) assert.equal(o.remotePort, e.remotePort, "remotePort");
  if (e.scheme !== undefined) assert.equal(o.scheme, e.scheme, "scheme");
  if ("host" in e) assert.equal(o.host, e.host, "outcome.host");
  const seen = pairs(o.headers);
  const hostLines = seen.filter(([n]) => n === "host");
  assert.ok(hostLines.length <= 1, "at most one host header");
  if (e.httpHost !== undefined) assert.equal(hostLines[0]?.[1] ?? null, e.httpHost, "HTTP_HOST");
  if (e.serverName !== undefined || e.serverPort !== undefined) {
    const url = new URL(`${o.scheme}://${o.host ?? hostLines[0][1]}/`);
    if (e.serverName !== undefined) assert.equal(url.hostname, e.serverName, "SERVER_NAME");
    const port = url.port || (o.scheme === "https" ? "443" : "80");
    if (e.serverPort !== undefined) assert.equal(port, e.serverPort, "SERVER_PORT");
  }
  if (e.proxyHeaders !== undefined) assert.deepEqual(seen.filter(([n]) => PROXY.has(n)), e.proxyHeaders, "proxy headers");
  assert.deepEqual(seen.filter(([n]) => !PROXY.has(n) && n !== "host"), pairs(input).filter(([n]) => !PROXY.has(n) && n !== "host"),
    "other headers untouched");
  if (e.removed !== undefined) assert.deepEqual([...o.removed], e.removed, "removed");
  if (e.warnings !== undefined) assert.deepEqual(o.warnings ?? [], e.warnings, "warnings");
  if (e.sameArray !== undefined) assert.equal(o.headers === input, e.sameArray, "same array instance");
}

const ALL4 = ["x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "x-forwarded-port"];

/** Waitress tests/test_proxy_headers.py, one row per test, in file order. */
const WAITRESS: Case[] = [
  {
    name: "test_get_environment_values_w_scheme_override_untrusted",
    headers: [["x-forwarded-proto", "https"]],
    expect: { scheme: "http", remoteAddress: "127.0.0.1", proxyHeaders: [], removed: ["X-Forwarded-Proto"] },
  },
  {
    name: "test_get_environment_values_w_scheme_override_trusted",
    trusted: "192.168.1.1", trustedHeaders: ["x-forwarded-proto"], peer: ["192.168.1.1", 8080],
    headers: [["x-forwarded-proto", "https"]],
    expect: { scheme: "https", remoteAddress: "192.168.1.1", remotePort: 8080, host: undefined, httpHost: "192.168.1.1:80" },
  },
  {
    name: "test_get_environment_values_w_bogus_scheme_override",
    trusted: "192.168.1.1", trustedHeaders: ["x-forwarded-proto"], peer: ["192.168.1.1", 80],
    headers: [["x-forwarded-proto", "http://p02n3e.com?url=http"]],
    expect: { error: 'Header "X-Forwarded-Proto" malformed.' },
  },
  {
    name: "test_get_environment_warning_other_proxy_headers",
    trusted: "192.168.1.1", count: 1, trustedHeaders: ["forwarded"], peer: ["192.168.1.1", 80],
    headers: [["x-forwarded-for", "[2001:db8::1]"], ["forwarded", "For=198.51.100.2;host=example.com:8080;proto=https"]],
    expect: {
      removed: ["X-Forwarded-For"], remoteAddress: "198.51.100.2", serverName: "example.com",
      httpHost: "example.com:8080", host: "example.com:8080", serverPort: "8080", scheme: "https",
      proxyHeaders: [["forwarded", "For=198.51.100.2;host=example.com:8080;proto=https"]],
    },
  },
  {
    name: "test_get_environment_contains_all_headers_including_untrusted",
    trusted: "192.168.1.1", count: 1, trustedHeaders: ["x-forwarded-by"], clear: false, peer: ["192.168.1.1", 80],
    headers: [
      ["x-forwarded-for", "198.51.100.2"], ["x-forwarded-by", "Waitress"],
      ["x-forwarded-proto", "https"], ["x-forwarded-host", "example.org"],
    ],
    expect: {
      sameArray: true, removed: [], remoteAddress: "192.168.1.1", scheme: "http", host: undefined,
      proxyHeaders: [
        ["x-forwarded-for", "198.51.100.2"], ["x-forwarded-by", "Waitress"],
        ["x-forwarded-proto", "https"], ["x-forwarded-host", "example.org"],
      ],
    },
  },
  {
    name: "test_get_environment_contains_only_trusted_headers",
    trusted: "192.168.1.1", count: 1, trustedHeaders: ["x-forwarded-by"], clear: true, peer: ["192.168.1.1", 80],
    headers: [
      ["x-forwarded-for", "198.51.100.2"], ["x-forwarded-by", "Waitress"],
      ["x-forwarded-proto", "https"], ["x-forwarded-host", "example.org"],
    ],
    expect: {
      proxyHeaders: [["x-forwarded-by", "Waitress"]],
      removed: ["X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto"],
    },
  },
  {
    name: "test_get_environment_clears_headers_if_untrusted_proxy",
    trusted: "192.168.1.1", count: 1, trustedHeaders: ["x-forwarded-by"], clear: true, peer: ["192.168.1.255", 80],
    headers: [
      ["x-forwarded-for", "198.51.100.2"], ["x-forwarded-by", "Waitress"],
      ["x-forwarded-proto", "https"], ["x-forwarded-host", "example.org"],
    ],
    expect: {
      proxyHeaders: [], remoteAddress: "192.168.1.255",
      removed: ["X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "X-Forwarded-By"],
    },
  },
  {
    name: "test_parse_proxy_headers_forwarded_for",
    trusted: "*", trustedHeaders: ["x-forwarded-for"],
    headers: [["x-forwarded-for", "192.0.2.1"]],
    expect: { remoteAddress: "192.0.2.1" },
  },
  {
    name: "test_parse_proxy_headers_forwarded_for_v6_missing_brackets",
    trusted: "*", trustedHeaders: ["x-forwarded-for"],
    headers: [["x-forwarded-for", "2001:db8::0"]],
    expect: { remoteAddress: "2001:db8::0" },
  },
  {
    name: "test_parse_proxy_headers_forwared_for_multiple",
    trusted: "*", count: 2, trustedHeaders: ["x-forwarded-for"],
    headers: [["x-forwarded-for", "192.0.2.1, 198.51.100.2, 203.0.113.1"]],
    expect: { remoteAddress: "198.51.100.2", proxyHeaders: [["x-forwarded-for", "198.51.100.2, 203.0.113.1"]] },
  },
  {
    name: "test_parse_forwarded_multiple_proxies_trust_only_two",
    trusted: "*", count: 2, trustedHeaders: ["forwarded"],
    headers: [["forwarded", "For=192.0.2.1;host=fake.com, For=198.51.100.2;host=example.com:8080, For=203.0.113.1"]],
    expect: {
      remoteAddress: "198.51.100.2", serverName: "example.com", httpHost: "example.com:8080", serverPort: "8080",
      proxyHeaders: [["forwarded", "For=198.51.100.2;host=example.com:8080, For=203.0.113.1"]],
    },
  },
  {
    name: "test_parse_forwarded_multiple_proxies",
    trusted: "*", count: 2, trustedHeaders: ["forwarded"],
    headers: [["forwarded", 'for="[2001:db8::1]:3821";host="example.com:8443";proto="https", for=192.0.2.1;host="example.internal:8080"']],
    expect: {
      remoteAddress: "2001:db8::1", remotePort: 3821, serverName: "example.com", httpHost: "example.com:8443",
      serverPort: "8443", scheme: "https",
    },
  },
  {
    name: "test_parse_forwarded_multiple_proxies_minimal",
    trusted: "*", count: 2, trustedHeaders: ["forwarded"],
    headers: [["forwarded", 'for="[2001:db8::1]";proto="https", for=192.0.2.1;host="example.org"']],
    expect: {
      remoteAddress: "2001:db8::1", remotePort: 0, serverName: "example.org", httpHost: "example.org",
      serverPort: "443", scheme: "https",
    },
  },
  {
    name: "test_parse_proxy_headers_forwarded_host_with_port",
    trusted: "*", count: 2, trustedHeaders: ["x-forwarded-for", "x-forwarded-proto", "x-forwarded-host"],
    headers: [
      ["x-forwarded-for", "192.0.2.1, 198.51.100.2, 203.0.113.1"], ["x-forwarded-proto", "http"],
      ["x-forwarded-host", "example.com:8080"],
    ],
    expect: { remoteAddress: "198.51.100.2", serverName: "example.com", httpHost: "example.com:8080", serverPort: "8080" },
  },
  {
    name: "test_parse_proxy_headers_forwarded_host_without_port",
    trusted: "*", count: 2, trustedHeaders: ["x-forwarded-for", "x-forwarded-proto", "x-forwarded-host"],
    headers: [
      ["x-forwarded-for", "192.0.2.1, 198.51.100.2, 203.0.113.1"], ["x-forwarded-proto", "http"],
      ["x-forwarded-host", "example.com"],
    ],
    expect: { remoteAddress: "198.51.100.2", serverName: "example.com", httpHost: "example.com", serverPort: "80" },
  },
  {
    name: "test_parse_proxy_headers_forwarded_host_with_forwarded_port",
    trusted: "*", count: 2, trustedHeaders: ALL4,
    headers: [
      ["x-forwarded-for", "192.0.2.1, 198.51.100.2, 203.0.113.1"], ["x-forwarded-proto", "http"],
      ["x-forwarded-host", "example.com"], ["x-forwarded-port", "8080"],
    ],
    expect: { remoteAddress: "198.51.100.2", serverName: "example.com", httpHost: "example.com:8080", serverPort: "8080" },
  },
  {
    name: "test_parse_proxy_headers_forwarded_host_multiple_with_forwarded_port",
    trusted: "*", count: 2, trustedHeaders: ALL4,
    headers: [
      ["x-forwarded-for", "192.0.2.1, 198.51.100.2, 203.0.113.1"], ["x-forwarded-proto", "http"],
      ["x-forwarded-host", "example.com, example.org"], ["x-forwarded-port", "8080"],
    ],
    expect: { remoteAddress: "198.51.100.2", serverName: "example.com", httpHost: "example.com:8080", serverPort: "8080" },
  },
  {
    name: "test_parse_proxy_headers_forwarded_host_multiple_with_forwarded_port_limit_one_trusted",
    trusted: "*", count: 1, trustedHeaders: ALL4,
    headers: [
      ["x-forwarded-for", "192.0.2.1, 198.51.100.2, 203.0.113.1"], ["x-forwarded-proto", "http"],
      ["x-forwarded-host", "example.com, example.org"], ["x-forwarded-port", "8080"],
    ],
    expect: {
      remoteAddress: "203.0.113.1", serverName: "example.org", httpHost: "example.org:8080", serverPort: "8080",
      proxyHeaders: [
        ["x-forwarded-for", "203.0.113.1"], ["x-forwarded-proto", "http"],
        ["x-forwarded-host", "example.org"], ["x-forwarded-port", "8080"],
      ],
    },
  },
  {
    name: "test_parse_forwarded",
    trusted: "*", count: 1, trustedHeaders: ["forwarded"],
    headers: [["forwarded", "For=198.51.100.2:5858;host=example.com:8080;proto=https"]],
    expect: {
      remoteAddress: "198.51.100.2", remotePort: 5858, serverName: "example.com", httpHost: "example.com:8080",
      serverPort: "8080", scheme: "https",
    },
  },
  {
    name: "test_parse_forwarded_empty_pair",
    trusted: "*", count: 1, trustedHeaders: ["forwarded"],
    headers: [["forwarded", "For=198.51.100.2;;proto=https;by=_unused"]],
    expect: { remoteAddress: "198.51.100.2" },
  },
  {
    name: "test_parse_forwarded_pair_token_whitespace",
    trusted: "*", count: 1, trustedHeaders: ["forwarded"],
    headers: [["forwarded", "For=198.51.100.2; proto =https"]],
    expect: { error: 'Header "Forwarded" malformed.' },
  },
  {
    name: "test_parse_forwarded_pair_value_whitespace",
    trusted: "*", count: 1, trustedHeaders: ["forwarded"],
    headers: [["forwarded", 'For= "198.51.100.2"; proto =https']],
    expect: { error: 'Header "Forwarded" malformed.' },
  },
  {
    name: "test_parse_forwarded_pair_no_equals",
    trusted: "*", count: 1, trustedHeaders: ["forwarded"],
    headers: [["forwarded", "For"]],
    expect: { error: 'Header "Forwarded" malformed.' },
  },
  {
    name: "test_parse_forwarded_warning_unknown_token",
    trusted: "*", count: 1, trustedHeaders: ["forwarded"],
    headers: [["forwarded", 'For=198.51.100.2;host=example.com:8080;proto=https;unknown="yolo"']],
    expect: {
      warnings: ["Unknown Forwarded token: unknown"], remoteAddress: "198.51.100.2", serverName: "example.com",
      httpHost: "example.com:8080", serverPort: "8080", scheme: "https",
    },
  },
  {
    name: "test_parse_no_valid_proxy_headers",
    trusted: "*", count: 1,
    headers: [["x-forwarded-for", "198.51.100.2"], ["forwarded", "For=198.51.100.2;host=example.com:8080;proto=https"]],
    expect: {
      remoteAddress: "127.0.0.1", remotePort: 8080, httpHost: "192.168.1.1:80", host: undefined, scheme: "http",
      proxyHeaders: [], removed: ["Forwarded", "X-Forwarded-For"],
    },
  },
  {
    name: "test_parse_multiple_x_forwarded_proto",
    trusted: "*", count: 1, trustedHeaders: ["x-forwarded-proto"],
    headers: [["x-forwarded-proto", "http, https"]],
    expect: { error: 'Header "X-Forwarded-Proto" malformed.' },
  },
  {
    name: "test_parse_multiple_x_forwarded_port",
    trusted: "*", count: 1, trustedHeaders: ["x-forwarded-port"],
    headers: [["x-forwarded-port", "443, 80"]],
    expect: { error: 'Header "X-Forwarded-Port" malformed.' },
  },
  {
    name: "test_parse_forwarded_port_wrong_proto_port_80",
    trusted: "*", count: 1, trustedHeaders: ["x-forwarded-port", "x-forwarded-host", "x-forwarded-proto"],
    headers: [["x-forwarded-port", "80"], ["x-forwarded-proto", "https"], ["x-forwarded-host", "example.com"]],
    expect: { serverName: "example.com", httpHost: "example.com:80", serverPort: "80", scheme: "https" },
  },
  {
    name: "test_parse_forwarded_port_wrong_proto_port_443",
    trusted: "*", count: 1, trustedHeaders: ["x-forwarded-port", "x-forwarded-host", "x-forwarded-proto"],
    headers: [["x-forwarded-port", "443"], ["x-forwarded-proto", "http"], ["x-forwarded-host", "example.com"]],
    expect: { serverName: "example.com", httpHost: "example.com:443", serverPort: "443", scheme: "http" },
  },
  {
    name: "test_parse_forwarded_for_bad_quote",
    trusted: "*", count: 1, trustedHeaders: ["x-forwarded-for"],
    headers: [["x-forwarded-for", '"foo']],
    expect: { error: 'Header "X-Forwarded-For" malformed.' },
  },
  {
    name: "test_parse_forwarded_host_bad_quote",
    trusted: "*", count: 1, trustedHeaders: ["x-forwarded-host"],
    headers: [["x-forwarded-host", '"foo']],
    expect: { error: 'Header "X-Forwarded-Host" malformed.' },
  },
];

/** Waitress 3.0.2 (issue #451, PR #452) and the research notes' verified examples. */
const REWRITES: Case[] = [
  {
    name: "cuts X-Forwarded-For to the trusted suffix (3.0.2, section 3.11 example)",
    trusted: "127.0.0.1", trustedHeaders: ["x-forwarded-for"],
    headers: [["x-forwarded-for", "6.6.6.6, 203.0.113.7"]],
    expect: { remoteAddress: "203.0.113.7", remotePort: 0, proxyHeaders: [["x-forwarded-for", "203.0.113.7"]] },
  },
  {
    name: "applies the verified example of section 2.11 (for/host/proto/port trusted, count 1)",
    trusted: "127.0.0.1", count: 1, trustedHeaders: ALL4,
    headers: [
      ["x-forwarded-for", "9.9.9.9, 8.8.8.8"], ["x-forwarded-host", "example.com:8443"],
      ["forwarded", "for=1.1.1.1"], ["x-forwarded-by", "proxy"],
    ],
    expect: {
      remoteAddress: "8.8.8.8", serverName: "example.com", serverPort: "8443", httpHost: "example.com:8443",
      host: "example.com:8443", proxyHeaders: [["x-forwarded-for", "8.8.8.8"], ["x-forwarded-host", "example.com:8443"]],
      removed: ["Forwarded", "X-Forwarded-By"],
    },
  },
  {
    name: "cuts X-Forwarded-Host to the trusted suffix",
    trusted: "*", count: 1, trustedHeaders: ["x-forwarded-host"],
    headers: [["x-forwarded-host", "evil.example, good.example"]],
    expect: { host: "good.example", httpHost: "good.example", proxyHeaders: [["x-forwarded-host", "good.example"]] },
  },
  {
    name: "cuts Forwarded to the trusted elements, keeping their text",
    trusted: "*", count: 1, trustedHeaders: ["forwarded"],
    headers: [["forwarded", 'for=6.6.6.6;host=evil, For="[2001:DB8::7]";Proto=HTTPS']],
    expect: {
      remoteAddress: "2001:db8::7", scheme: "https", host: undefined,
      proxyHeaders: [["forwarded", 'For="[2001:DB8::7]";Proto=HTTPS']],
    },
  },
  {
    name: "keeps the whole list when it has no more entries than the count",
    trusted: "*", count: 3, trustedHeaders: ["x-forwarded-for"],
    headers: [["x-forwarded-for", "192.0.2.1, 198.51.100.2"]],
    expect: { remoteAddress: "192.0.2.1", proxyHeaders: [["x-forwarded-for", "192.0.2.1, 198.51.100.2"]], sameArray: true },
  },
  {
    name: "joins repeated X-Forwarded-For fields and collapses them into one",
    trusted: "*", count: 2, trustedHeaders: ["x-forwarded-for"],
    headers: [["x-forwarded-for", "192.0.2.1, 192.0.2.2"], ["x-forwarded-for", "198.51.100.2"]],
    expect: { remoteAddress: "192.0.2.2", proxyHeaders: [["x-forwarded-for", "192.0.2.2, 198.51.100.2"]] },
  },
];

const EDGES: Case[] = [
  // fast paths
  {
    name: "returns the same headers when no proxy header is present (trusted peer)",
    trusted: "*", trustedHeaders: ["x-forwarded-for"], headers: [["accept", "*/*"]],
    expect: { sameArray: true, removed: [], remoteAddress: "127.0.0.1", remotePort: 8080, scheme: "http", host: undefined },
  },
  {
    name: "returns the same headers when no proxy header is present (no trusted proxy)",
    headers: [["x-forwarded", "not a proxy header"], ["forwarded-for", "nor this"]],
    expect: { sameArray: true, removed: [] },
  },
  {
    name: "leaves untrusted proxy headers when clearUntrusted is false",
    clear: false, headers: [["x-forwarded-for", "1.2.3.4"], ["forwarded", "for=1.2.3.4"]],
    expect: { sameArray: true, removed: [], remoteAddress: "127.0.0.1" },
  },
  {
    name: "removes all six proxy headers from an untrusted peer, repeated ones too",
    trusted: "10.0.0.1", trustedHeaders: ["x-forwarded-for"],
    headers: [
      ["forwarded", "for=1.1.1.1"], ["x-forwarded-for", "1.1.1.1"], ["x-forwarded-host", "a"],
      ["x-forwarded-proto", "https"], ["x-forwarded-port", "1"], ["x-forwarded-by", "b"], ["x-forwarded-for", "2.2.2.2"],
    ],
    expect: {
      proxyHeaders: [], remoteAddress: "127.0.0.1", scheme: "http",
      removed: ["Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "X-Forwarded-Port", "X-Forwarded-By"],
    },
  },
  // X-Forwarded-For nodes
  {
    name: "takes address and port from an IPv4 X-Forwarded-For entry with a port",
    trusted: "*", trustedHeaders: ["x-forwarded-for"], headers: [["x-forwarded-for", "192.0.2.1:4711"]],
    expect: { remoteAddress: "192.0.2.1", remotePort: 4711 },
  },
  {
    name: "strips the brackets of a bracketed IPv6 X-Forwarded-For entry with a port",
    trusted: "*", trustedHeaders: ["x-forwarded-for"], headers: [["x-forwarded-for", "[2001:db8::1]:4711"]],
    expect: { remoteAddress: "2001:db8::1", remotePort: 4711 },
  },
  {
    name: "keeps an IPv4-mapped IPv6 X-Forwarded-For entry whole",
    trusted: "*", trustedHeaders: ["x-forwarded-for"], headers: [["x-forwarded-for", "::ffff:192.0.2.1"]],
    expect: { remoteAddress: "::ffff:192.0.2.1", remotePort: 0 },
  },
  {
    name: "unquotes a quoted X-Forwarded-For entry",
    trusted: "*", trustedHeaders: ["x-forwarded-for"], headers: [["x-forwarded-for", '"[2001:db8::2]"']],
    expect: { remoteAddress: "2001:db8::2" },
  },
  {
    name: "keeps the peer address when the trusted X-Forwarded-For entry is empty",
    trusted: "*", trustedHeaders: ["x-forwarded-for"], headers: [["x-forwarded-for", "1.2.3.4,"]],
    expect: { remoteAddress: "127.0.0.1", remotePort: 8080 },
  },
  {
    name: "gives port 0 for an obfuscated port",
    trusted: "*", trustedHeaders: ["forwarded"], headers: [["forwarded", 'for="_hidden:_port"']],
    expect: { remoteAddress: "_hidden", remotePort: 0 },
  },
  // X-Forwarded-Proto / -Port / -Host
  {
    name: "accepts a quoted, upper-case X-Forwarded-Proto",
    trusted: "*", trustedHeaders: ["x-forwarded-proto"], headers: [["x-forwarded-proto", '"HTTPS"']],
    expect: { scheme: "https", host: undefined, sameArray: true },
  },
  {
    name: "rejects an X-Forwarded-Proto other than http or https",
    trusted: "*", trustedHeaders: ["x-forwarded-proto"], headers: [["x-forwarded-proto", "ftp"]],
    expect: { error: 'Header "X-Forwarded-Proto" malformed.' },
  },
  {
    name: "rejects two X-Forwarded-Proto fields (joined they are a list)",
    trusted: "*", trustedHeaders: ["x-forwarded-proto"], headers: [["x-forwarded-proto", "https"], ["x-forwarded-proto", "https"]],
    expect: { error: 'Header "X-Forwarded-Proto" malformed.' },
  },
  {
    name: "ignores an empty X-Forwarded-Proto",
    trusted: "*", trustedHeaders: ["x-forwarded-proto"], headers: [["x-forwarded-proto", ""]],
    expect: { scheme: "http" },
  },
  {
    name: "rejects a non-numeric X-Forwarded-Port",
    trusted: "*", trustedHeaders: ["x-forwarded-port", "x-forwarded-host"], headers: [["x-forwarded-port", "https"], ["x-forwarded-host", "a.example"]],
    expect: { error: 'Header "X-Forwarded-Port" malformed.' },
  },
  {
    name: "rejects an X-Forwarded-Port above 65535",
    trusted: "*", trustedHeaders: ["x-forwarded-port"], headers: [["x-forwarded-port", "65536"]],
    expect: { error: 'Header "X-Forwarded-Port" malformed.' },
  },
  {
    name: "keeps the Host when only X-Forwarded-Port is trusted",
    trusted: "*", trustedHeaders: ["x-forwarded-port"], headers: [["x-forwarded-port", "8443"]],
    expect: { host: undefined, httpHost: "192.168.1.1:80", sameArray: true },
  },
  {
    name: "omits the default port of the configured urlScheme",
    trusted: "*", trustedHeaders: ["x-forwarded-port", "x-forwarded-host"], scheme: "https",
    headers: [["x-forwarded-port", "443"], ["x-forwarded-host", "example.com"]],
    expect: { host: "example.com", scheme: "https" },
  },
  {
    name: "lets the port in X-Forwarded-Host beat X-Forwarded-Port",
    trusted: "*", trustedHeaders: ["x-forwarded-port", "x-forwarded-host"],
    headers: [["x-forwarded-port", "9000"], ["x-forwarded-host", "example.com:8000"]],
    expect: { host: "example.com:8000", serverPort: "8000" },
  },
  {
    name: "accepts an IPv6 literal in X-Forwarded-Host, with and without a port",
    trusted: "*", trustedHeaders: ["x-forwarded-host", "x-forwarded-port"],
    headers: [["x-forwarded-host", "[2001:db8::1]"], ["x-forwarded-port", "8080"]],
    expect: { host: "[2001:db8::1]:8080", serverName: "[2001:db8::1]", serverPort: "8080" },
  },
  {
    name: "rejects an X-Forwarded-Host that is not a valid authority",
    trusted: "*", trustedHeaders: ["x-forwarded-host"], headers: [["x-forwarded-host", "exa mple.com"]],
    expect: { error: 'Header "X-Forwarded-Host" malformed.' },
  },
  {
    name: "rejects an X-Forwarded-Host with a port above 65535",
    trusted: "*", trustedHeaders: ["x-forwarded-host"], headers: [["x-forwarded-host", "example.com:99999"]],
    expect: { error: 'Header "X-Forwarded-Host" malformed.' },
  },
  {
    name: "adds a host header to a request that had none (HTTP/1.0)",
    trusted: "*", trustedHeaders: ["x-forwarded-host"], hostHeader: null, headers: [["x-forwarded-host", "example.com"]],
    expect: { host: "example.com", httpHost: "example.com" },
  },
  {
    name: "keeps X-Forwarded-By from a trusted proxy without interpreting it",
    trusted: "*", trustedHeaders: ["x-forwarded-by", "x-forwarded-proto"],
    headers: [["x-forwarded-by", "203.0.113.9"], ["x-forwarded-proto", "https"]],
    expect: { sameArray: true, removed: [], remoteAddress: "127.0.0.1", scheme: "https" },
  },
  // Forwarded
  {
    name: "splits Forwarded outside quoted strings (a quoted comma and semicolon)",
    trusted: "*", count: 1, trustedHeaders: ["forwarded"],
    headers: [["forwarded", 'for=6.6.6.6, for="198.51.100.9";by="a,b;c"']],
    expect: { remoteAddress: "198.51.100.9", proxyHeaders: [["forwarded", 'for="198.51.100.9";by="a,b;c"']] },
  },
  {
    name: "joins repeated Forwarded fields before counting",
    trusted: "*", count: 1, trustedHeaders: ["forwarded"],
    headers: [["forwarded", "for=6.6.6.6;proto=https"], ["forwarded", "for=198.51.100.3"]],
    expect: { remoteAddress: "198.51.100.3", scheme: "http", proxyHeaders: [["forwarded", "for=198.51.100.3"]] },
  },
  {
    name: "lets the oldest trusted Forwarded element win, filling gaps from newer ones",
    trusted: "*", count: 3, trustedHeaders: ["forwarded"],
    headers: [["forwarded", "for=192.0.2.60;proto=https, for=192.0.2.61;host=inner.example, for=192.0.2.62;host=other.example;proto=http"]],
    expect: { remoteAddress: "192.0.2.60", scheme: "https", host: "inner.example" },
  },
  {
    name: "counts an empty Forwarded element as a hop (nothing from it is used)",
    trusted: "*", count: 1, trustedHeaders: ["forwarded"],
    headers: [["forwarded", "for=6.6.6.6;proto=https,"]],
    expect: { remoteAddress: "127.0.0.1", scheme: "http", proxyHeaders: [["forwarded", ""]] },
  },
  {
    name: "ignores an empty Forwarded header",
    trusted: "*", count: 1, trustedHeaders: ["forwarded"], headers: [["forwarded", ""]],
    expect: { remoteAddress: "127.0.0.1", sameArray: true },
  },
  {
    name: "lower-cases Forwarded parameter names and values",
    trusted: "*", count: 1, trustedHeaders: ["forwarded"],
    headers: [["forwarded", "FOR=192.0.2.43;HOST=Example.COM;PROTO=HTTPS"]],
    expect: { remoteAddress: "192.0.2.43", host: "example.com", scheme: "https" },
  },
  {
    name: "takes the last of repeated parameters in one Forwarded element",
    trusted: "*", count: 1, trustedHeaders: ["forwarded"], headers: [["forwarded", "for=192.0.2.1;for=192.0.2.2"]],
    expect: { remoteAddress: "192.0.2.2" },
  },
  {
    name: "keeps an obfuscated or unknown Forwarded for= as the address",
    trusted: "*", count: 1, trustedHeaders: ["forwarded"], headers: [["forwarded", "for=unknown"]],
    expect: { remoteAddress: "unknown", remotePort: 0 },
  },
  {
    name: "splits an unquoted bare IPv6 Forwarded for= as one address",
    trusted: "*", count: 1, trustedHeaders: ["forwarded"], headers: [["forwarded", "for=2001:db8::5"]],
    expect: { remoteAddress: "2001:db8::5", remotePort: 0 },
  },
  {
    name: 'rejects a Forwarded proto other than http or https as "Forwarded Proto="',
    trusted: "*", count: 1, trustedHeaders: ["forwarded"], headers: [["forwarded", "for=192.0.2.1;proto=gopher"]],
    expect: { error: 'Header "Forwarded Proto=" malformed.' },
  },
  {
    name: "rejects a Forwarded value with broken quoting",
    trusted: "*", count: 1, trustedHeaders: ["forwarded"], headers: [["forwarded", 'for="192.0.2.1']],
    expect: { error: 'Header "Forwarded" malformed.' },
  },
  {
    name: "rejects a quoted-string with a bad escape",
    trusted: "*", count: 1, trustedHeaders: ["forwarded"], headers: [["forwarded", 'for="192.0.2.1\\"']],
    expect: { error: 'Header "Forwarded" malformed.' },
  },
  {
    name: "rejects a Forwarded host with a bad port",
    trusted: "*", count: 1, trustedHeaders: ["forwarded"], headers: [["forwarded", "host=example.com:http"]],
    expect: { error: 'Header "Forwarded" malformed.' },
  },
  {
    name: "rejects whitespace after a semicolon in Forwarded (RFC 7239 has no OWS there)",
    trusted: "*", count: 1, trustedHeaders: ["forwarded"], headers: [["forwarded", "for=192.0.2.1; proto=https"]],
    expect: { error: 'Header "Forwarded" malformed.' },
  },
  {
    name: "accepts escaped characters in a Forwarded quoted-string",
    trusted: "*", count: 1, trustedHeaders: ["forwarded"], headers: [["forwarded", 'for="\\u\\n\\known"']],
    expect: { remoteAddress: "unknown" },
  },
  {
    name: "ignores a trusted header the configuration does not name but removes it",
    trusted: "*", count: 1, trustedHeaders: ["forwarded"], headers: [["x-forwarded-proto", "https"]],
    expect: { scheme: "http", proxyHeaders: [], removed: ["X-Forwarded-Proto"] },
  },
  // unix sockets
  {
    name: 'trusts a unix-socket peer when trustedProxy has "localhost"',
    trusted: "localhost", unix: true, trustedHeaders: ["x-forwarded-for", "x-forwarded-proto"],
    headers: [["x-forwarded-for", "203.0.113.5"], ["x-forwarded-proto", "https"]],
    expect: { remoteAddress: "203.0.113.5", scheme: "https" },
  },
  {
    name: "does not trust a unix-socket peer for an address entry",
    trusted: "127.0.0.1", unix: true, trustedHeaders: ["x-forwarded-for"],
    headers: [["x-forwarded-for", "203.0.113.5"]],
    expect: { remoteAddress: "", remotePort: 0, proxyHeaders: [], removed: ["X-Forwarded-For"] },
  },
  {
    name: 'trusts a unix-socket peer for "*"',
    trusted: "*", unix: true, trustedHeaders: ["x-forwarded-for"], headers: [["x-forwarded-for", "203.0.113.5"]],
    expect: { remoteAddress: "203.0.113.5" },
  },
  // trust by list and CIDR
  {
    name: "trusts a peer inside a CIDR range of a list",
    trusted: "192.0.2.1 10.0.0.0/8", peer: ["10.200.3.4", 5000], trustedHeaders: ["x-forwarded-for"],
    headers: [["x-forwarded-for", "203.0.113.5"]],
    expect: { remoteAddress: "203.0.113.5" },
  },
  {
    name: "does not trust a peer outside every range of a list",
    trusted: "192.0.2.1 10.0.0.0/8", peer: ["11.0.0.1", 5000], trustedHeaders: ["x-forwarded-for"],
    headers: [["x-forwarded-for", "203.0.113.5"]],
    expect: { remoteAddress: "11.0.0.1", removed: ["X-Forwarded-For"] },
  },
  {
    name: "trusts an IPv4-mapped IPv6 peer for an IPv4 entry",
    trusted: "127.0.0.1", peer: ["::ffff:127.0.0.1", 5000], trustedHeaders: ["x-forwarded-for"],
    headers: [["x-forwarded-for", "203.0.113.5"]],
    expect: { remoteAddress: "203.0.113.5" },
  },
];

describe("applyProxyHeaders() - Waitress test_proxy_headers.py", () => {
  for (const c of WAITRESS) it(`applyProxyHeaders() ${c.name}`, () => check(c));
  it("has a row for each of Waitress's 31 tests", () => assert.equal(new Set(WAITRESS.map((c) => c.name)).size, 31));
});

describe("applyProxyHeaders() - trusted list rewrite (Waitress 3.0.2)", () => {
  for (const c of REWRITES) it(`applyProxyHeaders() ${c.name}`, () => check(c));
});

describe("applyProxyHeaders() - edge cases", () => {
  for (const c of EDGES) it(`applyProxyHeaders() ${c.name}`, () => check(c));

  it("applyProxyHeaders() reports the malformed value and the peer in the log line", () => {
    const { outcome } = run({
      name: "", trusted: "*", trustedHeaders: ["x-forwarded-proto"], peer: ["192.0.2.200", 1],
      headers: [["x-forwarded-proto", "ftp"]], expect: {},
    });
    assert.ok("error" in outcome);
    assert.equal(outcome.log, 'Malformed proxy header "X-Forwarded-Proto" from "192.0.2.200": unsupported proto value value: "ftp"');
  });

  it("applyProxyHeaders() puts the rewritten host header where the Host was", () => {
    const { outcome } = run({
      name: "", trusted: "*", trustedHeaders: ["x-forwarded-host", "x-forwarded-for"], hostHeader: "backend",
      headers: [["x-forwarded-for", "1.1.1.1, 2.2.2.2"], ["x-forwarded-host", "example.com"], ["x-forwarded-for", "3.3.3.3"]], expect: {},
    });
    assert.ok(!("error" in outcome));
    assert.deepEqual(outcome.headers, [
      "host", "example.com", "x-foo", "BAR", "x-forwarded-for", "3.3.3.3", "x-forwarded-host", "example.com",
    ]);
  });
});

describe("parseTrustedProxy()", () => {
  const MATCHES: [spec: string, address: string, unix: boolean, expected: boolean][] = [
    ["127.0.0.1", "127.0.0.1", false, true],
    ["127.0.0.1", "127.0.0.2", false, false],
    ["127.0.0.1", "::ffff:127.0.0.1", false, true],
    ["127.0.0.1", "::1", false, false],
    ["10.0.0.0/8", "10.255.255.255", false, true],
    ["10.0.0.0/8", "11.0.0.0", false, false],
    ["192.168.1.0/31", "192.168.1.1", false, true],
    ["192.168.1.0/31", "192.168.1.2", false, false],
    ["0.0.0.0/0", "203.0.113.1", false, true],
    ["0.0.0.0/0", "2001:db8::1", false, false],
    ["::1", "::1", false, true],
    ["::1", "0:0:0:0:0:0:0:1", false, true],
    ["2001:db8::1", "2001:DB8:0::1", false, true],
    ["fd00::/8", "fdff:1:2::3", false, true],
    ["fd00::/8", "fe00::1", false, false],
    ["2001:db8::/32", "2001:db8:ffff::1", false, true],
    ["2001:db8::/33", "2001:db8:8000::1", false, false],
    ["fe80::/10", "fe80::1%eth0", false, true],
    ["::ffff:0:0/96", "198.51.100.1", false, true],
    ["::/0", "198.51.100.1", false, true],
    ["[::1]", "::1", false, true],
    ["localhost", "", true, true],
    ["localhost", "127.0.0.1", false, false],
    ["127.0.0.1", "", true, false],
    ["*", "", true, true],
    ["*", "203.0.113.1", false, true],
    ["127.0.0.1 ::1 10.0.0.0/8", "::1", false, true],
    ["127.0.0.1, 10.0.0.0/8", "10.1.1.1", false, true],
    ["127.0.0.1", "not-an-address", false, false],
    ["127.0.0.1", "", false, false],
  ];
  for (const [spec, address, unix, expected] of MATCHES) {
    it(`parseTrustedProxy(${JSON.stringify(spec)}) ${expected ? "trusts" : "does not trust"} ${unix ? "a unix peer" : JSON.stringify(address)}`, () => {
      const trusted = parseTrustedProxy(spec);
      assert.equal(trusted(address, unix), expected);
      assert.equal(trusted(address, unix), expected, "same answer from the cache");
    });
  }

  for (const bad of ["example.com", "10.0.0.0/33", "::/129", "10.0.0.256", "1.2.3", "10.0.0.0/x", "::1::2"]) {
    it(`parseTrustedProxy() throws a TypeError naming ${JSON.stringify(bad)}`, () => {
      assert.throws(() => parseTrustedProxy(bad), (e: unknown) => e instanceof TypeError && e.message.includes(JSON.stringify(bad)));
    });
  }
});

describe("proxyConfigFromSettings()", () => {
  it("proxyConfigFromSettings() turns resolved settings into a config", () => {
    const { settings } = resolveSettings({
      trustedProxy: "127.0.0.1, 10.0.0.0/8", trustedProxyCount: 2, trustedProxyHeaders: "x-forwarded-for x-forwarded-proto",
      logUntrustedProxyHeaders: true,
    });
    const config = proxyConfigFromSettings(settings);
    assert.equal(config.count, 2);
    assert.deepEqual([...config.headers].sort(), ["x-forwarded-for", "x-forwarded-proto"]);
    assert.equal(config.clearUntrusted, true);
    assert.equal(config.logUntrusted, true);
    assert.ok(config.trusted?.("10.9.9.9", false));
    assert.ok(!config.trusted?.("192.0.2.1", false));
  });

  it("proxyConfigFromSettings() trusts nobody without trustedProxy and defaults the count to 1", () => {
    const config = proxyConfigFromSettings(resolveSettings({}).settings);
    assert.equal(config.trusted, undefined);
    assert.equal(config.count, 1);
    assert.equal(config.clearUntrusted, true);
  });

  it("proxyConfigFromSettings() keeps the implicit x-forwarded-proto of a bare trustedProxy", () => {
    const config = proxyConfigFromSettings(resolveSettings({ trustedProxy: "::1" }).settings);
    assert.deepEqual([...config.headers], ["x-forwarded-proto"]);
    const outcome = applyProxyHeaders({ peerAddress: "::1", peerPort: 1, unix: false, scheme: "http", headers: ["x-forwarded-proto", "https"] }, config);
    assert.ok(!("error" in outcome));
    assert.equal(outcome.scheme, "https");
  });
});
