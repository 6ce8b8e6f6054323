/**
 * The worker-thread entry on runtimes with Web Workers (Deno, Bun): the first message carries the
 * app module to load, every later one goes to the runtime-free {@linkcode WorkerServer}. Each
 * runtime's worker entry calls it; it never touches a socket.
 *
 * @module
 */

import { WorkerServer } from "../../src/threads/worker_main.ts";
import type { FromWorker, ToWorker, WorkerInit } from "../../src/threads/thread_protocol.ts";
import type { RequestFactory } from "../../src/web/request.ts";

/** A Web Worker's global scope, as far as the entry uses it. */
export interface WorkerScope {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  onmessage: ((event: MessageEvent) => void) | null;
  close?: () => void;
}

/** This worker's global scope. */
export const scope: WorkerScope = globalThis as unknown as WorkerScope;

/**
 * Posts a message to the thread that started this worker.
 *
 * @example
 * ```ts ignore
 * post({ type: "exit", code: 0 });
 * ```
 */
export function post(message: FromWorker, transfer?: ArrayBuffer[]): void {
  scope.postMessage(message, transfer ?? []);
}

/**
 * Serves the dispatcher's messages in this worker, building requests with `createRequest` (the
 * same strategy as the runtime's I/O thread).
 *
 * @example
 * ```ts ignore
 * serveWorker(lazyRequest);
 * ```
 */
export function serveWorker(createRequest: RequestFactory): void {
  const server = new WorkerServer({ post, createRequest });
  let loaded = false;
  scope.onmessage = (event: MessageEvent) => {
    if (!loaded) {
      loaded = true;
      void server.load(event.data as WorkerInit, (url) => import(url));
      return;
    }
    server.onMessage(event.data as ToWorker);
  };
}
