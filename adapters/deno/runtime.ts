/**
 * The Deno adapter: the {@linkcode Runtime} the core runs on under Deno, assembled from this folder's
 * capabilities (listeners and connections, files, name lookups, worker threads) and the shared clock.
 * Only the `Deno` global and web-standard APIs: no `node:` module is loaded, except `node:zlib` for
 * WebSocket permessage-deflate, on first use (Deno has no other deflate stream that can sync-flush).
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
import { deno } from "./api.ts";
import { listenTcp, listenUnix } from "./listen.ts";

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
  files: lazyFiles(async () => (await import("./files.ts")).denoFiles),
  listenTcp,
  listenUnix,
  // Deno.listen() takes an address or a path, never a descriptor (denoland/deno#14006). Deno's
  // node:net can (net.Server.listen({ fd })), but this adapter serves with Deno's own API only.
  listenFdUnavailable: "Deno.listen() cannot listen on an inherited descriptor (it takes an address or a path only)",
  tls: {
    readFile: async (path) => (await import("./tls.ts")).denoTls.readFile(path),
    prepare: async (material) => (await import("./tls.ts")).prepare(material),
  },
  lookup: async (host) => (await import("./dns.ts")).lookup(host),
  spawnWorker: lazySpawn(async () => (await import("./worker.ts")).spawnWorker),
  // permessage-deflate: node:zlib loads at the first codec (a server that never compresses never loads it).
  deflate: lazyDeflate(async () => zlibDeflatePort(await import("node:zlib"))),
};
