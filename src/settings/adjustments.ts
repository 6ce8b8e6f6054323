/**
 * Settings ("adjustments" in Waitress): one table that defines every setting once and
 * drives the `serve()` options (camelCase), the CLI flags (`--kebab-case`) and the
 * PasteDeploy-style config-file keys (`snake_case`), plus the generated `--help` text
 * and README table. Each row carries its cast (`casts.ts`; the address casts are in
 * `addresses.ts`); the types are in `types.ts`; the command-line parser, the `--help` text
 * and the README table in `cli_args.ts`.
 *
 * Pure: no I/O, no DNS. Host names are validated for shape only; the adapters resolve them.
 *
 * @module
 */

import { ipFamily } from "../http1/ip.ts";
import type { LogLevel } from "../policy/logger.ts";
import { castHost, castListen, castProxyHeaders, castTrustedProxy, type ListenAddress } from "./addresses.ts";
import {
  castAccessLogFormat,
  castContext,
  castIdent,
  castOptionalInt,
  castPem,
  castPort,
  castUnixSocket,
  castUrlPrefix,
  castUrlScheme,
  KIND_CASTS,
  type Naming,
  namingFor,
  type SettingRow,
  show,
} from "./casts.ts";
import type { RawSettingOptions, Settings, SettingSpec } from "./types.ts";

export type { ListenAddress, ProxyHeader } from "./addresses.ts";
export type { LogLevel } from "../policy/logger.ts";
export type {
  ProxyHeaderList,
  RawSettingOptions,
  ServeOptions,
  SettingInputs,
  SettingKind,
  Settings,
  SettingSpec,
} from "./types.ts";
export { asBool } from "./casts.ts";

const camelToSnake = (name: string): string => name.replace(/[A-Z]/g, (c) => "_" + c.toLowerCase());

/** A row as written in the table: the derived fields optional, the cast required for `list` rows
 * (other kinds default to their kind's cast). */
type RowInput =
  & Omit<SettingRow, "snake" | "flag" | "cli" | "origin" | "metavar" | "defaultText" | "cast" | "kind">
  & { cli?: boolean; origin?: SettingSpec["origin"]; metavar?: string; defaultText?: string }
  & ({ kind: "list"; cast: SettingRow["cast"] } | { kind: Exclude<SettingSpec["kind"], "list">; cast?: SettingRow["cast"] });

function row(input: RowInput): SettingRow {
  const snake = camelToSnake(input.name);
  const metavar = input.metavar ??
    ({ int: "INT", seconds: "SECONDS", bool: "", octal: "PERMS", list: "LIST", choice: "LEVEL",
      boolOrString: "FILE", sockets: "", string: "STR" } as const)[input.kind];
  return Object.freeze({
    ...input,
    cast: input.kind === "list" ? input.cast : input.cast ?? KIND_CASTS[input.kind],
    snake,
    flag: snake.replace(/_/g, "-"),
    cli: input.cli ?? true,
    origin: input.origin ?? "waitress",
    metavar,
    defaultText: input.defaultText ?? String(input.default),
  });
}

const LOG_LEVELS: readonly LogLevel[] = ["debug", "info", "warning", "error"];

