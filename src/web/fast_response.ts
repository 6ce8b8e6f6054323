/**
 * A `Response` that stays cheap until something needs the real one.
 *
 * On Node 20, constructing a native (undici) `Response` costs about 11 µs, because it builds a
 * `ReadableStream` for the body at once; reading that body back costs as much again. A hello-world
 * request's whole budget is smaller than that. {@linkcode FastResponse} keeps the constructor's
 * arguments, answers `status`, `headers` and the body readers itself, lets the server take a string
 * or byte body directly, and materialises a native `Response` only for anything else (`body`,
 * `clone()`, `formData()`, ...). It passes `instanceof Response` both ways.
 *
 * `serve()` installs it as `globalThis.Response` on every runtime (opt out with `nativeResponse: true`):
 * on Deno and Bun the native one is cheaper than on Node, but still costs more than the server's
 * whole work for a small response.
 *
 * @module
 */

import { isToken } from "../http1/abnf.ts";
import { implicitContentType, runtimeJsonType, typeNeedsNative } from "./content_type.ts";
import { nativeClass, onNativeClass } from "./native_globals.ts";

const kFast = Symbol("waitress.fastResponse");
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The constructor's arguments, kept until something needs a native `Response`. */
export interface FastState {
  /** The body as given to the constructor. */
  body: unknown;
  /** The status code. */
  status: number;
  /** The status message. */
  statusText: string;
  /** The headers as given to the constructor. */
  init: HeadersInit | undefined;
  /** The `Headers` object, once built. */
  headers: Headers | undefined;
  /** The native `Response`, once materialised. */
  native: Response | undefined;
  /** Whether the body was taken. */
  used: boolean;
}

/** What the server can take from a {@linkcode FastResponse} without materialising it. */
export interface FastParts {
  status: number;
  statusText: string;
  /** Flat `[name, value, ...]`, names lower-case, or `undefined` when the headers must be read from `response.headers`. */
  headers: string[] | undefined;
  /** The body: UTF-8 text, bytes, or `null` for none (or when `blob` is set). */
  body: string | Uint8Array | null;
  /** A `Blob` body (e.g. `fs.openAsBlob()`): its size is the Content-Length, its stream the body. */
  blob?: Blob;
  /** A stream body, read by the server as it is (only when asked for with `{ streams: true }`). */
  stream?: ReadableStream<Uint8Array>;
}


/** Whether the server can send this body without a native Response. */
function isSimpleBody(body: unknown): boolean {
  return body === null || body === undefined || typeof body === "string" || body instanceof Uint8Array || body instanceof ArrayBuffer;
}

/**
 * A lazily materialised `Response`.
 *
 * @example
 * ```ts
 * import { FastResponse } from "./fast_response.ts";
 * const response = new FastResponse("Hello", { headers: { "x-a": "1" } });
 * response.status; // 200
 * await response.text(); // "Hello"
 * ```
 */
export class FastResponse {
  /** Internal state (the constructor's arguments until materialised). */
  [kFast]: FastState;

  /** Same arguments and checks as `new Response(body, init)`. */
  constructor(body?: BodyInit | null, init?: ResponseInit) {
    const status = init?.status ?? 200;
    if (!Number.isInteger(status) || status < 200 || status > 599) {
      throw new RangeError(`Failed to construct 'Response': The status provided (${status}) is outside the range [200, 599].`);
    }
    if (body !== null && body !== undefined && (status === 204 || status === 205 || status === 304)) {
      throw new TypeError(`Failed to construct 'Response': Response with null body status (${status}) cannot have a body`);
    }
    const statusText = init?.statusText === undefined ? "" : String(init.statusText);
    if (/[^\t\x20-\x7e\x80-\xff]/.test(statusText)) throw new TypeError(`Failed to construct 'Response': Invalid statusText ${JSON.stringify(statusText)}`);
    this[kFast] = { body: body ?? null, status, statusText, init: init?.headers, headers: undefined, native: undefined, used: false };
  }

