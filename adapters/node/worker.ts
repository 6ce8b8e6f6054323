/**
 * Worker threads on Node (`node:worker_threads`), each running ./worker_entry.ts.
 *
 * @module
 */

import { Worker } from "node:worker_threads";
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
  // Built JS runs worker_entry.js; a TypeScript-aware runner loads worker_entry.ts.
  const entry = new URL(import.meta.url.endsWith(".ts") ? "./worker_entry.ts" : "./worker_entry.js", import.meta.url);
  const worker = new Worker(entry, { workerData: init });
  let failure: unknown;
  worker.on("message", (message: unknown) => events.message(message));
  worker.on("error", (error) => (failure = error));
  worker.on("exit", (code) => {
    events.exit(failure === undefined ? `exit code ${code}` : `uncaught ${failure instanceof Error ? `${failure.name}: ${failure.message}` : String(failure)}`);
  });
  return {
    post: (message, transfer) => worker.postMessage(message, transfer ?? []),
    terminate: () => worker.terminate(),
  };
}
