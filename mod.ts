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

import { resolveSettings, type ServeOptions as SettingsOptions } from "./src/adjustments.ts";
import type { FetchHandler } from "./src/connection.ts";
import { Logger, type LogSink } from "./src/logger.ts";
import { Server } from "./src/server.ts";
import { currentRuntime } from "./adapters/auto.ts";

export { Server } from "./src/server.ts";
export { FastResponse } from "./src/fast_response.ts";
export type { FetchHandler } from "./src/connection.ts";
export type { RequestInfo } from "./src/request.ts";
export type { BoundAddress } from "./src/transport.ts";
export type { LogLevel, LogSink } from "./src/logger.ts";
export { SETTINGS, resolveSettings } from "./src/adjustments.ts";
export type { ListenAddress, Settings } from "./src/adjustments.ts";

/** An application: a Fetch handler, or an object with a `fetch` handler (`export default { fetch }`). */
export type App = FetchHandler | { fetch: FetchHandler };

/** Options of {@linkcode serve}: every setting (camelCase), plus a `logger` to write to. */
export interface ServeOptions extends SettingsOptions {
  /** Where log lines go: any console-like object. Default: `console`. */
  logger?: LogSink;
  /**
   * On Node, `serve()` replaces `globalThis.Response` with {@linkcode FastResponse}, a lookalike that
   * builds the native object only when needed (undici's costs ~11 µs per response). Set `true` to
   * keep the native `Response`. No effect on Deno and Bun.
   */
  nativeResponse?: boolean;
}

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
 * @example
 * ```ts ignore
 * import { createServer } from "@waitress/core";
 * const server = createServer(() => new Response("hi"), { host: "127.0.0.1", port: 0 });
 * await server.ready;
 * console.log(server.addresses[0].port);
 * await server.close();
 * ```
 */
export function createServer(app: App, options: ServeOptions = {}): Server {
  const handler = toHandler(app);
  const { logger: sink, nativeResponse = false, ...rest } = options;
  const { settings, warnings } = resolveSettings(rest);
  const logger = new Logger(settings.logLevel, sink ?? console);
  for (const warning of warnings) logger.warning(warning);
  const runtime = currentRuntime();
  runtime.setup?.({ nativeResponse });
  return new Server(handler, settings, runtime, logger);
}

/**
 * Serves an app (Waitress's `serve`): listens on `host`:`port` (default `0.0.0.0:8080`) or the
 * `listen` list, logs `Serving on http://HOST:PORT` at info level, and keeps the process alive
 * until `server.close()`.
 *
 * @example
 * ```ts ignore
 * import { serve } from "@waitress/core";
 * serve({ fetch: () => new Response("Hello") }, { listen: "127.0.0.1:8080 [::1]:8080" });
 * ```
 */
export function serve(app: App, options: ServeOptions = {}): Server {
  return createServer(app, options);
}



