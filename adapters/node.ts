/**
 * The Node adapter: `node:net` sockets behind the core's {@linkcode SocketHandle}.
 *
 * @module
 */

import * as net from "node:net";
import { lookup } from "node:dns/promises";
import { Worker } from "node:worker_threads";
import { chmodPath, removeStaleSocket } from "./node_unix.ts";
import type { AcceptHandler, BoundAddress, ConnectionEvents, Listener, ListenerEvents, PeerInfo, Runtime, SocketHandle, ThreadEvents, ThreadHandle } from "../src/platform.ts";
import type { WorkerInit } from "../src/threads/thread_protocol.ts";
import { lazyRequest } from "../src/web/request.ts";
import { installFastResponse } from "./fast_globals.ts";
import { nodeFiles } from "./node_file.ts";
import { timerClock } from "./timer_clock.ts";
import { Lingering } from "./linger.ts";
import { ListenerReport, listenerName } from "./accept.ts";
import { listenError, tcpWhere } from "./listen_error.ts";

const lingering = new Lingering<net.Socket>((socket) => socket.destroy(), (timer) => timer.unref());

/** Where a listener is bound: a wildcard address says nothing about a connection's local address. */
interface Bound {
  host: string;
  port: number;
}

/**
 * The addresses of a TCP connection. The remote ones are read at once (kept for logs after the socket
 * is gone). The local address of a listener bound to one address is that address; only a wildcard
 * listener looks it up (a syscall), on first use.
 */
class TcpPeer implements PeerInfo {
  readonly unix = false;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localPort: number;
  readonly #socket: net.Socket;
  readonly #boundHost: string;
  #localAddress: string | undefined;

  constructor(socket: net.Socket, bound: Bound) {
    this.#socket = socket;
    this.#boundHost = bound.host;
    this.remoteAddress = normalizeAddress(socket.remoteAddress ?? "");
    this.remotePort = socket.remotePort ?? 0;
    this.localPort = bound.port;
  }
  get localAddress(): string {
    if (this.#localAddress === undefined) {
      const host = this.#boundHost;
      this.#localAddress = host === "0.0.0.0" || host === "::" ? normalizeAddress(this.#socket.localAddress ?? "") : host;
    }
    return this.#localAddress;
  }
}

/** The core's view of one Node socket. Methods on a prototype: no closures per connection. */
class NodeSocketHandle implements SocketHandle {
  readonly socket: net.Socket;
  readonly report: ListenerReport;
  events: ConnectionEvents | undefined;
  closing = false;
  lastError: unknown;

  constructor(socket: net.Socket, report: ListenerReport) {
    this.socket = socket;
    this.report = report;
  }
  write(data: Uint8Array): boolean {
    return this.socket.write(data);
  }
  writeText(text: string): boolean {
    return this.socket.write(text);
  }
  writev(chunks: Uint8Array[]): boolean {
    // Corked writes leave as one writev syscall.
    const socket = this.socket;
    socket.cork();
    let ok = true;
    for (const chunk of chunks) ok = socket.write(chunk);
    socket.uncork();
    return ok;
  }
  end(): void {
    if (this.closing) return;
    this.closing = true;
    this.socket.end();
    this.socket.resume(); // keep draining input so the kernel does not answer it with a reset
    lingering.add(this.socket);
  }
  destroy(): void {
    this.closing = true;
    this.socket.destroy();
  }
  pauseReading(): void {
    this.socket.pause();
  }
  resumeReading(): void {
    if (!this.closing) this.socket.resume();
  }
}

const kHandle = Symbol("waitress.handle");
type WiredSocket = net.Socket & { [kHandle]: NodeSocketHandle };

/**
 * An exception that escaped one socket's callback closes that socket only: thrown from an event
 * listener, it would be an uncaught exception and end the process.
 */
function fault(socket: WiredSocket, error: unknown): void {
  socket[kHandle].report.connectionError(error);
  socket.destroy();
}

// Shared listeners (Node calls them with the socket as `this`): none allocated per connection.
function onSocketData(this: WiredSocket, chunk: Uint8Array): void {
  const handle = this[kHandle];
  try {
    if (!handle.closing) handle.events!.onData(chunk);
  } catch (error) {
    fault(this, error);
  }
}
function onSocketEnd(this: WiredSocket): void {
  try {
    this[kHandle].events!.onEnd();
  } catch (error) {
    fault(this, error);
  }
}
function onSocketDrain(this: WiredSocket): void {
  try {
    this[kHandle].events!.onDrain();
  } catch (error) {
    fault(this, error);
  }
}
function onSocketError(this: WiredSocket, error: Error): void {
  this[kHandle].lastError = error;
}
function onSocketClose(this: WiredSocket): void {
  const handle = this[kHandle];
  lingering.delete(this);
  try {
    handle.events!.onClose(handle.lastError);
  } catch (error) {
    handle.report.connectionError(error);
  }
}