  /** A JSON response, as `Response.json()` (with the runtime's own Content-Type). */
  static json(data: unknown, init?: ResponseInit): Response {
    const body = JSON.stringify(data);
    if (body === undefined) throw new TypeError("Failed to execute 'json' on 'Response': The data is not JSON serializable");
    const headers = new Headers(init?.headers);
    if (!headers.has("content-type")) headers.set("content-type", runtimeJsonType());
    return new FastResponse(body, { ...init, headers }) as unknown as Response;
  }

  /** A network error, as `Response.error()`. */
  static error(): Response {
    return nativeClass("Response").error();
  }

  /** A redirect, as `Response.redirect()`. */
  static redirect(url: string | URL, status?: number): Response {
    return nativeClass("Response").redirect(url, status);
  }

  /** Native responses are FastResponses too, so `instanceof Response` holds after the global is swapped. */
  static [Symbol.hasInstance](value: unknown): boolean {
    // Our own first: asking for the native class loads it (on Node, the whole Fetch implementation).
    return (typeof value === "object" && value !== null && kFast in value) || value instanceof nativeClass("Response");
  }

  #native(): Response {
    const state = this[kFast];
    if (state.native === undefined) {
      if (state.used) throw new TypeError("Response body is unusable: body has already been read");
      // A FormData body's type (its boundary) comes from the native: give it the init headers only.
      const headers = state.headers ?? (typeNeedsNative(state.body) ? state.init : this.headers);
      state.native = new (nativeClass("Response"))(state.body as BodyInit | null, { status: state.status, statusText: state.statusText, headers });
      void state.native.headers; // Bun computes the implicit type on this first read, and never once the body was taken
    }
    return state.native;
  }

  /** The status code. */
  get status(): number {
    return this[kFast].status;
  }
  /** The status message. */
  get statusText(): string {
    return this[kFast].statusText;
  }
  /** Whether the status is 2xx. */
  get ok(): boolean {
    const s = this[kFast].status;
    return s >= 200 && s <= 299;
  }
  /** Always `"default"`. */
  get type(): ResponseType {
    return "default";
  }
  /** Always `""`. */
  get url(): string {
    return "";
  }
  /** Always false. */
  get redirected(): boolean {
    return false;
  }
  /** The headers (a `Headers` built on first use, with the body's implicit Content-Type). */
  get headers(): Headers {
    const state = this[kFast];
    if (state.headers === undefined) {
      if (state.native !== undefined || typeNeedsNative(state.body)) return state.headers = this.#native().headers;
      const headers = new Headers(state.init);
      const contentType = implicitContentType(state.body);
      if (contentType !== undefined && !headers.has("content-type")) headers.set("content-type", contentType);
      state.headers = headers;
    }
    return state.headers;
  }
  /** The body stream (materialises a native `Response`). */
  get body(): ReadableStream<Uint8Array> | null {
    const state = this[kFast];
    if (state.native === undefined && (state.body === null)) return null;
    return this.#native().body;
  }
  /** Whether the body was read. */
  get bodyUsed(): boolean {
    const state = this[kFast];
    return state.native ? state.native.bodyUsed : state.used;
  }
  /** `"Response"`. */
  get [Symbol.toStringTag](): string {
    return "Response";
  }

  /** Takes a string or byte body without materialising, or returns undefined. */
  #takeSimple(): Uint8Array | string | null | undefined {
    const state = this[kFast];
    if (state.native !== undefined || !isSimpleBody(state.body)) return undefined;
    if (state.used) throw new TypeError("Response body is unusable: body has already been read");
    state.used = true;
    const body = state.body;
    if (body === null || body === undefined) return null;
    if (typeof body === "string") return body;
    return body instanceof ArrayBuffer ? new Uint8Array(body) : body as Uint8Array;
  }

  /** Reads the body as text. */
  async text(): Promise<string> {
    const simple = this.#takeSimple();
    if (simple === undefined) return this.#native().text();
    if (simple === null) return "";
    return typeof simple === "string" ? simple : decoder.decode(simple);
  }
  /** Reads the body as JSON. */
  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }
  /** Reads the body as bytes. */
  async bytes(): Promise<Uint8Array> {
    const simple = this.#takeSimple();
    if (simple === undefined) return new Uint8Array(await this.#native().arrayBuffer());
    if (simple === null) return new Uint8Array(0);
    return typeof simple === "string" ? encoder.encode(simple) : simple.slice();
  }
  /** Reads the body as an `ArrayBuffer`. */
  async arrayBuffer(): Promise<ArrayBuffer> {
    return (await this.bytes()).buffer as ArrayBuffer;
  }
  /** Reads the body as a `Blob`. */
  blob(): Promise<Blob> {
    return this.#native().blob();
  }
  /** Reads the body as `FormData`. */
  formData(): Promise<FormData> {
    return this.#native().formData();
  }
  /** Clones the response. */
  clone(): Response {
    const state = this[kFast];
    if (state.native === undefined && !state.used && isSimpleBody(state.body) && !(state.body instanceof Uint8Array)) {
      return new FastResponse(state.body as BodyInit | null, { status: state.status, statusText: state.statusText, headers: state.headers ?? state.init }) as unknown as Response;
    }
    return this.#native().clone();
  }
}

