/**
 * The Bun adapter: the {@linkcode Runtime} the core runs on under Bun, assembled from this folder's
 * capabilities (listeners and sockets, files, name lookups, worker threads) and the shared clock.
 * The `Bun` global and web-standard APIs, Bun's native `node:fs` for files, and its native `node:zlib`
 * for WebSocket permessage-deflate (on first use).
 * Name lookups, files and worker threads load on first use: a plain server never needs them.
 *
 * @module
 */

import type { Runtime } from "../../src/platform.ts";
import { lazyRequest } from "../../src/web/request.ts";
import { installFastResponse } from "../shared/fast_globals.ts";
import { lazyDeflate, lazyFiles, lazySpawn } from "../shared/lazy_ports.ts";
import { timerClock } from "../shared/timer_clock.ts";
import { zlibDeflatePort } from "../shared/zlib_codec.ts";
import { listenTcp, listenUnix } from "./listen.ts";

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
  files: lazyFiles(async () => (await import("./files.ts")).bunFiles),
  listenTcp,
  listenUnix,
  listenFd: async (...args) => (await import("./listen_fd.ts")).listenFd(...args),
  tls: {
    readFile: async (path) => (await import("./tls.ts")).bunTls.readFile(path),
    prepare: async (material) => (await import("./tls.ts")).prepare(material),
  },
  lookup: async (host) => (await import("./dns.ts")).lookup(host),
  spawnWorker: lazySpawn(async () => (await import("./worker.ts")).spawnWorker),
  // permessage-deflate: node:zlib loads at the first codec (a server that never compresses never loads it).
  deflate: lazyDeflate(async () => zlibDeflatePort(await import("node:zlib"))),
};
