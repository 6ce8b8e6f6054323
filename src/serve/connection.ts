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

import { DETACHED_PARSER, RequestParser, type RequestHead } from "../http1/parser.ts";
import type { ConnectionEvents, PeerInfo, SocketHandle } from "../platform.ts";
import type { ConnectionConfig } from "./connection_config.ts";
import { errorResponse } from "../http1/response_head.ts";
import { encodeLatin1 } from "../http1/bytes.ts";
import { httpDate } from "../http1/http_date.ts";
import { type BodyDemand, Exchange, failedRecord, type ResponseFacts } from "./exchange.ts";
import { RequestUrls } from "./request_target.ts";
import { bodyLengthOf, Output, respond, respondWithError, type ResponseTarget } from "./response_writer.ts";
import type { WsSession } from "./ws_session.ts";
import type { SwitchContext } from "./ws_upgrade.ts";
import { loadWsUpgrade } from "./ws_config.ts";
import { WebSocketHandshakeError } from "../web/upgrade_websocket.ts";

export type { ResponseFacts };

export type { ConnectionConfig, ExchangeHandler, FetchHandler } from "./connection_config.ts";

/**
 * Where the connection stands:
 * - `"open"`: reading and answering requests;
 * - `"closing"`: no more requests are read; the response under way finishes, then the socket ends;
 * - `"ended"`: the core ended (or destroyed) the socket: its slot is free; it may linger until the peer closes;
 * - `"closed"`: the socket is gone.
 */
type ConnectionState = "open" | "closing" | "ended" | "closed";

/** The handler waits for body bytes, or the rest of the body is being discarded: bodyTimeout runs. */
function awaitsBody(exchange: Exchange): boolean {
  return exchange.bodyState === "discarding" || (exchange.wanted && exchange.bodyOpen);
}

