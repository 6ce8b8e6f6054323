/**
 * The connection (Waitress's "channel"): bytes in from a socket, requests to the handler, responses
 * out, in order. It owns all per-connection state; it knows nothing of the runtime, only the abstract
 * {@linkcode SocketHandle}.
 *
 * Theory of operation: one request is served at a time. The parser is pulled (h11 style) only when the
 * connection is ready for the next event, so pipelined requests wait as bytes in the parser's buffer
 * and responses leave strictly in order. Body bytes are pulled into the request's stream only when the
 * handler reads it, which is also when `100 Continue` is sent.
 *
 * @module
 */

import { RequestParser, type ParserLimits, type RequestHead } from "../http1/parser.ts";
import type { ConnectionEvents, PeerInfo, SocketHandle } from "../platform.ts";
import type { RequestInfo, RequestParts } from "../web/request.ts";
import { errorResponse, HOP_BY_HOP, isSafeHeader } from "../http1/response_head.ts";
import { reportHopByHop } from "../http1/hop_by_hop.ts";
import { concatBytes, encodeLatin1, encodeMessage, encodeUtf8, isAscii, utf8Length } from "../http1/bytes.ts";
import { httpDateNow } from "../http1/http_date.ts";
import { statusText } from "../http1/status_text.ts";
import { type FastParts, takeFastParts } from "../web/fast_response.ts";
import { applyProxyHeaders, type ProxyConfig } from "../policy/proxy_headers.ts";
import { splitPrefix } from "../policy/url_prefix.ts";
import type { Logger } from "../policy/logger.ts";
import type { AccessRecord } from "../policy/access_record.ts";
import { BodyCollector } from "../web/body_collector.ts";

/** A Fetch handler: the application. */
export type FetchHandler = (request: Request, info: RequestInfo) => Response | Promise<Response>;

/**
 * What a connection calls for each request: the parsed request's parts (method, url, headers, body,
 * signal) and its info. Inline, the server turns the parts into the runtime's `Request` and calls the
 * app; in thread mode, the parts go to the task queue as they are.
 */
export type ExchangeHandler = (parts: RequestParts, info: RequestInfo) => Response | Promise<Response>;

/** What every connection of a server shares. */
export interface ConnectionConfig {
  handler: ExchangeHandler;
  logger: Logger;
  limits: ParserLimits;
  /** `Server` header value; `""` omits it. */
  ident: string;
  urlScheme: string;
  /** `urlPrefix` (WSGI's SCRIPT_NAME), `""` for none. */
  urlPrefix: string;
  /** Trusted-proxy configuration. */
  proxy: ProxyConfig;
  exposeTracebacks: boolean;
  /** Log socket errors (resets, broken pipes) at warning level. */
  logSocketErrors: boolean;
  /** Bytes of pipelined input buffered while a request is served before reading pauses. */
  lookaheadBytes: number;
  /** Reported to the app as `info.serverName` unless a trusted proxy forwarded a host. */
  serverName: string;
  /** Unread request body (bytes) the server discards to keep a connection alive; more closes it. */
  maxDiscardBytes: number;
  /** Milliseconds allowed for a request head: from accept for the first, from the first byte for later ones. */
  headerTimeoutMs: number;
  /** Milliseconds a handler may wait for the next body byte before the request fails with 408. */
  bodyTimeoutMs: number;
  /** Milliseconds an idle keep-alive connection, or a stalled write, is kept. */
  channelTimeoutMs: number;
  /** The time in milliseconds (the clock port): the connection never reads a clock of its own. */
  now: () => number;
  /** Called once when the connection is closed. */
  onClosed?: (connection: Connection) => void;
  /** Called once when the core ends or destroys the socket (it may linger before `onClosed`). */
  onRelease?: (connection: Connection) => void;
  /** Called once per answered request (statistics; `facts.toRecord()` for the access log). */
  onResponse?: (facts: ResponseFacts) => void;
  /** Called when a keep-alive connection becomes idle between requests. */
  onIdle?: (connection: Connection) => void;
}

const FETCH_NORMALIZED: ReadonlySet<string> = new Set(["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"]);
const CONTINUE = encodeLatin1("HTTP/1.1 100 Continue\r\n\r\n");
const CRLF = encodeLatin1("\r\n");
const LAST_CHUNK = encodeLatin1("0\r\n\r\n");
/** What the application's headers contribute to a response head. */
interface CollectedHeaders {
  lines: string;
  declaredLength: number;
  hasDate: boolean;
  hasServer: boolean;
  /** The hop-by-hop headers the application set (flat name, value), dropped; usually none. */
  hopByHop: string[] | undefined;
}

/** Of the final statuses (200 and up: the only ones sent), 204 and 304 carry no body. */
function bodyAllowedFor(status: number): boolean {
  return status !== 204 && status !== 304;
}

/** Byte bodies up to this size are copied next to their head (one write); larger ones are not. */
const COPY_LIMIT = 16 * 1024;
/** Output is merged into one write up to this size. */
const MERGE_LIMIT = 64 * 1024;

/** One request being served. */
class Exchange implements RequestParts {
  head: RequestHead;
  readonly hasBody: boolean;
  /** The parser has not yet produced this request's "end" event. */
  bodyOpen = true;
  bodyController: ReadableStreamDefaultController<Uint8Array> | undefined;
  /** The handler is waiting for body bytes. */
  bodyWanted = false;
  /** The handler has started reading the body. */
  bodyTouched = false;
  /** Body bytes are read and thrown away (the handler finished without reading them all). */
  discarding = false;
  discarded = 0;
  continueSent = false;
  keepAlive: boolean;
  responseStarted = false;
  responseDone = false;
  abort: AbortController | undefined;
  /** Why the request was aborted, once it was. */
  failure: Error | undefined;
  /** Gathers the body when the handler reads it whole (`readBody()`) instead of as a stream. */
  gathering: Gathering | undefined;
  /** Status sent (0 until the head goes out) and body bytes sent, for the access record. */
  status = 0;
  bodyBytes = 0;
  readonly startTime: number;
  /** When the response was complete (set when it is recorded). */
  endTime = 0;
  remoteAddress = "";
  recorded = false;

  readonly #source: BodySource;
  /** The body stream: undefined until asked for, null without a body or once read whole. */
  #stream: ReadableStream<Uint8Array> | null | undefined;

  constructor(head: RequestHead, source: BodySource, startTime: number) {
    this.head = head;
    this.startTime = startTime;
    this.#source = source;
    this.hasBody = head.chunked || head.contentLength > 0;
    this.keepAlive = head.keepAlive;
  }

