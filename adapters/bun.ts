/**
 * The Bun adapter: `Bun.listen` sockets behind the core's {@linkcode SocketHandle}.
 *
 * Bun's `socket.write()` writes what the kernel takes and returns the count; the rest waits in a
 * queue here until the `drain` callback.
 *
 * @module
 */

import type { WorkerInit } from "../src/threads/thread_protocol.ts";
import type { AcceptHandler, ConnectionEvents, Listener, ListenerEvents, Runtime, SocketHandle, ThreadEvents, ThreadHandle } from "../src/platform.ts";
import { lazyRequest } from "../src/web/request.ts";
import { installFastResponse } from "./fast_globals.ts";
import { nodeFiles } from "./node_file.ts";
import { timerClock } from "./timer_clock.ts";
import { concatBytes, isAscii } from "../src/http1/bytes.ts";
import { nodeRuntime } from "./node.ts";
import { Lingering } from "./linger.ts";
import { ListenerReport, listenerName } from "./accept.ts";
import { listenError, tcpWhere } from "./listen_error.ts";

interface BunSocket {
  data: BunSocketHandle;
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
/** How much of a gathered write is copied into its first send. */
const GATHER_MAX = 128 * 1024;
/** Scratch memory for gathered writes, shared by all sockets (never while a view of it is queued). */
let gatherScratch: Uint8Array | undefined;
const encoder = new TextEncoder();

/** One socket's state, and the core's view of it. Methods on a prototype: no closures per connection. */
class BunSocketHandle implements SocketHandle {
  readonly socket: BunSocket;
  events: ConnectionEvents = undefined as unknown as ConnectionEvents;
  queue: Uint8Array[] = [];
  queued = 0;
  ending = false;
  peerEnded = false;
  closed = false;
  lastError: unknown;
  readonly report: ListenerReport;

  constructor(socket: BunSocket, report: ListenerReport) {
    this.socket = socket;
    this.report = report;
  }