const FETCH_NORMALIZED: ReadonlySet<string> = new Set(["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"]);
const CONTINUE = encodeLatin1("HTTP/1.1 100 Continue\r\n\r\n");

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
  #parser: RequestParser;
  readonly #output: Output;
  readonly #urls: RequestUrls;
  #exchange: Exchange | null = null;
  /** After a `101`: the WebSocket session that owns the socket's events from then on. */
  #ws: WsSession | null = null;
  #state: ConnectionState = "open";
  /** The client sent its FIN: no more bytes will come. */
  #peerEnded = false;
  #paused = false;
  /** Re-entrancy guard of #pump, and whether a nested call asked for another round. */
  #pumping = false;
  #pumpAgain = false;
  /** Time of the last byte received or drain (ms); with the output's last write, for idle sweeps. */
  #lastInput: number;
  /** Since when a request head is awaited: accept for the first, its first byte for later ones (0: none). */
  #headSince: number;
  /** When the handler last got body bytes, or started waiting for them. */
  #bodySince = 0;
  /** Requests served on this connection. */
  requestCount = 0;
  /** Shutting down: the next response is the last (`Connection: close`). */
  #lastRequest = false;
  /** Bytes received from and sent to the client. */
  bytesIn = 0;

  readonly #demand: BodyDemand = {
    want: (exchange) => this.#wantBody(exchange),
    cancelled: () => this.#pump(),
  };

  /** The write side's view of this connection (src/serve/response_writer.ts). */
  readonly #target: ResponseTarget;

  /** The time read when the current input arrived, while its synchronous work runs (else 0). */
  #turnTime = 0;
  /** The time: one clock read per input serves parse, Date, write and record of a request answered at once. */
  readonly #now = (): number => this.#turnTime !== 0 ? this.#turnTime : this.#config.now();

  constructor(socket: SocketHandle, peer: PeerInfo, config: ConnectionConfig) {
    this.#socket = socket;
    this.#peer = peer;
    this.#config = config;
    this.#parser = new RequestParser(config.limits);
    this.#output = new Output(socket, this.#now, config.soon);
    this.#urls = new RequestUrls(peer);
    this.#lastInput = this.#headSince = config.now();
    // A plain literal (no accessor): it is built for every connection, and V8 clones those cheaply.
    this.#target = {
      output: this.#output,
      logger: config.logger,
      ident: config.ident,
      maxDiscardBytes: config.maxDiscardBytes,
      exposeTracebacks: config.exposeTracebacks,
      server: config,
      closed: false,
      now: this.#now,
      complete: (exchange) => this.#responseComplete(exchange),
      closeNow: () => this.#closeNow(),
      record: (exchange) => this.#record(exchange),
    };
  }

  /** Time of the last byte in or out, or of the last drain (ms), for idle sweeps. */
  get lastActivity(): number {
    return Math.max(this.#lastInput, this.#output.lastWrite);
  }

  /** Bytes handed to the socket. */
  get bytesOut(): number {
    return this.#output.bytesOut;
  }

  /** No more requests are read (closing, ended or closed). */
  get #closing(): boolean {
    return this.#state !== "open";
  }

  /** The socket is gone. */
  get #closed(): boolean {
    return this.#state === "closed";
  }

  /** True while no request is in progress and no partial request is buffered. */
  get idle(): boolean {
    return this.#exchange === null && this.#ws === null && this.#parser.idle;
  }

  /** True while a request is being served. */
  get busy(): boolean {
    return this.#exchange !== null || this.#ws !== null;
  }

  /** True once the connection switched to WebSocket. */
  get webSocket(): boolean { return this.#ws !== null; }

  /** True once the connection is closed. */
  get closed(): boolean {
    return this.#closed;
  }

  // ---- events from the adapter -------------------------------------------------------------

  /** Bytes arrived from the client. */
  onData(chunk: Uint8Array): void {
    const now = this.#config.now();
    this.#lastInput = now;
    this.bytesIn += chunk.length;
    if (this.#ws !== null) return this.#ws.onData(chunk, now);
    if (this.#closing) return; // after an error or a closing response, input is discarded
    if (this.#headSince === 0 && this.#exchange === null) this.#headSince = now;
    this.#turnTime = now;
    try {
      this.#parser.feed(chunk);
      this.#pump();
    } finally {
      this.#turnTime = 0;
    }
  }

  /** The client closed its side. A complete request still gets its response. */
  onEnd(): void {
    this.#peerEnded = true;
    if (this.#ws !== null) return this.#ws.onEnd();
    if (this.#closing) return;
    const exchange = this.#exchange;
    if (exchange === null) {
      this.#closeNow();
    } else if (exchange.bodyOpen && exchange.hasBody) {
      // The body can never complete.
      exchange.abortWith(new Error("Client closed the connection before sending the whole request body"));
      this.#closeNow();
    } else if (this.#parser.bufferedBytes === 0) {
      // Answer the request we have, then close.
      exchange.keepAlive = false;
      this.#state = "closing";
    }
    // Otherwise pipelined requests sent before the FIN wait in the parser: they are answered too.
  }

  /** The socket can take more output. */
  onDrain(): void {
    this.#lastInput = this.#config.now();
    this.#output.onDrain();
    this.#ws?.onDrain();
  }

  /** The socket is gone. */
  onClose(error?: unknown, routine = false): void {
    if (this.#closed) return;
    const released = this.#state === "ended";
    this.#state = "closed";
    this.#target.closed = true;
    this.#output.onClose(); // writers waiting for a drain notice the close
    this.#ws?.onClose(error);
    if (error !== undefined && this.#config.logSocketErrors) {
      // A client that resets or goes away mid-write is routine (load generators do it on exit): info.
      const message = `Socket error from ${this.#peer.remoteAddress || "a unix socket peer"}: ${error instanceof Error ? error.message : String(error)}`;
      if (routine) this.#config.logger.info(message);
      else this.#config.logger.warning(message);
    }
    if (this.#exchange && this.#exchange.response !== "done") this.#exchange.abortWith(new Error("Client disconnected"));
    if (!released) this.#config.onRelease?.(this);
    this.#config.onClosed?.(this);
  }

  /** Close the connection now if no request is in progress (used by sweeps and shutdown; a no-op once closed). */
  closeIfIdle(): void {
    if (this.#exchange === null && this.#ws === null) this.#closeNow();
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
    const output = this.#output;
    if (output.congested && now - output.stalledSince > config.channelTimeoutMs) {
      config.logger.info(`Closing a connection from ${this.#peer.remoteAddress}: the client stopped reading the response`);
      this.destroy();
      return;
    }
    const exchange = this.#exchange;
    if (this.#ws !== null) return; // its own timers ping the client and bound the close handshake
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
    if (exchange.hasBody && awaitsBody(exchange) && now - this.#bodySince > config.bodyTimeoutMs) {
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
    if (this.#ws !== null) return this.#output.congested ? this.#output.stalledSince + graceMs : Infinity;
    const exchange = this.#exchange;
    if (exchange === null) return this.#headSince === 0 ? this.lastActivity : this.#headSince + graceMs;
    if (this.#output.congested) return this.#output.stalledSince + graceMs;
    if (exchange.hasBody && awaitsBody(exchange)) return this.#bodySince + graceMs;
    return Infinity;
  }

  /** Closes the connection for a waiting client (see {@linkcode reclaimAt}): 408 for a half-sent request. */
  reclaim(): void {
    if (this.#closing) return;
    const exchange = this.#exchange;
    const why = " while other clients wait at the connection limit";
    if (this.#ws !== null) this.destroy();
    else if (exchange === null) {
      if (this.#parser.idle) this.#closeNow();
      else this.#timedOut("Request head not received in time" + why);
    } else if (this.#output.congested) {
      exchange.abortWith(new Error("The client stopped reading the response" + why));
      this.destroy();
    } else this.#timedOut("Request body not received in time" + why);
  }

  #timedOut(detail: string): void {
    const exchange = this.#exchange;
    if (exchange !== null && exchange.response !== "waiting") {
      exchange.abortWith(new Error(detail));
      this.destroy();
      return;
    }
    this.#onParseError(408, "Request Timeout", detail);
  }

  /**
   * Graceful shutdown: every response from now on closes the connection. An idle keep-alive connection
   * closes at once; one part-way through (or before) a request head stays open so its request is
   * answered (the server closes it if it stays silent); a WebSocket gets 1001 and its close handshake.
   */
  closeAfterResponse(): void {
    this.#lastRequest = true;
    if (this.#ws !== null) return this.#ws.goingAway(); // 1001, and the close handshake
    if (this.#exchange) this.#exchange.keepAlive = false;
    else if (this.requestCount > 0 && this.#parser.idle) this.#closeNow();
  }

  /** True while nothing of a request has arrived yet: no request served, no byte buffered. */
  get fresh(): boolean {
    return this.requestCount === 0 && this.#exchange === null && this.#parser.idle;
  }

  /** Close at once. */
  destroy(): void {
    if (this.#state === "open") this.#state = "closing";
    this.#socket.destroy();
    this.#release();
  }

  /** Sends what is queued, then ends the socket (the adapter lingers); the slot is free from now on. */
  #end(): void {
    if (this.#state === "open") this.#state = "closing";
    if (!this.#closed) {
      this.#output.flush();
      this.#socket.end();
    }
    this.#release();
  }

  /** The core has ended or destroyed the socket: its slot is free (reported once). */
  #release(): void {
    if (this.#state === "ended" || this.#state === "closed") return;
    this.#state = "ended";
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
      if (this.#closing || this.#ws !== null) return;
      const exchange = this.#exchange;
      if (exchange !== null && !exchange.bodyOpen) {
        // Waiting for the response; pipelined bytes wait in the parser, within a bound.
        if (parser.bufferedBytes > this.#config.lookaheadBytes) this.#pause();
        return;
      }
      if (exchange !== null && exchange.hasBody && !exchange.wanted && exchange.bodyState !== "discarding") {
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
    this.#bodySince = this.#now();
    if (exchange.bodyState !== "discarding") {
      exchange.deliver(data);
      return;
    }
    exchange.discarded += data.length;
    if (exchange.discarded > this.#config.maxDiscardBytes) {
      // Over the bound (a body the handler cancelled, or a chunked one it never read): stop reading it;
      // the response, once sent, closes the connection.
      exchange.keepAlive = false;
      exchange.bodyState = "abandoned";
      if (exchange.response === "done") this.#finishExchange(exchange);
    }
  }

  #onBodyEnd(exchange: Exchange): void {
    exchange.endBody();
    if (exchange.response === "done") this.#finishExchange(exchange);
  }

  #onParseError(status: number, reason: string, detail: string): void {
    const exchange = this.#exchange;
    if (exchange !== null) {
      // The body of the current request is malformed or too large.
      exchange.abortWith(new Error(`${reason}: ${detail}`));
      if (exchange.response !== "waiting") {
        this.#closeNow();
        return;
      }
      exchange.response = "done"; // the handler's response, if it ever comes, is dropped
    }
    if (this.#state === "open") this.#state = "closing";
    const head = exchange?.head;
    const bytes = errorResponse(status, reason, detail, { ident: this.#config.ident, head: head?.method === "HEAD", date: httpDate(this.#now()) });
    this.#output.queue(bytes);
    const record = failedRecord(exchange, this.#peer.remoteAddress, status, bodyLengthOf(bytes), this.#now());
    this.#config.onResponse?.({ status, toRecord: () => record });
    this.#end();
  }

  // ---- a request -----------------------------------------------------------------------------

  #startExchange(head: RequestHead): void {
    this.#headSince = 0;
    const config = this.#config;
    // Fetch upper-cases these six methods case-insensitively, so "get" would reach the app as "GET"
    // while a proxy in front treats it as an unknown method. Refuse it, as Waitress does.
    if (FETCH_NORMALIZED.has(head.method.toUpperCase()) && !FETCH_NORMALIZED.has(head.method)) {
      this.#onParseError(400, "Bad Request", `Malformed HTTP method "${head.method}"`);
      return;
    }

    const prepared = this.#urls.prepare(head, config);
    if (typeof prepared === "string") {
      this.#onParseError(400, "Bad Request", prepared);
      return;
    }
    const { url, info } = prepared;

    const exchange = new Exchange(head, this.#demand, this.#now());
    if (this.#lastRequest) exchange.keepAlive = false;
    exchange.remoteAddress = info.remoteAddress;
    if (head.upgrade) exchange.upgrade = { method: head.method, minorVersion: head.minorVersion, headers: head.headers, hasBody: exchange.hasBody, secure: info.scheme === "https" };
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
      this.#answerError(exchange, error);
      return;
    }
    if (result instanceof Promise || (typeof result === "object" && result !== null && typeof (result as { then?: unknown }).then === "function")) {
      (result as Promise<Response>).then(
        (response) => this.#answer(exchange, response),
        (error) => this.#answerError(exchange, error),
      );
    } else {
      this.#answer(exchange, result);
    }
  }

  #answer(exchange: Exchange, response: Response): void {
    if (exchange.upgrade?.accepted === undefined) return respond(this.#target, exchange, response);
    loadWsUpgrade().then((ws) => {
      this.#ws = ws.switchProtocols(this.#switchContext, exchange, response);
      if (this.#ws === null) return;
      this.#exchange = null;
      const rest = this.#parser.detach(); // the bytes after the handshake are the socket's
      this.#parser = DETACHED_PARSER; // an open WebSocket keeps no HTTP parser state
      this.#ws.start(rest);
      this.#output.flush();
    }).catch((error) => this.#answerError(exchange, error));
  }

  /** The handler failed: a 500, or a refused handshake's 400/426 (its accepted socket closes unopened). */
  #answerError(exchange: Exchange, error: unknown): void {
    if (exchange.upgrade === undefined && !(error instanceof WebSocketHandshakeError)) return respondWithError(this.#target, exchange, error);
    loadWsUpgrade().then((ws) => ws.failProtocols(this.#switchContext, exchange, error), () => respondWithError(this.#target, exchange, error));
  }

  get #switchContext(): SwitchContext {
    return { target: this.#target, socket: this.#socket, config: this.#config.websocket, peer: this.#peer.remoteAddress || "a unix socket peer", release: () => this.#release() };
  }

  /** The handler wants body bytes: send 100 Continue if it is owed, and let the parser deliver. */
  #wantBody(exchange: Exchange): void {
    if (exchange.head.expectContinue && !exchange.continueSent && exchange.response === "waiting") {
      exchange.continueSent = true;
      this.#output.queue(CONTINUE);
      this.#output.flush();
    }
    if (!exchange.wanted) this.#bodySince = this.#now();
    exchange.wanted = true;
    if (exchange.bodyState === "unread") exchange.bodyState = "reading";
    this.#pump();
  }

  /** Reports the exchange to the statistics / access-log hook, once. */
  #record(exchange: Exchange): void {
    const onResponse = this.#config.onResponse;
    if (onResponse === undefined || exchange.recorded || exchange.status === 0) return;
    exchange.recorded = true;
    exchange.endTime = this.#now();
    onResponse(exchange);
  }

  /** The whole response is queued. */
  #responseComplete(exchange: Exchange): void {
    exchange.response = "done";
    this.#record(exchange);
    if (exchange.bodyOpen && exchange.hasBody) {
      // The handler did not read the whole body. Discard a bounded amount to keep the connection.
      const head = exchange.head;
      if (!exchange.keepAlive || (!head.chunked && head.contentLength > this.#config.maxDiscardBytes) || (head.expectContinue && !exchange.continueSent)) {
        exchange.keepAlive = false;
      } else {
        exchange.bodyState = "discarding";
        this.#bodySince = this.#now(); // bodyTimeout bounds the wait for the rest
        exchange.failBody(new Error("The response was sent before the request body was read"));
        this.#output.scheduleFlush();
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
    if (this.#parser.bufferedBytes === 0) this.#output.flush();
    else this.#output.scheduleFlush();
    if (!this.#parser.idle) this.#headSince = this.#now(); // a pipelined request is already arriving
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
}