const ROWS: readonly SettingRow[] = Object.freeze([
  // ---- Listening
  row({ name: "host", kind: "string", cast: castHost, default: "0.0.0.0", group: "Listening", metavar: "ADDR",
    help: 'Host name or IP address to listen on; "0.0.0.0" means all IPv4 interfaces, "*" all ' +
      "interfaces of the enabled families. Not combinable with listen, unixSocket or sockets." }),
  row({ name: "port", kind: "int", cast: castPort, default: 8080, min: 0, max: 65535, group: "Listening", metavar: "PORT",
    help: "TCP port to listen on; 0 picks a free port. Not combinable with listen, unixSocket or sockets." }),
  row({ name: "listen", kind: "list", cast: (value, ctx) => castListen(value, ctx.settings.port, ctx),
    default: [{ host: "0.0.0.0", port: 8080 }], group: "Listening",
    metavar: "HOST:PORT", defaultText: "0.0.0.0:8080 (from host and port)",
    help: 'Space-separated HOST:PORT entries to listen on, e.g. "127.0.0.1:8080 [::1]:8080" or ' +
      '"*:6543" ("*" = all interfaces of the enabled families). IPv6 addresses go in brackets; an ' +
      "entry without a port uses 8080. On the command line, repeat --listen.",
    resolvedHelp: "TCP listeners to open; empty when `unixSocket` or `sockets` is used." }),
  row({ name: "ipv4", kind: "bool", default: true, group: "Listening",
    help: 'Use IPv4 addresses when binding ("*" and host names); IPv4 literals are refused when off.' }),
  row({ name: "ipv6", kind: "bool", default: true, group: "Listening",
    help: 'Use IPv6 addresses when binding ("*" and host names); IPv6 literals are refused when off.' }),
  row({ name: "unixSocket", kind: "string", cast: castUnixSocket, default: undefined, defaultText: "(none)", group: "Listening",
    metavar: "PATH",
    help: "Path of a Unix domain socket to listen on instead of TCP. Not combinable with host, " +
      "port, listen or sockets." }),
  row({ name: "unixSocketPerms", kind: "octal", default: 0o600, defaultText: "600", min: 0, max: 0o777,
    group: "Listening", help: "Permissions of the Unix socket file, in octal." }),
  row({ name: "sockets", kind: "sockets", default: [], defaultText: "[]", cli: false, group: "Listening",
    help: "Inherited listening sockets to serve, as file descriptor numbers (Waitress: socket objects), " +
      "e.g. [3]: TCP or Unix stream sockets a parent process or supervisor bound. serve() only; waitress-serve " +
      "fills it from systemd socket activation. Node and Bun; Deno cannot listen on an inherited descriptor. " +
      "Not combinable with host, port, listen or unixSocket." }),
  // ---- TLS
  row({ name: "tlsCert", kind: "string", cast: castPem, default: undefined, defaultText: "(none)", group: "TLS",
    origin: "extension", metavar: "FILE",
    help: "Serve HTTPS: the server certificate's PEM file (in serve() also PEM text or bytes), optionally " +
      "followed by its intermediate certificates. Needs tlsKey. SIGHUP reloads it (waitress-serve)." }),
  row({ name: "tlsKey", kind: "string", cast: castPem, default: undefined, defaultText: "(none)", group: "TLS",
    origin: "extension", metavar: "FILE",
    help: "The private key of tlsCert: a PEM file (in serve() also PEM text or bytes). Needs tlsCert." }),
  row({ name: "tlsPassphrase", kind: "string", default: undefined, defaultText: "(none)", group: "TLS",
    origin: "extension", metavar: "TEXT",
    help: "Passphrase of an encrypted tlsKey (Node and Bun; Deno reads unencrypted keys only)." }),
  row({ name: "tlsCa", kind: "string", cast: castPem, default: undefined, defaultText: "(none)", group: "TLS",
    origin: "extension", metavar: "FILE",
    help: "Intermediate CA certificates (PEM) sent after tlsCert, when tlsCert holds the server certificate alone." }),
  // ---- Application
  // Default 0 (Waitress: 4): inline is the fast path for async handlers, and only a module
  // specifier can move to worker threads; a plain function passed to serve() must just work.
  row({ name: "threads", kind: "int", default: 0, min: 0, group: "Application",
    help: "Size of the worker pool that runs handlers (Waitress: worker threads, default 4); 0 runs " +
      "handlers inline on the I/O thread. Threads need the app as a module (serve(\"./app.ts\") or the CLI)." }),
  row({ name: "workers", kind: "int", default: 1, min: 1, group: "Application",
    help: "Number of server processes that share the listening addresses, under a supervisor that restarts " +
      "them, drains them on SIGTERM and replaces them one at a time on SIGHUP. waitress-serve only: " +
      "serve() refuses more than 1." }),
  row({ name: "urlScheme", kind: "string", cast: castUrlScheme, default: "http", group: "Application", metavar: "SCHEME",
    help: "Scheme of request URLs (lower-cased) on plain listeners (https with tlsCert); a trusted proxy may override it per request." }),
  row({ name: "urlPrefix", kind: "string", cast: castUrlPrefix, default: "", defaultText: '""', group: "Application",
    metavar: "PREFIX",
    help: 'Path prefix the application is mounted under (Waitress: SCRIPT_NAME); written as "/prefix".' }),
  row({ name: "ident", kind: "string", cast: castIdent, default: "waitress", group: "Application",
    help: "Value of the Server response header; an empty string sends no Server header." }),
  row({ name: "serverName", kind: "string", default: "waitress.invalid", group: "Application",
    metavar: "NAME",
    help: "Server name reported to the application (Waitress: SERVER_NAME); never taken from the " +
      "Host header, only from a trusted proxy header." }),
  row({ name: "exposeTracebacks", kind: "bool", default: false, group: "Application",
    help: "Put the error stack of unhandled handler errors into the 500 response. Development only." }),
  // ---- Proxy
  row({ name: "trustedProxy", kind: "list", cast: castTrustedProxy, default: undefined, defaultText: "(none)", group: "Proxy",
    metavar: "ADDRS",
    help: 'Peers allowed to set proxy headers: IP addresses and CIDR ranges separated by spaces or ' +
      'commas, "*" for any peer, "localhost" for Unix-socket peers.',
    resolvedHelp: "Normalised, space-separated entries (addresses, CIDR ranges, `*`, `localhost`), or undefined." }),
  row({ name: "trustedProxyCount", kind: "int", cast: castOptionalInt, default: undefined, min: 1, group: "Proxy",
    defaultText: "1 (when trustedProxy is set)",
    help: "Number of proxies in front of the server: how many right-most entries of " +
      "X-Forwarded-For, X-Forwarded-Host and Forwarded are trusted. Requires trustedProxy.",
    resolvedHelp: "1 when `trustedProxy` is set and no count was given; undefined without `trustedProxy`." }),
  row({ name: "trustedProxyHeaders", kind: "list", cast: castProxyHeaders, default: new Set<string>(), group: "Proxy",
    metavar: "NAMES", defaultText: "x-forwarded-proto (when trustedProxy is set)",
    help: "Proxy headers trusted from trustedProxy: any of x-forwarded-for, x-forwarded-host, " +
      "x-forwarded-proto, x-forwarded-port, x-forwarded-by; or forwarded alone. Requires trustedProxy." }),
  row({ name: "clearUntrustedProxyHeaders", kind: "bool", default: true, group: "Proxy",
    help: "Remove Forwarded and X-Forwarded-* headers that are not trusted before the handler runs." }),
  row({ name: "logUntrustedProxyHeaders", kind: "bool", default: false, group: "Proxy",
    help: "Log a warning naming the untrusted proxy headers that were removed." }),
  // ---- Limits
  row({ name: "maxRequestLineSize", kind: "int", default: 16384, min: 1, group: "Limits",
    origin: "extension", help: "Maximum bytes of the request line; longer request lines are rejected." }),
  row({ name: "maxRequestHeaderSize", kind: "int", default: 262144, min: 1, group: "Limits",
    help: "Maximum bytes of the request line and headers together (431 when exceeded)." }),
  row({ name: "maxHeaderFields", kind: "int", default: 100, min: 1, group: "Limits", origin: "extension",
    help: "Maximum number of header fields in a request head." }),
  row({ name: "maxRequestBodySize", kind: "int", default: 1073741824, min: 0, group: "Limits",
    help: "Maximum bytes of a request body (413 when exceeded)." }),
  row({ name: "maxChunkExtensionSize", kind: "int", default: 4096, min: 0, group: "Limits",
    origin: "extension", help: "Maximum bytes of chunk extensions on one chunk of a chunked request body." }),
  row({ name: "maxTrailerSize", kind: "int", default: 16384, min: 0, group: "Limits", origin: "extension",
    help: "Maximum bytes of the trailer section of a chunked request body." }),
  row({ name: "connectionLimit", kind: "int", default: 100, min: 1, group: "Limits",
    help: "Stop accepting new connections while this many client connections are open." }),
  // ---- Timeouts
  row({ name: "headerTimeout", kind: "seconds", default: 60, min: 0, minExclusive: true, group: "Timeouts",
    origin: "extension", help: "Seconds a client has to send a complete request head (line and headers): for a " +
      "connection's first request counted from accept (one that sends nothing is closed), for later ones from their first byte." }),
  row({ name: "bodyTimeout", kind: "seconds", default: 60, min: 0, minExclusive: true, group: "Timeouts",
    origin: "extension", help: "Seconds without any progress while a request body is being read." }),
  row({ name: "channelTimeout", kind: "seconds", default: 120, min: 0, minExclusive: true, group: "Timeouts",
    help: "Seconds an inactive connection (nothing received, nothing sent) is kept open." }),
  row({ name: "cleanupInterval", kind: "seconds", default: 30, min: 0, minExclusive: true, group: "Timeouts",
    help: "Minimum seconds between sweeps that close inactive connections (see channelTimeout)." }),
  row({ name: "reclaimTimeout", kind: "seconds", default: 0.5, min: 0, group: "Timeouts", origin: "extension",
    help: "While clients wait at connectionLimit: seconds after which a connection that serves nobody is " +
      "closed to make room, oldest first: one awaiting a request head or a first byte, a request body " +
      "the app waits for, or a response the client does not read. Idle keep-alive connections are closed at once." }),
  row({ name: "shutdownTimeout", kind: "seconds", default: 30, min: 0, group: "Timeouts", origin: "extension",
    help: "Seconds server.close() waits for in-flight requests before closing their connections." }),
  // ---- Tuning
  row({ name: "backlog", kind: "int", default: 1024, min: 0, group: "Tuning",
    help: "Length of the OS queue of connections waiting to be accepted (listen backlog)." }),
  row({ name: "recvBytes", kind: "int", default: 8192, min: 1, group: "Tuning", origin: "compat",
    help: "Accepted for Waitress compatibility; has no effect: each runtime reads what the socket has " +
      "(up to 64 KiB at a time), and setting it logs a warning." }),
  row({ name: "sendBytes", kind: "int", default: 1, min: 1, group: "Tuning",
    deprecated: "sendBytes is deprecated (as in Waitress) and has no effect; remove it.",
    help: "Deprecated in Waitress; accepted and ignored." }),
  row({ name: "outbufOverflow", kind: "int", default: 1048576, min: 0, group: "Tuning",
    help: "Bytes of pending response data per output buffer before it overflows (Waitress: to a temp file)." }),
  row({ name: "outbufHighWatermark", kind: "int", default: 16777216, min: 1, group: "Tuning",
    help: "Pending response bytes per connection above which the response body is paused (backpressure)." }),
  row({ name: "inbufOverflow", kind: "int", default: 524288, min: 0, group: "Tuning",
    help: "Bytes of request body buffered in memory before it overflows (Waitress: to a temp file)." }),
  row({ name: "channelRequestLookahead", kind: "int", default: 0, min: 0, group: "Tuning", origin: "compat",
    help: "Accepted for Waitress compatibility; has no effect (setting it logs a warning): this server " +
      "always reads ahead (up to maxLookaheadBytes) while a handler runs, so client disconnects are always detected." }),
  row({ name: "maxLookaheadBytes", kind: "int", default: 65536, min: 0, group: "Limits", origin: "extension",
    help: "Bytes of pipelined input read ahead while a request is served; beyond it the server stops " +
      "reading from that client until the request is done." }),
  // ---- WebSocket
  row({ name: "wsMaxMessageSize", kind: "int", default: 16777216, min: 1, group: "WebSocket", origin: "extension",
    help: "Largest WebSocket message a client may send, in bytes (after decompression); a larger one closes the connection with 1009." }),
  row({ name: "wsMaxFragments", kind: "int", default: 65536, min: 1, group: "WebSocket", origin: "extension",
    help: "Most frames one WebSocket message may arrive in; more closes the connection with 1009." }),
  row({ name: "wsPerMessageDeflate", kind: "bool", default: false, group: "WebSocket", origin: "extension",
    help: "Compress WebSocket messages with permessage-deflate (RFC 7692) when the client offers it: messages of " +
      "1 KiB and more are sent compressed; what a client sends compressed may inflate to at most wsMaxMessageSize (else 1009)." }),
  row({ name: "wsPingInterval", kind: "seconds", default: 30, min: 0, group: "WebSocket", origin: "extension",
    help: "Seconds without a frame from a WebSocket client before the server pings it; 0 never pings. " +
      "upgradeWebSocket()'s idleTimeout overrides it per socket." }),
  row({ name: "wsPingTimeout", kind: "seconds", default: 30, min: 0, minExclusive: true, group: "WebSocket", origin: "extension",
    help: "Seconds a WebSocket client has to answer a ping, or the server's close frame, before the connection is dropped." }),
  // ---- Logging
  // createServer() keeps "warning" (a building block stays quiet); serve() and the CLI use "info".
  row({ name: "logLevel", kind: "choice", default: "warning", choices: LOG_LEVELS, group: "Logging",
    defaultText: "info (createServer(): warning)", origin: "extension", help: "Minimum level of messages the server logs: debug, info, warning or error." }),
  row({ name: "accessLog", kind: "boolOrString", default: false, group: "Logging", origin: "extension",
    help: "Log one line per request: true for the server's log output, or a file path." }),
  row({ name: "accessLogFormat", kind: "string", cast: castAccessLogFormat, default: "combined", group: "Logging", origin: "extension",
    metavar: "FORMAT",
    help: "Access log line format: common, combined, or Apache-style directives (%h %t \"%r\" %>s %b %D ...)." }),
  row({ name: "logSocketErrors", kind: "bool", default: true, group: "Logging",
    help: "Log socket errors and premature client disconnects." }),
  // ---- Compatibility
  row({ name: "asyncoreLoopTimeout", kind: "seconds", default: 1, min: 0, group: "Compatibility",
    origin: "compat", help: "Accepted for Waitress compatibility; has no effect." }),
  row({ name: "asyncoreUsePoll", kind: "bool", default: false, group: "Compatibility", origin: "compat",
    help: "Accepted for Waitress compatibility; has no effect." }),
]);