  write(data: Uint8Array): boolean {
    if (this.closed || this.ending) return false;
    if (this.queue.length === 0) {
      const n = this.socket.write(data);
      if (n >= data.length) return true;
      this.queue.push(n > 0 ? data.subarray(n) : data);
      this.queued = data.length - Math.max(n, 0);
      return this.queued < HIGH_WATER;
    }
    this.queue.push(data);
    this.queued += data.length;
    return this.queued < HIGH_WATER;
  }
  /**
   * Bun sockets have no gathered write. The first GATHER_MAX bytes (the head and the start of the
   * body) are copied into one buffer so they leave in one send and one TCP segment train, as a
   * writev would; the rest goes by reference.
   */
  writev(chunks: Uint8Array[]): boolean {
    if (this.closed || this.ending) return false;
    let total = 0;
    for (const chunk of chunks) total += chunk.length;
    // Fresh large typed arrays are costly in JavaScriptCore: gather into a reused scratch buffer.
    const gathered = (gatherScratch ??= new Uint8Array(GATHER_MAX)).subarray(0, Math.min(total, GATHER_MAX));
    let offset = 0;
    let i = 0;
    for (; i < chunks.length && offset < gathered.length; i++) {
      const chunk = chunks[i];
      const take = Math.min(chunk.length, gathered.length - offset);
      gathered.set(take === chunk.length ? chunk : chunk.subarray(0, take), offset);
      offset += take;
      if (take < chunk.length) {
        chunks[i] = chunk.subarray(take);
        break;
      }
    }
    // A queued view keeps the scratch buffer: then the next gather takes a new one.
    if (this.queue.length > 0) {
      gatherScratch = undefined;
      this.queue.push(gathered);
      this.queued += gathered.length;
    } else {
      const n = this.socket.write(gathered);
      if (n < gathered.length) {
        gatherScratch = undefined;
        const written = Math.max(n, 0);
        this.queue.push(gathered.subarray(written));
        this.queued = gathered.length - written;
      }
    }
    let ok = this.queued < HIGH_WATER;
    for (; i < chunks.length; i++) ok = this.write(chunks[i]);
    return ok;
  }
  writeText(text: string): boolean {
    if (this.closed || this.ending) return false;
    if (this.queue.length > 0) return this.write(encoder.encode(text));
    // Bun encodes strings natively; it reports bytes written, so a partial write of
    // non-ASCII text is finished from its encoded form.
    const n = this.socket.write(text as unknown as Uint8Array);
    if (n === text.length && isAscii(text)) return true;
    const bytes = encoder.encode(text);
    if (n >= bytes.length) return true;
    const written = Math.max(n, 0);
    this.queue.push(bytes.subarray(written));
    this.queued = bytes.length - written;
    return this.queued < HIGH_WATER;
  }
  end(): void {
    if (this.ending || this.closed) return;
    this.ending = true;
    this.socket.resume();
    if (this.queue.length === 0) finishEnd(this.socket, this);
  }
  destroy(): void {
    if (this.closed) return;
    this.ending = true;
    this.socket.terminate();
  }
  pauseReading(): void {
    this.socket.pause();
  }
  resumeReading(): void {
    if (!this.ending) this.socket.resume();
  }
}

function flushQueue(socket: BunSocket, state: BunSocketHandle): void {
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

const lingering = new Lingering<BunSocket>((socket) => {
  if (!socket.data.closed) socket.terminate();
}, (timer) => (timer as { unref?: () => void }).unref?.());

function finishEnd(socket: BunSocket, state: BunSocketHandle): void {
  if (state.peerEnded) {
    socket.end(); // both sides are done
    return;
  }
  socket.shutdown(true); // half-close: the peer reads our response, we keep draining its input
  lingering.add(socket);
}

/**
 * An exception that escaped one socket's callback closes that socket only (Bun would hand it to the
 * error callback and leave the socket as it was).
 */
function fault(socket: BunSocket, error: unknown): void {
  socket.data.report.connectionError(error);
  socket.data.ending = true;
  socket.terminate();
}

function handlers(onAccept: AcceptHandler, unixPath: string | undefined, report: ListenerReport): SocketHandlers {
  return {
    open(socket) {
      const state = new BunSocketHandle(socket, report);
      socket.data = state;
      state.events = IGNORE; // until the core has it: a throwing setup must not leave callbacks without a target
      try {
        socket.setNoDelay?.(true);
        state.events = onAccept(state, unixPath === undefined
          ? {
            remoteAddress: socket.remoteAddress,
            remotePort: socket.remotePort ?? 0,
            localAddress: socket.localAddress ?? "",
            localPort: socket.localPort ?? 0,
            unix: false,
          }
          : { remoteAddress: "", remotePort: 0, localAddress: unixPath, localPort: 0, unix: true });
      } catch (error) {
        fault(socket, error);
      }
    },
    data(socket, data) {
      const state = socket.data;
      try {
        if (!state.ending) state.events.onData(data);
      } catch (error) {
        fault(socket, error);
      }
    },
    drain(socket) {
      const state = socket.data;
      try {
        flushQueue(socket, state);
        if (state.queue.length === 0 && !state.closed) state.events.onDrain();
      } catch (error) {
        fault(socket, error);
      }
    },
    end(socket) {
      const state = socket.data;
      state.peerEnded = true;
      try {
        if (state.ending) socket.end();
        else state.events.onEnd();
      } catch (error) {
        fault(socket, error);
      }
    },
    error(socket, error) {
      socket.data.lastError = error;
    },
    close(socket, error) {
      const state = socket.data;
      if (state.closed) return;
      state.closed = true;
      lingering.delete(socket);
      try {
        state.events.onClose(error ?? state.lastError);
      } catch (error) {
        report.connectionError(error);
      }
    },
  };
}

const IGNORE: ConnectionEvents = { onData() {}, onEnd() {}, onDrain() {}, onClose() {} };

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
  clock: timerClock((timer) => (timer as { unref(): void }).unref()),
  files: nodeFiles,
  listenTcp(host: string, port: number, backlog: number, onAccept: AcceptHandler, events?: ListenerEvents): Promise<Listener> {
    // Bun accepts in native code: accept errors never reach JavaScript (out of descriptors, it retries by itself).
    const report = new ListenerReport(events, `${host}:${port}`);
    let listener: BunListener;
    try {
      listener = bun().listen({ hostname: host, port, socket: handlers(onAccept, undefined, report), allowHalfOpen: true, ipv6Only: host.includes(":"), backlog });
    } catch (error) {
      // Bun's own words ("Failed to listen at 127.0.0.1") name no port.
      return Promise.reject(listenError(error, tcpWhere(host, port)));
    }
    report.where = listenerName({ transport: "tcp", hostname: host, port: listener.port ?? port });
    return Promise.resolve(toListener(listener, "tcp", host, listener.port ?? port));
  },
  async listenUnix(path: string, perms: number, _backlog: number, onAccept: AcceptHandler, events?: ListenerEvents): Promise<Listener> {
    // Reuse Node's stale-socket check and chmod through Bun's node: compatibility.
    const { removeStaleSocket, chmodPath } = await import("./node_unix.ts");
    await removeStaleSocket(path);
    let listener: BunListener;
    try {
      listener = bun().listen({ unix: path, socket: handlers(onAccept, path, new ListenerReport(events, `unix:${path}`)), allowHalfOpen: true });
    } catch (error) {
      throw listenError(error, `unix:${path}`);
    }
    await chmodPath(path, perms);
    return toListener(listener, "unix", path, 0);
  },
  lookup: nodeRuntime.lookup,
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
