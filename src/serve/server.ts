/**
 * The server core: listeners, the set of connections, the connection limit, idle sweeps and
 * shutdown. Runtime specifics come in through the {@linkcode Runtime} interface.
 *
 * @module
 */

import { resolveLimits } from "../http1/parser.ts";
import { Connection, type ConnectionConfig, type ExchangeHandler, type FetchHandler, type ResponseFacts } from "./connection.ts";
import type { AcceptHandler, AccessLogSink, BoundAddress, ConnectionEvents, Listener, ListenerEvents, PeerInfo, Runtime, SocketHandle, ThreadEvents, ThreadHandle, TlsContext } from "../platform.ts";
import type { RequestFactory } from "../web/request.ts";
import type { Logger } from "../policy/logger.ts";
import type { Settings } from "../settings/adjustments.ts";
import { ipFamily } from "../http1/ip.ts";
import { proxyConfigWith } from "../policy/proxy_names.ts";
import type * as ProxyHeaders from "../policy/proxy_headers.ts";
import type { AccessRecord } from "../policy/access_record.ts";
import type { AccessLog } from "../policy/access_log.ts";
import { type HeldEvents, HeldSocket, pickReclaimable } from "./admission.ts";
import type { WorkerInit } from "../threads/thread_protocol.ts";
import type { LoadedTls, TlsSettings } from "./tls_setup.ts";
import type { ServerStats, WorkerIdentity } from "./server_stats.ts";
import { inlineHandler, webSocketConfig } from "./ws_config.ts";

export type { ServerStats, WorkerIdentity } from "./server_stats.ts";

/**
 * What a server serves: a Fetch handler (called with the runtime's `Request`), or a handler of the
 * parsed request's parts (thread mode hands them to its task queue without building a `Request`).
 */
export type ServerApp = FetchHandler | {
  readonly handleExchange: ExchangeHandler;
  /** The worker pool's figures for {@linkcode Server.stats} (thread mode). */
  poolStats?(): { queuedTasks: number; busyWorkers: number; idleWorkers: number };
};

/** At shutdown, how long a connection that has not sent a byte yet may still send its request. */
const SHUTDOWN_FRESH_GRACE_MS = 1000;

const IGNORE_EVENTS: ConnectionEvents = { onData() {}, onEnd() {}, onDrain() {}, onClose() {} };

/** While clients wait at the limit, how often (at most) the server looks for connections to close for them. */
const RECLAIM_TICK_MS = 100;

/**
 * A running server. Created by `serve()`; exposes its bound addresses and `close()`.
 *
 * @example
 * ```ts ignore
 * const server = serve(() => new Response("hi"), { port: 0 });
 * await server.ready;
 * console.log(server.addresses[0].port);
 * await server.close();
 * ```
 */
