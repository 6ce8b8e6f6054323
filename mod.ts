/**
 * Waitress for TypeScript: a strict, configurable HTTP/1.1 server for Fetch handlers that runs the same
 * on Node, Deno and Bun. A re-creation of Python's Waitress.
 *
 * @example
 * ```ts ignore
 * import { serve } from "@waitress/core";
 *
 * serve((request, info) => new Response(`Hello, ${info.remoteAddress}`), { host: "127.0.0.1", port: 8080 });
 * ```
 *
 * @module
 */

import { resolveSettings, type ServeOptions as SettingsOptions } from "./src/settings/adjustments.ts";
import type { FetchHandler } from "./src/serve/connection.ts";
import { Logger, type LogSink } from "./src/policy/logger.ts";
import { Server } from "./src/serve/server.ts";
import type { Runtime } from "./src/platform.ts";
import { createDispatcher, type Dispatcher, forwardRequest, type ThreadStats } from "./src/threads/dispatcher.ts";
import { handlerFromModule } from "./src/threads/worker_main.ts";
import { currentRuntime } from "./adapters/auto.ts";
import { type RequestBodyAccess, spoolingHandler } from "./src/serve/spool.ts";
import type { RequestParts } from "./src/web/request.ts";
import { type FileResponseOptions, responseForFile } from "./src/web/file_response.ts";
import { type ServeDirOptions, serveDirWith } from "./src/web/serve_dir.ts";

export { Server } from "./src/serve/server.ts";
export { FastResponse } from "./src/web/fast_response.ts";
export type { ServerStats } from "./src/serve/server.ts";
export type { AccessRecord } from "./src/policy/access_record.ts";
export { contentTypeFor } from "./src/web/file_response.ts";
export type { FetchHandler } from "./src/serve/connection.ts";
export type { RequestInfo } from "./src/web/request.ts";
export type { BoundAddress } from "./src/platform.ts";
export type { LogLevel, LogSink } from "./src/policy/logger.ts";
export { SETTINGS, resolveSettings } from "./src/settings/adjustments.ts";
export type {
  ListenAddress, ProxyHeader, ProxyHeaderList, RawSettingOptions, Settings, SettingSpec, SettingKind, SettingInputs,
  ServeOptions as SettingOptions,
} from "./src/settings/adjustments.ts";
export type { FastState } from "./src/web/fast_response.ts";
export type { ThreadStats } from "./src/threads/dispatcher.ts";

/** An application: a Fetch handler, or an object with a `fetch` handler (`export default { fetch }`). */
export type App = FetchHandler | { fetch: FetchHandler };

/** Options of {@linkcode serve}: every setting (camelCase), plus a `logger` to write to. */
export interface ServeOptions extends SettingsOptions {
  /** Where log lines go: any console-like object. Default: `console`. */
  logger?: LogSink;
  /**
   * `serve()` replaces `globalThis.Response` with {@linkcode FastResponse}, a lookalike that builds the
   * native object only when something needs it (undici's costs ~11 µs per response on Node 20, and
   * reading any native body back costs a stream reader). Set `true` to keep the native `Response`.
   */
  nativeResponse?: boolean;
  /**
   * When the app is given as a module specifier: the export to serve, `default` unless named
   * (`"app"`, or a dotted path such as `"app.fetch"`). The export must be a Fetch handler or an
   * object with a `fetch` method.
   */
  export?: string;
}

/**
 * An app given by its module, for thread mode: a file path (relative to the current directory)
 * or a URL (`new URL("./app.ts", import.meta.url)`, `file:`, `data:`, `https:` ...). Each worker
 * thread imports it; with `threads: 0` it is imported once, on the I/O thread.
 */
export type AppModule = string | URL;

/**
 * Turns an {@linkcode App} into a handler, or throws a `TypeError` saying what was wrong.
 *
 * @example
 * ```ts
 * import { toHandler } from "@waitress/core";
 * const handler = toHandler({ fetch: () => new Response("ok") });
 * ```
 */
