/**
 * Settings ("adjustments" in Waitress): one table that defines every setting once and
 * drives the `serve()` options (camelCase), the CLI flags (`--kebab-case`) and the
 * PasteDeploy-style config-file keys (`snake_case`), plus the generated `--help` text
 * and README table. Address parsing lives in `addresses.ts`; the command-line parser, the
 * `--help` text and the README table in `cli_args.ts`.
 *
 * Pure: no I/O, no DNS. Host names are validated for shape only; the adapters resolve them.
 *
 * @module
 */

import { compileAccessFormat } from "../policy/access_log.ts";
import {
  addressFamily,
  type CastContext,
  castListen,
  castProxyHeaders,
  castTrustedProxy,
  checkHost,
  type ListenAddress,
  type ProxyHeader,
} from "./addresses.ts";
export type { ListenAddress, ProxyHeader };

import type { LogLevel } from "../policy/logger.ts";
export type { LogLevel };

/** Every setting, resolved: cast, validated, defaults filled in. Returned by {@link resolveSettings}.
 *
 * @example
 * ```ts
 * const { settings } = resolveSettings({ port: "8041" });
 * settings.listen; // [{ host: "0.0.0.0", port: 8041 }]
 * ```
 */
export interface Settings {
  // Listening
  /** Host name or IP address to listen on; "0.0.0.0" means all IPv4 interfaces, "*" all interfaces of the enabled families. Not combinable with listen, unixSocket or sockets. */
  host: string;
  /** TCP port to listen on; 0 picks a free port. Not combinable with listen, unixSocket or sockets. */
  port: number;
  /** TCP listeners to open; empty when `unixSocket` or `sockets` is used. */
  listen: ListenAddress[];
  /** Use IPv4 addresses when binding ("*" and host names); IPv4 literals are refused when off. */
  ipv4: boolean;
  /** Use IPv6 addresses when binding ("*" and host names); IPv6 literals are refused when off. */
  ipv6: boolean;
  /** Path of a Unix domain socket to listen on instead of TCP. Not combinable with host, port, listen or sockets. */
  unixSocket: string | undefined;
  /** Permissions of the Unix socket file, in octal. */
  unixSocketPerms: number;
  /** Pre-bound listening sockets (socket activation); programmatic only. Not supported yet: serve() refuses a non-empty list. Not combinable with host, port, listen or unixSocket. */
  sockets: unknown[];
  // Application
  /** Size of the worker pool that runs handlers (Waitress: worker threads, default 4); 0 runs handlers inline on the I/O thread. Threads need the app as a module (serve("./app.ts") or the CLI). */
  threads: number;
  /** Default scheme of request URLs (lower-cased); a trusted proxy may override it per request. */
  urlScheme: string;
  /** Path prefix the application is mounted under (Waitress: SCRIPT_NAME); written as "/prefix". */
  urlPrefix: string;
  /** `""` means: send no Server header. */
  ident: string;
  /** Server name reported to the application (Waitress: SERVER_NAME); never taken from the Host header, only from a trusted proxy header. */
  serverName: string;
  /** Put the error stack of unhandled handler errors into the 500 response. Development only. */
  exposeTracebacks: boolean;
  // Proxy
  /** Normalised, space-separated entries (addresses, CIDR ranges, `*`, `localhost`), or undefined. */
  trustedProxy: string | undefined;
  /** 1 when `trustedProxy` is set and no count was given; undefined without `trustedProxy`. */
  trustedProxyCount: number | undefined;
  /** Proxy headers trusted from trustedProxy: any of x-forwarded-for, x-forwarded-host, x-forwarded-proto, x-forwarded-port, x-forwarded-by; or forwarded alone. Requires trustedProxy. */
  trustedProxyHeaders: Set<string>;
  /** Remove Forwarded and X-Forwarded-* headers that are not trusted before the handler runs. */
  clearUntrustedProxyHeaders: boolean;
  /** Log a warning naming the untrusted proxy headers that were removed. */
  logUntrustedProxyHeaders: boolean;
  // Limits
  /** Maximum bytes of the request line; longer request lines are rejected. */
  maxRequestLineSize: number;
  /** Maximum bytes of the request line and headers together (431 when exceeded). */
  maxRequestHeaderSize: number;
  /** Maximum number of header fields in a request head. */
  maxHeaderFields: number;
  /** Maximum bytes of a request body (413 when exceeded). */
  maxRequestBodySize: number;
  /** Maximum bytes of chunk extensions on one chunk of a chunked request body. */
  maxChunkExtensionSize: number;
  /** Maximum bytes of the trailer section of a chunked request body. */
  maxTrailerSize: number;
  /** Stop accepting new connections while this many client connections are open. */
  connectionLimit: number;
  // Timeouts (seconds)
  /** Seconds a client has to send a complete request head (line and headers): for a connection's first request counted from accept (one that sends nothing is closed), for later ones from their first byte. */
  headerTimeout: number;
  /** Seconds without any progress while a request body is being read. */
  bodyTimeout: number;
  /** Seconds an inactive connection (nothing received, nothing sent) is kept open. */
  channelTimeout: number;
  /** Minimum seconds between sweeps that close inactive connections (see channelTimeout). */
  cleanupInterval: number;
  /** While clients wait at connectionLimit: seconds after which a connection that serves nobody is closed to make room, oldest first: one awaiting a request head or a first byte, a request body the app waits for, or a response the client does not read. Idle keep-alive connections are closed at once. */
  reclaimTimeout: number;
  /** Seconds server.close() waits for in-flight requests before closing their connections. */
  shutdownTimeout: number;
  // Tuning
  /** Length of the OS queue of connections waiting to be accepted (listen backlog). */
  backlog: number;
  /** Accepted for Waitress compatibility; has no effect (setting it logs a warning). */
  recvBytes: number;
  /** Deprecated in Waitress; accepted and ignored. */
  sendBytes: number;
  /** Bytes of pending response data per output buffer before it overflows (Waitress: to a temp file). */
  outbufOverflow: number;
  /** Pending response bytes per connection above which the response body is paused (backpressure). */
  outbufHighWatermark: number;
  /** Bytes of request body buffered in memory before it overflows (Waitress: to a temp file). */
  inbufOverflow: number;
  /** Accepted for Waitress compatibility; has no effect (setting it logs a warning). */
  channelRequestLookahead: number;
  /** Bytes of pipelined input read ahead while a request is served; beyond it the server stops reading from that client until the request is done. */
  maxLookaheadBytes: number;
  // Logging
  /** Minimum level of messages the server logs: debug, info, warning or error. */
  logLevel: LogLevel;
  /** `false`: off; `true`: the server's log output; a string: a file path. */
  accessLog: string | boolean;
  /** `common`, `combined` or a custom directive string (see src/policy/access_log.ts). */
  accessLogFormat: string;
  /** Log socket errors and premature client disconnects. */
  logSocketErrors: boolean;
  // Accepted for Waitress compatibility; no effect.
  /** Accepted for Waitress compatibility; has no effect. */
  asyncoreLoopTimeout: number;
  /** Accepted for Waitress compatibility; has no effect. */
  asyncoreUsePoll: boolean;
}