export class Server {
  /** Set once the runtime promise resolves (before anything listens). */
  #runtime!: Runtime;
  readonly #settings: Settings;
  readonly #logger: Logger;
  #config!: ConnectionConfig;
  readonly #app: ServerApp;
  readonly #runtimeLoading: Runtime | Promise<Runtime>;
  readonly #connections = new Set<Connection>();
  #listeners: Listener[] = [];
  /** Accepted above the limit, in accept order. */
  #held: HeldSocket[] = [];
  /** Of those, the ones that sent bytes, in the order they did: first come, first served. */
  #waiting: HeldSocket[] = [];
  /** Connections whose socket the core has ended or destroyed: they no longer take a slot. */
  readonly #released = new Set<Connection>();
  readonly #heldEvents: HeldEvents = {
    spoke: (held) => {
      this.#waiting.push(held);
      this.#admit();
    },
    gone: (held) => this.#forget(held),
  };
  #admitScheduled = false;
  #stopReclaimTick: (() => void) | undefined;
  #accessLog: AccessLog | undefined;
  #stopAccessFlush: (() => void) | undefined;
  readonly #accessLogger: Logger | undefined;
  #totals = {
    requests: 0,
    connectionsAccepted: 0,
    bytesIn: 0,
    bytesOut: 0,
    responses: { "1xx": 0, "2xx": 0, "3xx": 0, "4xx": 0, "5xx": 0 },
    errors: { badRequest: 0, tooLarge: 0, timeout: 0, handler: 0, other: 0 },
  };
  /** Extra listeners of answered requests (the access log). */
  #responseListeners: ((record: AccessRecord) => void)[] = [];
  #atLimit = false;
  #limitLoggedAt = -Infinity;
  #limitEpisodeLogged = false;
  #stopSweep: (() => void) | undefined;
  #closing: Promise<void> | undefined;
  #resolveClosed!: () => void;
  /** Resolves once every listener is bound; rejects if one cannot be. */
  readonly ready: Promise<void>;
  /** Resolves once the server has closed. */
  readonly finished: Promise<void>;
  #failure: unknown;
  readonly #worker: WorkerIdentity | undefined;
  /** The TLS settings served now (`reloadTls()` may replace them), or undefined for plain HTTP. */
  #tlsSettings: TlsSettings | undefined;
  /** Why the server shut itself down (a listener failed), or `undefined`. Read it once `finished` resolves. */
  get failure(): unknown {
    return this.#failure;
  }

  /**
   * A server for `handler` with resolved `settings` over `runtime`; it starts listening at once.
   * `accessLogger` is where `accessLog: true` writes its lines (at info level, whatever `logLevel` is).
   */
  constructor(app: ServerApp, settings: Settings, runtime: Runtime | Promise<Runtime>, logger: Logger, accessLogger?: Logger, worker?: WorkerIdentity) {
    this.#accessLogger = accessLogger;
    this.#worker = worker;
    this.#app = app;
    this.#runtimeLoading = runtime;
    this.#settings = settings;
    this.#logger = logger;
    this.finished = new Promise((resolve) => (this.#resolveClosed = resolve));
    this.ready = this.#start();
    this.ready.catch(() => {}); // observed by whoever awaits it; never an unhandled rejection
  }

  /**
   * What every connection shares, once the runtime is known. `proxyHeaders` is proxy_headers.ts,
   * loaded when `trustedProxy` is set; without it, connections only remove untrusted proxy headers.
   */
  #connectionConfig(runtime: Runtime, proxyHeaders: typeof ProxyHeaders | undefined): ConnectionConfig {
    const settings = this.#settings;
    const logger = this.#logger;
    const app = this.#app;
    const createRequest = runtime.createRequest;
    return {
      handler: typeof app === "function" ? inlineHandler(app, createRequest) : app.handleExchange,
      logger,
      // Checked once here; every connection's parser then takes the object as it is.
      limits: resolveLimits({
        maxRequestHeaderSize: settings.maxRequestHeaderSize,
        maxRequestBodySize: settings.maxRequestBodySize,
        maxRequestLineSize: settings.maxRequestLineSize,
        maxHeaderFields: settings.maxHeaderFields,
        maxChunkExtensionSize: settings.maxChunkExtensionSize,
        maxTrailerSize: settings.maxTrailerSize,
      }),
      ident: settings.ident,
      serverName: settings.serverName,
      urlScheme: settings.urlScheme,
      urlPrefix: settings.urlPrefix,
      proxy: proxyHeaders === undefined ? proxyConfigWith(settings, undefined) : proxyHeaders.proxyConfigFromSettings(settings),
      applyProxyHeaders: proxyHeaders?.applyProxyHeaders,
      exposeTracebacks: settings.exposeTracebacks,
      logSocketErrors: settings.logSocketErrors,
      lookaheadBytes: settings.maxLookaheadBytes,
      maxDiscardBytes: 65536,
      headerTimeoutMs: settings.headerTimeout * 1000,
      bodyTimeoutMs: settings.bodyTimeout * 1000,
      channelTimeoutMs: settings.channelTimeout * 1000,
      now: runtime.clock.now,
      soon: runtime.clock.soon,
      websocket: webSocketConfig(settings, runtime, logger),
      onClosed: (connection) => this.#onClosed(connection),
      onRelease: (connection) => {
        this.#released.add(connection);
        this.#scheduleAdmit();
      },
      onResponse: (record) => this.#onResponse(record),
      // A client waits at the connection limit: a keep-alive connection going idle makes room.
      onIdle: (connection) => {
        if (this.#waiting.length > 0) connection.closeIfIdle();
      },
    };
  }

  /** Where the server listens (filled in once `ready` resolves). */
  get addresses(): BoundAddress[] {
    return this.#listeners.map((listener) => listener.address);
  }

  /** Number of open client connections (closing ones included, waiting ones not). */
  get connectionCount(): number {
    return this.#connections.size;
  }

  /** Connections that take a slot: open and not yet ended by the server. */
  get #active(): number {
    return this.#connections.size - this.#released.size;
  }

  async #start(): Promise<void> {
    const settings = this.#settings;
    const accept: AcceptHandler = (socket, peer) => this.#accept(socket, peer);
    // Adapters log accept errors here; a listener that cannot go on shuts the server down (never silently).
    const events: ListenerEvents = {
      log: (level, message) => this.#logger[level](message),
      failed: (error) => {
        this.#failure ??= error ?? new Error("a listener failed");
        void this.close();
      },
    };
    try {
      this.#runtime = await this.#runtimeLoading;
      // Proxy headers and the access log load only for the settings that use them (issue 16: idle memory).
      const proxyHeaders = settings.trustedProxy === undefined ? undefined : await import("../policy/proxy_headers.ts");
      this.#config = this.#connectionConfig(this.#runtime, proxyHeaders);
      if (settings.accessLog !== false) {
        const { AccessLog, lineSink } = await import("../policy/access_log.ts");
        // Opened before listening, so a bad path rejects `ready`.
        const logger = this.#logger;
        const accessLogger = this.#accessLogger ?? logger;
        const sink = settings.accessLog === true ? lineSink((line) => accessLogger.info(line)) : await this.#runtime.files.openAppend(settings.accessLog);
        this.#accessLog = new AccessLog(settings.accessLogFormat, sink, { onError: (error) => logger.error("Cannot write the access log", error), worker: this.#worker });
        this.#stopAccessFlush = this.#runtime.clock.every(100, () => void this.#accessLog?.flush());
      }
      // Certificates are read and checked before listening: a bad one rejects `ready`, never a request.
      const tls = settings.tlsCert === undefined ? undefined : (await this.#loadTls(settings)).context;
      if (settings.sockets.length > 0) {
        const runtime = this.#runtime;
        if (runtime.listenFd === undefined) throw socketsUnavailable(runtime, settings.sockets);
        if (tls !== undefined) {
          throw new TypeError("Settings tlsCert and sockets cannot be combined: inherited sockets are served as plain HTTP; listen with host and port (or listen) for HTTPS, or terminate TLS in front of the inherited socket");
        }
        for (const fd of settings.sockets) this.#listeners.push(await runtime.listenFd(fd, settings.backlog, accept, events));
      } else if (settings.unixSocket) {
        this.#listeners.push(await this.#runtime.listenUnix(settings.unixSocket, settings.unixSocketPerms, settings.backlog, accept, events));
      } else {
        const reuse = this.#worker?.reusePort ? { reusePort: true } : undefined;
        for (const { host, port } of settings.listen) {
          for (const address of await this.#resolve(host)) {
            this.#listeners.push(await this.#runtime.listenTcp(address, port, settings.backlog, accept, events, { ...reuse, tls }));
          }
        }
      }
      if (tls !== undefined) this.#tlsSettings = { tlsCert: settings.tlsCert, tlsKey: settings.tlsKey, tlsPassphrase: settings.tlsPassphrase, tlsCa: settings.tlsCa };
    } catch (error) {
      await Promise.allSettled(this.#listeners.map((listener) => listener.close()));
      this.#listeners = [];
      this.#resolveClosed();
      throw error;
    }
    for (const { transport, hostname, port, fd } of this.addresses) {
      const inherited = fd === undefined ? "" : ` (inherited descriptor ${fd})`;
      if (transport === "unix") this.#logger.info(`Serving on ${hostname === "" ? "a unix socket" : `unix:${hostname}`}${inherited}`);
      else this.#logger.info(`Serving on ${this.#tlsSettings ? "https" : "http"}://${hostname.includes(":") ? `[${hostname}]` : hostname}:${port}${inherited}`);
    }
    const interval = Math.max(settings.cleanupInterval, 0.01) * 1000;
    this.#stopSweep = this.#runtime.clock.every(interval, () => this.#sweep());
  }

  /** Reads and checks `settings`' certificate and key with the runtime's TLS port (tls_setup.ts loads only then). */
  async #loadTls(settings: TlsSettings): Promise<LoadedTls> {
    const port = this.#runtime.tls;
    if (port === undefined) {
      throw Object.assign(new Error(`tlsCert: this runtime (${this.#runtime.name}) cannot serve TLS: run on Node, Deno or Bun, or let a proxy terminate TLS`), { setting: "tlsCert" });
    }
    const { loadTls } = await import("./tls_setup.ts");
    return await loadTls(settings, port, this.#runtime.clock.now());
  }

  /**
   * Reads the TLS certificate and key again (files are re-read; `replace` replaces given values, as
   * `serve()` takes them) and serves them to connections accepted from now on; open connections go
   * on with theirs. Rejects, keeping the certificates in use, when the new ones cannot be used
   * (the error names the setting). `waitress-serve` calls it on SIGHUP.
   *
   * On Node the listeners switch in place. On Deno and Bun a TLS listener cannot change its
   * certificate: it is closed and opened again on the same address (a connection attempt in that
   * instant is refused, and ones the kernel had queued but not handed over are reset).
   *
   * @example
   * ```ts ignore
   * const server = serve(app, { port: 8443, tlsCert: "cert.pem", tlsKey: "key.pem" });
   * await server.ready;
   * // after renewing cert.pem and key.pem:
   * await server.reloadTls();
   * ```
   */
  async reloadTls(replace: Partial<Pick<Settings, "tlsCert" | "tlsKey" | "tlsPassphrase" | "tlsCa">> = {}): Promise<void> {
    await this.ready;
    const current = this.#tlsSettings;
    if (current === undefined) throw new Error("reloadTls(): this server does not serve TLS: start it with tlsCert and tlsKey");
    if (this.#closing) throw new Error("reloadTls(): the server is closing");
    const next: TlsSettings = { ...current, ...replace };
    const { context, notAfter } = await this.#loadTls(next);
    await this.#setTls(context);
    this.#tlsSettings = next;
    this.#logger.info(`Reloaded the TLS certificate (valid until ${new Date(notAfter).toISOString()}): new connections get it, open ones keep theirs`);
  }

  async #setTls(context: TlsContext): Promise<void> {
    for (const listener of this.#listeners) await listener.setTls?.(context);
  }

  async #resolve(host: string): Promise<string[]> {
    const { ipv4, ipv6 } = this.#settings;
    if (host === "*" || host === "") {
      return [...(ipv4 ? ["0.0.0.0"] : []), ...(ipv6 ? ["::"] : [])];
    }
    if (ipFamily(host, "name") !== undefined) return [host]; // a literal, as the settings checked it
    const found = (await this.#runtime.lookup(host)).filter((a) => (a.family === 4 ? ipv4 : ipv6)).map((a) => a.address);
    const unique = [...new Set(found)];
    if (unique.length === 0) throw new Error(`Cannot listen on "${host}": it resolves to no usable address (ipv4=${ipv4}, ipv6=${ipv6})`);
    return unique;
  }

  #accept(socket: SocketHandle, peer: PeerInfo): ConnectionEvents {
    this.#totals.connectionsAccepted++;
    if (this.#closing) {
      // Accepted while the listeners were closing (an adapter's accept already under way): answer
      // it like one accepted just before close(), rather than resetting a client that did nothing
      // wrong (a worker drained by a reload of waitress-serve --workers meets this). Once closed: reset.
      if (this.#closed) {
        socket.destroy();
        return IGNORE_EVENTS;
      }
      const connection = this.#activate(socket, peer);
      connection.closeAfterResponse();
      this.#runtime.clock.after(SHUTDOWN_FRESH_GRACE_MS, () => {
        if (connection.fresh) connection.closeIfIdle();
      });
      return connection;
    }
    if (this.#active >= this.#settings.connectionLimit || this.#waiting.length > 0) {
      // At the limit: the connection waits (see admission.ts); its first read tells whether it has a request.
      const held = new HeldSocket(socket, peer, this.#runtime.clock.now(), this.#heldEvents);
      this.#held.push(held);
      if (this.#held.length > this.#settings.backlog) {
        // Too many waiting: the oldest silent one goes (there is one: the newcomer has not spoken yet).
        const victim = this.#held.find((h) => !h.spoke)!;
        victim.drop();
        this.#forget(victim);
      }
      this.#checkLimit();
      return held;
    }
    return this.#activate(socket, peer);
  }

  #forget(held: HeldSocket): void {
    const i = this.#held.indexOf(held);
    if (i >= 0) this.#held.splice(i, 1);
    const j = this.#waiting.indexOf(held);
    if (j >= 0) this.#waiting.splice(j, 1);
    if (i >= 0 || j >= 0) this.#admit();
  }

  #scheduleAdmit(): void {
    if (this.#admitScheduled) return;
    this.#admitScheduled = true;
    // Not from inside the connection that freed the slot: it is still in the middle of closing.
    queueMicrotask(() => {
      this.#admitScheduled = false;
      this.#admit();
    });
  }

  /**
   * Gives free slots to waiting clients, first come first served; if some still wait, closes
   * connections that serve nobody for them, and keeps looking while they wait.
   */
  #admit(): void {
    if (this.#closing) {
      this.#stopReclaimTick?.();
      this.#stopReclaimTick = undefined;
      return;
    }
    const limit = this.#settings.connectionLimit;
    while (this.#waiting.length > 0 && this.#active < limit) {
      const held = this.#waiting.shift()!;
      const i = this.#held.indexOf(held);
      if (i >= 0) this.#held.splice(i, 1);
      if (!held.closed) held.activate(this.#activate(held.socket, held.peer));
    }
    if (this.#waiting.length > 0) {
      const graceMs = this.#settings.reclaimTimeout * 1000;
      const pending = this.#waiting.length - (limit - this.#active);
      for (const connection of pickReclaimable(this.#connections, this.#runtime.clock.now(), graceMs, pending)) connection.reclaim();
      this.#stopReclaimTick ??= this.#runtime.clock.every(Math.max(10, Math.min(RECLAIM_TICK_MS, graceMs / 2)), () => this.#admit());
    } else if (this.#stopReclaimTick !== undefined) {
      this.#stopReclaimTick();
      this.#stopReclaimTick = undefined;
    }
    this.#checkLimit();
  }

  #activate(socket: SocketHandle, peer: PeerInfo): Connection {
    const connection = new Connection(socket, peer, this.#config);
    this.#connections.add(connection);
    this.#checkLimit();
    return connection;
  }

  #onResponse(facts: ResponseFacts): void {
    const totals = this.#totals;
    totals.requests++;
    const status = facts.status;
    const responses = totals.responses;
    // The only 1xx recorded is a WebSocket's 101 (a handler's own 1xx is refused with a 500).
    if (status < 200) responses["1xx"]++;
    else if (status < 300) responses["2xx"]++;
    else if (status < 400) responses["3xx"]++;
    else if (status < 500) responses["4xx"]++;
    else responses["5xx"]++;
    if (status >= 400) {
      const errors = totals.errors;
      if (status === 400) errors.badRequest++;
      else if (status === 413 || status === 414 || status === 431) errors.tooLarge++;
      else if (status === 408) errors.timeout++;
      else if (status === 500) errors.handler++;
      else errors.other++;
    }
    if (this.#accessLog === undefined && this.#responseListeners.length === 0) return;
    const record = facts.toRecord();
    this.#accessLog?.log(record);
    for (const listener of this.#responseListeners) listener(record);
  }

  /** Calls `listener` for every answered request (after the response is queued). */
  onResponse(listener: (record: AccessRecord) => void): void {
    this.#responseListeners.push(listener);
  }

  /**
   * Live counters: open connections, requests in flight, totals of requests and bytes, responses by
   * status class, errors by kind, and the worker pool's queue.
   *
   * @example
   * ```ts ignore
   * const { connections, requestsInFlight, queuedTasks } = server.stats();
   * ```
   */
  stats(): ServerStats {
    const totals = this.#totals;
    let requestsInFlight = 0;
    let bytesIn = totals.bytesIn;
    let bytesOut = totals.bytesOut;
    for (const connection of this.#connections) {
      if (connection.busy) requestsInFlight++;
      bytesIn += connection.bytesIn;
      bytesOut += connection.bytesOut;
    }
    const app = this.#app;
    const pool = (typeof app === "function" ? undefined : app.poolStats?.()) ?? { queuedTasks: 0, busyWorkers: 0, idleWorkers: 0 };
    return {
      connections: this.#active + this.#held.length,
      waitingConnections: this.#held.length,
      closingConnections: this.#released.size,
      requestsInFlight,
      requests: totals.requests,
      connectionsAccepted: totals.connectionsAccepted,
      bytesIn,
      bytesOut,
      responses: { ...totals.responses },
      errors: { ...totals.errors },
      ...pool,
      ...(this.#worker === undefined ? {} : { worker: { id: this.#worker.id, pid: this.#worker.pid } }),
    };
  }

  #onClosed(connection: Connection): void {
    this.#connections.delete(connection);
    this.#released.delete(connection);
    this.#totals.bytesIn += connection.bytesIn;
    this.#totals.bytesOut += connection.bytesOut;
    this.#admit();
    if (this.#closing && this.#connections.size === 0) this.#allClosed?.();
  }

  /** Stop accepting at `connectionLimit` client connections; resume below it. Logged once per change. */
  #checkLimit(): void {
    const limit = this.#settings.connectionLimit;
    const count = this.#active;
    if (!this.#atLimit && count >= limit) {
      this.#atLimit = true;
      // Logged once per change, but at most once a minute: under connection churn the count hovers at the limit.
      const now = this.#runtime.clock.now();
      if (now - this.#limitLoggedAt >= 60_000) {
        this.#limitLoggedAt = now;
        this.#limitEpisodeLogged = true;
        let sockets = 0;
        for (const connection of this.#connections) if (connection.webSocket) sockets++;
        const held = sockets === 0 ? "" : ` (${sockets} of them open WebSockets, which hold their slot until they close: raise connectionLimit for more)`;
        this.#logger.warning(`Connection limit (${limit}) reached${held}: new connections wait; connections that serve nobody are closed for those with a request`);
      }
    } else if (this.#atLimit && count < limit && this.#waiting.length === 0) {
      this.#atLimit = false;
      if (this.#limitEpisodeLogged) this.#logger.info(`Connection count (${count}) is below the limit (${limit}) again: nobody waits`);
      this.#limitEpisodeLogged = false;
    }
  }

  /** Enforce every connection's timeouts (idle keep-alive, slow heads and bodies, stalled writes). */
  #sweep(): void {
    const now = this.#runtime.clock.now();
    for (const connection of this.#connections) connection.checkTimeouts(now);
    // A waiting connection that never spoke is closed like an active one: headerTimeout after accept.
    const silentBefore = now - this.#settings.headerTimeout * 1000;
    for (const held of this.#held.filter((h) => !h.spoke && h.acceptedAt < silentBefore)) {
      held.drop();
      this.#forget(held);
    }
  }

  #allClosed: (() => void) | undefined;
  /** Set once close() has drained every connection: an accept after that is reset. */
  #closed = false;

  /**
   * Stops accepting, closes idle keep-alive connections at once, lets in-flight responses finish (they
   * carry `Connection: close`) and force-closes whatever is left after `shutdownTimeout` seconds.
   *
   * Every request whose first byte the server has read is answered. A connection accepted but still
   * silent gets a short grace (about a second, within `shutdownTimeout`) to send its request, which is
   * then answered with `Connection: close`. An idle keep-alive connection is closed at once: a request
   * the client sends at that moment meets a closed connection (the race every HTTP/1.1 server has), and
   * the client should retry it on a new connection, as RFC 9112 §9.3.1 allows for idempotent requests.
   *
   * @example
   * ```ts ignore
   * // On SIGTERM: answer what was read, then stop.
   * await server.close();
   * ```
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      // Before the first await: from the moment close() is called, every response says Connection: close.
      this.#stopSweep?.();
      // Connections waiting at the limit were accepted too: their requests are answered like the rest.
      this.#waiting.length = 0;
      for (const held of this.#held.splice(0)) if (!held.closed) held.activate(this.#activate(held.socket, held.peer));
      for (const connection of [...this.#connections]) connection.closeAfterResponse();
      await this.ready.catch(() => {});
      this.#stopSweep?.(); // started by a `ready` that settled after close() was called
      // One turn of the event loop first: the runtime accepts what the kernel has queued (with
      // SO_REUSEPORT, waitress-serve --workers on Deno and Bun, closing resets those connections).
      if (this.#listeners.length > 0) await new Promise<void>((resolve) => this.#runtime.clock.soon(resolve));
      await Promise.allSettled(this.#listeners.map((listener) => listener.close()));
      // An accept the runtime completed before the close reaches the server a turn later (Deno).
      if (this.#runtime !== undefined) await new Promise<void>((resolve) => this.#runtime.clock.soon(resolve));
      if (this.#connections.size > 0) {
        const drained = new Promise<void>((resolve) => (this.#allClosed = resolve));
        // A client that connected just before close() is usually about to send its request: answer it.
        const cancelGrace = this.#runtime.clock.after(SHUTDOWN_FRESH_GRACE_MS, () => {
          for (const connection of [...this.#connections]) if (connection.fresh) connection.closeIfIdle();
        });
        const cancel = this.#runtime.clock.after(this.#settings.shutdownTimeout * 1000, () => {
          for (const connection of this.#connections) connection.destroy();
        });
        if (this.#connections.size > 0) await drained;
        cancelGrace();
        cancel();
      }
      this.#closed = true;
      this.#stopAccessFlush?.();
      await this.#accessLog?.close();
      this.#resolveClosed();
    })();
    return this.#closing;
  }
}

/**
 * The error for `sockets` on a runtime that cannot listen on an inherited descriptor: says which
 * runtime, why, and what to use instead.
 *
 * @example
 * ```ts ignore
 * throw socketsUnavailable(runtime, [3]);
 * // Setting "sockets" (inherited descriptor 3) is not available on Deno: ...; listen with ...
 * ```
 */
export function socketsUnavailable(runtime: Runtime, fds: readonly number[]): TypeError {
  const which = fds.length === 1 ? `descriptor ${fds[0]}` : `descriptors ${fds.join(", ")}`;
  return new TypeError(`Setting "sockets" (inherited ${which}) is not available on ${runtimeTitle(runtime)}: ` +
    `${runtime.listenFdUnavailable ?? "this runtime cannot listen on an inherited descriptor"}; ` +
    "listen with host and port, listen or unixSocket instead, or run on Node or Bun");
}

/**
 * "Node", "Deno", "Bun": a runtime's name as a sentence says it.
 *
 * @example
 * ```ts ignore
 * runtimeTitle(runtime); // "Deno"
 * ```
 */
export function runtimeTitle(runtime: Runtime): string {
  return runtime.name.charAt(0).toUpperCase() + runtime.name.slice(1);
}