// Native methods and `Response.prototype` additions show through, once the native class is loaded.
onNativeClass("Response", (native) => Object.setPrototypeOf(FastResponse.prototype, native.prototype));

/**
 * For a {@linkcode FastResponse} that has not been materialised and has a string or byte body:
 * its status, headers and body bytes, marking the body used. Otherwise `undefined`.
 *
 * @example
 * ```ts
 * import { FastResponse, takeFastParts } from "./fast_response.ts";
 * const parts = takeFastParts(new FastResponse("hi") as unknown as Response);
 * parts?.body?.length; // 2
 * ```
 */
export function takeFastParts(response: Response, options?: { streams?: boolean }): FastParts | undefined {
  const state = (response as unknown as { [kFast]?: FastState })[kFast];
  if (state === undefined || state.native !== undefined || state.used) return undefined;
  const isBlob = state.body instanceof Blob;
  // An unlocked stream needs no native Response around it (on Node that costs a Headers and undici's
  // body wrapping); a locked one goes the native way, whose constructor reports it.
  const isStream = !isBlob && options?.streams === true && state.body instanceof ReadableStream && !state.body.locked;
  if (!isBlob && !isStream && !isSimpleBody(state.body)) return undefined;
  let headers: string[] | undefined;
  const init = state.init;
  if (state.headers === undefined && (init === undefined || (typeof init === "object" && !Array.isArray(init) && Object.getPrototypeOf(init) === Object.prototype))) {
    headers = [];
    let hasContentType = false;
    if (init !== undefined) {
      for (const key in init as Record<string, string>) {
        const name = key.toLowerCase();
        if (!isToken(name)) return undefined; // let Headers produce its usual error
        if (name === "content-type") hasContentType = true;
        headers.push(name, String((init as Record<string, string>)[key]).trim());
      }
    }
    if (!hasContentType) {
      const contentType = implicitContentType(state.body);
      if (contentType !== undefined) headers.push("content-type", contentType);
    }
  }
  state.used = true;
  const body = state.body;
  if (isBlob) return { status: state.status, statusText: state.statusText, headers, body: null, blob: body as Blob };
  if (isStream) return { status: state.status, statusText: state.statusText, headers, body: null, stream: body as ReadableStream<Uint8Array> };
  return {
    status: state.status,
    statusText: state.statusText,
    headers,
    body: body === null || body === undefined ? null : typeof body === "string" ? body : body instanceof ArrayBuffer ? new Uint8Array(body) : body as Uint8Array,
  };
}
