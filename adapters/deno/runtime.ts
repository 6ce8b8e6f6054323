/**
 * The Deno adapter: the {@linkcode Runtime} the core runs on under Deno, assembled from this folder's
 * capabilities (listeners and connections, files, name lookups, worker threads) and the shared clock.
 * Only the `Deno` global and web-standard APIs: no `node:` module is loaded.
 *
 * @module
 */

import type { Runtime } from "../../src/platform.ts";
import { lazyRequest } from "../../src/web/request.ts";
import { installFastResponse } from "../shared/fast_globals.ts";
import { timerClock } from "../shared/timer_clock.ts";
import { deno } from "./api.ts";
import { lookup } from "./dns.ts";
import { denoFiles } from "./files.ts";
import { listenTcp, listenUnix } from "./listen.ts";
import { spawnWorker } from "./worker.ts";

/**
 * The Deno runtime for the core.
 *
 * @example
 * ```ts ignore
 * import { denoRuntime } from "./adapters/deno/runtime.ts";
 * ```
 */
export const denoRuntime: Runtime = {
  name: "deno",
  createRequest: lazyRequest,
  setup: installFastResponse,
  clock: timerClock((id) => deno().unrefTimer(id as number)),
  files: denoFiles,
  listenTcp,
  listenUnix,
  lookup,
  spawnWorker,
};