/** The single settings table, in documentation order. Everything else (casting, the CLI,
 * the config file, `--help`, the README table) is derived from it.
 *
 * @example
 * ```ts
 * for (const s of SETTINGS) console.log(`--${s.flag}`, s.defaultText);
 * ```
 */
export const SETTINGS: readonly SettingSpec[] = ROWS;

const BY_NAME: ReadonlyMap<string, SettingRow> = new Map(ROWS.map((s) => [s.name, s]));
const BY_SNAKE: ReadonlyMap<string, SettingSpec> = new Map(SETTINGS.filter((s) => s.cli).map((s) => [s.snake, s]));

/** Looks a setting up by its config-file (snake_case) key; undefined when unknown or programmatic-only.
 *
 * @example
 * ```ts
 * settingBySnake("max_request_body_size")?.name; // "maxRequestBodySize"
 * ```
 */
export function settingBySnake(key: string): SettingSpec | undefined {
  return BY_SNAKE.get(key);
}

// ---------------------------------------------------------------- suggestions

/** The Levenshtein distance between two strings (insertions, deletions, substitutions).
 *
 * @example
 * ```ts
 * editDistance("treads", "threads"); // 1
 * ```
 */
export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

/** The setting closest to a misspelt name written in any style (camelCase, snake_case,
 * kebab-case), if one is close enough to suggest.
 *
 * @example
 * ```ts
 * closestSetting("max_request_body_size")?.name; // "maxRequestBodySize"
 * closestSetting("treads")?.name;                // "threads"
 * ```
 */
