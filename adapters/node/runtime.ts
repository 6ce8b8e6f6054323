/**
 * The Node adapter: the {@linkcode Runtime} the core runs on under Node, assembled from this folder's
 * capabilities (listeners and sockets, files, name lookups, worker threads) and the shared clock.
 *
 * @module
 */

import type { Runtime } from "../../src/platform.ts";
import { lazyRequest } from "../../src/web/request.ts";
import { installFastResponse } from "../shared/fast_globals.ts";
import { timerClock } from "../shared/timer_clock.ts";
import { lookup } from "./dns.ts";
import { nodeFiles } from "./files.ts";
import { listenTcp, listenUnix } from "./listen.ts";
import { spawnWorker } from "./worker.ts";

/**
 * The Node runtime for the core.
 *
 * @example
 * ```ts ignore
 * import { nodeRuntime } from "./adapters/node/runtime.ts";
 * ```
 */
export const nodeRuntime: Runtime = {
  name: "node",
  createRequest: lazyRequest,
  listenTcp,
  listenUnix,
  lookup,
  setup: installFastResponse,
  clock: timerClock((timer) => (timer as { unref(): void }).unref()),
  files: nodeFiles,
  spawnWorker,
};
