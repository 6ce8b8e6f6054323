/**
 * The Bun adapter: the {@linkcode Runtime} the core runs on under Bun, assembled from this folder's
 * capabilities (listeners and sockets, files, name lookups, worker threads) and the shared clock.
 * The `Bun` global and web-standard APIs, and Bun's native `node:fs` for files.
 *
 * @module
 */

import type { Runtime } from "../../src/platform.ts";
import { lazyRequest } from "../../src/web/request.ts";
import { installFastResponse } from "../shared/fast_globals.ts";
import { timerClock } from "../shared/timer_clock.ts";
import { lookup } from "./dns.ts";
import { bunFiles } from "./files.ts";
import { listenTcp, listenUnix } from "./listen.ts";
import { spawnWorker } from "./worker.ts";

/**
 * The Bun runtime for the core.
 *
 * @example
 * ```ts ignore
 * import { bunRuntime } from "./adapters/bun/runtime.ts";
 * ```
 */
export const bunRuntime: Runtime = {
  name: "bun",
  createRequest: lazyRequest,
  setup: installFastResponse,
  clock: timerClock((timer) => (timer as { unref(): void }).unref()),
  files: bunFiles,
  listenTcp,
  listenUnix,
  lookup,
  spawnWorker,
};
