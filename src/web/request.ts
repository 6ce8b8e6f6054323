/**
 * Building the `Request` a handler sees, and the `info` object that carries what a `Request` cannot
 * (the WSGI environ's remote address, SCRIPT_NAME/PATH_INFO split, scheme, raw target).
 *
 * Two strategies: a native `Request`, or a {@linkcode LazyRequest} that behaves like one but only
 * materialises the native object when something needs it. Constructing a native `Request` costs
 * microseconds on Node (undici) and Deno, which is most of a hello-world request's budget.
 *
 * @module
 */

import { concatBytes } from "../http1/bytes.ts";
import { nativeClass, onNativeClass } from "./native_globals.ts";
import type { UpgradeOffer } from "./upgrade_websocket.ts";

/** What a handler learns about a request beyond the `Request` itself. */
export interface RequestInfo {
  /** The client's address: the peer's IP, or the client named by a trusted proxy. `""` on a unix socket. */
  remoteAddress: string;
  /** The client's port (0 on a unix socket or when unknown). */
  remotePort: number;
  /** The address the connection arrived on (the socket path for a unix socket). */
  localAddress: string;
  /** The port the connection arrived on (0 on a unix socket). */
  localPort: number;
  /** `"http"` or `"https"`: the `urlScheme` setting, or what a trusted proxy said. */
  scheme: string;
  /** The `urlPrefix` the request matched (WSGI's SCRIPT_NAME), `""` without one. */
  scriptName: string;
  /** The path below `scriptName` (WSGI's PATH_INFO), still percent-encoded. */
  pathInfo: string;
  /** The request-target exactly as sent (WSGI's REQUEST_URI), e.g. `/a%20b?x=1` or `*`. */
  rawTarget: string;
  /** `"HTTP/1.0"` or `"HTTP/1.1"`. */
  httpVersion: string;
  /**
   * The server's name (WSGI's SERVER_NAME): the host a trusted proxy forwarded (without its port), else
   * the `serverName` setting; never the client's own `Host` header.
   */
  serverName: string;
}

/** Everything needed to build a request object. */
export interface RequestParts {
  method: string;
  url: string;
  /** Flat `[name, value, name, value, ...]`, names lower-case. */
  headers: string[];
  /** The body stream (it may be created on first access), or `null` for none. */
  readonly body: ReadableStream<Uint8Array> | null;
  /** Optional: whether there is a body, known without creating the stream. */
  readonly hasBody?: boolean;
  /**
   * Optional: the whole body, gathered without a stream, or `undefined` when the stream was already
   * handed out. After it is called, `body` is `null`.
   */
  readBody?(): Promise<Uint8Array> | undefined;
  /** Returns the request's abort signal, creating it on first use. */
  signal: () => AbortSignal;
  /** Optional: the request may switch to WebSocket (the server offers it to `upgradeWebSocket()`). */
  readonly upgrade?: UpgradeOffer;
}

/** Builds the object a handler receives. */
export type RequestFactory = (parts: RequestParts) => Request;

/** A `Headers` from a flat `[name, value, ...]` list, repeated names kept in order. */
function headersOf(raw: string[]): Headers {
  const headers = new Headers();
  for (let i = 0; i < raw.length; i += 2) headers.append(raw[i], raw[i + 1]);
  return headers;
}

/**
 * Builds a native `Request`.
 *
 * @example
 * ```ts
 * import { nativeRequest } from "./request.ts";
 * const request = nativeRequest({ method: "GET", url: "http://localhost/", headers: ["host", "localhost"], body: null, signal: () => new AbortController().signal });
 * ```
 */
export function nativeRequest(parts: RequestParts): Request {
  const init: RequestInit & { duplex?: string } = { method: parts.method, headers: headersOf(parts.headers), signal: parts.signal() };
  if (parts.body) {
    init.body = parts.body;
    init.duplex = "half";
  }
  return new (nativeClass("Request"))(parts.url, init);
}

const decoder = new TextDecoder();

async function readAll(body: ReadableStream<Uint8Array> | null): Promise<Uint8Array> {
  if (body === null) return new Uint8Array(0);
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    total += value.length;
  }
  return chunks.length === 1 ? chunks[0] : concatBytes(chunks, total);
}

/**
 * A `Request` lookalike over the parsed request. `method`, `url`, `headers`, `body`, `signal` and the
 * body readers (`text`, `json`, `arrayBuffer`, `bytes`) work without a native `Request`; anything
 * else (`clone`, `formData`, `blob`, ...) materialises one first. `instanceof Request` is true.
 *
 * @example
 * ```ts
 * import { LazyRequest } from "./request.ts";
 * const request = new LazyRequest({ method: "GET", url: "http://localhost/", headers: [], body: null, signal: () => new AbortController().signal });
 * request.method; // "GET"
 * ```
 */
export class LazyRequest {
  #parts: RequestParts;
  #headers: Headers | undefined;
  #native: Request | undefined;
  #bodyUsed = false;
  /** The body stream was handed out (as `body`, or to a native `Request`). */
  #streamOut = false;
  #usedStream: ReadableStream<Uint8Array> | undefined;