export function toHandler(app: App): FetchHandler {
  if (typeof app === "function") return app;
  if (app !== null && typeof app === "object" && typeof (app as { fetch?: unknown }).fetch === "function") {
    const target = app as { fetch: FetchHandler };
    return (request, info) => target.fetch(request, info);
  }
  throw new TypeError(`Cannot serve ${app === null ? "null" : typeof app}: the app must be a function (request, info) => Response or an object with a fetch method`);
}

/**
 * Creates a server and starts listening at once. `server.ready` resolves when every listener is
 * bound (rejects if one cannot be); `server.addresses` then lists them (port 0 is resolved to the
 * real port); `server.close()` shuts down gracefully.
 *
 * The app is a handler, or an {@linkcode AppModule} (its module's path or URL, with the `export`
 * option naming the export). `threads: N` (N >= 1) runs the app in N worker threads that each
 * import that module; the sockets stay on this thread, and requests wait in a FIFO queue while
 * every worker is busy. A function cannot move to a thread, so thread mode needs the module.
 * Listening starts once the module is loaded (in every worker); a module that fails to load
 * rejects `server.ready`.
 *
 * @example
 * ```ts ignore
 * import { createServer } from "@waitress/core";
 * const server = createServer(() => new Response("hi"), { host: "127.0.0.1", port: 0 });
 * await server.ready;
 * console.log(server.addresses[0].port);
 * await server.close();
 *
 * // CPU-heavy handlers: four worker threads, each importing ./app.ts.
 * const pool = createServer(new URL("./app.ts", import.meta.url), { port: 0, threads: 4 });
 * await pool.ready;
 * await pool.close(); // also terminates the workers
 * ```
 */
