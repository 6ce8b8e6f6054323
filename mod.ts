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

import type { Server } from "./src/serve/server.ts";
import { type App, type AppModule, type ServeOptions, startServer } from "./src/serve/start_server.ts";
import type { SettingInputs } from "./src/settings/adjustments.ts";
import { loadRuntime } from "./adapters/auto.ts";
import { type FileResponseOptions, responseForFile } from "./src/web/file_response.ts";
import { type ServeDirOptions, serveDirWith } from "./src/web/serve_dir.ts";

export { Server } from "./src/serve/server.ts";
export { FastResponse } from "./src/web/fast_response.ts";
export { upgradeWebSocket, WebSocketHandshakeError } from "./src/web/upgrade_websocket.ts";
export type { UpgradeWebSocketOptions, WebSocketUpgrade } from "./src/web/upgrade_websocket.ts";
export { ServerWebSocket } from "./src/web/server_websocket.ts";
export type { ServerStats, WorkerIdentity } from "./src/serve/server.ts";
export type { AccessRecord } from "./src/policy/access_record.ts";
export { contentTypeFor } from "./src/web/file_response.ts";
export type { FetchHandler } from "./src/serve/connection.ts";
export type { RequestInfo } from "./src/web/request.ts";
export type { BoundAddress } from "./src/platform.ts";
export type { LogLevel, LogSink } from "./src/policy/logger.ts";
export { SETTINGS, resolveSettings } from "./src/settings/adjustments.ts";
export type {
  ListenAddress, ProxyHeader, ProxyHeaderList, RawSettingOptions, Settings, SettingSpec, SettingKind, SettingInputs,
} from "./src/settings/adjustments.ts";
export type { FastState } from "./src/web/fast_response.ts";
export type { ThreadStats } from "./src/threads/dispatcher.ts";
export { threadStats, toHandler } from "./src/serve/start_server.ts";
export type { App, AppModule, ServeOptions } from "./src/serve/start_server.ts";
export type { FileRequest, FileResponseOptions } from "./src/web/file_response.ts";
export type { ServeDirOptions } from "./src/web/serve_dir.ts";

/**
 * The settings alone, without `logger`, `nativeResponse` and `export`.
 *
 * @deprecated Use {@linkcode ServeOptions}, the one options type (it has every setting). To be
 * removed in the next release.
 */
export type SettingOptions = Partial<SettingInputs>;

/** The current directory, from whichever runtime this is (relative app module paths start there). */
function currentDirectory(): string {
  const g = globalThis as { Deno?: { cwd(): string }; process?: { cwd(): string } };
  if (g.Deno !== undefined) return g.Deno.cwd();
  if (g.process !== undefined) return g.process.cwd();
  throw new TypeError("Cannot resolve a relative module path here: pass a URL, e.g. new URL(\"./app.ts\", import.meta.url)");
}

/**
 * Serves an app (Waitress's `serve`) and starts listening at once: on `host`:`port` (default
 * `0.0.0.0:8080`), the `listen` list, `unixSocket`, or `sockets` (descriptors of inherited listening
 * sockets, on Node and Bun). `server.ready` resolves when every listener is
 * bound (rejects if one cannot be); `server.addresses` then lists them (port 0 is resolved to the
 * real port), and `Serving on http://HOST:PORT` is logged (`logLevel` defaults to `info` here, as
 * Waitress's `serve()` prints it). The server keeps the process alive until `server.close()`, which
 * shuts down gracefully.
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
 * import { serve } from "@waitress/core";
 * const server = serve(() => new Response("hi"), { host: "127.0.0.1", port: 0, logLevel: "warning" });
 * await server.ready;
 * console.log(server.addresses[0].port);
 * await server.close();
 *
 * serve({ fetch: () => new Response("Hello") }, { listen: "127.0.0.1:8080 [::1]:8080" });
 * // CPU-heavy handlers: four worker threads, each importing ./app.ts (its export "app").
 * serve("./app.ts", { port: 8081, threads: 4, export: "app" });
 * // A listening socket inherited at descriptor 3 (a supervisor bound it; Node and Bun).
 * serve(() => new Response("hi"), { sockets: [3] });
 * ```
 */
export function serve(app: App | AppModule, options: ServeOptions = {}): Server {
  // A newcomer must see that it listens.
  return startServer(app, options.logLevel === undefined ? { ...options, logLevel: "info" } : options, loadRuntime(), currentDirectory);
}

/**
 * {@linkcode serve} with `logLevel` defaulting to `warning` (no `Serving on` line).
 *
 * @deprecated Use {@linkcode serve}, the one function (pass `logLevel: "warning"` for the quiet
 * default this one had). To be removed in the next release.
 *
 * @example
 * ```ts ignore
 * import { serve } from "@waitress/core";
 * const server = serve(() => new Response("hi"), { port: 0, logLevel: "warning" }); // was createServer(...)
 * ```
 */
export function createServer(app: App | AppModule, options: ServeOptions = {}): Server {
  return startServer(app, options, loadRuntime(), currentDirectory);
}

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
export async function fileResponse(path: string, init: FileResponseOptions = {}): Promise<Response> {
  const { files, clock } = await loadRuntime();
  return responseForFile(await files.open(path), path, init, clock.now());
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
export async function serveDir(request: Request, options: ServeDirOptions): Promise<Response> {
  const { files, clock } = await loadRuntime();
  return serveDirWith(files, request, options, clock.now());
}
