/**
 * The worker-thread entry on Node (`node:worker_threads`): loads the app module named in
 * `workerData` and serves the dispatcher's messages from `parentPort`. Started by the Node
 * runtime's `spawnWorker`; never touches a socket.
 *
 * @module
 */

import { parentPort, workerData } from "node:worker_threads";
import { WorkerServer } from "../../src/threads/worker_main.ts";
import type { ToWorker, WorkerInit } from "../../src/threads/thread_protocol.ts";
import { lazyRequest } from "../../src/web/request.ts";
import { FastResponse } from "../../src/web/fast_response.ts";

const init = workerData as WorkerInit;
const port = parentPort!;
// As on the I/O thread: undici's Response is slow to build, FastResponse defers that.
if (!init.nativeResponse) globalThis.Response = FastResponse as unknown as typeof Response;

const server = new WorkerServer({
  post: (message, transfer) => port.postMessage(message, transfer ?? []),
  createRequest: lazyRequest,
});
port.on("message", (message: ToWorker) => server.onMessage(message));
void server.load(init, (url) => import(url));
