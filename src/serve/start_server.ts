/**
 * What `serve()` does, without a runtime: options in, a listening {@linkcode Server} out, inline or in
 * thread mode. The entry points (mod.ts, the CLI) bind it to the runtime's adapter.
 *
 * @module
 */

import { resolveSettings, type SettingInputs } from "../settings/adjustments.ts";
import type { ExchangeHandler, FetchHandler } from "./connection.ts";
import { Logger, type LogSink } from "../policy/logger.ts";
import { Server, type ServerApp, socketsUnavailable, type WorkerIdentity } from "./server.ts";
import type { Runtime } from "../platform.ts";
// Thread mode and app modules are imported where they start (issue 16): a plain server never loads them.
import type { Dispatcher, ThreadStats } from "../threads/dispatcher.ts";

/** An application: a Fetch handler, or an object with a `fetch` handler (`export default { fetch }`). */
export type App = FetchHandler | { fetch: FetchHandler };

/**
 * An app given by its module, for thread mode: a file path (relative to the current directory)
 * or a URL (`new URL("./app.ts", import.meta.url)`, `file:`, `data:`, `https:` ...). Each worker
 * thread imports it; with `threads: 0` it is imported once, on the I/O thread.
 */
export type AppModule = string | URL;

/** Options of `serve()`: every setting (camelCase), plus a `logger` to write to. */
export interface ServeOptions extends Partial<SettingInputs> {
  /** Where log lines go: any console-like object. Default: `console`. */
  logger?: LogSink;
  /**
   * `serve()` replaces `globalThis.Response` with `FastResponse`, a lookalike that builds the
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
  /** Set by waitress-serve in each of its `--workers` processes (which worker this is); not for applications. */
  worker?: WorkerIdentity;
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

/** `fn(value)`, at once for a value, once it resolves for a promise: a runtime given as it is keeps
 * every check synchronous (a mistake throws from `serve()`); a promised one reports through `ready`. */
function whenLoaded<T, U>(value: T | Promise<T>, fn: (value: T) => U | Promise<U>): U | Promise<U> {
  return value instanceof Promise ? value.then(fn) : fn(value);
}

/**
 * Starts a server for `app` over `runtime` (the adapter, or a promise of it): the body of `serve()`.
 * Settings come from `options` as they are (the settings table's `logLevel` default is `warning`);
 * `cwd` resolves a relative module path (without it, pass the module as a URL).
 *
 * @example
 * ```ts ignore
 * import { startServer } from "./start_server.ts";
 * const server = startServer(() => new Response("hi"), { port: 0 }, loadRuntime());
 * await server.ready;
 * ```
 */
export function startServer(app: App | AppModule, options: ServeOptions, runtime: Runtime | Promise<Runtime>, cwd?: () => string): Server {
  const { logger: sink, nativeResponse = false, export: exportName, worker, ...rest } = options;
  const { settings, warnings } = resolveSettings(rest);
  if (settings.workers > 1 && worker === undefined) {
    throw new TypeError(`Setting "workers" (${settings.workers}) needs the waitress-serve command, whose supervisor starts ` +
      `and restarts the server processes: run "waitress-serve --workers=${settings.workers} MODULE[:EXPORT]" ` +
      "(or workers = N in its config file), or leave workers at 1 in serve()");
  }
  // A runtime given as it is says at once that it cannot serve inherited sockets; a promised one through `ready`.
  if (settings.sockets.length > 0 && !(runtime instanceof Promise) && runtime.listenFd === undefined) {
    throw socketsUnavailable(runtime, settings.sockets);
  }
  const logger = new Logger(settings.logLevel, sink ?? console);
  // Access lines are their own stream: always at info, so logLevel "warning" does not hide them.
  const accessLogger = new Logger("info", sink ?? console, "waitress.access");
  for (const warning of warnings) logger.warning(warning);
  // FastResponse goes in before anything of the app runs, its module's import included.
  const prepared = whenLoaded(runtime, (loaded) => {
    loaded.setup?.({ nativeResponse });
    return loaded;
  });

  if (typeof app !== "string" && !(app instanceof URL)) {
    if (exportName !== undefined) {
      throw new TypeError(`Option "export" (${JSON.stringify(exportName)}) names an export of a module, but the app was given as a ${typeof app}: pass the module specifier instead, or drop "export"`);
    }
    if (settings.threads > 0) {
      throw new TypeError(`Cannot run a ${typeof app === "function" ? "function" : "handler object"} in worker threads (threads: ${settings.threads}): ` +
        "a function cannot move to another thread. Pass the module that exports the app instead, e.g. " +
        `serve(new URL("./app.ts", import.meta.url), { threads: ${settings.threads} }), or set threads: 0 to run it inline`);
    }
    return new Server(toHandler(app), settings, prepared, logger, accessLogger, worker);
  }

  const moduleUrl = moduleUrlOf(app, cwd);
  const name = exportName ?? "default";
  if (settings.threads === 0) {
    // Inline: the module is imported here; listening waits for it, so server.ready reports a failure.
    let handler: FetchHandler | undefined;
    let loading: Promise<void> | undefined;
    const listening = whenLoaded(prepared, (loaded) => {
      loading = import(moduleUrl).then(
        async (namespace: Record<string, unknown>) => {
          const { handlerFromModule } = await import("../threads/app_export.ts");
          handler = handlerFromModule(namespace, name, moduleUrl);
        },
        (error: unknown) => {
          throw new Error(`Cannot import the app module ${JSON.stringify(moduleUrl)}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
        },
      );
      return listenAfter(loaded, loading);
    });
    // Nothing is served before listening, which waits for the module: `loading` is set by then.
    const inline: FetchHandler = (request, info) => handler !== undefined ? handler(request, info) : loading!.then(() => handler!(request, info));
    return new Server(inline, settings, listening, logger, accessLogger, worker);
  }

  // Thread mode: the connection hands the parsed request's parts to the task queue; the worker builds the Request.
  let dispatcher: Dispatcher | undefined;
  let handleExchange: ExchangeHandler | undefined;
  const listening = whenLoaded(prepared, (loaded) => {
    const spawnWorker = loaded.spawnWorker;
    if (spawnWorker === undefined) {
      throw new TypeError(`Thread mode is not available on ${loaded.name}: set threads: 0 to run the app inline`);
    }
    const init = { moduleUrl, exportName: name, nativeResponse };
    // The server's start waits for this: a start that fails later still finds the pool to close.
    return (async () => {
      const [{ createDispatcher }, { spoolingHandler }] = await Promise.all([import("../threads/dispatcher.ts"), import("./spool.ts")]);
      const pool = createDispatcher({
        threads: settings.threads,
        spawn: (events) => spawnWorker.call(loaded, init, events),
        logger,
        after: loaded.clock.after,
      });
      dispatcher = pool;
      // Slow clients never hold a worker: the request body is received whole before dispatch and the
      // response is taken from the worker as fast as it comes (memory, then temp files).
      handleExchange = spoolingHandler(pool.handleExchange, {
        inbufOverflow: settings.inbufOverflow,
        outbufOverflow: settings.outbufOverflow,
        outbufHighWatermark: settings.outbufHighWatermark,
        createTempFile: loaded.files.createTempFile,
      });
      return listenAfter(loaded, pool.ready);
    })();
  });
  // Nothing is served before listening, which waits for the pool: `handleExchange` is set by then.
  const threaded: ServerApp = {
    handleExchange: (parts, info) => handleExchange!(parts, info),
    poolStats: () => {
      const { queued, busy, idle } = dispatcher?.stats() ?? { queued: 0, busy: 0, idle: 0 };
      return { queuedTasks: queued, busyWorkers: busy, idleWorkers: idle };
    },
  };
  const server = new Server(threaded, settings, listening, logger, accessLogger, worker);
  pools.set(server, () => dispatcher?.stats());
  // Shutdown (or a failed start) ends the workers.
  void server.finished.then(() => dispatcher?.close());
  return server;
}

const pools = new WeakMap<Server, () => ThreadStats | undefined>();

/**
 * The worker pool of a server in thread mode: the task queue depth and busy, idle and starting
 * workers. `undefined` for a server that runs its app inline (`threads: 0`).
 *
 * @deprecated Use `server.stats()`: its `queuedTasks`, `busyWorkers` and `idleWorkers` are the
 * same figures (for every server: 0 inline). To be removed in the next release.
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
  return pools.get(server)?.();
}

/** The runtime, with listening held back until `loaded` resolves (and failing when it rejects). */
function listenAfter(runtime: Runtime, loaded: Promise<unknown>): Runtime {
  loaded.catch(() => {}); // reported through server.ready
  const held: Runtime = {
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
  const listenFd = runtime.listenFd;
  if (listenFd !== undefined) {
    held.listenFd = async (...args) => {
      await loaded;
      return listenFd.apply(runtime, args);
    };
  }
  return held;
}

/** A module specifier as a URL: URLs as they are, file paths resolved against `cwd()`. */
function moduleUrlOf(app: AppModule, cwd: (() => string) | undefined): string {
  if (app instanceof URL) return app.href;
  if (app.trim() === "") throw new TypeError('The app module is empty: pass a path such as "./app.ts" or a URL');
  if (/^[A-Za-z][A-Za-z0-9+.-]+:/.test(app)) return new URL(app).href; // a URL (a one-letter scheme is a drive)
  let path = app.replace(/\\/g, "/");
  if (!path.startsWith("/") && !/^[A-Za-z]:\//.test(path)) {
    if (cwd === undefined) throw new TypeError("Cannot resolve a relative module path here: pass a URL, e.g. new URL(\"./app.ts\", import.meta.url)");
    path = `${cwd().replace(/\\/g, "/").replace(/\/$/, "")}/${path}`;
  }
  if (/^[A-Za-z]:/.test(path)) path = `/${path}`;
  const url = new URL("file:///");
  url.pathname = path; // percent-encodes and removes dot segments
  return url.href;
}