export function closestSetting(name: string, specs: readonly SettingSpec[] = SETTINGS): SettingSpec | undefined {
  const norm = (s: string) => s.toLowerCase().replace(/[-_\s]/g, "");
  const target = norm(name);
  let best: SettingSpec | undefined;
  let bestD = Infinity;
  for (const s of specs) {
    const d = editDistance(target, norm(s.name));
    if (d < bestD) {
      bestD = d;
      best = s;
    }
  }
  const limit = Math.max(2, Math.floor(target.length / 4));
  return bestD <= limit ? best : undefined;
}

function unknownSetting(key: string): TypeError {
  const near = closestSetting(key);
  const hint = near ? `did you mean "${near.name}"?` : "see the settings table in the README for valid names";
  return new TypeError(`Unknown setting ${JSON.stringify(key)}: ${hint}`);
}

// ---------------------------------------------------------------- resolve

function cloneDefault(spec: SettingSpec): unknown {
  const d = spec.default;
  if (d instanceof Set) return new Set(d);
  // The only non-empty array default is listen's, of { host, port } objects.
  if (Array.isArray(d)) return d.map((x: ListenAddress) => ({ ...x }));
  return d;
}

/** Casts, validates and completes a set of options into {@link Settings}. String values (from
 * the CLI or a config file) are cast by the setting's kind. Throws `TypeError` for unknown
 * settings, values of the wrong shape and conflicting settings, and `RangeError` for values
 * out of range. Non-fatal findings (deprecations, implicit defaults) come back in `warnings`.
 *
 * Error messages name a setting by its `serve()` option (`"logLevel"`); `naming.name` replaces
 * that, so the CLI can say `--log-level` and a config file `"log_level"`.
 *
 * @example
 * ```ts
 * const { settings, warnings } = resolveSettings({ listen: "127.0.0.1:8080 [::1]:8080", threads: "8" });
 * settings.listen;  // [{ host: "127.0.0.1", port: 8080 }, { host: "::1", port: 8080 }]
 * settings.threads; // 8
 * ```
 */
