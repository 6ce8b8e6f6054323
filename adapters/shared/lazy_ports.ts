/**
 * Ports an adapter loads on first use (issue 16: idle memory). A hello-world server never opens a
 * file or starts a thread, so it never loads the modules behind them (on Node, `node:fs/promises`,
 * `node:os`, `node:path` and `node:worker_threads`; on all three, `node:zlib` for permessage-deflate). Once loaded, every call goes straight through.
 *
 * @module
 */

import type { DeflatePort, Files, MessageCodec, ThreadEvents, ThreadHandle } from "../../src/platform.ts";
import type { WorkerInit } from "../../src/threads/thread_protocol.ts";

/** The Runtime's `spawnWorker`. */
export type SpawnWorker = (init: WorkerInit, events: ThreadEvents) => ThreadHandle;

/**
 * The file port, loaded by `load()` at the first call (every method is async, so nothing waits
 * that would not have waited anyway).
 *
 * @example
 * ```ts ignore
 * const files = lazyFiles(async () => (await import("./files.ts")).nodeFiles);
 * ```
 */
export function lazyFiles(load: () => Promise<Files>): Files {
  let files: Files | undefined;
  let loading: Promise<Files> | undefined;
  const loaded = (): Promise<Files> => loading ??= load().then((f) => (files = f));
  return {
    realPath: (path) => files !== undefined ? files.realPath(path) : loaded().then((f) => f.realPath(path)),
    kind: (path) => files !== undefined ? files.kind(path) : loaded().then((f) => f.kind(path)),
    open: (path) => files !== undefined ? files.open(path) : loaded().then((f) => f.open(path)),
    createTempFile: () => files !== undefined ? files.createTempFile() : loaded().then((f) => f.createTempFile()),
    openAppend: (path) => files !== undefined ? files.openAppend(path) : loaded().then((f) => f.openAppend(path)),
  };
}

/**
 * `spawnWorker`, loaded by `load()` at the first call. The port is synchronous: until the module is
 * there, the thread handle queues what is posted (the dispatcher posts nothing before the worker
 * says it is ready) and a failure to start is reported as the thread's exit. Later calls spawn at once.
 *
 * @example
 * ```ts ignore
 * const spawnWorker = lazySpawn(async () => (await import("./worker.ts")).spawnWorker);
 * ```
 */
export function lazySpawn(load: () => Promise<SpawnWorker>): SpawnWorker {
  let spawn: SpawnWorker | undefined;
  let loading: Promise<SpawnWorker> | undefined;
  return (init, events) => {
    if (spawn !== undefined) return spawn(init, events);
    let thread: ThreadHandle | undefined;
    let terminated = false;
    const queued: [unknown, ArrayBuffer[] | undefined][] = [];
    const failed = (error: unknown): void => {
      if (!terminated) events.exit(`cannot start a worker thread: ${error instanceof Error ? error.message : String(error)}`);
    };
    (loading ??= load()).then((loaded) => {
      spawn = loaded;
      if (terminated) return;
      try {
        thread = loaded(init, events);
      } catch (error) {
        failed(error);
        return;
      }
      for (const [message, transfer] of queued.splice(0)) thread.post(message, transfer);
    }, failed);
    return {
      post: (message, transfer) => void (thread !== undefined ? thread.post(message, transfer) : queued.push([message, transfer])),
      terminate: () => {
        terminated = true;
        return thread?.terminate();
      },
    };
  };
}

/**
 * The permessage-deflate port, loaded by `load()` at the first `create()`. `create()` stays
 * synchronous: until the module is there, the codec's calls wait for it, in call order (the loaded
 * codec serializes them); `close()` before that frees the codec as soon as it exists, and its
 * pending and later calls reject. A module that cannot load rejects every call. Later `create()`s
 * go straight through.
 *
 * @example
 * ```ts ignore
 * const deflate = lazyDeflate(async () => zlibDeflatePort(await import("node:zlib")));
 * ```
 */
export function lazyDeflate(load: () => Promise<DeflatePort>, contextTakeover = true): DeflatePort {
  let port: DeflatePort | undefined;
  let loading: Promise<DeflatePort> | undefined;
  return {
    contextTakeover,
    create(params) {
      if (port !== undefined) return port.create(params);
      const codec = (loading ??= load().then((p) => (port = p))).then((p) => p.create(params));
      codec.catch(() => {});
      let closed = false;
      const closedError = (): Promise<never> => Promise.reject(new Error("the permessage-deflate codec is closed"));
      const lazy: MessageCodec = {
        inflate: (data, maxBytes) => closed ? closedError() : codec.then((c) => c.inflate(data, maxBytes)),
        deflate: (data) => closed ? closedError() : codec.then((c) => c.deflate(data)),
        close() {
          if (closed) return;
          closed = true;
          // Calls made before are already queued on the codec (then-callbacks run in order): they reject.
          codec.then((c) => c.close(), () => {});
        },
      };
      return lazy;
    },
  };
}