  // RequestParts, filled in when the handler is called.
  method = "";
  url = "";
  headers: string[] = [];

  /** The body as a stream, created on first use. */
  get body(): ReadableStream<Uint8Array> | null {
    if (this.#stream === undefined) this.#stream = this.hasBody ? this.#source.stream(this) : null;
    return this.#stream;
  }

  /** The whole body without a stream, or `undefined` once the stream exists (or the body was read). */
  readBody(): Promise<Uint8Array> | undefined {
    if (this.#stream !== undefined) return undefined;
    this.#stream = null;
    return this.hasBody ? this.#source.collect(this) : Promise.resolve(new Uint8Array(0));
  }

  /** The request's abort signal, created on first use. */
  signal(): AbortSignal {
    return (this.abort ??= new AbortController()).signal;
  }

  /** The access-log record of this exchange (built only when someone asks). */
  toRecord(): AccessRecord {
    const head = this.head;
    let referer: string | undefined;
    let userAgent: string | undefined;
    const raw = head.headers;
    for (let i = 0; i < raw.length; i += 2) {
      if (raw[i] === "referer") referer = raw[i + 1];
      else if (raw[i] === "user-agent") userAgent = raw[i + 1];
    }
    return {
      remoteAddress: this.remoteAddress,
      method: head.method,
      target: head.target,
      httpVersion: head.minorVersion === 1 ? "HTTP/1.1" : "HTTP/1.0",
      status: this.status,
      bodyBytes: this.bodyBytes,
      startTime: this.startTime,
      durationMs: this.endTime - this.startTime,
      referer,
      userAgent,
      host: head.host,
    };
  }
}

/** A body being gathered whole for `readBody()`, and the promise waiting for it. */
interface Gathering {
  body: BodyCollector;
  resolve(body: Uint8Array): void;
  reject(error: Error): void;
}

/** How an exchange's body reaches the handler: as a stream, or gathered whole. */
interface BodySource {
  stream(exchange: Exchange): ReadableStream<Uint8Array>;
  collect(exchange: Exchange): Promise<Uint8Array>;
}

/** What the connection reports about an answered request. */
export interface ResponseFacts {
  /** Status sent. */
  readonly status: number;
  /** The full access-log record. */
  toRecord(): AccessRecord;
}

/**
 * Serves HTTP/1.x on one socket.
 *
 * @example
 * ```ts ignore
 * const connection = new Connection(socket, peer, config);
 * // the adapter then calls connection.onData(bytes), onEnd(), onDrain(), onClose()
 * ```
 */
export class Connection implements ConnectionEvents {
  readonly #socket: SocketHandle;
  readonly #peer: PeerInfo;
  readonly #config: ConnectionConfig;
  readonly #parser: RequestParser;
  #exchange: Exchange | null = null;
  #out: Uint8Array[] = [];
  /** Queued output as text, when the socket can write strings and nothing binary is queued. */
  #outText: string | null = null;
  #outBytes = 0;
  #flushScheduled = false;
  #paused = false;
  #pumping = false;
  #pumpAgain = false;
  /** No more requests will be read; the socket is being (or has been) closed. */
  #closing = false;
  #closed = false;
  #peerEnded = false;
  #drainWaiters: (() => void)[] = [];
  /** Whether the socket's output is above its high-water mark. */
  #congested = false;
  /** When the output last became congested: bytes the client sends do not count as reading. */
  #stalledSince = 0;
  /** The last Host seen and its canonical origin: clients send the same Host on every request. */
  #originHost = "";
  #originScheme = "";
  #origin = "";
  /** Time of the last byte in or out (ms), for idle sweeps. */
  lastActivity: number;
  /** Since when a request head is awaited: accept for the first, its first byte for later ones (0: none). */
  #headSince: number;
  /** When the handler last got body bytes, or started waiting for them. */
  #bodySince = 0;
  /** Requests served on this connection. */
  requestCount = 0;
  /** The socket was ended or destroyed (onRelease called). */
  #released = false;
  /** Shutting down: the next response is the last (`Connection: close`). */
  #lastRequest = false;
  /** Bytes received from and sent to the client. */
  bytesIn = 0;
  bytesOut = 0;

  readonly #bodySource: BodySource = {
    stream: (exchange) => this.#bodyStream(exchange),
    collect: (exchange) => this.#collectBody(exchange),
  };

  constructor(socket: SocketHandle, peer: PeerInfo, config: ConnectionConfig) {
    this.#socket = socket;
    this.#peer = peer;
    this.#config = config;
    this.#parser = new RequestParser(config.limits);
    this.lastActivity = this.#headSince = config.now();
  }

  /** True while no request is in progress and no partial request is buffered. */
  get idle(): boolean {
    return this.#exchange === null && this.#parser.idle;
  }

  /** True while a request is being served. */
  get busy(): boolean {
    return this.#exchange !== null;
  }

  /** True once the connection is closed. */
  get closed(): boolean {
    return this.#closed;
  }

  // ---- events from the adapter -------------------------------------------------------------

  /** Bytes arrived from the client. */
  onData(chunk: Uint8Array): void {
    const now = this.#config.now();
    this.lastActivity = now;
    this.bytesIn += chunk.length;
    if (this.#closing) return; // after an error or a closing response, input is discarded
    if (this.#headSince === 0 && this.#exchange === null) this.#headSince = now;
    this.#parser.feed(chunk);
    this.#pump();
  }

  /** The client closed its side. A complete request still gets its response. */
  onEnd(): void {
    this.#peerEnded = true;
    if (this.#closing) return;
    const exchange = this.#exchange;
    if (exchange === null) {
      this.#closeNow();
    } else if (exchange.bodyOpen && exchange.hasBody) {
      // The body can never complete.
      this.#abortExchange(exchange, new Error("Client closed the connection before sending the whole request body"));
      this.#closeNow();
    } else if (this.#parser.bufferedBytes === 0) {
      // Answer the request we have, then close.
      exchange.keepAlive = false;
      this.#closing = true;
    }
    // Otherwise pipelined requests sent before the FIN wait in the parser: they are answered too.
  }

  /** The socket can take more output. */
  onDrain(): void {
    this.lastActivity = this.#config.now();
    this.#congested = false;
    if (this.#drainWaiters.length === 0) return;
    const waiters = this.#drainWaiters;
    this.#drainWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /** The socket is gone. */
  onClose(error?: unknown): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#closing = true;
    if (error !== undefined && this.#config.logSocketErrors) {
      // A client that resets or goes away mid-write is routine (load generators do it on exit): info.
      const code = (error as { code?: unknown }).code;
      const routine = code === "ECONNRESET" || code === "EPIPE" || code === "ECONNABORTED" || (error as Error).name === "ConnectionReset" || (error as Error).name === "BrokenPipe";
      const message = `Socket error from ${this.#peer.remoteAddress || "a unix socket peer"}: ${error instanceof Error ? error.message : String(error)}`;
      if (routine) this.#config.logger.info(message);
      else this.#config.logger.warning(message);
    }
    if (this.#exchange && !this.#exchange.responseDone) {
      this.#abortExchange(this.#exchange, new Error("Client disconnected"));
    }
    this.onDrain(); // release writers so they notice the close
    this.#release();
    this.#config.onClosed?.(this);
  }

  /** Close the connection now if no request is in progress (used by sweeps and shutdown; a no-op once closed). */
  closeIfIdle(): void {
    if (this.#exchange === null) this.#closeNow();
  }

  /**
   * Enforces the timeouts at time `now` (called by the server's periodic sweep): a request head that
   * takes too long (408), a body that stalls while the handler waits (408, or a close once the
   * response started), an idle keep-alive connection, and output the client stopped reading.
   */
  checkTimeouts(now: number): void {
    if (this.#closed) return;
    const config = this.#config;
    // Output the client stopped reading, whether or not a response is still being produced.
    if (this.#congested && now - this.#stalledSince > config.channelTimeoutMs) {
      config.logger.info(`Closing a connection from ${this.#peer.remoteAddress}: the client stopped reading the response`);
      this.destroy();
      return;
    }
    const exchange = this.#exchange;
    if (exchange === null) {
      if (this.#headSince !== 0 && now - this.#headSince > config.headerTimeoutMs && !this.#closing) {
        // A connection that never sent a byte gets no 408: there is no request to answer.
        if (this.#parser.idle) this.#closeNow();
        else this.#timedOut("Request head not received in time");
      } else if (this.#parser.idle && now - this.lastActivity > config.channelTimeoutMs) {
        this.closeIfIdle();
      }
      return;
    }
    if (exchange.bodyOpen && exchange.hasBody && (exchange.bodyWanted || exchange.discarding) && now - this.#bodySince > config.bodyTimeoutMs) {
      this.#timedOut("Request body not received in time");
    }
  }

  /**
   * While clients wait at the connection limit: from when (ms) this connection may be closed to make
   * room, or `Infinity` while it serves someone. An idle keep-alive connection at once (its response
   * was handed to the socket, which still sends it); a request head (or a first byte) awaited, a body
   * the handler waits for, or output the client does not read, `graceMs` after it last moved.
   */
  reclaimAt(graceMs: number): number {
    if (this.#closing) return Infinity; // on its way out, or answering its last request
    const exchange = this.#exchange;
    if (exchange === null) return this.#headSince === 0 ? this.lastActivity : this.#headSince + graceMs;
    if (this.#congested) return this.#stalledSince + graceMs;
    if (exchange.bodyOpen && exchange.hasBody && (exchange.bodyWanted || exchange.discarding)) return this.#bodySince + graceMs;
    return Infinity;
  }

  /** Closes the connection for a waiting client (see {@linkcode reclaimAt}): 408 for a half-sent request. */
  reclaim(): void {
    if (this.#closing) return;
    const exchange = this.#exchange;
    const why = " while other clients wait at the connection limit";
    if (exchange === null) {
      if (this.#parser.idle) this.#closeNow();
      else this.#timedOut("Request head not received in time" + why);
    } else if (this.#congested) {
      this.#abortExchange(exchange, new Error("The client stopped reading the response" + why));
      this.destroy();
    } else this.#timedOut("Request body not received in time" + why);
  }

  #timedOut(detail: string): void {
    const exchange = this.#exchange;
    if (exchange !== null && exchange.responseStarted) {
      this.#abortExchange(exchange, new Error(detail));
      this.destroy();
      return;
    }
    this.#onParseError(408, "Request Timeout", detail);
  }

  /**
   * Graceful shutdown: every response from now on closes the connection. An idle keep-alive
   * connection closes at once; one that has not sent a byte yet, or is part-way through a request
   * head, stays open so the request it is sending is answered (the server closes it if it stays silent).
   */
  closeAfterResponse(): void {
    this.#lastRequest = true;
    if (this.#exchange) this.#exchange.keepAlive = false;
    else if (this.requestCount > 0 && this.#parser.idle) this.#closeNow();
  }

  /** True while nothing of a request has arrived yet: no request served, no byte buffered. */
  get fresh(): boolean {
    return this.requestCount === 0 && this.#exchange === null && this.#parser.idle;
  }

  /** Close at once. */
  destroy(): void {
    this.#closing = true;
    this.#socket.destroy();
    this.#release();
  }

  /** Sends what is queued, then ends the socket (the adapter lingers); the slot is free from now on. */
  #end(): void {
    this.#closing = true;
    if (!this.#closed) {
      this.#flush();
      this.#socket.end();
    }
    this.#release();
  }

  #release(): void {
    if (this.#released) return;
    this.#released = true;
    this.#config.onRelease?.(this);
  }

  // ---- the read side -------------------------------------------------------------------------

  #pump(): void {
    if (this.#pumping) {
      this.#pumpAgain = true;
      return;
    }
    this.#pumping = true;
    try {
      do {
        this.#pumpAgain = false;
        this.#pumpOnce();
      } while (this.#pumpAgain && !this.#closing);
    } finally {
      this.#pumping = false;
    }
  }

  #pumpOnce(): void {
    const parser = this.#parser;
    for (;;) {
      if (this.#closing) return;
      const exchange = this.#exchange;
      if (exchange !== null && !exchange.bodyOpen) {
        // Waiting for the response; pipelined bytes wait in the parser, within a bound.
        if (parser.bufferedBytes > this.#config.lookaheadBytes) this.#pause();
        return;
      }
      if (exchange !== null && exchange.hasBody && !exchange.bodyWanted && !exchange.discarding) {
        if (parser.bufferedBytes > this.#config.lookaheadBytes) this.#pause();
        return;
      }
      const event = parser.next();
      if (event === null) {
        // The peer sent its last byte and no whole request is left: nothing more can come.
        if (this.#peerEnded && exchange === null) return this.#closeNow();
        this.#resume();
        return;
      }
      switch (event.type) {
        case "head":
          this.#startExchange(event.head);
          break;
        case "data":
          this.#onBody(exchange!, event.data);
          break;
        case "end":
          this.#onBodyEnd(exchange!);
          break;
        case "error":
          this.#onParseError(event.status, event.reason, event.detail);
          return;
      }
    }
  }

  #pause(): void {
    if (!this.#paused) {
      this.#paused = true;
      this.#socket.pauseReading();
    }
  }

  #resume(): void {
    if (this.#paused && !this.#closing) {
      this.#paused = false;
      this.#socket.resumeReading();
    }
  }

  #onBody(exchange: Exchange, data: Uint8Array): void {
    this.#bodySince = this.#config.now();
    if (exchange.discarding) {
      exchange.discarded += data.length;
      if (exchange.discarded > this.#config.maxDiscardBytes) {
        // Over the bound (a body the handler cancelled, or a chunked one it never read): stop reading it;
        // the response, once sent, closes the connection.
        exchange.keepAlive = false;
        exchange.discarding = false;
        if (exchange.responseDone) this.#finishExchange(exchange);
      }
      return;
    }
    if (exchange.gathering !== undefined) {
      exchange.gathering.body.add(data);
      return;
    }
    const controller = exchange.bodyController!;
    controller.enqueue(data);
    // desiredSize is null only for an errored stream, and no bytes are enqueued after an error.
    exchange.bodyWanted = controller.desiredSize! > 0;
  }

  #onBodyEnd(exchange: Exchange): void {
    exchange.bodyOpen = false;
    exchange.bodyWanted = false;
    const gathering = exchange.gathering;
    if (gathering !== undefined && !exchange.discarding) {
      exchange.gathering = undefined;
      gathering.resolve(gathering.body.finish());
    }
    // A stream the handler cancelled is discarding (see #bodyStream), so the stream closed here is open.
    if (exchange.bodyController && !exchange.discarding) exchange.bodyController.close();
    if (exchange.responseDone) this.#finishExchange(exchange);
  }

  #onParseError(status: number, reason: string, detail: string): void {
    const exchange = this.#exchange;
    if (exchange !== null) {
      // The body of the current request is malformed or too large.
      this.#abortExchange(exchange, new Error(`${reason}: ${detail}`));
      if (exchange.responseStarted) {
        this.#closeNow();
        return;
      }
      exchange.responseDone = true; // the handler's response, if it ever comes, is dropped
    }
    this.#closing = true;
    const head = exchange?.head;
    const bytes = errorResponse(status, reason, detail, {
      ident: this.#config.ident,
      head: head?.method === "HEAD",
    });
    this.#queue(bytes);
    const record: AccessRecord = {
      remoteAddress: exchange?.remoteAddress ?? this.#peer.remoteAddress,
      method: head?.method ?? "-",
      target: head?.target ?? "-",
      httpVersion: head ? (head.minorVersion === 1 ? "HTTP/1.1" : "HTTP/1.0") : "-",
      status,
      bodyBytes: bodyLengthOf(bytes),
      startTime: exchange?.startTime ?? this.#config.now(),
      durationMs: exchange ? this.#config.now() - exchange.startTime : 0,
      referer: undefined,
      userAgent: undefined,
      host: head?.host ?? "",
    };
    this.#config.onResponse?.({ status, toRecord: () => record });
    this.#end();
  }

  #abortExchange(exchange: Exchange, reason: Error): void {
    if (exchange.bodyOpen) this.#failBody(exchange, reason);
    exchange.bodyOpen = false;
    exchange.abort?.abort(reason);
  }

  // ---- a request -----------------------------------------------------------------------------

  #startExchange(head: RequestHead): void {
    this.#headSince = 0;
    const config = this.#config;
    const peer = this.#peer;
    // Fetch upper-cases these six methods case-insensitively, so "get" would reach the app as "GET"
    // while a proxy in front treats it as an unknown method. Refuse it, as Waitress does.
    if (FETCH_NORMALIZED.has(head.method.toUpperCase()) && !FETCH_NORMALIZED.has(head.method)) {
      this.#onParseError(400, "Bad Request", `Malformed HTTP method "${head.method}"`);
      return;
    }

    // Trusted proxies speak for the client; untrusted proxy headers are removed (Waitress semantics).
    const proxied = applyProxyHeaders({ peerAddress: peer.remoteAddress, peerPort: peer.remotePort, unix: peer.unix, scheme: config.urlScheme, headers: head.headers }, config.proxy);
    if ("error" in proxied) {
      config.logger.warning(proxied.log);
      this.#onParseError(400, "Bad Request", proxied.error);
      return;
    }
    if (proxied.removed.length > 0 && config.proxy.logUntrusted) {
      config.logger.warning(`Removed untrusted headers (${proxied.removed.join(", ")}) from ${peer.remoteAddress || "a unix socket peer"}. Remove them upstream.`);
    }
    if (proxied.warnings) for (const warning of proxied.warnings) config.logger.warning(warning);
    head.headers = proxied.headers;
    if (proxied.host !== undefined) head.host = proxied.host;

    let url: string;
    let pathAndQuery: string;
    try {
      [url, pathAndQuery] = this.#buildUrl(head, proxied.scheme);
    } catch {
      this.#onParseError(400, "Bad Request", "Bad URI");
      return;
    }
    const q = pathAndQuery.indexOf("?");
    const path = q >= 0 ? pathAndQuery.slice(0, q) : pathAndQuery;
    const split = config.urlPrefix ? splitPrefix(path, config.urlPrefix) : undefined;
    const info: RequestInfo = {
      remoteAddress: proxied.remoteAddress,
      remotePort: proxied.remotePort,
      localAddress: peer.localAddress,
      localPort: peer.localPort,
      scheme: proxied.scheme,
      scriptName: split ? split.scriptName : "",
      pathInfo: split ? split.pathInfo : path,
      rawTarget: head.target,
      httpVersion: head.minorVersion === 1 ? "HTTP/1.1" : "HTTP/1.0",
      serverName: proxied.host !== undefined ? hostWithoutPort(proxied.host) : config.serverName,
    };

    const exchange = new Exchange(head, this.#bodySource, this.#config.now());
    if (this.#lastRequest) exchange.keepAlive = false;
    exchange.remoteAddress = proxied.remoteAddress;
    this.#exchange = exchange;
    this.requestCount++;

    let result: Response | Promise<Response>;
    try {
      // The exchange is the request's parts (method, url, headers, body, signal()): no extra object.
      exchange.method = head.method;
      exchange.url = url;
      exchange.headers = head.headers;
      result = config.handler(exchange, info);
    } catch (error) {
      this.#respondWithError(exchange, error);
      return;
    }
    if (result instanceof Promise || (typeof result === "object" && result !== null && typeof (result as { then?: unknown }).then === "function")) {
      (result as Promise<Response>).then(
        (response) => this.#respond(exchange, response),
        (error) => this.#respondWithError(exchange, error),
      );
    } else {
      this.#respond(exchange, result);
    }
  }

  /** The handler wants body bytes: send 100 Continue if it is owed, and let the parser deliver. */
  #wantBody(exchange: Exchange): void {
    if (exchange.head.expectContinue && !exchange.continueSent && !exchange.responseStarted) {
      exchange.continueSent = true;
      this.#queue(CONTINUE);
      this.#flush();
    }
    if (!exchange.bodyWanted) this.#bodySince = this.#config.now();
    exchange.bodyWanted = true;
    exchange.bodyTouched = true;
    this.#pump();
  }

  /** The request body as a stream that pulls from the parser only when the handler reads. */
  #bodyStream(exchange: Exchange): ReadableStream<Uint8Array> {
    return new ReadableStream<Uint8Array>({
      start: (controller) => {
        exchange.bodyController = controller;
        if (!exchange.bodyOpen) controller.error(exchange.failure ?? new Error("The request body is no longer available"));
      },
      pull: () => {
        if (exchange.bodyOpen && !exchange.discarding) this.#wantBody(exchange);
      },
      cancel: () => {
        if (exchange.bodyOpen) exchange.discarding = true;
        exchange.bodyWanted = false;
        this.#pump();
      },
    }, { highWaterMark: 0 }); // pull only when the handler reads: that is when 100 Continue goes out
  }

  /** The whole request body, gathered without a stream. */
  #collectBody(exchange: Exchange): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      if (!exchange.bodyOpen || exchange.discarding) {
        reject(exchange.failure ?? new Error("The request body is no longer available"));
        return;
      }
      exchange.gathering = { body: new BodyCollector(), resolve, reject };
      this.#wantBody(exchange);
    });
  }

  /** Ends the body's stream or collection with an error. */
  #failBody(exchange: Exchange, reason: Error): void {
    exchange.failure ??= reason;
    const gathering = exchange.gathering;
    if (gathering !== undefined) {
      exchange.gathering = undefined;
      gathering.reject(reason);
    }
    // error() on a stream that is already closed or errored does nothing (it never throws).
    exchange.bodyController?.error(reason);
  }

  /** Returns the absolute URL and the origin-form path of the request. */
  #buildUrl(head: RequestHead, scheme: string): [string, string] {
    const target = head.target;
    if (target.charCodeAt(0) !== 47 /* / */) {
      if (target === "*") return [`${canonicalOrigin(scheme, this.#hostFor(head))}/`, "*"];
      const url = new URL(target); // absolute-form: the target's authority wins over Host (RFC 9112 §3.2.2)
      return [url.href, url.pathname + url.search];
    }
    const host = this.#hostFor(head);
    let origin = this.#origin;
    if (host !== this.#originHost || scheme !== this.#originScheme) {
      origin = this.#origin = canonicalOrigin(scheme, host);
      this.#originHost = host;
      this.#originScheme = scheme;
    }
    if (pathNeedsNormalizing(target)) {
      const url = new URL(origin + target);
      return [url.href, url.pathname + url.search];
    }
    return [origin + target, target];
  }

  #hostFor(head: RequestHead): string {
    if (head.host) return head.host;
    const peer = this.#peer;
    if (peer.unix) return "localhost";
    return peer.localAddress.includes(":") ? `[${peer.localAddress}]:${peer.localPort}` : `${peer.localAddress}:${peer.localPort}`;
  }

  // ---- the write side ------------------------------------------------------------------------

  #respondWithError(exchange: Exchange, error: unknown): void {
    if (exchange.responseDone || this.#closed) return;
    this.#config.logger.error(`Exception while serving ${exchange.head.target}`, error);
    if (exchange.responseStarted) {
      this.#closeNow();
      return;
    }
    exchange.keepAlive = false;
    const detail = this.#config.exposeTracebacks && error instanceof Error
      ? (error.stack ?? String(error))
      : "The server encountered an unexpected internal server error";
    exchange.responseStarted = true;
    exchange.status = 500;
    const bytes = errorResponse(500, "Internal Server Error", detail, {
      ident: this.#config.ident,
      head: exchange.head.method === "HEAD",
    });
    exchange.bodyBytes = bodyLengthOf(bytes);
    this.#queue(bytes);
    this.#responseComplete(exchange);
  }

  #respond(exchange: Exchange, response: Response): void {
    if (exchange.responseDone || this.#closed) {
      // The connection failed (or answered with an error) while the handler ran.
      void response?.body?.cancel().catch(() => {});
      return;
    }
    const fail = (error: unknown): void => {
      if (!exchange.responseStarted) this.#respondWithError(exchange, error);
      else {
        this.#config.logger.error(`Exception while sending the response to ${exchange.head.target}`, error);
        this.#closeNow();
      }
    };
    try {
      if (typeof response !== "object" || response === null || typeof response.status !== "number") {
        throw new TypeError(`The handler returned ${response === null ? "null" : typeof response} instead of a Response`);
      }
      const fast = takeFastParts(response);
      // The hot path: a whole string or byte body, written without a promise in sight.
      let collected: CollectedHeaders | undefined;
      if (fast !== undefined && fast.blob === undefined) {
        collected = this.#collectHeaders(fast.status, bodyAllowedFor(fast.status), fast.headers, fast.headers === undefined ? response.headers : undefined);
        if (this.#writeWhole(exchange, fast, collected)) return;
      }
      this.#writeResponse(exchange, response, fast, collected).catch(fail);
    } catch (error) {
      fail(error);
    }
  }

  /**
   * Writes a response whose whole body is known (a FastResponse's string or bytes) in one buffer.
   * Returns false, having written nothing, when the general path must handle it (a declared
   * Content-Length that does not match the body).
   */
  #writeWhole(exchange: Exchange, fast: FastParts, collected: CollectedHeaders): boolean {
    const head = exchange.head;
    const status = fast.status;
    const bodyAllowed = bodyAllowedFor(status);
    const body = bodyAllowed && fast.body !== null && fast.body.length > 0 ? fast.body : null;
    const bodyLength = body === null ? 0 : typeof body === "string" ? utf8Length(body) : body.length;
    // A FastResponse refuses a body with a status that carries none, so there is nothing to ignore.
    if (collected.declaredLength >= 0 && collected.declaredLength !== bodyLength && bodyAllowed && head.method !== "HEAD") return false;
    let lines = collected.lines;
    if (collected.declaredLength < 0 && bodyAllowed) lines += `content-length: ${bodyLength}\r\n`;
    lines += this.#closingLines(exchange, collected);
    exchange.responseStarted = true;
    exchange.status = status;
    const reason = fast.statusText ? safeReason(fast.statusText) : statusText(status);
    const headText = `HTTP/1.1 ${status} ${reason}\r\n${lines}\r\n`; // 1.1 to 1.0 requests too: RFC 9110 2.5
    const noBody = head.method === "HEAD" || body === null;
    if (!noBody) exchange.bodyBytes = bodyLength;
    if (this.#socket.writeText !== undefined && (noBody || typeof body === "string") && isAscii(headText)) {
      // Node writes strings without a JavaScript-side buffer: the head and a text body go as one string.
      this.#queueText(noBody ? headText : headText + (body as string), headText.length + (noBody ? 0 : bodyLength));
    } else if (!noBody && typeof body !== "string" && bodyLength > COPY_LIMIT) {
      // A large byte body is not copied next to its head: two writes, zero copies.
      this.#queue(encodeMessage(headText, null, 0));
      this.#queue(body as Uint8Array);
    } else this.#queue(encodeMessage(headText, noBody ? null : body, noBody ? 0 : bodyLength));
    this.#responseComplete(exchange);
    return true;
  }