export function resolveSettings(
  options: RawSettingOptions = {},
  naming: { name?: (name: keyof Settings) => string } = {},
): { settings: Settings; warnings: string[] } {
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    throw new TypeError(`Invalid options ${show(options)}: expected an object of settings`);
  }
  const names = namingFor(naming.name);
  const given = new Map<string, unknown>();
  for (const [key, value] of Object.entries(options)) {
    if (!BY_NAME.has(key)) throw unknownSetting(key);
    if (value !== undefined) given.set(key, value);
  }
  const warnings: string[] = [];
  const out: Record<string, unknown> = {};
  for (const spec of ROWS) out[spec.name] = cloneDefault(spec);
  const s = out as unknown as Settings;

  // In table order, so a cast may read the settings above it (listen reads port).
  for (const spec of ROWS) {
    if (!given.has(spec.name)) continue;
    out[spec.name] = spec.cast(given.get(spec.name), castContext(spec, s, names));
    const hint = names.hint(spec.name);
    // Named as the user wrote them (--send-bytes on the command line), like the errors.
    if (spec.deprecated) warnings.push(spec.deprecated.replace(spec.name, hint));
    if (spec.origin === "compat") warnings.push(`${hint} has no effect in this server (it only exists for Waitress compatibility); remove it.`);
  }
  checkListening(s, given, names);
  checkProxy(s, given, names, warnings);
  checkTls(s, names);
  return { settings: s, warnings };
}

