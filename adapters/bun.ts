/**
 * The Bun adapter: `Bun.listen` sockets behind the core's {@linkcode SocketHandle}.
 *
 * Bun's `socket.write()` writes what the kernel takes and returns the count; the rest waits in a
 * queue here until the `drain` callback.
 *
 * @module
 */

import type { AcceptHandler, Runtime } from "../src/server.ts";
import type { ThreadEvents, ThreadHandle } from "../src/dispatcher.ts";
import type { WorkerInit } from "../src/thread_protocol.ts";
import type { ConnectionEvents, Listener, SocketHandle } from "../src/transport.ts";
import { lazyRequest } from "../src/request.ts";
import { installFastResponse } from "./fast_globals.ts";
import { openAppend } from "./node_file.ts";
import { concatBytes, isAscii } from "../src/bytes.ts";
import { nodeRuntime } from "./node.ts";

interface BunSocket {
  data: SocketState;
  readonly remoteAddress: string;
  readonly remotePort?: number;
  readonly localAddress?: string;
  readonly localPort?: number;
  write(data: Uint8Array): number;
  end(): void;
  shutdown(halfClose?: boolean): void;
  terminate(): void;
  pause(): void;
  resume(): void;
  setNoDelay?(noDelay?: boolean): boolean;
}
interface BunListener {
  readonly hostname?: string;
  readonly port?: number;
  stop(closeActiveConnections?: boolean): void;
}
interface SocketHandlers {
  open(socket: BunSocket): void;
  data(socket: BunSocket, data: Uint8Array): void;
  drain(socket: BunSocket): void;
  end(socket: BunSocket): void;
  close(socket: BunSocket, error?: unknown): void;
  error(socket: BunSocket, error: unknown): void;
}
interface BunApi {
  listen(options: { hostname?: string; port?: number; unix?: string; socket: SocketHandlers; allowHalfOpen?: boolean; ipv6Only?: boolean; backlog?: number }): BunListener;
}

const bun = (): BunApi => (globalThis as unknown as { Bun: BunApi }).Bun;

const HIGH_WATER = 64 * 1024;
const encoder = new TextEncoder();
const LINGER_MS = 2000;

interface SocketState {
  events: ConnectionEvents;
  queue: Uint8Array[];
  queued: number;
  ending: boolean;
  peerEnded: boolean;
  closed: boolean;
  lastError?: unknown;
}

function flushQueue(socket: BunSocket, state: SocketState): void {
  while (state.queue.length > 0) {
    const chunk = state.queue.length === 1 ? state.queue[0] : concatBytes(state.queue, state.queued);
    const n = socket.write(chunk);
    if (n < chunk.length) {
      state.queue = [n > 0 ? chunk.subarray(n) : chunk];
      state.queued = chunk.length - Math.max(n, 0);
      return;
    }
    state.queue = [];
    state.queued = 0;
  }
  if (state.ending) finishEnd(socket, state);
}

function finishEnd(socket: BunSocket, state: SocketState): void {
  if (state.peerEnded) {
    socket.end(); // both sides are done
    return;
  }
  socket.shutdown(true); // half-close: the peer reads our response, we keep draining its input
  setTimeout(() => {
    if (!state.closed) socket.terminate();
  }, LINGER_MS).unref?.();
}