  /** The application's headers as head lines, without what the server owns; throws on unsafe ones. */
  #collectHeaders(status: number, bodyAllowed: boolean, flat: string[] | undefined, headers: Headers | undefined): CollectedHeaders {
    let lines = "";
    let declaredLength = -1;
    let hasDate = false;
    let hasServer = false;
    let hopByHop: string[] | undefined;
    const add = (name: string, value: string): void => {
      if (HOP_BY_HOP.has(name)) {
        // Reported once the server has chosen framing and keep-alive (#closingLines).
        (hopByHop ??= []).push(name, value);
        return;
      }
      if (!isSafeHeader(name, value)) {
        throw new TypeError(`The handler returned an invalid header ${JSON.stringify(name)}: header names must be tokens and values must not contain CR, LF or NUL`);
      }
      if (name === "content-length") {
        if (!/^[0-9]{1,15}$/.test(value) || declaredLength >= 0) {
          throw new TypeError(`The handler returned an invalid Content-Length ${JSON.stringify(value)}`);
        }
        declaredLength = Number(value);
        if (!bodyAllowed && status !== 304) return;
      } else if (name === "date") hasDate = true;
      else if (name === "server") hasServer = true;
      lines += `${name}: ${value}\r\n`;
    };
    if (flat !== undefined) {
      for (let i = 0; i < flat.length; i += 2) add(flat[i], flat[i + 1]);
    } else if (headers !== undefined) {
      for (const [name, value] of headers) add(name, value);
    }
    return { lines, declaredLength, hasDate, hasServer, hopByHop };
  }

  /** Date, Server and Connection lines; decides whether the connection stays open. */
  #closingLines(exchange: Exchange, collected: CollectedHeaders): string {
    const head = exchange.head;
    let lines = "";
    if (!collected.hasDate) lines += `date: ${httpDateNow()}\r\n`;
    if (!collected.hasServer && this.#config.ident) lines += `server: ${this.#config.ident}\r\n`;
    // The handler answers without having read the body. If it cannot be discarded cheaply (a length
    // over the bound, or never sent because no 100 Continue went out), the connection closes: announce it.
    // A chunked body's length is unknown: it is discarded up to the bound, past which the connection closes.
    if (exchange.keepAlive && exchange.hasBody && exchange.bodyOpen && !exchange.bodyTouched && !exchange.discarding &&
      ((!head.chunked && head.contentLength > this.#config.maxDiscardBytes) || (head.expectContinue && !exchange.continueSent))) {
      exchange.keepAlive = false;
    }
    if (!exchange.keepAlive) lines += "connection: close\r\n";
    else if (head.minorVersion === 0) lines += "connection: keep-alive\r\n";
    if (collected.hopByHop !== undefined) reportHopByHop(this.#config.logger, this.#config, collected.hopByHop, exchange.keepAlive, head.target);
    return lines;
  }

  async #writeResponse(exchange: Exchange, response: Response, fast: FastParts | undefined, known: CollectedHeaders | undefined): Promise<void> {
    const head = exchange.head;
    let status = fast ? fast.status : response.status;
    if (status === 0 && response.type === "error") status = 500; // Response.error()
    // A 1xx is never a final response: sent as one, the client would take the next response for it.
    if (!Number.isInteger(status) || status < 200 || status > 999) {
      throw new RangeError(`The handler returned a response with status ${status}, which this server cannot send`);
    }
    const isHead = head.method === "HEAD";
    const bodyAllowed = bodyAllowedFor(status);
    // Headers, body, then headers again: Bun's Response computes its body's implicit Content-Type
    // when its headers are first read (and forgets it once the body was taken); a lookalike (srvx's
    // NodeResponse, h3's on Node) adds it only when it builds the native Response behind its body.
    let appBody: ReadableStream<Uint8Array> | null = null;
    if (fast === undefined) {
      void response.headers;
      appBody = response.body;
    }

    // Collect the application's headers (once: #writeWhole may have done it), dropping what the server owns.
    const collected = known ?? this.#collectHeaders(status, bodyAllowed, fast?.headers, fast?.headers === undefined ? response.headers : undefined);
    let lines = collected.lines;
    let declaredLength = collected.declaredLength;

    // Body: read ahead up to two chunks so small bodies get a Content-Length and go out in one write.
    let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
    let pendingRead: Promise<ReadableStreamReadResult<Uint8Array>> | undefined;
    const first: Uint8Array[] = [];
    let ended = true;
    /** A complete body known up front (a FastResponse's string or bytes). */
    let whole: string | Uint8Array | null = null;
    let wholeLength = 0;
    if (fast?.blob !== undefined) {
      // A Blob (e.g. a file from fs.openAsBlob): its size is known, its bytes are streamed.
      if (declaredLength < 0 && bodyAllowed) {
        declaredLength = fast.blob.size;
        lines += `content-length: ${declaredLength}\r\n`;
      }
      if (bodyAllowed && !isHead && fast.blob.size > 0) {
        reader = fast.blob.stream().getReader() as ReadableStreamDefaultReader<Uint8Array>;
        ended = false;
      }
    } else if (fast !== undefined) {
      // Here only when #writeWhole declined: a body-carrying status whose Content-Length does not match.
      if (fast.body !== null && fast.body.length > 0) {
        whole = fast.body;
        wholeLength = typeof whole === "string" ? utf8Length(whole) : whole.length;
      }
    } else {
      const body = appBody;
      if (body !== null && bodyAllowed) {
        reader = body.getReader();
        ended = false;
        for (let i = 0; i < 2 && !ended; i++) {
          const read = reader.read();
          const result = await settledSoon(read);
          if (result === undefined) {
            // The stream is waiting for something (an event source, say): send the head now.
            pendingRead = read;
            break;
          }
          if (result.done) ended = true;
          else first.push(checkChunk(result.value));
        }
        if (this.#closed) {
          void reader.cancel().catch(() => {});
          return;
        }
      } else if (body !== null) {
        if (!body.locked) void body.cancel().catch(() => {});
        if (status !== 304) {
          this.#config.logger.warning(`Ignored the application's body for a ${status} response to ${head.target}: that status carries no body`);
        }
      }
    }

    let firstLength = wholeLength;
    for (const chunk of first) firstLength += chunk.length;
    let length = declaredLength;
    if (length < 0 && ended && bodyAllowed) {
      length = firstLength;
      lines += `content-length: ${length}\r\n`;
    }
    let chunked = false;
    if (bodyAllowed && length < 0) {
      if (head.minorVersion === 1) {
        chunked = !isHead;
        if (!isHead) lines += "transfer-encoding: chunked\r\n";
      } else {
        exchange.keepAlive = false; // HTTP/1.0: the end of the body is the end of the connection
      }
    }
    lines += this.#closingLines(exchange, collected);

    const appReason = fast ? fast.statusText : response.statusText;
    const reason = appReason ? safeReason(appReason) : statusText(status);
    exchange.responseStarted = true;
    exchange.status = status;
    const headText = `HTTP/1.1 ${status} ${reason}\r\n${lines}\r\n`; // 1.1 to 1.0 requests too: RFC 9110 2.5

    // The common case: the whole body is known and matches its length: one buffer, one write.
    if (ended && (declaredLength < 0 || declaredLength === firstLength || isHead || !bodyAllowed)) {
      if (isHead || !bodyAllowed) {
        if (reader) void reader.cancel().catch(() => {});
        this.#queue(encodeMessage(headText, null, 0));
      } else {
        // A stream read to its end within the read-ahead gave at most one chunk (the second read was the end).
        exchange.bodyBytes = firstLength;
        this.#queue(encodeMessage(headText, first.length === 1 ? first[0] : whole, firstLength));
      }
      this.#responseComplete(exchange);
      return;
    }
    if (whole !== null) first.push(typeof whole === "string" ? encodeUtf8(whole) : whole);
    this.#queue(encodeLatin1(headText));

    if (isHead || !bodyAllowed) {
      if (reader) void reader.cancel().catch(() => {});
      this.#responseComplete(exchange);
      return;
    }

    let sent = 0;
    const limit = length; // -1 when unknown
    const send = (chunk: Uint8Array): void => {
      if (chunk.length === 0) return;
      if (limit >= 0) {
        if (sent + chunk.length > limit) {
          chunk = chunk.subarray(0, limit - sent);
          this.#config.logger.warning(`The application sent more bytes than its Content-Length (${limit}) for ${head.target}: the rest was cut off`);
        }
        sent += chunk.length;
        if (chunk.length) this.#queue(chunk);
      } else if (chunked) {
        sent += chunk.length;
        this.#queue(encodeLatin1(chunk.length.toString(16) + "\r\n"));
        this.#queue(chunk);
        this.#queue(CRLF);
      } else {
        sent += chunk.length;
        this.#queue(chunk);
      }
    };
    for (const chunk of first) send(chunk);

    while (!ended && !this.#closed) {
      if (limit >= 0 && sent >= limit) {
        // Either exactly done (stop reading) or over: either way nothing more goes out.
        const { done, value } = await (pendingRead ?? reader!.read());
        if (!done) {
          if (value.length) this.#config.logger.warning(`The application sent more bytes than its Content-Length (${limit}) for ${head.target}: the rest was cut off`);
          void reader!.cancel().catch(() => {});
        }
        break;
      }
      if (!this.#flush()) await this.#drained(); // false: congested, and not closed (onClose clears it)
      if (this.#closed) break;
      const next = pendingRead ?? reader!.read();
      pendingRead = undefined;
      const { done, value } = await next;
      if (done) {
        ended = true;
        break;
      }
      send(checkChunk(value));
    }
    exchange.bodyBytes = sent;
    if (this.#closed) {
      void reader?.cancel().catch(() => {});
      this.#record(exchange);
      return;
    }
    if (limit >= 0 && sent < limit) {
      this.#config.logger.error(`The application returned too few bytes (${sent}) for its Content-Length (${limit}) for ${head.target}: closing the connection`);
      this.#flush();
      this.#closeNow();
      exchange.responseDone = true;
      this.#record(exchange);
      return;
    }
    if (chunked) this.#queue(LAST_CHUNK);
    this.#responseComplete(exchange);
  }

  /** Reports the exchange to the statistics / access-log hook, once. */
  #record(exchange: Exchange): void {
    const onResponse = this.#config.onResponse;
    if (onResponse === undefined || exchange.recorded || exchange.status === 0) return;
    exchange.recorded = true;
    exchange.endTime = this.#config.now();
    onResponse(exchange);
  }

  /** The whole response is queued. */
  #responseComplete(exchange: Exchange): void {
    exchange.responseDone = true;
    this.#record(exchange);
    if (exchange.bodyOpen && exchange.hasBody) {
      // The handler did not read the whole body. Discard a bounded amount to keep the connection.
      const head = exchange.head;
      if (!exchange.keepAlive || (!head.chunked && head.contentLength > this.#config.maxDiscardBytes) || (head.expectContinue && !exchange.continueSent)) {
        exchange.keepAlive = false;
      } else {
        exchange.discarding = true;
        this.#bodySince = this.#config.now(); // bodyTimeout bounds the wait for the rest
        this.#failBody(exchange, new Error("The response was sent before the request body was read"));
        this.#scheduleFlush();
        this.#pump();
        return;
      }
    }
    this.#finishExchange(exchange);
  }

  /** Response written and request fully read (or abandoned): move on to the next request or close. */
  #finishExchange(exchange: Exchange): void {
    if (this.#exchange !== exchange) return;
    if (!exchange.keepAlive || (exchange.bodyOpen && exchange.hasBody)) {
      this.#exchange = null;
      this.#end();
      return;
    }
    if (exchange.bodyOpen) {
      // Bodiless request whose "end" event is still in the parser: take it on the next pump.
      this.#pump();
      return;
    }
    this.#exchange = null;
    // Pipelined requests waiting: answer them first and send all responses in one write.
    if (this.#parser.bufferedBytes === 0) this.#flush();
    else this.#scheduleFlush();
    if (!this.#parser.idle) this.#headSince = this.#config.now(); // a pipelined request is already arriving
    if (this.#peerEnded && this.#parser.bufferedBytes === 0) {
      this.#end();
      return;
    }
    this.#pump();
    if (this.#exchange === null && this.#parser.idle && !this.#closing) this.#config.onIdle?.(this);
  }

  #closeNow(): void {
    this.#end();
  }

  // ---- output buffering ----------------------------------------------------------------------

  #queue(bytes: Uint8Array): void {
    if (this.#outText !== null) {
      this.#out.push(encodeUtf8(this.#outText));
      this.#outText = null;
    }
    this.#out.push(bytes);
    this.#outBytes += bytes.length;
  }

  /** Queues text (UTF-8) of `byteLength` bytes; kept as a string while nothing binary is queued. */
  #queueText(text: string, byteLength: number): void {
    if (this.#out.length === 0) this.#outText = this.#outText === null ? text : this.#outText + text;
    else this.#out.push(encodeUtf8(text));
    this.#outBytes += byteLength;
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    queueMicrotask(() => {
      this.#flushScheduled = false;
      this.#flush();
    });
  }

  /** Writes queued output; returns false when the socket is congested. */
  #flush(): boolean {
    const out = this.#out;
    const text = this.#outText;
    if ((out.length === 0 && text === null) || this.#closed) {
      this.#out = [];
      this.#outText = null;
      this.#outBytes = 0;
      return !this.#congested;
    }
    this.lastActivity = this.#config.now();
    this.bytesOut += this.#outBytes;
    let ok: boolean;
    if (text !== null) {
      // Only text is queued (see #queueText): the runtime encodes it straight into its write.
      ok = this.#socket.writeText!(text);
      this.#outText = null;
    } else if (out.length === 1) ok = this.#socket.write(out[0]);
    else if (this.#socket.writev !== undefined && this.#outBytes > COPY_LIMIT) ok = this.#socket.writev(out);
    else if (this.#outBytes <= MERGE_LIMIT) ok = this.#socket.write(concatBytes(out, this.#outBytes));
    else {
      ok = true;
      for (const part of out) ok = this.#socket.write(part);
    }
    this.#out = [];
    this.#outBytes = 0;
    if (!ok && !this.#congested) {
      this.#congested = true;
      this.#stalledSince = this.lastActivity;
    }
    return ok;
  }

  /** Resolves on the next drain (or close); called only when the output is congested. */
  #drained(): Promise<void> {
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }
}

const NOT_YET = Promise.resolve(undefined);

/**
 * `promise`'s result if it settles within a few microtask turns (a stream with data ready does),
 * otherwise `undefined`, leaving the promise pending for later.
 */
function settledSoon<T>(promise: Promise<T>): Promise<T | undefined> {
  let late: Promise<undefined> = NOT_YET;
  for (let i = 0; i < 6; i++) late = late.then(() => undefined);
  return Promise.race([promise, late]);
}

/** An application's reason phrase, with CR, LF and NUL (which would split the head) made spaces. */
function safeReason(reason: string): string {
  return reason.replace(/[\r\n\0]/g, " ");
}

/** Body length of a complete message: everything after the blank line that ends the head. */
function bodyLengthOf(message: Uint8Array): number {
  for (let i = 3; i < message.length; i++) {
    if (message[i] === 10 && message[i - 1] === 13 && message[i - 2] === 10 && message[i - 3] === 13) return message.length - i - 1;
  }
  return 0;
}

function checkChunk(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (typeof value === "string") return encodeUtf8(value);
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  throw new TypeError(`The response body stream produced a ${typeof value}; it must produce Uint8Array chunks`);
}

/** Path characters that the URL parser rewrites (percent-encodes, drops or treats as separators). */
const PATH_SPECIAL = new Uint8Array(128);
for (const c of "\"#<>\\^`{|}'") PATH_SPECIAL[c.charCodeAt(0)] = 1;

/** Whether an origin-form target must go through the URL parser to match what `new URL(...)` yields. */
function pathNeedsNormalizing(target: string): boolean {
  for (let i = 0; i < target.length; i++) {
    const c = target.charCodeAt(i);
    if (PATH_SPECIAL[c] === 1) return true;
    if (c === 46 /* . */ && target.charCodeAt(i - 1) === 47 /* / */) {
      // A dot segment: "/." or "/.." followed by "/", "?" or the end.
      let j = i + 1;
      if (target.charCodeAt(j) === 46) j++;
      const next = target.charCodeAt(j);
      if (j >= target.length || next === 47 || next === 63) return true;
    }
    if (c === 37 /* % */ && target.charCodeAt(i + 1) === 50 /* 2 */ && (target.charCodeAt(i + 2) | 0x20) === 101 /* e */) return true;
  }
  return false;
}

const hostCache = new Map<string, string>();

/** The origin (`scheme://host`) as the URL parser serialises it, cached per distinct Host value. */
function canonicalOrigin(scheme: string, host: string): string {
  const key = scheme + "://" + host;
  let origin = hostCache.get(key);
  if (origin === undefined) {
    origin = new URL(key + "/").origin; // throws on an invalid host or port
    if (hostCache.size >= 256) hostCache.clear();
    hostCache.set(key, origin);
  }
  return origin;
}

/** `example.com` of `example.com:8443`, `[::1]` of `[::1]:8080`: a forwarded host as SERVER_NAME. */
function hostWithoutPort(host: string): string {
  if (host.startsWith("[")) {
    const end = host.indexOf("]");
    return end < 0 ? host : host.slice(0, end + 1);
  }
  const colon = host.lastIndexOf(":");
  return colon < 0 ? host : host.slice(0, colon);
}