/** Refuses conflicting ways to listen and literals of a disabled family; fills in `listen`. */
function checkListening(s: Settings, given: ReadonlyMap<string, unknown>, names: Naming): void {
  const exclusive = (a: keyof Settings, b: keyof Settings, hint: string) =>
    new TypeError(`Settings ${names.name(a)} and ${names.name(b)} cannot be used together: ${hint}`);
  // "Given" means present and meaningful; defaults never conflict with anything.
  const hostGiven = given.has("host");
  const portGiven = given.has("port");
  const listenGiven = given.has("listen") && s.listen.length > 0;
  const socketsGiven = s.sockets.length > 0;
  const unixGiven = s.unixSocket !== undefined;
  const hostPort: keyof Settings = hostGiven ? "host" : "port";

  if (listenGiven && (hostGiven || portGiven)) {
    throw exclusive("listen", hostPort, `put the host and port into the listen entries instead, e.g. ${names.assignment("listen", "127.0.0.1:8080")}`);
  }
  if (listenGiven && socketsGiven) {
    throw exclusive("listen", "sockets", "inherited sockets replace the listen addresses; pass one or the other");
  }
  if (socketsGiven && (hostGiven || portGiven)) {
    throw exclusive("sockets", hostPort, "inherited sockets are already bound; remove host and port");
  }
  if (socketsGiven && unixGiven) {
    throw exclusive("sockets", "unixSocket", "inherited sockets replace the Unix socket; pass one or the other");
  }
  if (unixGiven && (hostGiven || portGiven)) {
    throw exclusive("unixSocket", hostPort, "a Unix socket has no host or port; remove them");
  }
  if (unixGiven && listenGiven) {
    throw exclusive("unixSocket", "listen", "listen one way: a Unix socket or TCP listen addresses");
  }
  if (!s.ipv4 && !s.ipv6) {
    throw new TypeError(`Settings ${names.name("ipv4")} and ${names.name("ipv6")} are both false: enable at least one address family`);
  }

  if (unixGiven || socketsGiven) {
    s.listen = [];
  } else if (!listenGiven) {
    // s.host is the default or was checked (and unbracketed) when cast.
    s.listen = [{ host: s.host, port: s.port }];
  }
  for (const a of s.listen) {
    const family = ipFamily(a.host, "name");
    const where = listenGiven ? `listen entry for ${JSON.stringify(a.host)}` : `host ${JSON.stringify(a.host)}`;
    if (family === 4 && !s.ipv4) {
      throw new TypeError(`The ${where} is an IPv4 address but setting ${names.name("ipv4")} is false: use an IPv6 address ` +
        `such as "::", "*", or enable ${names.hint("ipv4")}`);
    }
    if (family === 6 && !s.ipv6) {
      throw new TypeError(`The ${where} is an IPv6 address but setting ${names.name("ipv6")} is false: use an IPv4 address ` +
        `such as "0.0.0.0", "*", or enable ${names.hint("ipv6")}`);
    }
  }
}

