/**
 * The Deno adapter: `Deno.listen` connections behind the core's {@linkcode SocketHandle}.
 *
 * Deno's `Conn` is promise-based: a read loop feeds the core, and a write loop drains an output queue
 * (writes may be partial). Pausing holds the read loop.
 *
 * @module
 */

import type { WorkerInit } from "../src/threads/thread_protocol.ts";
import type { AcceptHandler, BoundAddress, ConnectionEvents, Listener, ListenerEvents, PeerInfo, Runtime, SocketHandle, ThreadEvents, ThreadHandle } from "../src/platform.ts";
import { lazyRequest } from "../src/web/request.ts";
import { installFastResponse } from "./fast_globals.ts";
import { nodeFiles } from "./node_file.ts";
import { timerClock } from "./timer_clock.ts";
import { concatBytes } from "../src/http1/bytes.ts";
import { Lingering } from "./linger.ts";
import { acceptLoop, ListenerReport, listenerName } from "./accept.ts";
import { listenError, tcpWhere } from "./listen_error.ts";

interface DenoAddr {
  transport: string;
  hostname?: string;
  port?: number;
  path?: string;
}
interface DenoConn {
  readonly remoteAddr: DenoAddr;
  readonly localAddr: DenoAddr;
  read(p: Uint8Array): Promise<number | null>;
  write(p: Uint8Array): Promise<number>;
  closeWrite(): Promise<void>;
  close(): void;
  setNoDelay?(noDelay?: boolean): void;
}
interface DenoListener extends AsyncIterable<DenoConn> {
  readonly addr: DenoAddr;
  accept(): Promise<DenoConn>;
  close(): void;
}
interface DenoApi {
  listen(options: { hostname?: string; port?: number; transport?: string; path?: string }): DenoListener;
  lstat(path: string): Promise<{ isFile: boolean; isSocket?: boolean | null }>;
  remove(path: string): Promise<void>;
  chmod(path: string, mode: number): Promise<void>;
  connect(options: { transport: "unix"; path: string }): Promise<DenoConn>;
  resolveDns(query: string, type: "A" | "AAAA"): Promise<string[]>;
  unrefTimer(id: number): void;
}

const deno = (): DenoApi => (globalThis as unknown as { Deno: DenoApi }).Deno;

/** Bytes queued for writing above which `write()` reports backpressure. */
const HIGH_WATER = 64 * 1024;
/**
 * Read buffer sizes: each connection starts small (most requests are a few hundred bytes, and every
 * open connection keeps one buffer in a pending read) and grows when a read fills its buffer.
 */
const READ_SIZE_MIN = 4 * 1024;
const READ_SIZE_MAX = 64 * 1024;
/**
 * Read buffers (of READ_SIZE_MIN) of connections that closed, for the next ones: under churn a new
 * 4 KiB buffer per connection is external memory that only a GC frees, and its growth makes V8
 * collect more often. At most this many wait here (256 KiB).
 */
const SPARE_BUFFERS_MAX = 64;
const spareBuffers: Uint8Array[] = [];

/** Closing connections waiting for their peer; each entry is the connection's close function. */
const lingering = new Lingering<() => void>((close) => close(), (timer) => deno().unrefTimer(timer as unknown as number));