  constructor(parts: RequestParts) {
    this.#parts = parts;
  }

  #materialize(): Request {
    if (this.#native === undefined) {
      if (this.#bodyUsed) throw new TypeError("Cannot use the request: its body was already read");
      const parts = this.#parts;
      this.#streamOut = true;
      const init: RequestInit & { duplex?: string } = { method: parts.method, headers: this.headers, signal: parts.signal() };
      if (parts.body) {
        init.body = parts.body;
        init.duplex = "half";
      }
      this.#native = new (nativeClass("Request"))(parts.url, init);
    }
    return this.#native;
  }

  get method(): string {
    return this.#parts.method;
  }
  get url(): string {
    return this.#parts.url;
  }
  get headers(): Headers {
    if (this.#native) return this.#native.headers;
    this.#headers ??= headersOf(this.#parts.headers);
    return this.#headers;
  }
  /** No body at all: like a native `Request` with a null body, reads give nothing and never use it up. */
  #bodiless(): boolean {
    const parts = this.#parts;
    return parts.hasBody === undefined ? parts.body === null : !parts.hasBody;
  }
  get body(): ReadableStream<Uint8Array> | null {
    if (this.#native) return this.#native.body;
    if (this.#bodiless()) return null;
    if (this.#bodyUsed && !this.#streamOut) return (this.#usedStream ??= usedStream());
    this.#streamOut = true;
    return this.#parts.body;
  }
  get bodyUsed(): boolean {
    if (this.#native) return this.#native.bodyUsed;
    if (this.#bodiless()) return false;
    if (this.#bodyUsed) return true;
    if (!this.#streamOut) return false;
    const body = this.#parts.body;
    return body !== null && body.locked;
  }
  get signal(): AbortSignal {
    return this.#native ? this.#native.signal : this.#parts.signal();
  }
  get cache(): RequestCache {
    return "default";
  }
  get credentials(): RequestCredentials {
    return "same-origin";
  }
  get destination(): RequestDestination {
    return "";
  }
  get integrity(): string {
    return "";
  }
  get keepalive(): boolean {
    return false;
  }
  get mode(): RequestMode {
    return "cors";
  }
  get redirect(): RequestRedirect {
    return "follow";
  }
  get referrer(): string {
    return "about:client";
  }
  get referrerPolicy(): ReferrerPolicy {
    return "";
  }
  get duplex(): string {
    return "half";
  }
  get [Symbol.toStringTag](): string {
    return "Request";
  }

  #take(): ReadableStream<Uint8Array> | null {
    if (this.bodyUsed) throw new TypeError("Body is unusable: the request body was already read");
    this.#bodyUsed = true;
    this.#streamOut = true;
    return this.#parts.body;
  }
  /** Reads the body as bytes. */
  async bytes(): Promise<Uint8Array> {
    if (this.#native) return new Uint8Array(await this.#native.arrayBuffer());
    if (this.#bodiless()) return new Uint8Array(0);
    if (!this.#streamOut && !this.#bodyUsed && this.#parts.readBody !== undefined) {
      const whole = this.#parts.readBody();
      if (whole !== undefined) {
        this.#bodyUsed = true;
        return await whole;
      }
    }
    return await readAll(this.#take());
  }
  /** Reads the body as an `ArrayBuffer`. */
  async arrayBuffer(): Promise<ArrayBuffer> {
    const bytes = await this.bytes();
    if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength) return bytes.buffer as ArrayBuffer;
    // Copy explicitly: Node's Buffer#slice does not copy, and chunks may share a larger buffer.
    const copy = new Uint8Array(bytes.byteLength);
    copy.set(bytes);
    return copy.buffer;
  }
  /** Reads the body as UTF-8 text. */
  async text(): Promise<string> {
    return decoder.decode(await this.bytes());
  }
  /** Reads the body as JSON. */
  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }
  /** Reads the body as a `Blob` (materialises a native `Request`). */
  blob(): Promise<Blob> {
    return this.#materialize().blob();
  }
  /** Reads the body as `FormData` (materialises a native `Request`). */
  formData(): Promise<FormData> {
    return this.#materialize().formData();
  }
  /** Clones the request (materialises a native `Request`). */
  clone(): Request {
    return this.#materialize().clone();
  }
}

/** What `body` shows once the body was read whole: a stream that is locked, as after a native read. */
function usedStream(): ReadableStream<Uint8Array> {
  const stream = new ReadableStream<Uint8Array>();
  stream.getReader();
  return stream;
}

// instanceof Request holds; our own accessors shadow the native ones, so native brand checks never run.
onNativeClass("Request", (native) => Object.setPrototypeOf(LazyRequest.prototype, native.prototype));

/**
 * Builds a {@linkcode LazyRequest}, typed as the `Request` it stands in for.
 *
 * @example
 * ```ts
 * import { lazyRequest } from "./request.ts";
 * const request = lazyRequest({ method: "GET", url: "http://localhost/", headers: [], body: null, signal: () => new AbortController().signal });
 * ```
 */
export function lazyRequest(parts: RequestParts): Request {
  return new LazyRequest(parts) as unknown as Request;
}