/** How a setting's value is cast from strings (CLI, config file) and validated.
 *
 * @example
 * ```ts
 * const k: SettingKind = "seconds"; // a non-negative number, fractions allowed
 * ```
 */
export type SettingKind =
  | "string" // free text (with per-setting shape checks)
  | "int" // integer, decimal digits
  | "seconds" // number of seconds, fractions allowed ("0.5")
  | "bool" // Waitress truth table; CLI --flag / --no-flag
  | "octal" // integer written in octal ("600")
  | "list" // whitespace-separated entries (commas too where noted); CLI flag may repeat
  | "choice" // one of `choices`, case-insensitive
  | "boolOrString" // true/false or a string (a path); CLI --flag, --flag=VALUE, --no-flag
  | "sockets"; // programmatic only

/** One row of the settings table.
 *
 * @example
 * ```ts
 * const spec = SETTINGS.find((s) => s.name === "maxRequestBodySize")!;
 * spec.flag;  // "max-request-body-size"
 * spec.snake; // "max_request_body_size"
 * ```
 */
export interface SettingSpec {
  /** camelCase name: the `serve()` option and the {@link Settings} key. */
  readonly name: keyof Settings;
  /** snake_case config-file key. */
  readonly snake: string;
  /** kebab-case CLI flag, without the leading `--`. */
  readonly flag: string;
  /** How the value is cast from strings and validated. */
  readonly kind: SettingKind;
  /** The resolved default value (see `defaultText` for how it is documented). */
  readonly default: unknown;
  /** The default as shown in `--help` and the README. */
  readonly defaultText: string;
  /** One-line description, used by `--help` and the README. */
  readonly help: string;
  /** Whether the setting exists as a CLI flag and config-file key (false: programmatic only). */
  readonly cli: boolean;
  /** Placeholder for the value in `--help` (`--port=PORT`). */
  readonly metavar: string;
  /** Heading the setting is listed under in `--help` and the README. */
  readonly group: string;
  /** Inclusive lower bound for numeric kinds. */
  readonly min?: number;
  /** Inclusive upper bound for numeric kinds. */
  readonly max?: number;
  /** `min` itself is not allowed (a positive number is required). */
  readonly minExclusive?: boolean;
  /** Allowed values for `kind: "choice"`. */
  readonly choices?: readonly string[];
  /** "waitress": same name and default as Waitress 3; "extension": ours; "compat": accepted, no effect. */
  readonly origin: "waitress" | "extension" | "compat";
  /** Set when using the setting produces a deprecation warning. */
  readonly deprecated?: string;
}

