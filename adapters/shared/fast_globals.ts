/**
 * Installs {@linkcode FastResponse} as `globalThis.Response` (unless the user opted out).
 *
 * Measured per hello-world request in the core (`new Response("…")` plus the server reading it back):
 * Node 20 ~16 µs native vs ~4 µs fast; Deno ~9 µs vs ~3.5 µs; Bun ~10 µs vs ~6 µs. Reading a native
 * body costs a stream reader and two promise round trips; a FastResponse hands its string over.
 *
 * @module
 */

import { FastResponse } from "../../src/web/fast_response.ts";
import { typedNativeResponse } from "../../src/web/content_type.ts";
import { nativeClass } from "../../src/web/native_globals.ts";

/**
 * Replaces the global `Response` with {@linkcode FastResponse}, once; `nativeResponse: true` keeps
 * the native class (on Bun, a subclass whose string bodies carry their Content-Type in their
 * headers, which Bun leaves to `Bun.serve`).
 *
 * @example
 * ```ts ignore
 * installFastResponse({ nativeResponse: false });
 * ```
 */
export function installFastResponse({ nativeResponse }: { nativeResponse: boolean }): void {
  // The descriptor, not the global: on Node, reading `Response` loads the whole Fetch implementation.
  if (!nativeResponse && Object.getOwnPropertyDescriptor(globalThis, "Response")?.value !== FastResponse) {
    globalThis.Response = FastResponse as unknown as typeof Response;
  } else if (nativeResponse && globalThis.Response === nativeClass("Response")) {
    globalThis.Response = typedNativeResponse();
  }
}
