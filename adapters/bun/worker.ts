/**
 * Worker threads on Bun (Web Workers), each running ./worker_entry.ts.
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
  let failure: string | undefined;
  worker.addEventListener("message", (event: MessageEvent) => events.message(event.data));
  worker.addEventListener("error", (event: ErrorEvent) => {
    event.preventDefault();
    failure ??= `uncaught ${event.message}`;
  });
  // Bun fires "close" (with the exit code) whenever a worker ends, errors included.
  worker.addEventListener("close", (event: Event) => {
    events.exit(failure ?? `exit code ${(event as Event & { code?: number }).code ?? 0}`);
  });
  worker.postMessage(init); // the first message says what to load
  return {
    post: (message, transfer) => worker.postMessage(message, transfer ?? []),
    terminate: () => worker.terminate(),
  };
}