const camelToSnake = (name: string): string => name.replace(/[A-Z]/g, (c) => "_" + c.toLowerCase());

type SpecInput = Omit<SettingSpec, "snake" | "flag" | "cli" | "origin" | "metavar" | "defaultText"> & {
  cli?: boolean;
  origin?: SettingSpec["origin"];
  metavar?: string;
  defaultText?: string;
};

function row(input: SpecInput): SettingSpec {
  const snake = camelToSnake(input.name);
  const metavar = input.metavar ??
    ({ int: "INT", seconds: "SECONDS", bool: "", octal: "PERMS", list: "LIST", choice: "LEVEL",
      boolOrString: "FILE", sockets: "", string: "STR" } as const)[input.kind];
  return Object.freeze({
    ...input,
    snake,
    flag: snake.replace(/_/g, "-"),
    cli: input.cli ?? true,
    origin: input.origin ?? "waitress",
    metavar,
    defaultText: input.defaultText ?? String(input.default),
  });
}

/** `trustedProxyHeaders` as text: one name (completed by editors), or several separated by spaces
 * or commas, in any case (checked at run time).
 *
 * @example
 * ```ts
 * const list: ProxyHeaderList = "x-forwarded-for x-forwarded-proto";
 * ```
 */
// `string & {}` keeps the names as completions while still taking free text.
export type ProxyHeaderList = ProxyHeader | (string & {});

const LOG_LEVELS: readonly LogLevel[] = ["debug", "info", "warning", "error"];

/** The single settings table, in documentation order. Everything else (casting, the CLI,
 * the config file, `--help`, the README table) is derived from it.
 *
 * @example
 * ```ts
 * for (const s of SETTINGS) console.log(`--${s.flag}`, s.defaultText);
 * ```
 */
