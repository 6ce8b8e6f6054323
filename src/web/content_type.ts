/**
 * The Content-Type a response body implies (the Fetch standard's "extract a body"), spelled as the
 * runtime's own server sends it.
 *
 * A string body is `text/plain;charset=UTF-8`, `URLSearchParams` is
 * `application/x-www-form-urlencoded;charset=UTF-8`, a `Blob` its own type (none when empty),
 * `FormData` a multipart type whose boundary only the native encoder knows; bytes and streams have
 * none. An explicit Content-Type always wins.
 *
 * Bun's `Response` does not put a string body's type in its headers: Bun's own server adds it when
 * sending, and nothing a server written in JavaScript can read tells that body from bytes.
 * {@linkcode typedNativeResponse} is the cure: the native class, with the type set at construction.
 *
 * @module
 */

import { nativeClass } from "./native_globals.ts";

/** A string body's type, as Node's and Deno's constructors spell it (Bun's own server sends `charset=utf-8`: the same, RFC 9110 8.3.2). */
export const TEXT_TYPE = "text/plain;charset=UTF-8";
let jsonType: string | undefined;

/**
 * What the runtime's `Response.json()` sets (Bun adds `;charset=utf-8`), asked once.
 *
 * @example
 * ```ts
 * import { runtimeJsonType } from "./content_type.ts";
 * runtimeJsonType().startsWith("application/json"); // true
 * ```
 */
export function runtimeJsonType(): string {
  return jsonType ??= nativeClass("Response").json(null).headers.get("content-type") ?? "application/json";
}
const FORM_TYPE = "application/x-www-form-urlencoded;charset=UTF-8";

/**
 * The type a body implies, or `undefined` for none (bytes, streams, an untyped Blob, `FormData`:
 * see {@linkcode typeNeedsNative}).
 *
 * @example
 * ```ts
 * import { implicitContentType } from "./content_type.ts";
 * implicitContentType(new URLSearchParams("a=1")); // "application/x-www-form-urlencoded;charset=UTF-8"
 * implicitContentType(new Uint8Array(1)); // undefined
 * ```
 */
export function implicitContentType(body: unknown): string | undefined {
  if (typeof body === "string") return TEXT_TYPE;
  if (body instanceof URLSearchParams) return FORM_TYPE;
  if (body instanceof Blob && body.type) return body.type;
  return undefined;
}

/**
 * Whether only a native `Response` can give this body its type: `FormData`, whose multipart
 * boundary is chosen by the runtime's encoder along with the body bytes.
 *
 * @example
 * ```ts
 * import { typeNeedsNative } from "./content_type.ts";
 * typeNeedsNative(new FormData()); // true
 * ```
 */
export function typeNeedsNative(body: unknown): boolean {
  // The tag first: on Node, reading the FormData global loads the whole Fetch implementation.
  return typeof body === "object" && body !== null && (body as { [Symbol.toStringTag]?: unknown })[Symbol.toStringTag] === "FormData" &&
    typeof FormData === "function" && body instanceof FormData;
}

let typed: typeof Response | undefined;

/**
 * The native `Response` class, or where its string bodies carry no Content-Type (Bun) a subclass
 * that sets it at construction, as the Fetch standard's constructor does. Its instances are native
 * responses; `instanceof` holds both ways.
 *
 * @example
 * ```ts
 * import { typedNativeResponse } from "./content_type.ts";
 * const R = typedNativeResponse();
 * new R("hi").headers.get("content-type"); // "text/plain;charset=UTF-8"
 * ```
 */
export function typedNativeResponse(): typeof Response {
  if (typed !== undefined) return typed;
  const NativeResponse = nativeClass("Response");
  if (new NativeResponse("").headers.has("content-type")) return typed = NativeResponse;
  class TypedResponse extends NativeResponse {
    constructor(body?: BodyInit | null, init?: ResponseInit) {
      super(body, init);
      if (typeof body === "string" && !this.headers.has("content-type")) this.headers.set("content-type", TEXT_TYPE);
    }
    /** Native responses built elsewhere (`fetch()`, `Response.json()`) are instances too. */
    static override [Symbol.hasInstance](value: unknown): boolean {
      return value instanceof NativeResponse;
    }
  }
  Object.defineProperty(TypedResponse, "name", { value: "Response" });
  return typed = TypedResponse;
}
