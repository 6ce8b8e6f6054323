/**
 * Deno's listeners (`Deno.listen`, TCP and unix): an accept loop per listener that no single
 * connection's failure can end.
 *
 * @module
 */

import type { AcceptHandler, BoundAddress, Listener, ListenerEvents, PeerInfo } from "../../src/platform.ts";
import { acceptLoop, ListenerReport, listenerName } from "../shared/accept.ts";
import { listenError, tcpWhere } from "../shared/listen_error.ts";
import { removeStaleSocket, type SocketFileOps, unixPeer } from "../shared/unix_socket.ts";
import { deno, type DenoListener } from "./api.ts";
import { serveConn } from "./socket.ts";

/**
 * Accepts until the listener is closed. An error while accepting (a client that reset before its
 * connection was accepted: Deno's accept then fails with NotConnected) or while setting up one
 * connection never ends the loop; only closing or a broken listening socket does.
 */
function serveListener(listener: DenoListener, address: BoundAddress, onAccept: AcceptHandler, unix: PeerInfo | undefined, events: ListenerEvents | undefined): Listener {
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
    serve: (conn) => serveConn(conn, onAccept, unix, report),
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
 * Opens a TCP listener (the Runtime's `listenTcp`; Deno takes no backlog).
 *
 * @example
 * ```ts ignore
 * const listener = await listenTcp("127.0.0.1", 0, 2048, onAccept);
 * ```
 */
export function listenTcp(host: string, port: number, _backlog: number, onAccept: AcceptHandler, events?: ListenerEvents, options?: { reusePort?: boolean }): Promise<Listener> {
  let listener: DenoListener;
  try {
    // reusePort (waitress-serve --workers) is Linux-only and needs --unstable-net, which the supervisor adds.
    listener = deno().listen({ hostname: host, port, transport: "tcp", ...(options?.reusePort ? { reusePort: true } : {}) });
  } catch (error) {
    // Deno's own words ("Address already in use (os error 98)") name no address.
    return Promise.reject(listenError(error, tcpWhere(host, port)));
  }
  const addr = listener.addr;
  return Promise.resolve(serveListener(listener, { transport: "tcp", hostname: addr.hostname ?? host, port: addr.port ?? port }, onAccept, undefined, events));
}

/** Socket-file housekeeping through Deno's file calls and a probing connect. */
const socketFiles: SocketFileOps = {
  async what(path) {
    let info;
    try {
      info = await deno().lstat(path);
    } catch {
      return "missing";
    }
    // isSocket is null where Deno cannot tell (Windows): anything but a plain file may be a socket.
    return info.isFile || info.isSocket === false ? "other" : "socket";
  },
  async connects(path) {
    try {
      (await deno().connect({ transport: "unix", path })).close();
      return true;
    } catch {
      return false;
    }
  },
  remove: (path) => deno().remove(path),
};

/**
 * Opens a unix-socket listener (the Runtime's `listenUnix`), replacing a stale socket file.
 *
 * @example
 * ```ts ignore
 * const listener = await listenUnix("/run/app.sock", 0o600, 2048, onAccept);
 * ```
 */
export async function listenUnix(path: string, perms: number, _backlog: number, onAccept: AcceptHandler, events?: ListenerEvents): Promise<Listener> {
  await removeStaleSocket(path, socketFiles);
  let listener: DenoListener;
  try {
    listener = deno().listen({ transport: "unix", path });
  } catch (error) {
    throw listenError(error, `unix:${path}`);
  }
  await deno().chmod(path, perms);
  return serveListener(listener, { transport: "unix", hostname: path, port: 0 }, onAccept, unixPeer(path), events);
}