function handlers(onAccept: AcceptHandler, unixPath: string | undefined): SocketHandlers {
  return {
    open(socket) {
      socket.setNoDelay?.(true);
      const state: SocketState = { events: undefined as unknown as ConnectionEvents, queue: [], queued: 0, ending: false, peerEnded: false, closed: false };
      socket.data = state;
      const handle: SocketHandle = {
        write(data: Uint8Array): boolean {
          if (state.closed || state.ending) return false;
          if (state.queue.length === 0) {
            const n = socket.write(data);
            if (n >= data.length) return true;
            state.queue.push(n > 0 ? data.subarray(n) : data);
            state.queued = data.length - Math.max(n, 0);
            return state.queued < HIGH_WATER;
          }
          state.queue.push(data);
          state.queued += data.length;
          return state.queued < HIGH_WATER;
        },
        writeText(text: string): boolean {
          if (state.closed || state.ending) return false;
          if (state.queue.length > 0) return handle.write(encoder.encode(text));
          // Bun encodes strings natively; it reports bytes written, so a partial write of
          // non-ASCII text is finished from its encoded form.
          const n = socket.write(text as unknown as Uint8Array);
          if (n === text.length && isAscii(text)) return true;
          const bytes = encoder.encode(text);
          if (n >= bytes.length) return true;
          const written = Math.max(n, 0);
          state.queue.push(bytes.subarray(written));
          state.queued = bytes.length - written;
          return state.queued < HIGH_WATER;
        },
        end(): void {
          if (state.ending || state.closed) return;
          state.ending = true;
          socket.resume();
          if (state.queue.length === 0) finishEnd(socket, state);
        },
        destroy(): void {
          if (state.closed) return;
          state.ending = true;
          socket.terminate();
        },
        pauseReading: () => socket.pause(),
        resumeReading: () => {
          if (!state.ending) socket.resume();
        },
      };
      state.events = onAccept(handle, unixPath === undefined
        ? {
          remoteAddress: socket.remoteAddress,
          remotePort: socket.remotePort ?? 0,
          localAddress: socket.localAddress ?? "",
          localPort: socket.localPort ?? 0,
          unix: false,
        }
        : { remoteAddress: "", remotePort: 0, localAddress: unixPath, localPort: 0, unix: true });
    },
    data(socket, data) {
      const state = socket.data;
      if (!state.ending) state.events.onData(data);
    },
    drain(socket) {
      const state = socket.data;
      flushQueue(socket, state);
      if (state.queue.length === 0 && !state.closed) state.events.onDrain();
    },
    end(socket) {
      const state = socket.data;
      state.peerEnded = true;
      if (state.ending) socket.end();
      else state.events.onEnd();
    },
    error(socket, error) {
      socket.data.lastError = error;
    },
    close(socket, error) {
      const state = socket.data;
      if (state.closed) return;
      state.closed = true;
      state.events.onClose(error ?? state.lastError);
    },
  };
}

function toListener(listener: BunListener, transport: "tcp" | "unix", hostname: string, port: number): Listener {
  return {
    address: { transport, hostname, port },
    close(): Promise<void> {
      listener.stop(false);
      return Promise.resolve();
    },
  };
}

/**
 * The Bun runtime for the core. Unix-socket housekeeping and name lookups use Bun's `node:` modules.
 *
 * @example
 * ```ts ignore
 * import { bunRuntime } from "./adapters/bun.ts";
 * ```
 */
export const bunRuntime: Runtime = {
  name: "bun",
  createRequest: lazyRequest,
  setup: installFastResponse,
  openAppend,
  listenTcp(host: string, port: number, backlog: number, onAccept: AcceptHandler): Promise<Listener> {
    const listener = bun().listen({ hostname: host, port, socket: handlers(onAccept, undefined), allowHalfOpen: true, ipv6Only: host.includes(":"), backlog });
    return Promise.resolve(toListener(listener, "tcp", host, listener.port ?? port));
  },
  async listenUnix(path: string, perms: number, _backlog: number, onAccept: AcceptHandler): Promise<Listener> {
    // Reuse Node's stale-socket check and chmod through Bun's node: compatibility.
    const { removeStaleSocket, chmodPath } = await import("./node_unix.ts");
    await removeStaleSocket(path);
    const listener = bun().listen({ unix: path, socket: handlers(onAccept, path), allowHalfOpen: true });
    await chmodPath(path, perms);
    return toListener(listener, "unix", path, 0);
  },
  lookup: nodeRuntime.lookup,
  every: nodeRuntime.every,
  after: nodeRuntime.after,
  spawnWorker(init: WorkerInit, events: ThreadEvents): ThreadHandle {
    const entry = new URL(import.meta.url.endsWith(".ts") ? "./worker_web.ts" : "./worker_web.js", import.meta.url);
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
  },
};