export function createServer(app: App | AppModule, options: ServeOptions = {}): Server {
  const { logger: sink, nativeResponse = false, export: exportName, ...rest } = options;
  const { settings, warnings } = resolveSettings(rest);
  if (settings.sockets.length > 0) {
    // Accepted by the settings table for Waitress compatibility, but no adapter can serve a pre-bound socket yet.
    throw new TypeError("Setting \"sockets\" (pre-bound listening sockets) is not supported yet: listen with host and port, listen or unixSocket instead");
  }
  const logger = new Logger(settings.logLevel, sink ?? console);
  // Access lines are their own stream: always at info, so logLevel "warning" does not hide them.
  const accessLogger = new Logger("info", sink ?? console, "waitress.access");
  for (const warning of warnings) logger.warning(warning);
  const runtime = currentRuntime();
  runtime.setup?.({ nativeResponse });

  if (typeof app !== "string" && !(app instanceof URL)) {
    if (exportName !== undefined) {
      throw new TypeError(`Option "export" (${JSON.stringify(exportName)}) names an export of a module, but the app was given as a ${typeof app}: pass the module specifier instead, or drop "export"`);
    }
    if (settings.threads > 0) {
      throw new TypeError(`Cannot run a ${typeof app === "function" ? "function" : "handler object"} in worker threads (threads: ${settings.threads}): ` +
        "a function cannot move to another thread. Pass the module that exports the app instead, e.g. " +
        `serve(new URL("./app.ts", import.meta.url), { threads: ${settings.threads} }), or set threads: 0 to run it inline`);
    }
    return new Server(toHandler(app), settings, runtime, logger, accessLogger);
  }

  const moduleUrl = moduleUrlOf(app);
  const name = exportName ?? "default";
  if (settings.threads === 0) {
    // Inline: the module is imported here; listening waits for it, so server.ready reports a failure.
    let handler: FetchHandler | undefined;
    const loaded = import(moduleUrl).then(
      (namespace: Record<string, unknown>) => void (handler = handlerFromModule(namespace, name, moduleUrl)),
      (error: unknown) => {
        throw new Error(`Cannot import the app module ${JSON.stringify(moduleUrl)}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      },
    );
    const inline: FetchHandler = (request, info) => handler !== undefined ? handler(request, info) : loaded.then(() => handler!(request, info));
    return new Server(inline, settings, listenAfter(runtime, loaded), logger, accessLogger);
  }

  const spawnWorker = runtime.spawnWorker;
  if (spawnWorker === undefined) {
    throw new TypeError(`Thread mode is not available on ${runtime.name}: set threads: 0 to run the app inline`);
  }
  const init = { moduleUrl, exportName: name, nativeResponse };
  const dispatcher = createDispatcher({
    threads: settings.threads,
    spawn: (events) => spawnWorker.call(runtime, init, events),
    logger,
    after: runtime.clock.after,
  });
  // The connection only forwards the parsed request: the worker builds the real Request.
  const threaded: Runtime = { ...listenAfter(runtime, dispatcher.ready), createRequest: forwardRequest };
  // Slow clients never hold a worker: the request body is received whole before dispatch and the
  // response is taken from the worker as fast as it comes (memory, then temp files).
  const spooled = spoolingHandler(dispatcher.handler, {
    inbufOverflow: settings.inbufOverflow,
    outbufOverflow: settings.outbufOverflow,
    outbufHighWatermark: settings.outbufHighWatermark,
    createTempFile: runtime.files.createTempFile,
  }, forwardedBody);
  const server = new Server(spooled, settings, threaded, logger, accessLogger);
  pools.set(server, dispatcher);
  server.poolStats = () => {
    const { queued, busy, idle } = dispatcher.stats();
    return { queuedTasks: queued, busyWorkers: busy, idleWorkers: idle };
  };
  // Shutdown (or a failed start) ends the workers.
  void server.finished.then(() => dispatcher.close());
  return server;
}

const pools = new WeakMap<Server, Dispatcher>();

/**
 * The worker pool of a server in thread mode: the task queue depth and busy, idle and starting
 * workers. `undefined` for a server that runs its app inline (`threads: 0`).
 *
 * @example
 * ```ts ignore
 * import { serve, threadStats } from "@waitress/core";
 * const server = serve(new URL("./app.ts", import.meta.url), { threads: 4 });
 * await server.ready;
 * threadStats(server); // { threads: 4, busy: 0, idle: 4, starting: 0, queued: 0 }
 * ```
 */
export function threadStats(server: Server): ThreadStats | undefined {
  return pools.get(server)?.stats();
}

/** The runtime, with listening held back until `loaded` resolves (and failing when it rejects). */
function listenAfter(runtime: Runtime, loaded: Promise<unknown>): Runtime {
  loaded.catch(() => {}); // reported through server.ready
  return {
    ...runtime,
    listenTcp: async (...args) => {
      await loaded;
      return runtime.listenTcp(...args);
    },
    listenUnix: async (...args) => {
      await loaded;
      return runtime.listenUnix(...args);
    },
  };
}

/** The current directory, from whichever runtime this is. */
function currentDirectory(): string {
  const g = globalThis as { Deno?: { cwd(): string }; process?: { cwd(): string } };
  if (g.Deno !== undefined) return g.Deno.cwd();
  if (g.process !== undefined) return g.process.cwd();
  throw new TypeError("Cannot resolve a relative module path here: pass a URL, e.g. new URL(\"./app.ts\", import.meta.url)");
}

/** A module specifier as a URL: URLs as they are, file paths resolved against the current directory. */
function moduleUrlOf(app: AppModule): string {
  if (app instanceof URL) return app.href;
  if (app.trim() === "") throw new TypeError('The app module is empty: pass a path such as "./app.ts" or a URL');
  if (/^[A-Za-z][A-Za-z0-9+.-]+:/.test(app)) return new URL(app).href; // a URL (a one-letter scheme is a drive)
  let path = app.replace(/\\/g, "/");
  if (!path.startsWith("/") && !/^[A-Za-z]:\//.test(path)) path = `${currentDirectory().replace(/\\/g, "/").replace(/\/$/, "")}/${path}`;
  if (/^[A-Za-z]:/.test(path)) path = `/${path}`;
  const url = new URL("file:///");
  url.pathname = path; // percent-encodes and removes dot segments
  return url.href;
}

/**
 * Serves an app (Waitress's `serve`): listens on `host`:`port` (default `0.0.0.0:8080`) or the
 * `listen` list, logs `Serving on http://HOST:PORT` (its `logLevel` defaults to `info`, so the line
 * shows, as Waitress's `serve()` prints it; {@linkcode createServer} defaults to `warning`), and keeps
 * the process alive until `server.close()`.
 *
 * @example
 * ```ts ignore
 * import { serve } from "@waitress/core";
 * serve({ fetch: () => new Response("Hello") }, { listen: "127.0.0.1:8080 [::1]:8080" });
 * serve("./app.ts", { port: 8081, threads: 4, export: "app" }); // thread mode
 * ```
 */
export function serve(app: App | AppModule, options: ServeOptions = {}): Server {
  // A newcomer must see that it listens; createServer() stays quiet for libraries and tests.
  return createServer(app, options.logLevel === undefined ? { ...options, logLevel: "info" } : options);
}




/** Thread mode: the connection's requests are forwarded parts; the body lives in `parts`. */
const forwardedBody: RequestBodyAccess = {
  body: (request) => (request as unknown as { parts: RequestParts }).parts.body,
  rebuild(request, body) {
    // Parts may carry signal() on a prototype (the connection's exchange): copy field by field.
    const parts = (request as unknown as { parts: RequestParts }).parts;
    return forwardRequest({ method: parts.method, url: parts.url, headers: parts.headers, body, signal: () => parts.signal() });
  },
};

export type { FileRequest, FileResponseOptions } from "./src/web/file_response.ts";
export type { ServeDirOptions } from "./src/web/serve_dir.ts";

/**
 * A `Response` that streams a file from disk (Waitress's `wsgi.file_wrapper`): `Content-Length`,
 * `Content-Type` (from the extension unless `init.headers` sets one), `Last-Modified` and a strong
 * `ETag` (from size and modification time) are set, and the file is read in 64 KiB chunks only as
 * fast as the client takes them. Rejects when the file does not exist or is not a regular file
 * (answer 404 yourself, or use {@linkcode serveDir}).
 *
 * Pass the request as `init.request` and the response follows it (RFC 9110 §13, §14): 304 for a
 * matching `If-None-Match` or an unchanged `If-Modified-Since`, 412 for a failed `If-Match` or
 * `If-Unmodified-Since`, 206 for a single byte range (`bytes=0-499`, `bytes=500-`, `bytes=-500`;
 * overlapping ranges are merged; several disjoint ones get the whole file with 200), 416 with
 * `Content-Range` naming the size when no range overlaps the file, and the whole file when `Range`
 * is malformed or `If-Range` does not match. `Accept-Ranges: bytes` is announced. HEAD gets the
 * headers without the file being read.
 *
 * @example
 * ```ts ignore
 * import { fileResponse, serve } from "@waitress/core";
 * serve((request) => fileResponse("./public/video.mp4", { request, headers: { "cache-control": "max-age=3600" } }));
 * ```
 */
export async function fileResponse(path: string, init?: FileResponseOptions): Promise<Response> {
  const file = await currentRuntime().files.open(path);
  return responseForFile(file, path, init);
}

/**
 * Answers a request from the files of a directory: a safe static file server. The URL path (below
 * `urlPrefix`) is decoded once per segment and refused (404) when a segment is `.`, `..`, contains
 * `/`, `\`, NUL or another control character, or names a dotfile; symbolic links are followed only
 * when they end inside the root (checked on the canonical path, so `..` through a link cannot escape
 * either). A directory redirects (301) to its address with a trailing `/` and is answered by its
 * `index.html` (404 without one); files go through {@linkcode fileResponse} with the request, so
 * ranges, `ETag`, `Last-Modified` and 304 work, and `Content-Type` comes from the extension.
 * Methods other than GET and HEAD get 405. Missing and refused paths both get 404.
 *
 * @example
 * ```ts ignore
 * import { serve, serveDir } from "@waitress/core";
 * serve((request) => serveDir(request, { root: "./public", urlPrefix: "/static" }));
 * ```
 */
export function serveDir(request: Request, options: ServeDirOptions): Promise<Response> {
  return serveDirWith(currentRuntime().files, request, options);
}
