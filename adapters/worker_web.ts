/**
 * The worker entry on Deno and Bun (Web Workers): the first message carries the app module to
 * load, every later one goes to the runtime-free {@linkcode WorkerServer}. Started by the Deno and
 * Bun runtimes' `spawnWorker`; never touches a socket.
 *
 * @module
 */

import { WorkerServer } from "../src/threads/worker_main.ts";
import type { FromWorker, ToWorker, WorkerInit } from "../src/threads/thread_protocol.ts";
import { lazyRequest, nativeRequest } from "../src/web/request.ts";

interface WorkerScope {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  onmessage: ((event: MessageEvent) => void) | null;
  close?: () => void;
  Deno?: { exit(code?: number): never };
  Bun?: unknown;
}

const scope = globalThis as unknown as WorkerScope;
const post = (message: FromWorker, transfer?: ArrayBuffer[]): void => scope.postMessage(message, transfer ?? []);

// Deno gives the parent no event when a worker closes itself: announce it first, so the
// dispatcher replaces the worker instead of waiting for it forever. (Bun fires "close" itself.)
const deno = scope.Deno;
if (deno !== undefined && typeof scope.close === "function") {
  const close = scope.close.bind(scope);
  scope.close = () => {
    post({ type: "exit", code: 0 });
    close();
  };
  try {
    deno.exit = ((code?: number) => {
      post({ type: "exit", code: code ?? 0 });
      close();
    }) as (code?: number) => never;
  } catch { /* read-only: an exit is then only noticed as an error */ }
}

const server = new WorkerServer({
  post,
  // The same request strategy as the runtime's I/O thread uses.
  createRequest: scope.Bun !== undefined ? nativeRequest : lazyRequest,
});
let loaded = false;
scope.onmessage = (event: MessageEvent) => {
  if (!loaded) {
    loaded = true;
    void server.load(event.data as WorkerInit, (url) => import(url));
    return;
  }
  server.onMessage(event.data as ToWorker);
};
