/**
 * Node's listeners on inherited sockets (the `sockets` setting, systemd socket activation):
 * `net.Server.listen({ fd })`, for TCP and unix stream sockets. Loaded on first use: a server that
 * binds its own addresses never needs it.
 *
 * @module
 */

import * as net from "node:net";
import { fstatSync, readFileSync, readlinkSync } from "node:fs";
import type { AcceptHandler, Listener, ListenerEvents, PeerInfo } from "../../src/platform.ts";
import { ListenerReport, listenerName } from "../shared/accept.ts";
import { listenError } from "../shared/listen_error.ts";
import { checkInheritedSocket, inheritedWhere, notAStreamSocket, procSocketAddress } from "../shared/inherited.ts";
import { unixPeer } from "../shared/unix_socket.ts";
import { type Bound, wire } from "./socket.ts";
import { listen, onServerError } from "./listen.ts";

/** A unix socket's path, from /proc (Linux): Node's pipe handle does not say; `""` where unknown. */
function unixPathOf(fd: number): string {
  try {
    const read = (path: string) => readFileSync(path, "latin1");
    const found = procSocketAddress({ link: readlinkSync(`/proc/self/fd/${fd}`), unix: read("/proc/net/unix") });
    return found?.transport === "unix" ? found.hostname : "";
  } catch {
    return ""; // no /proc
  }
}

/**
 * Listens on an inherited socket (the Runtime's `listenFd`): a TCP or unix stream socket, bound (and
 * perhaps listening) already, at descriptor `fd`. Closing the listener closes the descriptor; a unix
 * socket's file stays (it belongs to whoever bound it).
 *
 * @example
 * ```ts ignore
 * const listener = await listenFd(3, 2048, onAccept); // systemd socket activation
 * listener.address; // { transport: "tcp", hostname: "127.0.0.1", port: 8080, fd: 3 }
 * ```
 */
export function listenFd(fd: number, backlog: number, onAccept: AcceptHandler, events?: ListenerEvents): Promise<Listener> {
  try {
    checkInheritedSocket(fd, fstatSync);
  } catch (error) {
    return Promise.reject(error);
  }
  // Filled in once listening: what the socket is bound to is known from Node only then.
  const bound: Bound = { host: "", port: 0 };
  let peer: PeerInfo | Bound = bound;
  const report = new ListenerReport(events, inheritedWhere(fd));
  const server = net.createServer({ allowHalfOpen: true, noDelay: true }, (socket) => wire(socket, onAccept, peer, report));
  // Node takes { fd } as a handle (listen(handle, backlog, callback)); its ListenOptions type does not list it.
  return listen(server, { fd } as net.ListenOptions, inheritedWhere(fd), () => {
    const a = server.address();
    if (a !== null && typeof a === "object") {
      bound.host = a.address;
      bound.port = a.port;
      return { transport: "tcp", hostname: a.address, port: a.port, fd };
    }
    // A unix socket: Node's pipe handle does not say where it is bound.
    const path = typeof a === "string" && a !== "" ? a : unixPathOf(fd);
    peer = unixPeer(path);
    return { transport: "unix", hostname: path, port: 0, fd };
  }, (address) => {
    report.where = `${listenerName(address)} (descriptor ${fd})`;
    server.on("error", (error) => onServerError(server, report, error));
  }, { backlog }).catch((error: unknown) => {
    // Node refuses a datagram socket (or anything it cannot listen on) with a bare EINVAL.
    const cause = (error as { cause?: { code?: unknown } }).cause;
    throw cause?.code === "EINVAL" ? listenError(Object.assign(new Error(notAStreamSocket()), { cause }), inheritedWhere(fd)) : error;
  });
}
