/**
 * Worker threads on Deno (Web Workers), each running ./worker_entry.ts.
 *
 * @module
 */

import type { ThreadEvents, ThreadHandle } from "../../src/platform.ts";
import type { WorkerInit } from "../../src/threads/thread_protocol.ts";

/**
 * Starts a worker thread that loads `init.moduleUrl` (the Runtime's `spawnWorker`).
 *
 * @example
 * ```ts ignore
 * const thread = spawnWorker(init, { message: (m) => dispatcher.onMessage(m), exit: (why) => log(why) });
 * ```
 */
export function spawnWorker(init: WorkerInit, events: ThreadEvents): ThreadHandle {
  const entry = new URL(import.meta.url.endsWith(".ts") ? "./worker_entry.ts" : "./worker_entry.js", import.meta.url);
  const worker = new Worker(entry, { type: "module" });
  let ended = false;
  worker.onmessage = (event: MessageEvent) => events.message(event.data);
  worker.onerror = (event: ErrorEvent) => {
    // An uncaught error ends a Deno worker (and, unhandled here, would end this process too).
    event.preventDefault();
    if (ended) return;
    ended = true;
    worker.terminate();
    events.exit(`uncaught ${event.message}`);
  };
  worker.postMessage(init); // the first message says what to load
  return {
    post: (message, transfer) => worker.postMessage(message, transfer ?? []),
    terminate: () => {
      ended = true;
      worker.terminate();
    },
  };
}
