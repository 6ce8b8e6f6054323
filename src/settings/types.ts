/**
 * The types of the settings: {@link Settings} (resolved), {@link SettingInputs} (what `serve()`
 * takes), {@link RawSettingOptions} (text from the command line and config files) and
 * {@link SettingSpec} (a row of the table in `adjustments.ts`).
 *
 * The one-line description of each member is the table's `help` text (or its `resolvedHelp`),
 * written there once: `npm run docs` (tools/gen_docs.mjs) rewrites the comments here, and a
 * test fails when they differ.
 *
 * @module
 */

import type { ListenAddress, ProxyHeader } from "./addresses.ts";
import type { LogLevel } from "../policy/logger.ts";

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
  /** Inherited listening sockets to serve, as file descriptor numbers (Waitress: socket objects), e.g. [3]: TCP or Unix stream sockets a parent process or supervisor bound. serve() only; waitress-serve fills it from systemd socket activation. Node and Bun; Deno cannot listen on an inherited descriptor. Not combinable with host, port, listen or unixSocket. */
  sockets: number[];
  // TLS
  /** Serve HTTPS: the server certificate's PEM file (in serve() also PEM text or bytes), optionally followed by its intermediate certificates. Needs tlsKey. SIGHUP reloads it (waitress-serve). */
  tlsCert: string | Uint8Array | undefined;
  /** The private key of tlsCert: a PEM file (in serve() also PEM text or bytes). Needs tlsCert. */
  tlsKey: string | Uint8Array | undefined;
  /** Passphrase of an encrypted tlsKey (Node and Bun; Deno reads unencrypted keys only). */
  tlsPassphrase: string | undefined;
  /** Intermediate CA certificates (PEM) sent after tlsCert, when tlsCert holds the server certificate alone. */
  tlsCa: string | Uint8Array | undefined;
  // Application
  /** Size of the worker pool that runs handlers (Waitress: worker threads, default 4); 0 runs handlers inline on the I/O thread. Threads need the app as a module (serve("./app.ts") or the CLI). */
  threads: number;
  /** Number of server processes that share the listening addresses, under a supervisor that restarts them, drains them on SIGTERM and replaces them one at a time on SIGHUP. waitress-serve only: serve() refuses more than 1. */
  workers: number;
  /** Scheme of request URLs (lower-cased) on plain listeners (https with tlsCert); a trusted proxy may override it per request. */
  urlScheme: string;
  /** Path prefix the application is mounted under (Waitress: SCRIPT_NAME); written as "/prefix". */
  urlPrefix: string;
  /** Value of the Server response header; an empty string sends no Server header. */
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
  /** Accepted for Waitress compatibility; has no effect: each runtime reads what the socket has (up to 64 KiB at a time), and setting it logs a warning. */
  recvBytes: number;
  /** Deprecated in Waitress; accepted and ignored. */
  sendBytes: number;
  /** Bytes of pending response data per output buffer before it overflows (Waitress: to a temp file). */
  outbufOverflow: number;
  /** Pending response bytes per connection above which the response body is paused (backpressure). */
  outbufHighWatermark: number;
  /** Bytes of request body buffered in memory before it overflows (Waitress: to a temp file). */
  inbufOverflow: number;
  /** Accepted for Waitress compatibility; has no effect (setting it logs a warning): this server always reads ahead (up to maxLookaheadBytes) while a handler runs, so client disconnects are always detected. */
  channelRequestLookahead: number;
  /** Bytes of pipelined input read ahead while a request is served; beyond it the server stops reading from that client until the request is done. */
  maxLookaheadBytes: number;
  // WebSocket
  /** Largest WebSocket message a client may send, in bytes (after decompression); a larger one closes the connection with 1009. */
  wsMaxMessageSize: number;
  /** Most frames one WebSocket message may arrive in; more closes the connection with 1009. */
  wsMaxFragments: number;
  /** Compress WebSocket messages with permessage-deflate (RFC 7692) when the client offers it: messages of 1 KiB and more are sent compressed; what a client sends compressed may inflate to at most wsMaxMessageSize (else 1009). */
  wsPerMessageDeflate: boolean;
  /** Seconds without a frame from a WebSocket client before the server pings it; 0 never pings. upgradeWebSocket()'s idleTimeout overrides it per socket. */
  wsPingInterval: number;
  /** Seconds a WebSocket client has to answer a ping, or the server's close frame, before the connection is dropped. */
  wsPingTimeout: number;
  // Logging
  /** Minimum level of messages the server logs: debug, info, warning or error. */
  logLevel: LogLevel;
  /** Log one line per request: true for the server's log output, or a file path. */
  accessLog: string | boolean;
  /** Access log line format: common, combined, or Apache-style directives (%h %t "%r" %>s %b %D ...). */
  accessLogFormat: string;
  /** Log socket errors and premature client disconnects. */
  logSocketErrors: boolean;
  // Accepted for Waitress compatibility; no effect.
  /** Accepted for Waitress compatibility; has no effect. */
  asyncoreLoopTimeout: number;
  /** Accepted for Waitress compatibility; has no effect. */
  asyncoreUsePoll: boolean;
}

/** The kind of a setting's value: how it is written on the command line and in config files, and
 * its cast unless its row has one of its own.
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
  /** The kind of value: its command-line syntax, and its cast unless the row has its own. */
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
  /** Inherited listening sockets to serve, as file descriptor numbers (Waitress: socket objects), e.g. [3]: TCP or Unix stream sockets a parent process or supervisor bound. serve() only; waitress-serve fills it from systemd socket activation. Node and Bun; Deno cannot listen on an inherited descriptor. Not combinable with host, port, listen or unixSocket. */
  sockets: readonly (number | { readonly fd: number })[];
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
 * yourself (`Number(env.PORT)`) or call {@link resolveSettings} to validate it.
 *
 * @example
 * ```ts
 * const fromCli: RawSettingOptions = { threads: "8", ipv6: "no" };
 * ```
 */
// string[]: a repeated command-line flag (--listen, --trusted-proxy-headers) before it is joined.
export type RawSettingOptions = { readonly [K in keyof SettingInputs]?: SettingInputs[K] | string | readonly string[] };
