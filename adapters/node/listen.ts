/**
 * Node's listeners: `node:net` servers for TCP and unix sockets, with accept errors reported instead
 * of ending the process.
 *
 * @module
 */

import * as net from "node:net";
import { chmod, lstat, unlink } from "node:fs/promises";
import type { AcceptHandler, BoundAddress, Listener, ListenerEvents, ListenTcpOptions } from "../../src/platform.ts";
import type { ContextHolder, NodeTlsContext } from "./tls.ts";
import { ListenerReport, listenerName } from "../shared/accept.ts";
import { listenError, tcpWhere } from "../shared/listen_error.ts";
import { removeStaleSocket, type SocketFileOps, unixPeer } from "../shared/unix_socket.ts";
import { type Bound, wire } from "./socket.ts";

/**
 * Accept errors come as the server's "error" event (unheard, it would end the process). libuv has
 * already dealt with them: ECONNABORTED is skipped; on EMFILE/ENFILE it closes a reserve descriptor,
 * accepts and drops the waiting connections (the clients see the connection closed) and goes on.
 *
 * @example
 * ```ts ignore
 * server.on("error", (error) => onServerError(server, report, error));
 * ```
 */
export function onServerError(server: net.Server, report: ListenerReport, error: Error): void {
  if (report.acceptError(error) !== undefined) return;
  server.close();
  report.failed(error);
}

/**
 * Starts `server` listening with `options` (and `extra.backlog`, for a descriptor): resolves with the
 * {@linkcode Listener} (`address()` says where, `report` hears it first), or rejects with
 * `Cannot listen on WHERE: REASON`. With `extra.tls`, the listener can swap its TLS context.
 *
 * @example
 * ```ts ignore
 * const listener = await listen(server, { port: 0 }, "127.0.0.1:0", () => boundAddress(), () => {});
 * ```
 */
export function listen(
  server: net.Server, options: net.ListenOptions, where: string, address: () => BoundAddress, report: (bound: BoundAddress) => void,
  extra: { backlog?: number; tls?: ContextHolder } = {},
): Promise<Listener> {
  const { backlog, tls } = extra;
  return new Promise((resolve, reject) => {
    // The same words as on Deno and Bun (adapters/shared/listen_error.ts).
    const fail = (error: unknown) => reject(listenError(error, where));
    server.once("error", fail);
    const listening = () => {
      server.off("error", fail);
      const bound = address();
      report(bound);
      const listener: Listener = {
        address: bound,
        // Stop accepting now; Node's close callback would wait for every open connection.
        close: () => {
          server.close();
          return Promise.resolve();
        },
      };
      // The next accepted connection gets the new context; open ones keep theirs.
      if (tls !== undefined) listener.setTls = (context) => Promise.resolve(void (tls.context = context as NodeTlsContext));
      resolve(listener);
    };
    // Node reads a descriptor's backlog from the arguments only, not from options.
    if (backlog === undefined) server.listen(options, listening);
    else server.listen(options, backlog, listening);
  });
}

/**
 * Opens a TCP listener (the Runtime's `listenTcp`). With `tls`, every accepted TCP connection is
 * wrapped at once in a TLS socket (adapters/node/tls.ts): the core holds it from accept, handshake
 * included, as it holds a plain one.
 *
 * @example
 * ```ts ignore
 * const listener = await listenTcp("127.0.0.1", 0, 2048, onAccept);
 * ```
 */
export async function listenTcp(host: string, port: number, backlog: number, onAccept: AcceptHandler, events?: ListenerEvents, options?: ListenTcpOptions): Promise<Listener> {
  const tls = options?.tls; // reusePort: Node's workers share the socket through node:cluster instead
  const bound: Bound = { host, port };
  const report = new ListenerReport(events, `${host}:${port}`);
  const secure = tls === undefined ? undefined : await import("./tls.ts");
  const holder: ContextHolder | undefined = tls === undefined ? undefined : { context: tls as NodeTlsContext };
  // noDelay here is set by Node on the new handle, before any JavaScript socket code runs.
  const server = net.createServer({ allowHalfOpen: true, noDelay: true }, secure === undefined || holder === undefined
    ? (socket) => wire(socket, onAccept, bound, report)
    : (raw) => {
      let socket: net.Socket;
      try {
        socket = secure.secureSocket(raw, holder.context);
      } catch (error) {
        report.connectionError(error);
        raw.destroy();
        return;
      }
      wire(socket, onAccept, bound, report, raw);
    });
  return listen(server, { host, port, backlog, ipv6Only: host.includes(":") }, tcpWhere(host, port), () => {
    const a = server.address() as net.AddressInfo;
    bound.host = a.address;
    bound.port = a.port;
    return { transport: "tcp", hostname: a.address, port: a.port };
  }, (address) => {
    report.where = listenerName(address);
    server.on("error", (error) => onServerError(server, report, error));
  }, { tls: holder });
}

/** Socket-file housekeeping through `node:fs` and a `node:net` probe. */
const socketFiles: SocketFileOps = {
  async what(path) {
    try {
      return (await lstat(path)).isSocket() ? "socket" : "other";
    } catch {
      return "missing";
    }
  },
  connects: (path) =>
    new Promise<boolean>((resolve) => {
      const probe = net.connect(path);
      probe.once("connect", () => {
        probe.destroy();
        resolve(true);
      });
      probe.once("error", () => resolve(false));
    }),
  remove: (path) => unlink(path),
};

/**
 * Opens a unix-socket listener (the Runtime's `listenUnix`), replacing a stale socket file.
 *
 * @example
 * ```ts ignore
 * const listener = await listenUnix("/run/app.sock", 0o600, 2048, onAccept);
 * ```
 */
export async function listenUnix(path: string, perms: number, backlog: number, onAccept: AcceptHandler, events?: ListenerEvents): Promise<Listener> {
  await removeStaleSocket(path, socketFiles);
  const peer = unixPeer(path);
  const report = new ListenerReport(events, `unix:${path}`);
  const server = net.createServer({ allowHalfOpen: true }, (socket) => wire(socket, onAccept, peer, report));
  const listener = await listen(server, { path, backlog }, `unix:${path}`, () => ({ transport: "unix", hostname: path, port: 0 }), () => {
    server.on("error", (error) => onServerError(server, report, error));
  });
  await chmod(path, perms);
  return listener;
}