export const SETTINGS: readonly SettingSpec[] = Object.freeze([
  // ---- Listening
  row({ name: "host", kind: "string", default: "0.0.0.0", group: "Listening", metavar: "ADDR",
    help: 'Host name or IP address to listen on; "0.0.0.0" means all IPv4 interfaces, "*" all ' +
      "interfaces of the enabled families. Not combinable with listen, unixSocket or sockets." }),
  row({ name: "port", kind: "int", default: 8080, min: 0, max: 65535, group: "Listening", metavar: "PORT",
    help: "TCP port to listen on; 0 picks a free port. Not combinable with listen, unixSocket or sockets." }),
  row({ name: "listen", kind: "list", default: [{ host: "0.0.0.0", port: 8080 }], group: "Listening",
    metavar: "HOST:PORT", defaultText: "0.0.0.0:8080 (from host and port)",
    help: 'Space-separated HOST:PORT entries to listen on, e.g. "127.0.0.1:8080 [::1]:8080" or ' +
      '"*:6543" ("*" = all interfaces of the enabled families). IPv6 addresses go in brackets; an ' +
      "entry without a port uses 8080. On the command line, repeat --listen." }),
  row({ name: "ipv4", kind: "bool", default: true, group: "Listening",
    help: 'Use IPv4 addresses when binding ("*" and host names); IPv4 literals are refused when off.' }),
  row({ name: "ipv6", kind: "bool", default: true, group: "Listening",
    help: 'Use IPv6 addresses when binding ("*" and host names); IPv6 literals are refused when off.' }),
  row({ name: "unixSocket", kind: "string", default: undefined, defaultText: "(none)", group: "Listening",
    metavar: "PATH",
    help: "Path of a Unix domain socket to listen on instead of TCP. Not combinable with host, " +
      "port, listen or sockets." }),
  row({ name: "unixSocketPerms", kind: "octal", default: 0o600, defaultText: "600", min: 0, max: 0o777,
    group: "Listening", help: "Permissions of the Unix socket file, in octal." }),
  row({ name: "sockets", kind: "sockets", default: [], defaultText: "[]", cli: false, group: "Listening",
    help: "Pre-bound listening sockets (socket activation); programmatic only. Not supported yet: " +
      "serve() refuses a non-empty list. Not combinable with host, port, listen or unixSocket." }),
  // ---- Application
  // Default 0 (Waitress: 4): inline is the fast path for async handlers, and only a module
  // specifier can move to worker threads; a plain function passed to serve() must just work.
  row({ name: "threads", kind: "int", default: 0, min: 0, group: "Application",
    help: "Size of the worker pool that runs handlers (Waitress: worker threads, default 4); 0 runs " +
      "handlers inline on the I/O thread. Threads need the app as a module (serve(\"./app.ts\") or the CLI)." }),
  row({ name: "urlScheme", kind: "string", default: "http", group: "Application", metavar: "SCHEME",
    help: "Default scheme of request URLs (lower-cased); a trusted proxy may override it per request." }),
  row({ name: "urlPrefix", kind: "string", default: "", defaultText: '""', group: "Application",
    metavar: "PREFIX",
    help: 'Path prefix the application is mounted under (Waitress: SCRIPT_NAME); written as "/prefix".' }),
  row({ name: "ident", kind: "string", default: "waitress", group: "Application",
    help: "Value of the Server response header; an empty string sends no Server header." }),
  row({ name: "serverName", kind: "string", default: "waitress.invalid", group: "Application",
    metavar: "NAME",
    help: "Server name reported to the application (Waitress: SERVER_NAME); never taken from the " +
      "Host header, only from a trusted proxy header." }),
  row({ name: "exposeTracebacks", kind: "bool", default: false, group: "Application",
    help: "Put the error stack of unhandled handler errors into the 500 response. Development only." }),
  // ---- Proxy
  row({ name: "trustedProxy", kind: "list", default: undefined, defaultText: "(none)", group: "Proxy",
    metavar: "ADDRS",
    help: 'Peers allowed to set proxy headers: IP addresses and CIDR ranges separated by spaces or ' +
      'commas, "*" for any peer, "localhost" for Unix-socket peers.' }),
  row({ name: "trustedProxyCount", kind: "int", default: undefined, min: 1, group: "Proxy",
    defaultText: "1 (when trustedProxy is set)",
    help: "Number of proxies in front of the server: how many right-most entries of " +
      "X-Forwarded-For, X-Forwarded-Host and Forwarded are trusted. Requires trustedProxy." }),
  row({ name: "trustedProxyHeaders", kind: "list", default: new Set<string>(), group: "Proxy",
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
  // ---- Logging
  // createServer() keeps "warning" (a building block stays quiet); serve() and the CLI use "info".
  row({ name: "logLevel", kind: "choice", default: "warning", choices: LOG_LEVELS, group: "Logging",
    defaultText: "info (createServer(): warning)", origin: "extension", help: "Minimum level of messages the server logs: debug, info, warning or error." }),
  row({ name: "accessLog", kind: "boolOrString", default: false, group: "Logging", origin: "extension",
    help: "Log one line per request: true for the server's log output, or a file path." }),
  row({ name: "accessLogFormat", kind: "string", default: "combined", group: "Logging", origin: "extension",
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

const BY_NAME: ReadonlyMap<string, SettingSpec> = new Map(SETTINGS.map((s) => [s.name, s]));
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

/** What `serve()` takes for each setting: typed values only, so editors complete them and `tsc`
 * catches typos (`threads: "four"`, `logLevel: "verbose"`). The string forms of the command line
 * and config files go through {@link RawSettingOptions} instead. Settings whose input type differs from
 * the resolved one are declared here; the others take {@link Settings}' types and descriptions.
 *
 * @example
 * ```ts
 * const port: SettingInputs["port"] = 8080;
 * const level: SettingInputs["logLevel"] = "info";
 * ```
 */
export interface SettingInputs extends Omit<Settings, "listen" | "unixSocket" | "sockets" | "ident" | "trustedProxy" | "trustedProxyCount" | "trustedProxyHeaders" | "accessLogFormat"> {
  /** Space-separated HOST:PORT entries to listen on, e.g. "127.0.0.1:8080 [::1]:8080" or "*:6543" ("*" = all interfaces of the enabled families). IPv6 addresses go in brackets; an entry without a port uses 8080. On the command line, repeat --listen. */
  listen: string | readonly (string | ListenAddress)[];
  /** Path of a Unix domain socket to listen on instead of TCP. Not combinable with host, port, listen or sockets. */
  unixSocket: string | null;
  /** Pre-bound listening sockets (socket activation); programmatic only. Not supported yet: serve() refuses a non-empty list. Not combinable with host, port, listen or unixSocket. */
  sockets: readonly unknown[];
  /** Value of the Server response header; an empty string sends no Server header. */
  ident: string | null;
  /** Peers allowed to set proxy headers: IP addresses and CIDR ranges separated by spaces or commas, "*" for any peer, "localhost" for Unix-socket peers. */
  trustedProxy: string | readonly string[] | null;
  /** Number of proxies in front of the server: how many right-most entries of X-Forwarded-For, X-Forwarded-Host and Forwarded are trusted. Requires trustedProxy. */
  trustedProxyCount: number | null;
  /** Proxy headers trusted from trustedProxy: any of x-forwarded-for, x-forwarded-host, x-forwarded-proto, x-forwarded-port, x-forwarded-by; or forwarded alone. Requires trustedProxy. */
  trustedProxyHeaders: ProxyHeaderList | Iterable<ProxyHeader>;
  /** Access log line format: common, combined, or Apache-style directives (%h %t "%r" %>s %b %D ...). */
  accessLogFormat: "combined" | "common" | (string & {});
}

/** Options accepted by `serve()`: any subset of the settings, camelCase, as typed values.
 * `undefined` values mean "not given".
 *
 * @example
 * ```ts
 * const options: ServeOptions = { listen: "127.0.0.1:8080 [::1]:8080", threads: 8 };
 * ```
 */
export type ServeOptions = Partial<SettingInputs>;

/** Settings as the command line and config files give them: any setting may also be its string
 * form (`threads: "8"`, `ipv6: "no"`), cast and validated by {@link resolveSettings}. Names stay
 * checked; values are only checked at run time. `serve()` does not take this type: convert text
 * yourself (`Number(process.env.PORT)`) or call {@link resolveSettings} to validate it.
 *
 * @example
 * ```ts
 * const fromCli: RawSettingOptions = { threads: "8", ipv6: "no" };
 * ```
 */
// string[]: a repeated command-line flag (--listen, --trusted-proxy-headers) before it is joined.
export type RawSettingOptions = { readonly [K in keyof SettingInputs]?: SettingInputs[K] | string | readonly string[] };

// ---------------------------------------------------------------- value helpers

const TRUTHY = new Set(["t", "true", "y", "yes", "on", "1"]);
const FALSY = new Set(["f", "false", "n", "no", "off", "0", ""]);

/** Waitress's `asbool`: true for `t, true, y, yes, on, 1` (case-insensitive, surrounding
 * whitespace ignored), false for anything else. (Settings use a stricter cast that rejects
 * strings in neither the true nor the false list.)
 *
 * @example
 * ```ts
 * asBool("Yes"); // true
 * asBool("off"); // false
 * ```
 */
export function asBool(value: string | boolean): boolean {
  if (typeof value === "boolean") return value;
  return TRUTHY.has(String(value).trim().toLowerCase());
}

/** Shows a value in an error message: strings quoted, everything else in a readable form. */
function show(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean" || value == null) return String(value);
  if (typeof value === "bigint") return `${value}n`;
  if (Array.isArray(value)) {
    try {
      return JSON.stringify(value);
    } catch {
      return "an array";
    }
  }
  return Object.prototype.toString.call(value);
}

/** How error messages name a setting while {@link resolveSettings} runs (it is synchronous). */
const serveName = (name: keyof Settings): string => JSON.stringify(name);
let nameOf: (name: keyof Settings) => string = serveName;

/** A setting named inside a hint ("set X to ..."): `--flag` on the command line, `"snake_key"` in a
 * config file, the bare option name for `serve()`. */
function hintName(name: keyof Settings): string {
  return nameOf === serveName ? name : nameOf(name);
}

/** `name` set to `value`, written as the user would write it: `--listen=V`, `listen = V` or `listen: "V"`. */
function assignment(name: keyof Settings, value: string): string {
  if (nameOf === serveName) return `${name}: ${JSON.stringify(value)}`;
  const named = nameOf(name);
  return named.startsWith("--") ? `${named}=${value}` : `${named.replace(/^"|"$/g, "")} = ${value}`;
}

function bad(spec: SettingSpec, value: unknown, expected: string): TypeError {
  return new TypeError(`Invalid value ${show(value)} for setting ${nameOf(spec.name)}: expected ${expected}`);
}

/** What the cast functions of `addresses.ts` need to name `spec` in their error messages. */
function castContext(spec: SettingSpec): CastContext {
  return {
    bad: (value, expected) => bad(spec, value, expected),
    show,
    get hint() {
      return hintName(spec.name);
    },
  };
}

function rangeText(spec: SettingSpec): string {
  const { min, max, minExclusive } = spec;
  if (min !== undefined && max !== undefined) return `from ${min} to ${max}`;
  if (min !== undefined) return minExclusive ? `greater than ${min}` : `${min} or greater`;
  return "";
}

function checkRange(spec: SettingSpec, n: number, raw: unknown): number {
  const { min, max, minExclusive } = spec;
  const low = min !== undefined && (minExclusive ? n <= min : n < min);
  const high = max !== undefined && n > max;
  if (low || high) {
    const shown = spec.kind === "octal" ? `${show(raw)} (octal ${n.toString(8)})` : show(raw);
    const limits = spec.kind === "octal" ? `from 0 to 777 (octal)` : rangeText(spec);
    const hint = spec.name === "port" ? " (0 picks a free port)" : "";
    throw new RangeError(`Setting ${nameOf(spec.name)} must be ${limits}${hint}; got ${shown}`);
  }
  return n;
}

function castInt(spec: SettingSpec, value: unknown): number {
  let n: number;
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) throw bad(spec, value, "a whole number");
    n = value;
  } else if (typeof value === "string") {
    const s = value.trim();
    if (!/^[+-]?[0-9]+$/.test(s)) throw bad(spec, value, `a whole number ${rangeText(spec)}`.trimEnd());
    n = Number(s);
    if (!Number.isSafeInteger(n)) throw bad(spec, value, "a whole number below 2^53");
  } else {
    throw bad(spec, value, "a whole number or its decimal string");
  }
  return checkRange(spec, n, value);
}

function castSeconds(spec: SettingSpec, value: unknown): number {
  let n: number;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw bad(spec, value, "a finite number of seconds");
    n = value;
  } else if (typeof value === "string") {
    const s = value.trim();
    if (!/^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$/.test(s)) {
      throw bad(spec, value, 'a number of seconds, e.g. "30" or "0.5"');
    }
    n = Number(s);
  } else {
    throw bad(spec, value, "a number of seconds");
  }
  return checkRange(spec, n, value);
}

function castOctal(spec: SettingSpec, value: unknown): number {
  let n: number;
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) throw bad(spec, value, "an integer such as 0o600");
    n = value;
  } else if (typeof value === "string") {
    const s = value.trim();
    const m = /^(?:0o)?([0-7]+)$/i.exec(s);
    if (!m) throw bad(spec, value, 'octal permissions such as "600"');
    n = parseInt(m[1]!, 8);
  } else {
    throw bad(spec, value, 'octal permissions such as "600" or 0o600');
  }
  return checkRange(spec, n, value);
}

function castBool(spec: SettingSpec, value: unknown): boolean {
  if (typeof value === "boolean") return value;
  if (value === 1 || value === 0) return value === 1;
  if (typeof value === "string") {
    const s = value.trim().toLowerCase();
    if (TRUTHY.has(s)) return true;
    if (FALSY.has(s)) return false;
  }
  throw bad(spec, value, "a boolean (true/false, yes/no, on/off, 1/0)");
}

function castString(spec: SettingSpec, value: unknown): string {
  if (typeof value !== "string") throw bad(spec, value, "a string");
  return value;
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

function exclusive(a: keyof Settings, b: keyof Settings, hint: string): TypeError {
  return new TypeError(`Settings ${nameOf(a)} and ${nameOf(b)} cannot be used together: ${hint}`);
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
  const saved = nameOf;
  if (naming.name !== undefined) nameOf = naming.name;
  try {
    return resolve(options);
  } finally {
    nameOf = saved;
  }
}

function resolve(options: RawSettingOptions): { settings: Settings; warnings: string[] } {
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    throw new TypeError(`Invalid options ${show(options)}: expected an object of settings`);
  }
  const given = new Map<string, unknown>();
  for (const [key, value] of Object.entries(options)) {
    if (!BY_NAME.has(key)) throw unknownSetting(key);
    if (value !== undefined) given.set(key, value);
  }
  const warnings: string[] = [];
  const out: Record<string, unknown> = {};
  for (const spec of SETTINGS) out[spec.name] = cloneDefault(spec);

  for (const spec of SETTINGS) {
    if (!given.has(spec.name) || spec.name === "listen") continue; // listen needs the final port
    const v = given.get(spec.name);
    out[spec.name] = castOne(spec, v);
    // Named as the user wrote them (--send-bytes on the command line), like the errors.
    if (spec.deprecated) warnings.push(spec.deprecated.replace(spec.name, hintName(spec.name)));
    if (spec.origin === "compat") warnings.push(`${hintName(spec.name)} has no effect in this server (it only exists for Waitress compatibility); remove it.`);
  }
  const s = out as unknown as Settings;

  // "Given" means present and meaningful; defaults never conflict with anything.
  const hostGiven = given.has("host");
  const portGiven = given.has("port");
  const listenValue = given.has("listen") ? castListen(given.get("listen"), s.port, castContext(BY_NAME.get("listen")!)) : [];
  const listenGiven = listenValue.length > 0;
  const socketsGiven = s.sockets.length > 0;
  const unixGiven = s.unixSocket !== undefined;
  const hostPort: keyof Settings = hostGiven ? "host" : "port";

  if (listenGiven && (hostGiven || portGiven)) {
    throw exclusive("listen", hostPort, `put the host and port into the listen entries instead, e.g. ${assignment("listen", "127.0.0.1:8080")}`);
  }
  if (listenGiven && socketsGiven) {
    throw exclusive("listen", "sockets", "pre-bound sockets replace the listen addresses; pass one or the other");
  }
  if (socketsGiven && (hostGiven || portGiven)) {
    throw exclusive("sockets", hostPort, "pre-bound sockets are already bound; remove host and port");
  }
  if (socketsGiven && unixGiven) {
    throw exclusive("sockets", "unixSocket", "pre-bound sockets replace the Unix socket; pass one or the other");
  }
  if (unixGiven && (hostGiven || portGiven)) {
    throw exclusive("unixSocket", hostPort, "a Unix socket has no host or port; remove them");
  }
  if (unixGiven && listenGiven) {
    throw exclusive("unixSocket", "listen", "listen one way: a Unix socket or TCP listen addresses");
  }
  if (!s.ipv4 && !s.ipv6) {
    throw new TypeError(`Settings ${nameOf("ipv4")} and ${nameOf("ipv6")} are both false: enable at least one address family`);
  }

  if (unixGiven || socketsGiven) {
    s.listen = [];
  } else if (listenGiven) {
    s.listen = listenValue;
  } else {
    // s.host is the default or was checked (and unbracketed) when cast.
    s.listen = [{ host: s.host, port: s.port }];
  }
  for (const a of s.listen) {
    const family = addressFamily(a.host);
    const where = listenGiven ? `listen entry for ${JSON.stringify(a.host)}` : `host ${JSON.stringify(a.host)}`;
    if (family === 4 && !s.ipv4) {
      throw new TypeError(`The ${where} is an IPv4 address but setting ${nameOf("ipv4")} is false: use an IPv6 address ` +
        `such as "::", "*", or enable ${hintName("ipv4")}`);
    }
    if (family === 6 && !s.ipv6) {
      throw new TypeError(`The ${where} is an IPv6 address but setting ${nameOf("ipv6")} is false: use an IPv4 address ` +
        `such as "0.0.0.0", "*", or enable ${hintName("ipv6")}`);
    }
  }

  // Proxy settings (Waitress semantics, plus address lists and CIDR ranges).
  if (s.trustedProxy === undefined) {
    if (given.has("trustedProxyCount") && s.trustedProxyCount !== undefined) {
      throw new TypeError(`Setting ${nameOf("trustedProxyCount")} has no meaning without ${nameOf("trustedProxy")}: set ` +
        `${hintName("trustedProxy")} to your proxy's address, or remove ${hintName("trustedProxyCount")}`);
    }
    if (s.trustedProxyHeaders.size > 0) {
      throw new TypeError(`Setting ${nameOf("trustedProxyHeaders")} has no meaning without ${nameOf("trustedProxy")}: set ` +
        `${hintName("trustedProxy")} to your proxy's address, or remove ${hintName("trustedProxyHeaders")}`);
    }
  } else {
    s.trustedProxyCount ??= 1;
    if (s.trustedProxyHeaders.has("forwarded")) {
      const other = [...s.trustedProxyHeaders].find((h) => h !== "forwarded");
      if (other !== undefined) {
        throw new TypeError(`Setting ${nameOf("trustedProxyHeaders")} cannot combine "forwarded" with "${other}": the ` +
          "Forwarded header (RFC 7239) replaces the X-Forwarded-* headers; trust one style only");
      }
    }
    if (s.trustedProxyHeaders.size === 0) {
      s.trustedProxyHeaders.add("x-forwarded-proto");
      warnings.push(`${hintName("trustedProxy")} is set but ${hintName("trustedProxyHeaders")} is empty: implicitly trusting ` +
        `X-Forwarded-Proto only (as Waitress does). Set ${hintName("trustedProxyHeaders")} to silence this warning.`);
    }
  }
  return { settings: s, warnings };
}

function castOne(spec: SettingSpec, v: unknown): unknown {
  switch (spec.name) {
    case "host": {
      const text = castString(spec, v).trim();
      const checked = checkHost(text);
      if ("reason" in checked) throw new TypeError(`Invalid value ${show(v)} for setting ${nameOf("host")}: ${checked.reason}`);
      return checked.host;
    }
    case "unixSocket":
      if (v === null) return undefined;
      return castString(spec, v) === "" ? undefined : v;
    case "ident":
      return v === null ? "" : castString(spec, v);
    case "urlScheme": {
      const text = castString(spec, v).trim().toLowerCase();
      if (!/^[a-z][a-z0-9+.-]*$/.test(text)) throw bad(spec, v, 'a URL scheme such as "http" or "https"');
      return text;
    }
    case "urlPrefix": {
      const text = castString(spec, v).trim().replace(/^\/+|\/+$/g, "");
      return text === "" ? "" : "/" + text;
    }
    case "trustedProxy":
      return castTrustedProxy(v, castContext(spec));
    case "trustedProxyHeaders":
      return castProxyHeaders(v, castContext(spec));
    case "trustedProxyCount":
      return v === null ? undefined : castInt(spec, v);
    case "sockets":
      if (!Array.isArray(v)) throw bad(spec, v, "an array of pre-bound listening sockets");
      return [...v];
    case "accessLog": {
      if (typeof v === "boolean") return v;
      const text = castString(spec, v).trim();
      const lower = text.toLowerCase();
      if (TRUTHY.has(lower)) return true;
      if (FALSY.has(lower)) return false;
      if (/[\u0000-\u001f]/.test(text)) throw bad(spec, v, "true, false or a file path");
      return text;
    }
    case "accessLogFormat": {
      const text = castString(spec, v);
      try {
        compileAccessFormat(text);
      } catch (error) {
        throw new RangeError(`Invalid value ${show(v)} for setting ${nameOf("accessLogFormat")}: ${(error as Error).message}`);
      }
      return text;
    }
    case "logLevel": {
      const text = castString(spec, v).trim().toLowerCase();
      if (!spec.choices!.includes(text)) {
        throw new RangeError(`Invalid value ${show(v)} for setting ${nameOf("logLevel")}: use one of ${spec.choices!.join(", ")}`);
      }
      return text;
    }
  }
  switch (spec.kind) {
    case "int":
      return castInt(spec, v);
    case "seconds":
      return castSeconds(spec, v);
    case "octal":
      return castOctal(spec, v);
    case "bool":
      return castBool(spec, v);
    default:
      return castString(spec, v);
  }
}
