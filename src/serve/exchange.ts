/**
 * One request and its response on a connection (an "exchange"), with the state of each side named
 * (h11 keeps one state per side the same way): where the request body stands, and where the
 * response stands. The exchange is also the request's parts a handler's `Request` is built from.
 *
 * @module
 */

import type { RequestHead } from "../http1/parser.ts";
import type { RequestParts } from "../web/request.ts";
import type { AccessRecord } from "../policy/access_record.ts";
import { BodyCollector } from "../web/body_collector.ts";
import type { UpgradeOffer } from "../web/upgrade_websocket.ts";

/**
 * Where the request body stands. A request without a body is `"unread"` until the parser's end
 * event makes it `"ended"`, like any other.
 *
 * - `"unread"`: the parser may still deliver body bytes; the handler has not asked for them.
 * - `"reading"`: the handler reads it (as a stream, or whole).
 * - `"discarding"`: the handler is done with it (answered, or cancelled its stream): the rest is read
 *   and thrown away, within a bound, to keep the connection.
 * - `"abandoned"`: over that bound: nothing more is read; the connection closes after the response.
 * - `"ended"`: the parser produced the request's end, or the exchange was aborted.
 */
export type BodyState = "unread" | "reading" | "discarding" | "abandoned" | "ended";

/** Where the response stands: not begun, its head queued (body under way), or complete (or dropped). */
export type ResponseState = "waiting" | "sending" | "done";

/** What the exchange asks of its connection when the handler reads the body. */
export interface BodyDemand {
  /** The handler wants body bytes: send 100 Continue if it is owed, and let the parser deliver. */
  want(exchange: Exchange): void;
  /** The handler cancelled its body stream: the rest is discarded. */
  cancelled(exchange: Exchange): void;
}

/** A body being gathered whole for `readBody()`, and the promise waiting for it. */
interface Gathering {
  body: BodyCollector;
  resolve(body: Uint8Array): void;
  reject(error: Error): void;
}

/** What the connection reports about an answered request. */
export interface ResponseFacts {
  /** Status sent. */
  readonly status: number;
  /** The full access-log record. */
  toRecord(): AccessRecord;
}

const GONE = "The request body is no longer available";

/**
 * One request/response pair.
 *
 * @example
 * ```ts ignore
 * const exchange = new Exchange(head, demand, clock.now());
 * handler(exchange, info); // the exchange is the request's parts
 * ```
 */
export class Exchange implements RequestParts, ResponseFacts {
  head: RequestHead;
  readonly hasBody: boolean;
  bodyState: BodyState = "unread";
  /** The handler is waiting for body bytes (flow control: the parser delivers only then). */
  wanted = false;
  /** Body bytes thrown away while `"discarding"`. */
  discarded = 0;
  continueSent = false;
  keepAlive: boolean;
  response: ResponseState = "waiting";
  /** A request that may switch to WebSocket (`Connection: upgrade`): what `upgradeWebSocket()` checks and accepts. */
  upgrade: UpgradeOffer | undefined = undefined;
  abort: AbortController | undefined;
  /** Why the request was aborted, once it was. */
  failure: Error | undefined;
  /** Status sent (0 until the head goes out) and body bytes sent, for the access record. */
  status = 0;
  bodyBytes = 0;
  readonly startTime: number;
  /** When the response was complete (set when it is recorded). */
  endTime = 0;
  remoteAddress = "";
  recorded = false;

  // RequestParts, filled in when the handler is called.
  method = "";
  url = "";
  headers: string[] = [];

  readonly #demand: BodyDemand;
  /** The body stream: undefined until asked for, null without a body or once read whole. */
  #stream: ReadableStream<Uint8Array> | null | undefined;
  #controller: ReadableStreamDefaultController<Uint8Array> | undefined;
  /** Gathers the body when the handler reads it whole (`readBody()`) instead of as a stream. */
  #gathering: Gathering | undefined;

  constructor(head: RequestHead, demand: BodyDemand, startTime: number) {
    this.head = head;
    this.startTime = startTime;
    this.#demand = demand;
    this.hasBody = head.chunked || head.contentLength > 0;
    this.keepAlive = head.keepAlive;
  }