function serveConn(conn: DenoConn, onAccept: AcceptHandler, unixPath: string | undefined, report: ListenerReport): void {
  try {
    conn.setNoDelay?.(true);
  } catch { /* unix sockets have no Nagle */ }
  const queue: Uint8Array[] = [];
  let queued = 0;
  /** Bytes handed to write() and not yet written: the backpressure measure. */
  let pending = 0;
  let writing = false;
  /** write() reported backpressure: the core waits for onDrain. */
  let congested = false;
  let ending = false;
  let closed = false;
  let paused = false;
  let peerEnded = false;
  let wake: (() => void) | undefined;
  let lastError: unknown;
  let events: ConnectionEvents | undefined;

  const close = (): void => {
    if (closed) return;
    closed = true;
    lingering.delete(close);
    try {
      conn.close();
    } catch { /* already closed */ }
    wake?.();
    events?.onClose(lastError);
  };
  // An exception that escaped this connection's loops closes this connection only (unhandled, it
  // would end the process).
  const fault = (error: unknown): void => {
    report.connectionError(error);
    try {
      close();
    } catch (again) {
      report.connectionError(again);
    }
  };

  // Never rejects (what the core throws in onDrain goes to fault): called without a .catch, which
  // would cost one more promise per response.
  const writeLoop = async (): Promise<void> => {
    writing = true;
    try {
      while (queue.length > 0 && !closed) {
        // Everything queued goes out in one write call where possible.
        const chunk = queue.length === 1 ? queue[0] : concatBytes(queue, queued);
        queue.length = 0;
        queued = 0;
        let n = 0;
        while (n < chunk.length) n += await conn.write(n === 0 ? chunk : chunk.subarray(n));
        pending -= chunk.length;
      }
    } catch (error) {
      lastError = error;
      writing = false;
      close();
      return;
    }
    writing = false;
    if (closed) return;
    try {
      if (congested) {
        congested = false;
        events!.onDrain();
      }
      if (ending && queue.length === 0) {
        if (peerEnded) return close(); // both sides are done
        try {
          await conn.closeWrite();
        } catch { /* peer already gone */ }
        if (!closed) lingering.add(close);
      }
    } catch (error) {
      fault(error);
    }
  };

  const handle: SocketHandle = {
    write(data: Uint8Array): boolean {
      if (closed || ending) return false;
      queue.push(data);
      queued += data.length;
      pending += data.length;
      if (!writing) void writeLoop();
      if (pending < HIGH_WATER) return true;
      congested = true;
      return false;
    },
    end(): void {
      if (ending || closed) return;
      ending = true;
      paused = false;
      wake?.();
      if (!writing) void writeLoop();
    },
    destroy(): void {
      close();
    },
    pauseReading(): void {
      paused = true;
    },
    resumeReading(): void {
      if (!paused) return;
      paused = false;
      wake?.();
    },
  };

  const remote = conn.remoteAddr;
  const local = conn.localAddr;
  const peer: PeerInfo = unixPath === undefined
    ? {
      remoteAddress: remote.hostname ?? "",
      remotePort: remote.port ?? 0,
      localAddress: local.hostname ?? "",
      localPort: local.port ?? 0,
      unix: false,
    }
    : { remoteAddress: "", remotePort: 0, localAddress: unixPath, localPort: 0, unix: true };
  events = onAccept(handle, peer);
  const sink = events;

  let readBuffer = spareBuffers.pop() ?? new Uint8Array(READ_SIZE_MIN);
  (async () => {
    try {
      for (;;) {
        while (paused && !closed && !ending) await new Promise<void>((resolve) => (wake = resolve));
        if (closed) return;
        let n: number | null;
        try {
          n = await conn.read(readBuffer);
        } catch (error) {
          // A socket error (a reset): the core hears of it in onClose.
          lastError = error;
          return close();
        }
        if (n === null) {
          peerEnded = true;
          if (ending) return close();
          sink.onEnd();
          return;
        }
        // Hand the core a copy: the read buffer is reused for the next read.
        if (!ending) sink.onData(readBuffer.slice(0, n));
        if (n === readBuffer.length && n < READ_SIZE_MAX) readBuffer = new Uint8Array(n * 4);
      }
    } finally {
      // No read is pending on it any more (every exit is after a read ended or before one began),
      // and the core only ever got copies: the next connection may have it.
      if (readBuffer.length === READ_SIZE_MIN && spareBuffers.length < SPARE_BUFFERS_MAX) spareBuffers.push(readBuffer);
    }
  })().catch(fault); // what the core threw
}

/**
 * Accepts until the listener is closed. An error while accepting (a client that reset before its
 * connection was accepted: Deno's accept then fails with NotConnected) or while setting up one
 * connection never ends the loop; only closing or a broken listening socket does.
 */
