/**
 * The worker-thread entry on Bun: a Web Worker serving the dispatcher's messages (Bun fires the
 * parent's "close" event itself when a worker ends). Started by the Bun runtime's `spawnWorker`;
 * never touches a socket.
 *
 * @module
 */

import { lazyRequest } from "../../src/web/request.ts";
import { serveWorker } from "../shared/web_worker.ts";

// Lazy Requests, as on the I/O thread and in Deno's workers.
serveWorker(lazyRequest);
