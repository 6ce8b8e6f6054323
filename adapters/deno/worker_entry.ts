/**
 * The worker-thread entry on Deno: a Web Worker serving the dispatcher's messages. Started by the
 * Deno runtime's `spawnWorker`; never touches a socket.
 *
 * @module
 */

import { lazyRequest } from "../../src/web/request.ts";
import { post, scope, serveWorker } from "../shared/web_worker.ts";

// Deno gives the parent no event when a worker closes itself: announce it first, so the
// dispatcher replaces the worker instead of waiting for it forever.
const denoGlobal = (globalThis as unknown as { Deno: { exit(code?: number): never } }).Deno;
if (typeof scope.close === "function") {
  const close = scope.close.bind(scope);
  scope.close = () => {
    post({ type: "exit", code: 0 });
    close();
  };
  try {
    denoGlobal.exit = ((code?: number) => {
      post({ type: "exit", code: code ?? 0 });
      close();
    }) as (code?: number) => never;
  } catch { /* read-only: an exit is then only noticed as an error */ }
}

// The same request strategy as the I/O thread's.
serveWorker(lazyRequest);