/** Connects an accepted socket to the core. `peer` is a unix socket's fixed peer, or the TCP listener's bound address. */
function wire(socket: net.Socket, onAccept: AcceptHandler, peer: PeerInfo | Bound, report: ListenerReport): void {
  report.accepted();
  // Listeners first: a socket reset during setup still reports its error and close to someone.
  socket.on("error", onSocketError);
  try {
    const handle = new NodeSocketHandle(socket, report);
    (socket as WiredSocket)[kHandle] = handle;
    handle.events = onAccept(handle, "unix" in peer ? peer : new TcpPeer(socket, peer));
  } catch (error) {
    report.connectionError(error);
    socket.destroy();
    return;
  }
  socket.on("data", onSocketData);
  socket.on("end", onSocketEnd);
  socket.on("drain", onSocketDrain);
  socket.on("close", onSocketClose);
}

/** Node reports IPv4 peers of a dual-stack socket as `::ffff:a.b.c.d`; the core wants `a.b.c.d`. */
function normalizeAddress(address: string): string {
  return address.startsWith("::ffff:") && address.includes(".") ? address.slice(7) : address;
}

/**
 * Accept errors come as the server's "error" event (unheard, it would end the process). libuv has
 * already dealt with them: ECONNABORTED is skipped; on EMFILE/ENFILE it closes a reserve descriptor,
 * accepts and drops the waiting connections (the clients see the connection closed) and goes on.
 */
function onServerError(server: net.Server, report: ListenerReport, error: Error): void {
  if (report.acceptError(error) !== undefined) return;
  server.close();
  report.failed(error);
}

function listen(server: net.Server, options: net.ListenOptions, where: string, address: () => BoundAddress, report: (bound: BoundAddress) => void): Promise<Listener> {
  return new Promise((resolve, reject) => {
    // The same words as on Deno and Bun (adapters/listen_error.ts).
    const fail = (error: unknown) => reject(listenError(error, where));
    server.once("error", fail);
    server.listen(options, () => {
      server.off("error", fail);
      const bound = address();
      report(bound);
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
  listenTcp(host: string, port: number, backlog: number, onAccept: AcceptHandler, events?: ListenerEvents): Promise<Listener> {
    const bound: Bound = { host, port };
    const report = new ListenerReport(events, `${host}:${port}`);
    // noDelay here is set by Node on the new handle, before any JavaScript socket code runs.
    const server = net.createServer({ allowHalfOpen: true, noDelay: true }, (socket) => wire(socket, onAccept, bound, report));
    return listen(server, { host, port, backlog, ipv6Only: host.includes(":") }, tcpWhere(host, port), () => {
      const a = server.address() as net.AddressInfo;
      bound.host = a.address;
      bound.port = a.port;
      return { transport: "tcp", hostname: a.address, port: a.port };
    }, (address) => {
      report.where = listenerName(address);
      server.on("error", (error) => onServerError(server, report, error));
    });
  },
  async listenUnix(path: string, perms: number, backlog: number, onAccept: AcceptHandler, events?: ListenerEvents): Promise<Listener> {
    await removeStaleSocket(path);
    const peer: PeerInfo = { remoteAddress: "", remotePort: 0, localAddress: path, localPort: 0, unix: true };
    const report = new ListenerReport(events, `unix:${path}`);
    const server = net.createServer({ allowHalfOpen: true }, (socket) => wire(socket, onAccept, peer, report));
    const listener = await listen(server, { path, backlog }, `unix:${path}`, () => ({ transport: "unix", hostname: path, port: 0 }), () => {
      server.on("error", (error) => onServerError(server, report, error));
    });
    await chmodPath(path, perms);
    return listener;
  },
  async lookup(host: string) {
    const found = await lookup(host, { all: true });
    return found.map((a) => ({ address: a.address, family: a.family === 6 ? 6 as const : 4 as const }));
  },
  setup: installFastResponse,
  clock: timerClock((timer) => (timer as { unref(): void }).unref()),
  files: nodeFiles,
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