/** Proxy settings (Waitress semantics, plus address lists and CIDR ranges). */
function checkProxy(s: Settings, given: ReadonlyMap<string, unknown>, names: Naming, warnings: string[]): void {
  const { name, hint } = names;
  if (s.trustedProxy === undefined) {
    if (given.has("trustedProxyCount") && s.trustedProxyCount !== undefined) {
      throw new TypeError(`Setting ${name("trustedProxyCount")} has no meaning without ${name("trustedProxy")}: set ` +
        `${hint("trustedProxy")} to your proxy's address, or remove ${hint("trustedProxyCount")}`);
    }
    if (s.trustedProxyHeaders.size > 0) {
      throw new TypeError(`Setting ${name("trustedProxyHeaders")} has no meaning without ${name("trustedProxy")}: set ` +
        `${hint("trustedProxy")} to your proxy's address, or remove ${hint("trustedProxyHeaders")}`);
    }
    return;
  }
  s.trustedProxyCount ??= 1;
  if (s.trustedProxyHeaders.has("forwarded")) {
    const other = [...s.trustedProxyHeaders].find((h) => h !== "forwarded");
    if (other !== undefined) {
      throw new TypeError(`Setting ${name("trustedProxyHeaders")} cannot combine "forwarded" with "${other}": the ` +
        "Forwarded header (RFC 7239) replaces the X-Forwarded-* headers; trust one style only");
    }
  }
  if (s.trustedProxyHeaders.size === 0) {
    s.trustedProxyHeaders.add("x-forwarded-proto");
    warnings.push(`${hint("trustedProxy")} is set but ${hint("trustedProxyHeaders")} is empty: implicitly trusting ` +
      `X-Forwarded-Proto only (as Waitress does). Set ${hint("trustedProxyHeaders")} to silence this warning.`);
  }
}

/** TLS settings come as a pair (certificate and key), and only on TCP listeners. */
function checkTls(s: Settings, names: Naming): void {
  const { name, hint } = names;
  if (s.tlsCert === undefined || s.tlsKey === undefined) {
    for (const [setting, needs] of [["tlsCert", "tlsKey"], ["tlsKey", "tlsCert"], ["tlsPassphrase", "tlsKey"], ["tlsCa", "tlsCert"]] as const) {
      if (s[setting] !== undefined && (s.tlsCert === undefined || s.tlsKey === undefined)) {
        throw new TypeError(`Setting ${name(setting)} needs ${name(needs)}: HTTPS takes a certificate (${hint("tlsCert")}) ` +
          `and its private key (${hint("tlsKey")}); give both, or remove ${hint(setting)}`);
      }
    }
    return;
  }
  if (s.unixSocket !== undefined) {
    throw new TypeError(`Settings ${name("tlsCert")} and ${name("unixSocket")} cannot be used together: TLS is served on TCP ` +
      "listeners only; behind a proxy on a Unix socket, let the proxy terminate TLS");
  }
}
