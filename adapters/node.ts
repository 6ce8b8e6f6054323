/**
 * The Node adapter: `node:net` sockets behind the core's {@linkcode SocketHandle}.
 *
 * @module
 */

import * as net from "node:net";
import { lookup } from "node:dns/promises";
import { Worker } from "node:worker_threads";
import { chmodPath, removeStaleSocket } from "./node_unix.ts";
import type { AcceptHandler, Runtime } from "../src/server.ts";
import type { BoundAddress, Listener, PeerInfo, SocketHandle } from "../src/transport.ts";
import type { ThreadEvents, ThreadHandle } from "../src/dispatcher.ts";
import type { WorkerInit } from "../src/thread_protocol.ts";
import { lazyRequest } from "../src/request.ts";
import { installFastResponse } from "./fast_globals.ts";
import { openAppend } from "./node_file.ts";

/** How long a closing connection keeps reading (and discarding) so the peer sees our response, not a reset. */
const LINGER_MS = 2000;

function wire(socket: net.Socket, onAccept: AcceptHandler, unixPath: string | undefined): void {
  socket.setNoDelay(true);
  let closing = false;
  const handle: SocketHandle = {
    write: (data) => socket.write(data),
    writeText: (text) => socket.write(text),
    writev: (chunks) => {
      // Corked writes leave as one writev syscall.
      socket.cork();
      let ok = true;
      for (const chunk of chunks) ok = socket.write(chunk);
      socket.uncork();
      return ok;
    },
    end: () => {
      if (closing) return;
      closing = true;
      socket.end();
      socket.resume(); // keep draining input so the kernel does not answer it with a reset
      setTimeout(() => socket.destroy(), LINGER_MS).unref();
    },
    destroy: () => {
      closing = true;
      socket.destroy();
    },
    pauseReading: () => socket.pause(),
    resumeReading: () => {
      if (!closing) socket.resume();
    },
  };
  const peer: PeerInfo = unixPath === undefined
    ? {
      remoteAddress: normalizeAddress(socket.remoteAddress ?? ""),
      remotePort: socket.remotePort ?? 0,
      localAddress: normalizeAddress(socket.localAddress ?? ""),
      localPort: socket.localPort ?? 0,
      unix: false,
    }
    : { remoteAddress: "", remotePort: 0, localAddress: unixPath, localPort: 0, unix: true };
  const events = onAccept(handle, peer);
  let lastError: unknown;
  socket.on("data", (chunk: Uint8Array) => {
    if (!closing) events.onData(chunk);
  });
  socket.on("end", () => events.onEnd());
  socket.on("drain", () => events.onDrain());
  socket.on("error", (error) => (lastError = error));
  socket.on("close", () => events.onClose(lastError));
}

/** Node reports IPv4 peers of a dual-stack socket as `::ffff:a.b.c.d`; the core wants `a.b.c.d`. */
function normalizeAddress(address: string): string {
  return address.startsWith("::ffff:") && address.includes(".") ? address.slice(7) : address;
}

function listen(server: net.Server, options: net.ListenOptions, address: () => BoundAddress): Promise<Listener> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options, () => {
      server.off("error", reject);
      const bound = address();
      resolve({
        address: bound,
        // Stop accepting now; Node's close callback would wait for every open connection.
        close: () => {
          server.close();
          return Promise.resolve();
        },
      });
    });
  });
}

/**
 * The Node runtime for the core.
 *
 * @example
 * ```ts ignore
 * import { nodeRuntime } from "./adapters/node.ts";
 * ```
 */
export const nodeRuntime: Runtime = {
  name: "node",
  createRequest: lazyRequest,
  listenTcp(host: string, port: number, backlog: number, onAccept: AcceptHandler): Promise<Listener> {
    const server = net.createServer({ allowHalfOpen: true }, (socket) => wire(socket, onAccept, undefined));
    return listen(server, { host, port, backlog, ipv6Only: host.includes(":") }, () => {
      const a = server.address() as net.AddressInfo;
      return { transport: "tcp", hostname: a.address, port: a.port };
    });
  },
  async listenUnix(path: string, perms: number, backlog: number, onAccept: AcceptHandler): Promise<Listener> {
    await removeStaleSocket(path);
    const server = net.createServer({ allowHalfOpen: true }, (socket) => wire(socket, onAccept, path));
    const listener = await listen(server, { path, backlog }, () => ({ transport: "unix", hostname: path, port: 0 }));
    await chmodPath(path, perms);
    return listener;
  },
  async lookup(host: string) {
    const found = await lookup(host, { all: true });
    return found.map((a) => ({ address: a.address, family: a.family === 6 ? 6 as const : 4 as const }));
  },
  every(ms: number, fn: () => void): () => void {
    const timer = setInterval(fn, ms);
    timer.unref();
    return () => clearInterval(timer);
  },
  after(ms: number, fn: () => void): () => void {
    const timer = setTimeout(fn, ms);
    timer.unref();
    return () => clearTimeout(timer);
  },
  setup: installFastResponse,
  openAppend,
  spawnWorker(init: WorkerInit, events: ThreadEvents): ThreadHandle {
    // Built JS runs worker_node.js; a TypeScript-aware runner loads worker_node.ts.
    const entry = new URL(import.meta.url.endsWith(".ts") ? "./worker_node.ts" : "./worker_node.js", import.meta.url);
    const worker = new Worker(entry, { workerData: init });
    let failure: unknown;
    worker.on("message", (message: unknown) => events.message(message));
    worker.on("error", (error) => (failure = error));
    worker.on("exit", (code) => {
      events.exit(failure === undefined ? `exit code ${code}` : `uncaught ${failure instanceof Error ? `${failure.name}: ${failure.message}` : String(failure)}`);
    });
    return {
      post: (message, transfer) => worker.postMessage(message, transfer ?? []),
      terminate: () => worker.terminate(),
    };
  },
};