  /** The parser has not yet produced this request's end event. */
  get bodyOpen(): boolean {
    return this.bodyState !== "ended";
  }

  /** The body as a stream, created on first use. */
  get body(): ReadableStream<Uint8Array> | null {
    if (this.#stream === undefined) this.#stream = this.hasBody ? this.#bodyStream() : null;
    return this.#stream;
  }

  /** The whole body without a stream, or `undefined` once the stream exists (or the body was read). */
  readBody(): Promise<Uint8Array> | undefined {
    if (this.#stream !== undefined) return undefined;
    this.#stream = null;
    return this.hasBody ? this.#collect() : Promise.resolve(new Uint8Array(0));
  }

  /** The request's abort signal, created on first use. */
  signal(): AbortSignal {
    return (this.abort ??= new AbortController()).signal;
  }

  /** Body bytes from the parser, for the handler (while it reads). */
  deliver(data: Uint8Array): void {
    const gathering = this.#gathering;
    if (gathering !== undefined) {
      gathering.body.add(data);
      return;
    }
    const controller = this.#controller!;
    controller.enqueue(data);
    // desiredSize is null only for an errored stream, and no bytes are enqueued after an error.
    this.wanted = controller.desiredSize! > 0;
  }

  /** The parser's end of the request: completes the handler's read, unless the rest was being discarded. */
  endBody(): void {
    const discarding = this.bodyState === "discarding";
    this.bodyState = "ended";
    this.wanted = false;
    if (discarding) return; // a cancelled stream, or a response sent first: the body was failed already
    const gathering = this.#gathering;
    if (gathering !== undefined) {
      this.#gathering = undefined;
      gathering.resolve(gathering.body.finish());
    }
    this.#controller?.close();
  }

  /** Ends the handler's read of the body with `reason` (the stream errors, the gathering rejects). */
  failBody(reason: Error): void {
    this.failure ??= reason;
    const gathering = this.#gathering;
    if (gathering !== undefined) {
      this.#gathering = undefined;
      gathering.reject(reason);
    }
    // error() on a stream that is already closed or errored does nothing (it never throws).
    this.#controller?.error(reason);
  }

  /** Aborts the exchange: the body read fails and `request.signal` aborts with `reason`. */
  abortWith(reason: Error): void {
    if (this.bodyOpen) this.failBody(reason);
    this.bodyState = "ended";
    this.abort?.abort(reason);
  }

  /** The request body as a stream that pulls from the parser only when the handler reads. */
  #bodyStream(): ReadableStream<Uint8Array> {
    return new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.#controller = controller;
        if (!this.bodyOpen) controller.error(this.failure ?? new Error(GONE));
      },
      pull: () => {
        if (this.bodyOpen && this.bodyState !== "discarding") this.#demand.want(this);
      },
      cancel: () => {
        if (this.bodyOpen) this.bodyState = "discarding";
        this.wanted = false;
        this.#demand.cancelled(this);
      },
    }, { highWaterMark: 0 }); // pull only when the handler reads: that is when 100 Continue goes out
  }

  /** The whole request body, gathered without a stream. */
  #collect(): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      if (!this.bodyOpen || this.bodyState === "discarding") {
        reject(this.failure ?? new Error(GONE));
        return;
      }
      this.#gathering = { body: new BodyCollector(), resolve, reject };
      this.#demand.want(this);
    });
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

/**
 * The access record of a request the server answered itself with an error (`exchange` is null when
 * the request head never parsed).
 *
 * @example
 * ```ts ignore
 * const record = failedRecord(null, "10.0.0.1", 400, 11, clock.now());
 * ```
 */
export function failedRecord(exchange: Exchange | null, peerAddress: string, status: number, bodyBytes: number, now: number): AccessRecord {
  const head = exchange?.head;
  return {
    remoteAddress: exchange?.remoteAddress ?? peerAddress,
    method: head?.method ?? "-",
    target: head?.target ?? "-",
    httpVersion: head ? (head.minorVersion === 1 ? "HTTP/1.1" : "HTTP/1.0") : "-",
    status,
    bodyBytes,
    startTime: exchange?.startTime ?? now,
    durationMs: exchange ? now - exchange.startTime : 0,
    referer: undefined,
    userAgent: undefined,
    host: head?.host ?? "",
  };
}
