/**
 * `serve()` options are typed strictly (issue 14, item 9): the type checker, not the running
 * server, catches `threads: "four"`, `logLevel: "verbose"` and misspelt option names. String forms
 * belong to the command line and config files, through `RawSettingOptions` and `resolveSettings()`.
 *
 * Most of this file is checked by `tsc -p tsconfig.build.json` (and `deno test`'s type check): each
 * `@ts-expect-error` line must really be an error, or the build fails ("Unused '@ts-expect-error'
 * directive"). The runtime tests keep the option types and the settings table in step.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  createServer,
  type LogLevel,
  type ProxyHeader,
  type RawSettingOptions,
  resolveSettings,
  serve,
  type ServeOptions,
  type SettingInputs,
  type SettingOptions,
  SETTINGS,
  type Settings,
} from "../mod.ts";

const app = () => new Response("ok");

// Never called: only what the type checker accepts matters here.
function compiles(): void {
  serve(app, { host: "127.0.0.1", port: 0, threads: 0, logLevel: "debug", ipv6: false });
  serve(app, { listen: "127.0.0.1:8080 [::1]:8080" });
  serve(app, { listen: ["127.0.0.1:0", { host: "::1", port: 0 }] });
  serve(app, { maxRequestBodySize: 1_048_576, maxRequestHeaderSize: 65536, connectionLimit: 100, backlog: 1024 });
  serve(app, { headerTimeout: 0.3, bodyTimeout: 10, channelTimeout: 120, cleanupInterval: 0.05, shutdownTimeout: 5 });
  serve(app, { trustedProxy: "10.0.0.0/8", trustedProxyCount: 1, trustedProxyHeaders: "x-forwarded-for x-forwarded-proto" });
  serve(app, { trustedProxy: ["127.0.0.1", "::1"], trustedProxyHeaders: ["x-forwarded-for", "forwarded"] });
  serve(app, { trustedProxy: "*", trustedProxyHeaders: new Set<ProxyHeader>(["x-forwarded-host"]) });
  serve(app, { unixSocket: "/tmp/app.sock", unixSocketPerms: 0o660, ident: null, urlPrefix: "/app" });
  serve(app, { accessLog: true, accessLogFormat: "combined" });
  serve(app, { accessLog: "logs/access.log", accessLogFormat: '%h "%r" %>s %D' });
  serve(app, { exposeTracebacks: true, logSocketErrors: false, clearUntrustedProxyHeaders: true });
  serve(app, { nativeResponse: true, logger: console, port: undefined });
  serve("./app.ts", { threads: 4, export: "app.fetch" });
  createServer(new URL("file:///srv/app.ts"), { threads: 2, logLevel: "error" });
  const options: ServeOptions = { port: 8080, logLevel: "warning" };
  serve(app, options);
  // The deprecated names still type-check for their last release: createServer() above, and the old options type.
  const legacy: SettingOptions = { port: 8080, threads: 2 };
  serve(app, legacy);

  // The command line's and config files' text goes through resolveSettings(), which casts it.
  resolveSettings({ threads: "8", ipv6: "no", headerTimeout: "0.3", logLevel: "INFO", unixSocketPerms: "600" });
  resolveSettings({ listen: ["127.0.0.1:0", "[::1]:0"], trustedProxyHeaders: ["X-Forwarded-For, X-Forwarded-Proto"] });
  const raw: RawSettingOptions = { port: "8080", exposeTracebacks: "yes" };
  resolveSettings(raw);
}

function rejected(): void {
  // @ts-expect-error threads is a number
  serve(app, { threads: "four" });
  // @ts-expect-error not even a number's text: serve() takes typed values
  serve(app, { threads: "4" });
  // @ts-expect-error logLevel is debug, info, warning or error
  serve(app, { logLevel: "verbose" });
  // @ts-expect-error log levels are lower-case in serve()
  createServer(app, { logLevel: "INFO" });
  // @ts-expect-error a misspelt option name
  serve(app, { treads: 4 });
  // @ts-expect-error an option that does not exist
  createServer(app, { keepAliveTimeout: 5 });
  // @ts-expect-error sizes are numbers of bytes
  serve(app, { maxRequestBodySize: "1MB" });
  // @ts-expect-error timeouts are numbers of seconds
  serve(app, { headerTimeout: "0.3" });
  // @ts-expect-error ports are numbers
  serve(app, { port: "8080" });
  // @ts-expect-error booleans are booleans
  serve(app, { ipv6: "no" });
  // @ts-expect-error octal permissions as a number (0o600)
  serve(app, { unixSocketPerms: "600" });
  // @ts-expect-error listen is a string or a list, not a port
  serve(app, { listen: 8080 });
  // @ts-expect-error a misspelt proxy header in a list
  serve(app, { trustedProxyHeaders: ["x-forwarded-fro"] });
  // @ts-expect-error accessLog is a boolean or a path
  serve(app, { accessLog: 1 });
  // @ts-expect-error the variable's type is checked too
  const typo: ServeOptions = { threds: 1 };
  // @ts-expect-error resolveSettings() takes text, but only for settings that exist
  resolveSettings({ treads: "8" });
  void typo;
}
void compiles;
void rejected;

// Both ways: a log level missing here, or one here that LogLevel lacks, is a type error.
const LEVELS: Record<LogLevel, true> = { debug: true, info: true, warning: true, error: true };

// Every setting has an option type, and nothing else does.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const SAME_NAMES: Same<keyof SettingInputs, keyof Settings> = true;

// Names whose serve() type is a number (or a boolean): must match the table's kinds, checked below.
type NamesOf<T> = { [K in keyof SettingInputs]-?: [SettingInputs[K]] extends [T | null] ? K : never }[keyof SettingInputs];
const NUMERIC: Record<NamesOf<number>, true> = {
  port: true, unixSocketPerms: true, threads: true, workers: true, trustedProxyCount: true, maxRequestLineSize: true,
  maxRequestHeaderSize: true, maxHeaderFields: true, maxRequestBodySize: true, maxChunkExtensionSize: true,
  maxTrailerSize: true, connectionLimit: true, headerTimeout: true, bodyTimeout: true, channelTimeout: true,
  cleanupInterval: true, reclaimTimeout: true, shutdownTimeout: true, backlog: true, recvBytes: true, sendBytes: true,
  outbufOverflow: true, outbufHighWatermark: true, inbufOverflow: true, channelRequestLookahead: true,
  maxLookaheadBytes: true, asyncoreLoopTimeout: true, wsMaxMessageSize: true, wsMaxFragments: true, wsPingInterval: true, wsPingTimeout: true,
};
const BOOLEAN: Record<NamesOf<boolean>, true> = {
  ipv4: true, ipv6: true, exposeTracebacks: true, clearUntrustedProxyHeaders: true, logUntrustedProxyHeaders: true,
  logSocketErrors: true, asyncoreUsePoll: true, wsPerMessageDeflate: true,
};

describe("serve() option types", () => {
  it("the type checker's log levels are the ones the logLevel setting accepts", () => {
    const spec = SETTINGS.find((s) => s.name === "logLevel")!;
    assert.deepEqual(Object.keys(LEVELS).sort(), [...spec.choices!].sort());
    assert.equal(SAME_NAMES, true);
  });

  it("settings typed as numbers are the int, seconds and octal ones; booleans the bool ones", () => {
    const of = (...kinds: string[]) => SETTINGS.filter((s) => kinds.includes(s.kind)).map((s) => s.name).sort();
    assert.deepEqual(Object.keys(NUMERIC).sort(), of("int", "seconds", "octal"));
    assert.deepEqual(Object.keys(BOOLEAN).sort(), of("bool"));
  });

  it("JavaScript callers that pass text anyway get the same checks at run time", () => {
    const untyped = (o: object) => o as ServeOptions;
    assert.throws(() => createServer(app, untyped({ threads: "four" })), /threads/);
    assert.throws(() => createServer(app, untyped({ logLevel: "verbose" })), /logLevel"?: use one of debug, info, warning, error/);
    assert.throws(() => createServer(app, untyped({ treads: 4 })), /Unknown setting "treads": did you mean "threads"\?/);
  });
});