function serveListener(listener: DenoListener, address: BoundAddress, onAccept: AcceptHandler, unixPath: string | undefined, events: ListenerEvents | undefined): Listener {
  const report = new ListenerReport(events, listenerName(address));
  let closed = false;
  const stop = (): void => {
    closed = true;
    try {
      listener.close();
    } catch { /* already closed */ }
  };
  void acceptLoop({
    accept: () => listener.accept(),
    serve: (conn) => serveConn(conn, onAccept, unixPath, report),
    drop: (conn) => conn.close(),
    closed: () => closed,
    stop,
    report,
  });
  return {
    address,
    close(): Promise<void> {
      stop();
      return Promise.resolve();
    },
  };
}

/**
 * The Deno runtime for the core.
 *
 * @example
 * ```ts ignore
 * import { denoRuntime } from "./adapters/deno.ts";
 * ```
 */
export const denoRuntime: Runtime = {
  name: "deno",
  createRequest: lazyRequest,
  setup: installFastResponse,
  clock: timerClock((id) => deno().unrefTimer(id as number)),
  files: nodeFiles,
  listenTcp(host: string, port: number, _backlog: number, onAccept: AcceptHandler, events?: ListenerEvents): Promise<Listener> {
    let listener: DenoListener;
    try {
      listener = deno().listen({ hostname: host, port, transport: "tcp" });
    } catch (error) {
      // Deno's own words ("Address already in use (os error 98)") name no address.
      return Promise.reject(listenError(error, tcpWhere(host, port)));
    }
    const addr = listener.addr;
    return Promise.resolve(serveListener(listener, { transport: "tcp", hostname: addr.hostname ?? host, port: addr.port ?? port }, onAccept, undefined, events));
  },
  async listenUnix(path: string, perms: number, _backlog: number, onAccept: AcceptHandler, events?: ListenerEvents): Promise<Listener> {
    const api = deno();
    let exists = false;
    try {
      const info = await api.lstat(path);
      exists = true;
      if (info.isFile || info.isSocket === false) {
        throw new Error(`Cannot listen on unix socket "${path}": a file that is not a socket is in the way`);
      }
    } catch (error) {
      if (exists) throw error;
    }
    if (exists) {
      let live = false;
      try {
        const probe = await api.connect({ transport: "unix", path });
        probe.close();
        live = true;
      } catch { /* stale */ }
      if (live) throw new Error(`Cannot listen on unix socket "${path}": another server is listening on it`);
      await api.remove(path);
    }
    let listener: DenoListener;
    try {
      listener = api.listen({ transport: "unix", path });
    } catch (error) {
      throw listenError(error, `unix:${path}`);
    }
    await api.chmod(path, perms);
    return serveListener(listener, { transport: "unix", hostname: path, port: 0 }, onAccept, path, events);
  },
  async lookup(host: string) {
    if (host === "localhost") return [{ address: "127.0.0.1", family: 4 as const }, { address: "::1", family: 6 as const }];
    const api = deno();
    const [v4, v6] = await Promise.all([
      api.resolveDns(host, "A").catch(() => [] as string[]),
      api.resolveDns(host, "AAAA").catch(() => [] as string[]),
    ]);
    return [...v4.map((address) => ({ address, family: 4 as const })), ...v6.map((address) => ({ address, family: 6 as const }))];
  },
  spawnWorker(init: WorkerInit, events: ThreadEvents): ThreadHandle {
    const entry = new URL(import.meta.url.endsWith(".ts") ? "./worker_web.ts" : "./worker_web.js", import.meta.url);
    const worker = new Worker(entry, { type: "module" });
    let ended = false;
    worker.onmessage = (event: MessageEvent) => events.message(event.data);
    worker.onerror = (event: ErrorEvent) => {
      // An uncaught error ends a Deno worker (and, unhandled here, would end this process too).
      event.preventDefault();
      if (ended) return;
      ended = true;
      worker.terminate();
      events.exit(`uncaught ${event.message}`);
    };
    worker.postMessage(init); // the first message says what to load
    return {
      post: (message, transfer) => worker.postMessage(message, transfer ?? []),
      terminate: () => {
        ended = true;
        worker.terminate();
      },
    };
  },
};
